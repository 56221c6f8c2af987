"""The studio's scale bar: item statistics and the progress table with 10,000 learners and ~1,000,000 answers.

Run from the project root:

    .venv/bin/python bench/studio_scale.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/course_bench_studio

It drops and re-creates that database (loopback only, and the name must contain "bench"), creates the schema and
imports the bundled course through the app's own CLI (flask db upgrade, flask course import), then generates the
learners with COPY: lesson progress, quiz attempts whose responses use the quiz's real option ids and whose marks
come from the app's own graders, with their per-question answer rows (made by the submission's own
`answer_rows`), best results, sandbox designs and results, and certificates (unsigned: these rows only feed the
studio's tables). Then, in process with the Flask test client and a logged-in trainer, it loads each page once to
warm up and --runs times to measure, and prints median and max per page. Reports restricted to a group of learners
(groups have no pages yet) are measured by calling the report functions with a SELECT of 500 learners.

Targets (issue #6 and issue #16 item 6): item statistics of one quiz ≤ 1 s (first attempts, all attempts, a quiz
that draws its questions, and a group), the quiz overview (six item reports) ≤ 1 s, the progress CSV of all
10,000 learners ≤ 1 s, the progress table's first page ≤ 300 ms. Nothing is cached between runs.
The group report and its CSV (issue #16 item 5) ≤ 1 s each, for a real group of 500 members with the course assigned
and the trainer looking after it: the group is made after the other pages are measured (a site with groups scopes
the studio pages to them) and removed at the end, so --keep measures the same again. While it exists, the studio
pages are measured once more as the trainer sees them then, scoped to its members (issue #16 item 4): the progress
table ≤ 300 ms, its CSV, the item statistics and the quiz overview ≤ 1 s each.
Exit status: 0 when every target is met, 1 when one is missed, 2 when the set-up failed.
Use --keep to measure an already generated database again without re-creating it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COURSE_ID = "kam-pay"
STATISTICS_QUIZ = "kam-mandate-quiz"  # seven questions, one of each type
DRAWN_QUIZ = "designing-a-kam-bonus-plan-quiz"  # seven of nine questions per attempt: the CIC needs one more query
GROUP_SIZE = 500  # learners in the group the group-filtered reports are restricted to
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/course_bench_studio"
SCENARIOS = ("defend", "at_risk", "growth", "global_team")
EPOCH = datetime(2026, 9, 1, tzinfo=UTC)


class BenchError(Exception):
    pass


@dataclass(frozen=True)
class Target:
    name: str
    path: str  # a page; or "group:<quiz id or overview>:<first or all>", a report called for a group of learners
    limit_ms: float | None = None


def targets(learner_id: int) -> list[Target]:
    base = f"/studio/courses/{COURSE_ID}"
    return [
        Target("item statistics (first attempts)", f"{base}/quizzes/{STATISTICS_QUIZ}/statistics", 1000.0),
        Target("item statistics (all attempts)", f"{base}/quizzes/{STATISTICS_QUIZ}/statistics?attempts=all", 1000.0),
        Target(
            "item statistics, drawn questions (all)", f"{base}/quizzes/{DRAWN_QUIZ}/statistics?attempts=all", 1000.0
        ),
        Target("quiz overview (6 item reports)", f"{base}/quizzes", 1000.0),
        Target(f"group of {GROUP_SIZE}: item statistics (all)", f"group:{STATISTICS_QUIZ}:all", 1000.0),
        Target(f"group of {GROUP_SIZE}: quiz overview", "group:overview:first", 1000.0),
        Target("progress table, first page", f"{base}/learners", 300.0),
        Target("progress table, sorted by sandbox desc", f"{base}/learners?sort=sandbox&dir=desc"),
        Target("progress table, filter + page 20", f"{base}/learners?status=in_progress&q=learner&page=20"),
        Target("learner detail", f"{base}/learners/{learner_id}"),
        Target("sandbox histogram", f"{base}/sandbox"),
        Target("progress CSV (all learners)", f"{base}/learners.csv", 1000.0),
    ]


def report_targets() -> list[Target]:
    """The group report and its CSV; `{group}` is the id of the group `report_group` makes."""
    base = f"/reports/groups/{{group}}/courses/{COURSE_ID}"
    return [
        Target(f"group report ({GROUP_SIZE} members)", base, 1000.0),
        Target(f"group report CSV ({GROUP_SIZE} members)", f"{base}.csv", 1000.0),
    ]


def scoped_targets() -> list[Target]:
    """The studio pages as the bench trainer sees them on a site with groups (issue #16 item 4): only the learners
    of the group they look after, filtered in SQL; measured while `report_group`'s group exists."""
    base = f"/studio/courses/{COURSE_ID}"
    name = f"scoped trainer ({GROUP_SIZE})"
    return [
        Target(f"{name}: progress table, first page", f"{base}/learners", 300.0),
        Target(f"{name}: progress CSV", f"{base}/learners.csv", 1000.0),
        Target(f"{name}: item statistics (all)", f"{base}/quizzes/{STATISTICS_QUIZ}/statistics?attempts=all", 1000.0),
        Target(f"{name}: quiz overview", f"{base}/quizzes", 1000.0),
        Target(f"{name}: sandbox histogram", f"{base}/sandbox"),
    ]


# --- the database -----------------------------------------------------------------------------------------------


def check_url(url: str):  # noqa: ANN201 - a SQLAlchemy URL
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise BenchError("--database-url must be a PostgreSQL URL (postgresql+psycopg://...)")
    if parsed.host not in LOOPBACK_HOSTS:
        raise BenchError(f"refusing a database that is not on loopback: host {parsed.host!r}")
    if "bench" not in (parsed.database or ""):
        raise BenchError(f"refusing database {parsed.database!r}: its name must contain 'bench' (it is dropped)")
    return parsed


def conninfo(parsed, database: str | None = None) -> str:  # noqa: ANN001 - a SQLAlchemy URL
    return parsed.set(drivername="postgresql", database=database or parsed.database).render_as_string(
        hide_password=False
    )


def reset(parsed) -> None:  # noqa: ANN001 - a SQLAlchemy URL
    import psycopg
    from psycopg import sql

    with psycopg.connect(conninfo(parsed, "postgres"), autocommit=True, connect_timeout=10) as conn:
        name = sql.Identifier(str(parsed.database))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def app_env(url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FLASK_APP"}}
    env.update(
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=url,
        COURSE_INSTANCE_PATH=str(instance),
        COURSE_PUBLIC_URL="http://127.0.0.1",  # required in production; only the CLI runs here
    )
    return env


def app_config(url: str) -> dict[str, object]:
    """The in-process app: the bench database, no import at start-up, a public address (required outside tests)."""
    return {"DATABASE_URL": url, "SECRET_KEY": "bench", "AUTO_IMPORT": False, "PUBLIC_URL": "http://127.0.0.1"}


def schema_and_course(env: dict[str, str]) -> None:
    """Schema and the bundled course through the app's own CLI, as an operator would."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in ([*flask, "db", "upgrade"], [*flask, "course", "import"]):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise BenchError(f"set-up step failed: {' '.join(command[2:])}\n{done.stdout}{done.stderr}")


# --- generating learners ----------------------------------------------------------------------------------------


@dataclass
class Candidate:
    response: object
    fraction: float


def candidates(question) -> tuple[list[Candidate], list[Candidate]]:  # noqa: ANN001 - a core Question
    """Right and not-right responses for a question, in the key's ids, graded by the app's own grader."""
    from course.core.quiz.types import question_type

    spec, kind = question.spec, question.type
    raw: list[object] = []
    if kind in ("single", "multiple"):
        ids = [option.id for option in spec.options]
        right = sorted(spec.correct)
        wrong = [i for i in ids if i not in spec.correct]
        if kind == "single":
            raw += [right[0], *wrong]
        else:
            raw += [right, right[:1], right[:-1] + wrong[:1], wrong[:1], sorted(right + wrong[-1:])]
    elif kind == "truefalse":
        raw += [True, False]
    elif kind == "matching":
        key = spec.key
        choices = [choice.id for choice in spec.choices]
        prompts = list(key)
        raw.append(dict(key))
        swapped = dict(key)
        swapped[prompts[0]], swapped[prompts[1]] = key[prompts[1]], key[prompts[0]]
        raw.append(swapped)
        distractor = next((c for c in choices if c not in key.values()), choices[0])
        raw.append({**key, prompts[-1]: distractor})
    elif kind == "ordering":
        order = [item.id for item in spec.items]
        raw += [
            order,
            list(reversed(order)),
            order[1:2] + order[:1] + order[2:],
            order[:-2] + order[-1:] + order[-2:-1],
        ]
    elif kind == "numeric":
        for answer in spec.answers:
            value = answer.value if answer.value is not None else (answer.low + answer.high) / 2
            raw.append({"text": f"{value:g}", "value": float(value)})
        full = next(a for a in spec.answers if a.percent == 100)
        base = full.value if full.value is not None else full.low
        raw += [{"text": f"{base * 0.85:g}", "value": base * 0.85}, {"text": "1", "value": 1.0}]
    elif kind == "shorttext":
        for lang in ("de", "en"):
            texts = spec.accepted(lang)
            raw += [texts[0], texts[0].lower()]
        raw += ["Provision", "commission", "bonus", "Verkäufer"]
    elif kind == "blanks":  # every blank right, the first one wrong, every one wrong
        right_ones = {blank.id: _blank_answer(blank, right=True) for blank in spec.blanks}
        wrong_ones = {blank.id: _blank_answer(blank, right=False) for blank in spec.blanks}
        first = spec.blanks[0].id
        raw += [right_ones, {**right_ones, first: wrong_ones[first]}, wrong_ones]
    elif kind == "essay":  # a trainer's mark, not the grader's: full, half or none for a written answer
        text = "Mostly fixed pay, no revenue commission, a year-end bonus tied to retention."
        return [Candidate(text, 1.0)], [Candidate(text, 0.5), Candidate(text, 0.0)]
    grader = question_type(kind)
    graded = [Candidate(response, grader.grade(spec, response).fraction) for response in raw]
    right = [c for c in graded if c.fraction >= 1 - 1e-9]
    other = [c for c in graded if c.fraction < 1 - 1e-9]
    if not right or not other:
        raise BenchError(f"question {question.id}: no right or no wrong candidate response")
    return right, other


def _blank_answer(blank, right: bool) -> str:  # noqa: ANN001 - a core Blank
    """A select blank's right (or another) option id, a text blank's first accepted (or a wrong) text."""
    if blank.kind.name == "single":
        correct = blank.spec.correct
        return min(correct) if right else next(o.id for o in blank.spec.options if o.id not in correct)
    return blank.spec.accepted("de")[0] if right else "Provision"


class Copier:
    """Rows written with COPY, one table at a time."""

    def __init__(self, conn) -> None:  # noqa: ANN001 - a psycopg connection
        self.conn = conn

    def write(self, table: str, columns: tuple[str, ...], rows) -> int:  # noqa: ANN001 - an iterable of tuples
        count = 0
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def generate(url: str, parsed, learners: int, seed: int) -> dict[str, int]:  # noqa: ANN001, C901, PLR0915
    """Learners with lessons, attempts, results, designs and certificates, written with COPY."""
    import psycopg
    from sqlalchemy import text

    from course.app import create_app
    from course.core.analytics.answers import AnswerRow, answer_rows
    from course.core.quiz import make_layout
    from course.extensions import db
    from course.publishing.cache import catalog

    app = create_app(app_config(url))
    with app.app_context():
        course = catalog().course(COURSE_ID)
        revisions = {}
        for quiz in course.quizzes:
            revisions[quiz.id] = db.session.execute(
                text("SELECT id FROM content_revisions WHERE path = :p AND checksum = :c ORDER BY number DESC"),
                {"p": quiz.path, "c": quiz.checksum},
            ).scalar()
        db.session.remove()
        db.engine.dispose()
    rng = random.Random(seed)
    pools = {quiz.id: {q.id: candidates(q) for q in quiz.questions} for quiz in course.quizzes}
    # Each question's difficulty and how strongly it follows ability; one question per quiz is made to run against
    # ability (a miskeyed-looking item) and one to be nearly free, so the report has something to flag.
    shape = {}
    for quiz in course.quizzes:
        for index, question in enumerate(quiz.questions):
            slope, offset = 1.2, rng.uniform(-0.8, 1.5)
            if index == 1:
                slope = -0.6
            if index == 2:
                offset = 4.5
            shape[(quiz.id, question.id)] = (slope, offset)
    counts = dict.fromkeys(("users", "lessons", "attempts", "answers", "results", "designs", "certificates"), 0)
    password = "!bench"  # no password: the bench logs in through the session
    with psycopg.connect(conninfo(parsed)) as conn:
        copier = Copier(conn)
        now = datetime.now(UTC)
        users = [
            (f"learner{n:05d}@bench.example", password, f"Learner {n:05d}", "learner", "de" if n % 3 else "en", EPOCH)
            for n in range(learners)
        ]
        users.append(("trainer@bench.example", password, "Bench Trainer", "trainer", "en", EPOCH))
        counts["users"] = copier.write(
            "users", ("email", "password_hash", "display_name", "role", "locale", "created_at"), users
        )
        ids = [row[0] for row in conn.execute("SELECT id FROM users WHERE role = 'learner' ORDER BY id")]
        lesson_rows, attempt_rows, result_rows, design_rows, sandbox_rows, certificate_rows = [], [], [], [], [], []
        question_rows = []
        lesson_ids = course.lesson_ids
        for user_id in ids:
            ability = rng.gauss(0, 1)
            day = EPOCH + timedelta(days=rng.uniform(0, 80))
            done = min(len(lesson_ids), max(0, round(rng.gauss(4.5 + ability, 2))))
            for index in range(done):
                lesson_rows.append((user_id, COURSE_ID, lesson_ids[index], day + timedelta(hours=index)))
            passed_all = True
            for quiz in course.quizzes[: max(0, done + rng.choice((0, 1, 1, 2)))]:
                best, passed, number, moment = 0.0, False, 0, day
                while number < 5:
                    number += 1
                    attempt_seed = rng.getrandbits(62)
                    layout = make_layout(quiz, attempt_seed)
                    moment += timedelta(hours=rng.uniform(1, 30))
                    answers, score, maximum = {}, 0.0, 0.0
                    for slot in layout:
                        question = quiz.question(slot.question_id)
                        slope, offset = shape[(quiz.id, question.id)]
                        right, other = pools[quiz.id][question.id]
                        if rng.random() < 0.03:
                            chosen = Candidate(None, 0.0)
                        elif rng.random() < sigmoid(slope * ability + offset + 0.4 * (number - 1)):
                            chosen = rng.choice(right)
                        else:
                            chosen = rng.choice(other)
                        mark = round(chosen.fraction * question.points, 6)
                        answers[question.id] = {
                            "response": chosen.response,
                            "checked_at": None,
                            "mark": mark,
                            "max_mark": question.points,
                        }
                        score += mark
                        maximum += question.points
                    percent = round(100 * score / maximum, 2) if maximum else 0.0
                    ok = percent >= quiz.pass_percent
                    layout_json = json.dumps([[s.question_id, list(s.order)] for s in layout])
                    attempt_id = len(attempt_rows) + 1
                    for row in answer_rows(answers):  # as the submission writes them
                        question_rows.append(
                            (attempt_id, user_id, COURSE_ID, quiz.id, number == 1, *vars(row).values()),
                        )
                    attempt_rows.append(
                        (
                            attempt_id,
                            user_id,
                            COURSE_ID,
                            quiz.id,
                            number,
                            revisions[quiz.id],
                            attempt_seed,
                            layout_json,
                            "submitted",
                            moment - timedelta(minutes=12),
                            moment,
                            score,
                            maximum,
                            percent,
                            ok,
                            json.dumps(answers),
                        )
                    )
                    best, passed = max(best, percent), passed or ok
                    if passed and rng.random() < 0.4:
                        break
                    if not passed and rng.random() < 0.1:
                        break
                result_rows.append((user_id, COURSE_ID, quiz.id, best, passed, number, moment))
                passed_all = passed_all and passed
            if done == 0 or rng.random() < 0.25:
                passed_all = False
                continue
            best_sandbox = None
            for scenario_id in rng.sample(SCENARIOS, rng.choice((1, 1, 2, 3))):
                score = min(100.0, max(0.0, rng.gauss(62 + 12 * ability, 14)))
                design_rows.append(
                    (
                        user_id,
                        COURSE_ID,
                        scenario_id,
                        rng.getrandbits(62),
                        f"Plan {scenario_id}",
                        round(score, 1),
                        0,
                        day,
                        day + timedelta(days=2),
                    )
                )
                best_sandbox = max(best_sandbox or 0.0, round(score, 1))
            sandbox_rows.append((user_id, COURSE_ID, best_sandbox, day + timedelta(days=2)))
            threshold = course.completion.sandbox or 0
            if passed_all and done == len(lesson_ids) and best_sandbox >= threshold and rng.random() < 0.9:
                revoked = rng.random() < 0.03
                certificate_rows.append(
                    (
                        secrets.token_urlsafe(16),
                        user_id,
                        COURSE_ID,
                        "{}",
                        "bench-unsigned",
                        "bench",
                        day + timedelta(days=3),
                        now if revoked else None,
                        "bench" if revoked else None,
                    )
                )
        counts["lessons"] = copier.write(
            "lesson_progress", ("user_id", "course_id", "lesson_id", "completed_at"), lesson_rows
        )
        counts["attempts"] = copier.write(
            "quiz_attempts",
            (
                "id",
                "user_id",
                "course_id",
                "quiz_id",
                "number",
                "revision_id",
                "seed",
                "layout",
                "status",
                "started_at",
                "submitted_at",
                "score",
                "max_score",
                "percent",
                "passed",
                "answers",
            ),
            attempt_rows,
        )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('quiz_attempts', 'id'), (SELECT max(id) FROM quiz_attempts))"
        )
        counts["answers"] = copier.write(
            "quiz_answers",
            ("attempt_id", "user_id", "course_id", "quiz_id", "first_attempt", *(f.name for f in fields(AnswerRow))),
            question_rows,
        )
        counts["results"] = copier.write(
            "quiz_results",
            ("user_id", "course_id", "quiz_id", "best_percent", "passed", "attempts", "updated_at"),
            result_rows,
        )
        counts["designs"] = copier.write(
            "sandbox_designs",
            (
                "user_id",
                "course_id",
                "scenario_id",
                "seed",
                "name",
                "best_score",
                "latest_version",
                "created_at",
                "updated_at",
            ),
            design_rows,
        )
        copier.write("sandbox_results", ("user_id", "course_id", "best_score", "updated_at"), sandbox_rows)
        counts["certificates"] = copier.write(
            "certificates",
            (
                "public_id",
                "user_id",
                "course_id",
                "record",
                "signature",
                "key_id",
                "issued_at",
                "revoked_at",
                "revoked_reason",
            ),
            certificate_rows,
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return counts


# --- measuring --------------------------------------------------------------------------------------------------


def measure(url: str, runs: int) -> list[tuple[Target, list[float], int]]:
    from sqlalchemy import select

    from course.analytics import operations
    from course.app import create_app
    from course.auth.operations import start_session
    from course.extensions import db
    from course.models import User
    from course.publishing.cache import catalog

    app = create_app(app_config(url))
    with app.app_context():
        trainer = db.session.scalar(select(User).where(User.role == "trainer").limit(1))
        learner = db.session.scalar(select(User.id).where(User.role == "learner").order_by(User.id.desc()).limit(1))
        if trainer is None or learner is None:
            raise BenchError("no generated learners: run without --keep first")
        start_session(trainer, remember=False)  # a real server-side session, as the login form starts it
        db.session.commit()
        session_id = trainer.get_id()
        trainer_id = trainer.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    # A group as a future group table would give it: a SELECT of its members' ids (every 20th learner here).
    group = select(User.id).where(User.role == "learner", User.id % (10_000 // GROUP_SIZE) == 0).limit(GROUP_SIZE)

    def group_report(target: Target) -> None:
        _, which, attempts = target.path.split(":")
        with app.test_request_context():
            course = catalog().course(COURSE_ID)
            if which == "overview":
                operations.course_reports(course, "en", attempts == "first", learners=group)
            else:
                operations.quiz_report(course, course.quiz(which), attempts == "first", "en", group)
            db.session.remove()

    def timed(target: Target, path: str) -> tuple[Target, list[float], int]:
        timings, size = [], 0
        for run in range(runs + 1):  # the first is a warm-up
            start = time.perf_counter()
            if path.startswith("group:"):
                group_report(target)
            else:
                response = client.get(path)
                if response.status_code != 200:
                    raise BenchError(f"{target.name}: HTTP {response.status_code}")
                size = len(response.get_data())
            elapsed = (time.perf_counter() - start) * 1000
            if run:
                timings.append(elapsed)
        return target, timings, size

    results = [timed(target, target.path) for target in targets(learner)]
    group_id = report_group(app, trainer_id)
    try:
        results += [timed(target, target.path) for target in scoped_targets()]
        results += [timed(target, target.path.format(group=group_id)) for target in report_targets()]
    finally:
        drop_group(app, group_id)
    return results


def report_group(app, trainer_id: int) -> int:  # noqa: ANN001 - the Flask app
    """A group of GROUP_SIZE learners (every 20th) with the course assigned (started at EPOCH, due 45 days later, so
    some completed on time, some late, some are overdue) and the bench trainer looking after it."""
    from sqlalchemy import select

    from course.extensions import db
    from course.models import CourseAssignment, Group, GroupMembership, User

    with app.app_context():
        group = Group(name="Bench report group", name_key="bench report group")
        db.session.add(group)
        db.session.flush()
        members = db.session.scalars(
            select(User.id)
            .where(User.role == "learner", User.id % (10_000 // GROUP_SIZE) == 0)
            .order_by(User.id)
            .limit(GROUP_SIZE)
        ).all()
        db.session.add_all(GroupMembership(group_id=group.id, user_id=user_id) for user_id in members)
        db.session.add(GroupMembership(group_id=group.id, user_id=trainer_id, role_in_group="trainer"))
        db.session.add(
            CourseAssignment(
                course_id=COURSE_ID,
                group_id=group.id,
                starts_at=EPOCH,
                due_at=EPOCH + timedelta(days=45),
                time_zone="Europe/Berlin",
            )
        )
        db.session.commit()
        return group.id


def drop_group(app, group_id: int) -> None:  # noqa: ANN001 - the Flask app
    from course.extensions import db
    from course.models import Group

    with app.app_context():
        db.session.delete(db.session.get(Group, group_id))  # memberships and the assignment go with it
        db.session.commit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--keep", action="store_true", help="measure the existing database; do not re-create it")
    args = parser.parse_args(argv)
    instance = tempfile.TemporaryDirectory()  # keys and files the app makes at start-up stay out of the checkout
    os.environ["COURSE_INSTANCE_PATH"] = instance.name
    try:
        parsed = check_url(args.database_url)
        url = parsed.render_as_string(hide_password=False)
        if not args.keep:
            started = time.perf_counter()
            reset(parsed)
            schema_and_course(app_env(url, Path(instance.name)))
            schema_s = time.perf_counter() - started
            started = time.perf_counter()
            counts = generate(url, parsed, args.learners, args.seed)
            print(f"schema and course: {schema_s:.1f} s; generated in {time.perf_counter() - started:.1f} s:")
            print("  " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
        results = measure(url, args.runs)
    except BenchError as error:
        print(f"set-up failed: {error}", file=sys.stderr)
        return 2
    missed = False
    print(f"\n{'page':<42} {'median ms':>10} {'max ms':>10} {'target':>10} {'KiB':>8}  verdict")
    for target, timings, size in results:
        mid, top = median(timings), max(timings)
        verdict = "-"
        if target.limit_ms is not None:
            ok = mid <= target.limit_ms and top <= target.limit_ms
            verdict = "ok" if ok else "MISSED"
            missed = missed or not ok
        limit = f"{target.limit_ms:.0f}" if target.limit_ms else "-"
        kib = f"{size / 1024:.1f}" if size else "-"
        print(f"{target.name:<42} {mid:>10.1f} {top:>10.1f} {limit:>10} {kib:>8}  {verdict}")
    print(f"\n{args.runs} runs per page after one warm-up; a target is met when median and max are within it.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
