"""The analytics queries: learner progress per course, item reports per quiz, sandbox scores per scenario.

Every page costs a fixed number of queries whatever the number of learners: the progress table aggregates in SQL
(a count and one page query with grouped subqueries), then fetches the page's quiz results in one more query.
The same SQLAlchemy Core statements run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, and_, case, func, literal, or_, select

from course.core import completion
from course.core.analytics import items
from course.core.analytics.items import QuizReport
from course.core.analytics.tables import score_bin
from course.core.catalog import Course
from course.core.errors import N_, NotFound
from course.core.quiz import Quiz
from course.extensions import db
from course.models import (
    Certificate,
    LessonProgress,
    QuizAnswer,
    QuizAttempt,
    QuizResult,
    SandboxDesign,
    SandboxResult,
    User,
)

MAX_ID = 2**31 - 1
PAGE_SIZE = 50
STATUSES = ("all", *completion.STATUSES)
SORTS = ("name", "email", "lessons", "quizzes", "sandbox")
MAX_QUERY = 120


@dataclass(frozen=True)
class LearnerFilter:
    """What the progress table shows: a name/email fragment, a status, a sort key and direction."""

    query: str = ""
    status: str = "all"
    sort: str = "name"
    descending: bool = False

    @classmethod
    def parse(cls, query: str | None, status: str | None, sort: str | None, direction: str | None) -> LearnerFilter:
        """Anything unknown falls back to the default instead of failing: a bad link still shows the table."""
        return cls(
            query=(query or "").strip()[:MAX_QUERY],
            status=status if status in STATUSES else "all",
            sort=sort if sort in SORTS else "name",
            descending=direction == "desc",
        )


@dataclass(frozen=True)
class QuizBest:
    percent: float
    passed: bool
    attempts: int


@dataclass(frozen=True)
class LearnerRow:
    user_id: int
    name: str
    email: str
    status: str  # one of STATUSES except "all"
    lessons: int
    quizzes_passed: int
    sandbox: float | None
    certificate: str | None  # the current certificate's public id
    revoked: bool  # a certificate was revoked (and none is current)
    last_activity: datetime | None
    quizzes: dict[str, QuizBest] = field(default_factory=dict)


@dataclass(frozen=True)
class LearnerPage:
    rows: list[LearnerRow]
    total: int
    page: int
    pages: int
    size: int

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def learner_table(course: Course, wanted: LearnerFilter, learners: Select | None = None) -> Select:
    """One row per learner account with the course's aggregates; filtered by `wanted`, not yet sorted or paged.
    `learners` (a SELECT of user ids: the learners in a trainer's or manager's view) keeps only those, in SQL, and
    also narrows every aggregate to them, so a small group costs less than the whole site.

    The status is the completion rule (course/core/completion.py `status`) written in SQL, so one query classifies
    every learner; tests/web/test_analytics_completion.py checks that both give the same answer.
    """
    rule = course.requirements

    def of_learners(column) -> list:  # noqa: ANN001 - a user id column
        return [] if learners is None else [column.in_(learners)]

    lessons = (
        select(
            LessonProgress.user_id.label("user_id"),
            func.count().label("lessons"),
            func.max(LessonProgress.completed_at).label("at"),
        )
        .where(
            LessonProgress.course_id == course.id,
            LessonProgress.lesson_id.in_(rule.lesson_ids or ("",)),
            *of_learners(LessonProgress.user_id),
        )
        .group_by(LessonProgress.user_id)
        .subquery("lessons")
    )
    required = rule.required_quizzes or ("",)
    quizzes = (
        select(
            QuizResult.user_id.label("user_id"),
            func.sum(case((and_(QuizResult.passed, QuizResult.quiz_id.in_(required)), 1), else_=0)).label("passed"),
            func.count().label("taken"),
            func.max(QuizResult.updated_at).label("at"),
        )
        .where(QuizResult.course_id == course.id, *of_learners(QuizResult.user_id))
        .group_by(QuizResult.user_id)
        .subquery("quizzes")
    )
    sandbox = (
        select(
            SandboxResult.user_id,
            SandboxResult.best_score,
            SandboxResult.assigned_score,
            SandboxResult.other_score,
            SandboxResult.updated_at,
        )
        .where(SandboxResult.course_id == course.id, *of_learners(SandboxResult.user_id))
        .subquery("sandbox")
    )
    current = (
        select(Certificate.user_id, Certificate.public_id)
        .where(Certificate.course_id == course.id, Certificate.revoked_at.is_(None), *of_learners(Certificate.user_id))
        .subquery("current")
    )
    revoked = (
        select(Certificate.user_id)
        .where(
            Certificate.course_id == course.id, Certificate.revoked_at.is_not(None), *of_learners(Certificate.user_id)
        )
        .group_by(Certificate.user_id)
        .subquery("revoked")
    )
    done_lessons = func.coalesce(lessons.c.lessons, 0)
    passed = func.coalesce(quizzes.c.passed, 0)
    sandbox_done = (  # as completion.sandbox_done: the assigned account and one of another kind
        literal(True)
        if rule.sandbox is None
        else and_(sandbox.c.assigned_score >= rule.sandbox, sandbox.c.other_score >= rule.sandbox)
    )
    completed = and_(
        done_lessons >= len(rule.lesson_ids),
        passed >= len(rule.required_quizzes),
        func.coalesce(sandbox_done, False),  # no counting score: NULL, not done
    )
    started = or_(done_lessons > 0, quizzes.c.taken.is_not(None), sandbox.c.best_score.is_not(None))
    status = case(
        (current.c.public_id.is_not(None), completion.CERTIFIED),
        (completed, completion.COMPLETED),
        (started, completion.IN_PROGRESS),
        else_=completion.NOT_STARTED,
    )
    table = (
        select(
            User.id.label("user_id"),
            User.display_name.label("name"),
            User.email.label("email"),
            status.label("status"),
            done_lessons.label("lessons"),
            passed.label("quizzes_passed"),
            sandbox.c.best_score.label("sandbox"),
            current.c.public_id.label("certificate"),
            revoked.c.user_id.is_not(None).label("revoked"),
            lessons.c.at.label("lessons_at"),
            quizzes.c.at.label("quizzes_at"),
            sandbox.c.updated_at.label("sandbox_at"),
        )
        .outerjoin(lessons, lessons.c.user_id == User.id)
        .outerjoin(quizzes, quizzes.c.user_id == User.id)
        .outerjoin(sandbox, sandbox.c.user_id == User.id)
        .outerjoin(current, current.c.user_id == User.id)
        .outerjoin(revoked, revoked.c.user_id == User.id)
        .where(User.role == "learner", User.deleted_at.is_(None), *of_learners(User.id))  # erased: not listed
    ).subquery("learners")
    statement = select(table)
    if wanted.query:
        needle = wanted.query.lower()
        statement = statement.where(
            or_(
                func.lower(table.c.name).contains(needle, autoescape=True),
                func.lower(table.c.email).contains(needle, autoescape=True),
            )
        )
    if wanted.status != "all":
        statement = statement.where(table.c.status == wanted.status)
    return statement


def _ordered(statement: Select, wanted: LearnerFilter) -> Select:
    table = statement.selected_columns
    keys = {
        "name": [func.lower(table.name)],
        "email": [func.lower(table.email)],
        "lessons": [table.lessons],
        "quizzes": [table.quizzes_passed, table.lessons],
        "sandbox": [func.coalesce(table.sandbox, -1.0)],
    }[wanted.sort]
    if wanted.descending:
        keys = [key.desc() for key in keys]
    tie = [func.lower(table.name), table.user_id]  # a stable order, so pages never overlap
    return statement.order_by(*keys, *tie)


def _row(row, quizzes: dict[str, QuizBest] | None = None) -> LearnerRow:  # noqa: ANN001 - a result row
    moments = [moment for moment in (row.lessons_at, row.quizzes_at, row.sandbox_at) if moment is not None]
    return LearnerRow(
        user_id=row.user_id,
        name=row.name,
        email=row.email,
        status=row.status,
        lessons=int(row.lessons),
        quizzes_passed=int(row.quizzes_passed),
        sandbox=row.sandbox,
        certificate=row.certificate,
        revoked=bool(row.revoked) and row.certificate is None,
        last_activity=max(moments, default=None),
        quizzes=quizzes or {},
    )


def _best_results(
    course: Course, user_ids: list[int] | None, learners: Select | None = None
) -> dict[int, dict[str, QuizBest]]:
    """Best result per learner and quiz; `None` means every learner (the CSV; of `learners` if given), else only
    the page's learners."""
    statement = select(
        QuizResult.user_id, QuizResult.quiz_id, QuizResult.best_percent, QuizResult.passed, QuizResult.attempts
    ).where(QuizResult.course_id == course.id)
    if learners is not None:
        statement = statement.where(QuizResult.user_id.in_(learners))
    if user_ids is not None:
        if not user_ids:
            return {}
        statement = statement.where(QuizResult.user_id.in_(user_ids))
    best: dict[int, dict[str, QuizBest]] = {}
    for user_id, quiz_id, percent, passed, attempts in db.session.execute(statement):
        best.setdefault(user_id, {})[quiz_id] = QuizBest(percent, bool(passed), attempts)
    return best


def learner_page(
    course: Course, wanted: LearnerFilter, page: int, size: int = PAGE_SIZE, learners: Select | None = None
) -> LearnerPage:
    """One page of the progress table (of `learners` only if given) in three queries; a page past the end shows
    the last page."""
    statement = learner_table(course, wanted, learners)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max(1, math.ceil(total / size))
    page = min(max(1, page), pages)
    rows = db.session.execute(_ordered(statement, wanted).limit(size).offset((page - 1) * size)).all()
    best = _best_results(course, [row.user_id for row in rows])
    return LearnerPage([_row(row, best.get(row.user_id)) for row in rows], total, page, pages, size)


def all_learners(course: Course, wanted: LearnerFilter, learners: Select | None = None) -> Iterator[LearnerRow]:
    """Every learner the filter selects (of `learners` only if given), in its order, for the CSV export (two
    queries)."""
    best = _best_results(course, None, learners)
    for row in db.session.execute(_ordered(learner_table(course, wanted, learners), wanted)):
        yield _row(row, best.get(row.user_id))


# --- one learner ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptLine:
    id: int
    quiz_id: str
    number: int
    status: str
    started_at: datetime | None
    submitted_at: datetime | None
    percent: float | None
    passed: bool | None


@dataclass(frozen=True)
class DesignLine:
    id: int
    scenario_id: str
    name: str
    best_score: float | None
    latest_version: int
    updated_at: datetime | None


@dataclass(frozen=True)
class LearnerDetail:
    user: User
    lessons: dict[str, datetime | None]  # lesson id → completed at
    attempts: dict[str, list[AttemptLine]]  # quiz id → attempts in order
    designs: list[DesignLine]
    certificates: list[Certificate]  # newest first, revoked ones included
    sandbox: float | None


def learner_detail(course: Course, user_id: int) -> LearnerDetail:
    """Everything the course holds about one learner, in a fixed number of queries."""
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or user.deleted_at is not None:
        raise NotFound(N_("There is no such learner."))
    lessons = {
        lesson_id: at
        for lesson_id, at in db.session.execute(
            select(LessonProgress.lesson_id, LessonProgress.completed_at).where(
                LessonProgress.user_id == user.id, LessonProgress.course_id == course.id
            )
        )
    }
    attempts: dict[str, list[AttemptLine]] = {}
    for row in db.session.execute(
        select(
            QuizAttempt.id,
            QuizAttempt.quiz_id,
            QuizAttempt.number,
            QuizAttempt.status,
            QuizAttempt.started_at,
            QuizAttempt.submitted_at,
            QuizAttempt.percent,
            QuizAttempt.passed,
        )
        .where(QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id)
        .order_by(QuizAttempt.quiz_id, QuizAttempt.number)
    ):
        attempts.setdefault(row.quiz_id, []).append(
            AttemptLine(
                row.id,
                row.quiz_id,
                row.number,
                row.status,
                row.started_at,
                row.submitted_at,
                row.percent,
                row.passed,
            )
        )
    designs = [
        DesignLine(row.id, row.scenario_id, row.name, row.best_score, row.latest_version, row.updated_at)
        for row in db.session.execute(
            select(
                SandboxDesign.id,
                SandboxDesign.scenario_id,
                SandboxDesign.name,
                SandboxDesign.best_score,
                SandboxDesign.latest_version,
                SandboxDesign.updated_at,
            )
            .where(SandboxDesign.user_id == user.id, SandboxDesign.course_id == course.id)
            .order_by(SandboxDesign.best_score.desc().nulls_last(), SandboxDesign.id)
        )
    ]
    certificates = list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id, Certificate.course_id == course.id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )
    scores = [design.best_score for design in designs if design.best_score is not None]
    return LearnerDetail(user, lessons, attempts, designs, certificates, max(scores, default=None))


def learner_attempt(course: Course, user_id: int, attempt_id: int) -> tuple[User, QuizAttempt]:
    """A learner's submitted attempt in this course, for a trainer to review; anything else is missing."""
    attempt = db.session.get(QuizAttempt, attempt_id) if 0 < attempt_id <= MAX_ID else None
    if attempt is None or attempt.user_id != user_id or attempt.course_id != course.id or attempt.status != "submitted":
        raise NotFound(N_("There is no such attempt."))
    learner = db.session.get(User, user_id)
    if learner.deleted_at is not None:  # an erased account's attempts stay only as anonymous statistics
        raise NotFound(N_("There is no such attempt."))
    return learner, attempt


# --- sandbox ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioScores:
    """Best score per learner in one scenario, in ten 10-point bins."""

    scenario_id: str
    bins: tuple[int, ...]
    learners: int
    passed: int  # learners whose best design reaches the course's threshold
    mean: float | None


def scenario_scores(course: Course, scenario_ids: list[str], learners: Select | None = None) -> list[ScenarioScores]:
    """The score distribution per scenario (each learner's best design there; of `learners` only if given), binned
    in SQL: one query."""
    conditions = [SandboxDesign.course_id == course.id, SandboxDesign.best_score.is_not(None)]
    if learners is not None:
        conditions.append(SandboxDesign.user_id.in_(learners))
    best = (
        select(
            SandboxDesign.scenario_id.label("scenario_id"),
            func.max(SandboxDesign.best_score).label("best"),
        )
        .where(*conditions)
        .group_by(SandboxDesign.user_id, SandboxDesign.scenario_id)
        .subquery("best")
    )
    # The bin as a CASE (SQLite has no floor()); it agrees with core.analytics.tables.score_bin.
    bucket = case(*((best.c.best >= low, low // 10) for low in range(90, 0, -10)), else_=0)
    threshold = course.completion.sandbox
    reached = case((best.c.best >= threshold, 1), else_=0) if threshold is not None else literal(0)
    rows = db.session.execute(
        select(
            best.c.scenario_id, bucket.label("bin"), func.count(), func.sum(reached), func.sum(best.c.best)
        ).group_by(best.c.scenario_id, bucket)
    ).all()
    found: dict[str, dict] = {}
    for scenario_id, bin_index, count, passed, total in rows:
        entry = found.setdefault(scenario_id, {"bins": [0] * 10, "passed": 0, "total": 0.0})
        entry["bins"][score_bin(10 * int(bin_index))] += count
        entry["passed"] += int(passed or 0)
        entry["total"] += float(total or 0)
    result = []
    for scenario_id in [*scenario_ids, *sorted(set(found) - set(scenario_ids))]:
        entry = found.get(scenario_id, {"bins": [0] * 10, "passed": 0, "total": 0.0})
        learners = sum(entry["bins"])
        mean = entry["total"] / learners if learners else None
        result.append(ScenarioScores(scenario_id, tuple(entry["bins"]), learners, entry["passed"], mean))
    return result


# --- item reports -----------------------------------------------------------------------------------------------
#
# Counted in SQL over the per-question answer rows written at submission (`QuizAnswer`, course/core/analytics/
# answers.py): one GROUP BY for any number of quizzes, whatever the number of attempts, and nothing cached. The rows
# are never joined to users, so an erased learner's anonymised attempts keep counting; `learners` (a SELECT of user
# ids, e.g. a group's members) restricts a report to some learners with one more condition.


def _selection(course_id: str, quiz_ids: list[str], first_only: bool, learners: Select | None) -> list:
    """The answer rows a report counts: the quizzes' rows, of first attempts only or all, of some learners or all."""
    conditions = [QuizAnswer.course_id == course_id, QuizAnswer.quiz_id.in_(quiz_ids)]
    if first_only:
        conditions.append(QuizAnswer.first_attempt)
    if learners is not None:
        conditions.append(QuizAnswer.user_id.in_(learners))
    return conditions


@dataclass
class _Tally:
    """One quiz's GROUP BY rows, sorted into what the report needs; `skipped` counts the answers that do not count."""

    points: dict[str, float]  # items.points_of(quiz)
    marks: dict[str, dict[tuple[float, float], int]] = field(default_factory=dict)
    attempts: dict[tuple[float, float, int], int] = field(default_factory=dict)
    responses: dict[str, dict[str | None, int]] = field(default_factory=dict)
    skipped: int = 0


def _tallies(course_id: str, quizzes: list[Quiz], first_only: bool, learners: Select | None) -> dict[str, _Tally]:
    """Every listed quiz's answers counted in one query: per question, mark, rest of the attempt and response,
    and on each attempt's first row the attempt's total, maximum and size (NULL on the other rows)."""
    columns = (
        QuizAnswer.quiz_id,
        QuizAnswer.question_id,
        QuizAnswer.max_mark,
        QuizAnswer.mark,
        QuizAnswer.rest,
        QuizAnswer.response,
        QuizAnswer.attempt_mark,
        QuizAnswer.attempt_max_mark,
        QuizAnswer.attempt_questions,
    )
    statement = (
        select(*columns, func.count())
        .where(*_selection(course_id, [quiz.id for quiz in quizzes], first_only, learners))
        .group_by(*columns)
    )
    tallies = {quiz.id: _Tally(items.points_of(quiz)) for quiz in quizzes}
    rows = db.session.execute(statement)
    for quiz_id, question_id, max_mark, mark, rest, response, total, maximum, size, count in rows:
        tally = tallies[quiz_id]
        if size is not None:  # the attempt's first row
            tally.attempts[(total, maximum, size)] = tally.attempts.get((total, maximum, size), 0) + count
        if mark is None or tally.points.get(question_id) != max_mark:
            tally.skipped += count
            continue
        marks = tally.marks.setdefault(question_id, {})
        marks[(mark, rest)] = marks.get((mark, rest), 0) + count
        responses = tally.responses.setdefault(question_id, {})
        responses[response] = responses.get(response, 0) + count
    return tallies


def _positions(course_id: str, quiz: Quiz, first_only: bool, learners: Select | None, size: int) -> list[dict]:
    """The marks at each position of the attempts (their k-th question in the quiz's order), for the CIC of a quiz
    that draws its questions: one query."""
    order = case({question.id: index for index, question in enumerate(quiz.questions)}, value=QuizAnswer.question_id)
    ranked = (
        select(
            (func.row_number().over(partition_by=QuizAnswer.attempt_id, order_by=order) - 1).label("position"),
            QuizAnswer.mark.label("mark"),
        )
        .where(*_selection(course_id, [quiz.id], first_only, learners))
        .subquery("ranked")
    )
    positions: list[dict[float, int]] = [{} for _ in range(size)]
    for position, mark, count in db.session.execute(
        select(ranked.c.position, ranked.c.mark, func.count()).group_by(ranked.c.position, ranked.c.mark)
    ):
        positions[position][mark] = count
    return positions


def _usable_marks(course_id: str, quiz: Quiz, first_only: bool, learners: Select | None) -> list[dict[str, float]]:
    """Each attempt's usable marks, for a quiz whose stored rests no longer fit (a question removed or its points
    changed since some answers): one query, no JSON."""
    usable = or_(
        *(
            and_(QuizAnswer.question_id == question_id, QuizAnswer.max_mark == points)
            for question_id, points in items.points_of(quiz).items()
        )
    )
    attempts: dict[int, dict[str, float]] = {}
    for attempt_id, question_id, mark in db.session.execute(
        select(QuizAnswer.attempt_id, QuizAnswer.question_id, QuizAnswer.mark).where(
            *_selection(course_id, [quiz.id], first_only, learners), QuizAnswer.mark.is_not(None), usable
        )
    ):
        attempts.setdefault(attempt_id, {})[question_id] = mark
    return list(attempts.values())


def _reports(
    course: Course, quizzes: list[Quiz], first_only: bool, lang: str, learners: Select | None
) -> dict[str, QuizReport]:
    """Each quiz's report from the counts, or, for a quiz with answers that no longer count, from the usable marks
    (see course/core/analytics/items.py)."""
    minimum = current_app.config["ITEM_FLAGS_MIN_ATTEMPTS"]
    tallies = _tallies(course.id, quizzes, first_only, learners) if quizzes else {}
    reports = {}
    for quiz in quizzes:
        tally = tallies[quiz.id]
        if tally.skipped:
            marks = _usable_marks(course.id, quiz, first_only, learners)
            reports[quiz.id] = items.report_from_marks(quiz, marks, tally.responses, lang, tally.skipped, minimum)
            continue
        size = items.positions_needed(quiz, tally.attempts)
        positions = _positions(course.id, quiz, first_only, learners, size) if size else []
        counts = items.ReportCounts(tally.marks, tally.attempts, tally.responses, positions)
        reports[quiz.id] = items.report_from_counts(quiz, counts, lang, minimum)
    return reports


def quiz_report(course: Course, quiz: Quiz, first_only: bool, lang: str, learners: Select | None = None) -> QuizReport:
    """The quiz's item report (first attempts, or all; of `learners` only if given): one query, one more for a quiz
    that draws its questions or has answers that no longer count."""
    return _reports(course, [quiz], first_only, lang, learners)[quiz.id]


def course_reports(
    course: Course, lang: str, first_only: bool = True, learners: Select | None = None
) -> list[tuple[Quiz, QuizReport]]:
    """Every quiz's item report, for the list of quizzes: one query, one more per quiz that draws its questions or
    has answers that no longer count."""
    reports = _reports(course, list(course.quizzes), first_only, lang, learners)
    return [(quiz, reports[quiz.id]) for quiz in course.quizzes]
