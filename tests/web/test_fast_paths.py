"""The fast paths (course/fast/) and the plain Flask path serve the same pages, for every kind of visitor.

Every page that is cached as a shell is fetched by learners with different names, languages and progress, a
trainer and anonymous visitors in both languages: first all through the fast paths (so one visitor's shell is
served to the next), then all through the plain path, and each visitor's two pages must be identical.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import Boolean, bindparam, event, select

from course.auth.operations import parse_session_id
from course.certificates import operations as certificates
from course.extensions import db
from course.fast import attempt_page
from course.fast import attempts as fast_attempts
from course.fast.query import FastQuery
from course.fast.request_user import load_request_user
from course.fast.shells import ShellLeak
from course.models import Certificate, LessonProgress, QuizAttempt, QuizResult, SandboxResult, Webhook, utcnow
from course.pages import render_page
from course.publishing.cache import catalog
from course.quiz import operations as quiz_operations
from tests.quiz_helpers import attempt_key, client_for, faster_apps, start_attempt

COURSE = "kam-pay"
TOKEN = re.compile(r'value="[\w-]+\.[\w-]+\.[\w-]+"')  # a signed CSRF token (time-stamped on the plain path)


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def record_progress(app: Flask, user_id: int, lessons: int, quizzes: int, sandbox: float | None) -> None:
    with app.test_request_context():
        course = catalog().course(COURSE)
        for lesson_id in course.lesson_ids[:lessons]:
            db.session.add(LessonProgress(user_id=user_id, course_id=COURSE, lesson_id=lesson_id))
        for quiz in course.quizzes[:quizzes]:
            db.session.add(
                QuizResult(
                    user_id=user_id, course_id=COURSE, quiz_id=quiz.id, best_percent=95.0, passed=True, attempts=1
                )
            )
        if sandbox is not None:
            db.session.add(  # counted as both sandbox passes (the assigned account, one of another kind)
                SandboxResult(
                    user_id=user_id, course_id=COURSE, best_score=sandbox, assigned_score=sandbox, other_score=sandbox
                )
            )
        db.session.commit()


def visitors(app: Flask, make_user) -> dict[str, FlaskClient]:
    """Learners and a trainer with different names, languages and progress (two of them certified, one of those
    certificates revoked), and anonymous visitors in German and English."""
    everything = len(catalog_of(app).lesson_ids), len(catalog_of(app).quizzes)
    people = {
        "ana": (make_user(display_name="Ana <Ölmez> & Co", locale="de"), (2, 1, 40.0)),
        "ben": (make_user(role="trainer", display_name="Ben Trainer", locale="en"), (0, 0, None)),
        "carla": (make_user(display_name="Carla Certified", locale="en"), (*everything, 90.0)),
        "dora": (make_user(display_name="Dora Revoked", locale="de"), (*everything, 85.0)),
    }
    clients = {}
    for name, (user, progress) in people.items():
        record_progress(app, user.id, *progress)
        clients[name] = client_for(app, user)
    for name in ("carla", "dora"):
        assert clients[name].post(f"/courses/{COURSE}/certificate", data={"name": name.title()}).status_code == 302
        clients[name].get("/")  # shows (and so clears) the "issued" message
    with app.app_context():
        revoked = db.session.query(Certificate).filter_by(user_id=people["dora"][0].id).one()
        certificates.revoke(revoked, None, "Issued by mistake")
        db.session.commit()
    for lang in ("de", "en"):
        anonymous = app.test_client()
        anonymous.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        clients[f"anonymous-{lang}"] = anonymous
    return clients


def catalog_of(app: Flask):
    with app.test_request_context():
        return catalog().course(COURSE)


def shell_pages(app: Flask) -> list[str]:
    course = catalog_of(app)
    with app.app_context():
        ids = [public_id for (public_id,) in db.session.query(Certificate.public_id)]
    return [
        "/",
        f"/courses/{COURSE}",
        *(f"/courses/{COURSE}/lessons/{lesson_id}" for lesson_id in course.lesson_ids),
        *(f"/verify/{public_id}" for public_id in ids),
    ]


def fetch(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return TOKEN.sub('value="TOKEN"', response.get_data(as_text=True))


def test_every_shell_page_is_the_same_through_the_fast_and_the_plain_path(app: Flask, make_user) -> None:
    clients = visitors(app, make_user)
    pages = shell_pages(app)
    assert len(pages) == 2 + len(catalog_of(app).lesson_ids) + 2
    served: dict[str, dict[str, str]] = {}
    for fast in (True, False):
        app.config["FAST_PATHS"] = fast
        for url in pages:
            for name, client in clients.items():
                served.setdefault(f"{name} {url}", {})[str(fast)] = fetch(client, url)
    for page, both in served.items():
        assert both["True"] == both["False"], page
    # The pages really differ between visitors, so equal pages are not equal by accident.
    overview = f"/courses/{COURSE}"
    assert "Ana &lt;Ölmez&gt; &amp; Co" in served[f"ana {overview}"]["True"]
    assert "Ana" not in served[f"ben {overview}"]["True"] and "Ben Trainer" in served[f"ben {overview}"]["True"]
    assert "/studio" in served[f"ben {overview}"]["True"] and "/studio" not in served[f"ana {overview}"]["True"]
    assert served["anonymous-de /"]["True"] != served["anonymous-en /"]["True"]
    assert served[f"ana {overview}"]["True"] != served[f"dora {overview}"]["True"]
    # The header's notification link is drawn once per count and language: the certified learners have one unread.
    assert "notifications-link__count" in served[f"carla {overview}"]["True"]
    assert "notifications-link__count" in served[f"dora {overview}"]["True"]
    assert "notifications-link__count" not in served[f"ana {overview}"]["True"]


def test_the_plain_path_loads_the_orm_user_and_the_fast_path_a_snapshot(app: Flask, make_user) -> None:
    user = make_user()
    client = client_for(app, user)
    seen = []

    @app.get("/whoami-test")
    def whoami() -> str:
        from flask_login import current_user

        seen.append(type(current_user._get_current_object()).__name__)
        return ""

    for fast in (True, False):
        app.config["FAST_PATHS"] = fast
        client.get("/whoami-test")
    assert seen == ["RequestUser", "User"]


def test_a_shell_template_that_reads_the_user_outside_a_hole_fails(app: Flask, make_user) -> None:
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"leaky.html": "<p>{{ current_user.display_name }}</p>"}), app.jinja_env.loader]
    )
    client_for(app, make_user())
    with app.test_request_context("/"), pytest.raises(ShellLeak, match="current_user"):
        render_page("leaky.html", lang="de", authenticated=False)
    app.config["FAST_PATHS"] = False
    with app.test_request_context("/"):
        assert render_page("leaky.html", lang="de", authenticated=False) == "<p></p>"


@pytest.mark.parametrize("fast", [True, False])
def test_both_ways_of_closing_an_attempt_close_it_once_and_keep_the_session_copy_true(
    app: Flask, make_user, fast: bool
) -> None:
    user = make_user()
    closing = fast_attempts.close_attempt if fast else quiz_operations.close_attempt
    with app.test_request_context():
        course = catalog().course(COURSE)
        attempt, _created = quiz_operations.start_attempt(user, course, course.quizzes[0])
        db.session.commit()
        values = {
            "status": "submitted",
            "submitted_at": utcnow(),
            "score": 3.0,
            "max_score": 4.0,
            "percent": 75.0,
            "passed": True,
            "answers": {"q": {"response": "a"}},
        }
        assert closing(attempt, values) is True
        assert attempt.status == "submitted" and attempt.percent == 75.0  # no reload needed
        assert closing(attempt, {**values, "percent": 10.0}) is False  # a second tab changes nothing
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(QuizAttempt, attempt.id)
        assert (stored.status, stored.percent, stored.answers) == ("submitted", 75.0, {"q": {"response": "a"}})


def test_a_quiz_is_submitted_and_reviewed_on_the_plain_path(app: Flask, client, login_as, make_user) -> None:
    app.config["FAST_PATHS"] = False
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    response = client.post(f"/attempts/{attempt_id}", data={**key.form_data(key.right_answers()), "submit": "1"})
    assert response.headers["Location"] == f"/attempts/{attempt_id}/review"
    assert "100" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(QuizAttempt, attempt_id).status == "submitted"


def test_the_prepared_close_refuses_a_field_it_would_not_write(app: Flask, make_user) -> None:
    user = make_user()
    with app.test_request_context():
        course = catalog().course(COURSE)
        attempt, _created = quiz_operations.start_attempt(user, course, course.quizzes[0])
        with pytest.raises(ValueError, match="exactly"):
            fast_attempts.close_attempt(attempt, {"status": "submitted", "score": 1.0})
        assert attempt.status == "open"


def test_an_attempt_page_is_the_same_through_the_fast_and_the_plain_path(app: Flask, make_user) -> None:
    """The page is one shell per quiz revision shared by every attempt (`quiz/views.py`), its questions and navigator
    are drawn once per state (`presenting.question_html`, `navigator_html`), its strings translated through the
    request's kept translations (`fast/translations.py`): learners in both languages, with saved, checked, refused
    and untouched answers, and a second learner served from the first one's shell, must see what the plain path
    draws for them."""
    learners = {lang: client_for(app, make_user(display_name=f"Learner {lang}", locale=lang)) for lang in ("de", "en")}
    pages: dict[str, str | tuple[str, dict]] = {}
    for lang, client in learners.items():
        attempt_id = start_attempt(client)
        key = attempt_key(app, attempt_id)
        first, second = key.question_ids[:2]
        saved = key.form_data({first: key.right(first, lang), second: key.wrong(second)})
        assert client.post(f"/attempts/{attempt_id}", data={**saved, "save": "1"}).status_code == 302
        checked = client.post(f"/attempts/{attempt_id}", data={**saved, "check": str(key.number(first))})
        assert checked.status_code == 302
        pages[f"{lang} saved"] = f"/attempts/{attempt_id}"
        numeric = next(question_id for question_id in key.question_ids if key.type(question_id) == "numeric")
        refused = {**saved, f"q{key.number(numeric)}": "twelve-ish", "save": "1"}  # not a number: shown again
        pages[f"{lang} refused"] = (f"/attempts/{attempt_id}", refused)
    learners["other"] = client_for(app, make_user(display_name="Zweite <Lernende>", locale="de"))
    other_attempt = start_attempt(learners["other"])  # untouched, served after the first German learner's pages
    pages.update({"other fresh": f"/attempts/{other_attempt}", "other confirm": f"/attempts/{other_attempt}?confirm=1"})
    served: dict[str, dict[bool, str]] = {}
    for fast in (True, False, True):  # the second fast round is served from the kept questions
        app.config["FAST_PATHS"] = fast
        for label, page in pages.items():
            client = learners[label.split()[0]]
            response = client.post(page[0], data=page[1]) if isinstance(page, tuple) else client.get(page)
            served.setdefault(label, {})[fast] = TOKEN.sub('value="TOKEN"', response.get_data(as_text=True))
    for label, both in served.items():
        assert both[True] == both[False], label
    assert "twelve-ish" in served["en refused"][True]
    assert served["de saved"][True] != served["en saved"][True]
    assert "Frage 1 von" in served["de saved"][True] and "Question 1 of" in served["en saved"][True]
    other = served["other fresh"][True]
    assert f'action="/attempts/{other_attempt}"' in other and "Zweite &lt;Lernende&gt;" in other
    assert "Learner de" not in other and "quiz-nav__link--right" in served["de saved"][True]
    assert "quiz-nav__link--right" not in other  # the first learner's checked answer stays theirs
    assert "Unbeantwortete Fragen zählen 0 Punkte: 1" in served["other confirm"][True]


def test_a_mail_in_another_language_inside_a_request_is_translated_in_that_language(app: Flask) -> None:
    """The kept translations belong to the locale in force: `force_locale` (a mail to someone who reads English,
    sent from a German page) gets English, and the page goes on in German."""
    from flask import render_template_string
    from flask_babel import force_locale

    template = "{{ _('Save answers') }}"
    with app.test_request_context(headers={"Accept-Language": "de"}):
        before = render_template_string(template)
        with force_locale("en"):
            forced = render_template_string(template)
        after = render_template_string(template)
    assert (before, forced, after) == ("Antworten speichern", "Save answers", "Antworten speichern")


def add_launches(app: Flask, launches: dict[str, object]) -> None:
    """One LMS with a resource link per target, each launched by its learner."""
    from course.models import LtiLaunch, LtiPlatform, LtiResourceLink

    with app.app_context():
        platform = LtiPlatform(
            name="LMS",
            issuer="https://lms.example.org",
            client_id="c",
            deployment_ids=["d"],
            auth_login_url="https://lms.example.org/auth",
            auth_token_url="https://lms.example.org/token",
            key_set_url="https://lms.example.org/jwks",
        )
        db.session.add(platform)
        db.session.flush()
        for number, (target, person) in enumerate(launches.items()):
            link = LtiResourceLink(
                platform_id=platform.id, resource_link_id=f"r{number}", deployment_id="d", target=target
            )
            db.session.add(link)
            db.session.flush()
            db.session.add(LtiLaunch(link_id=link.id, user_id=person.id, subject=f"lms-{number}"))
        db.session.commit()


def test_whether_an_lms_or_a_webhook_wants_an_event_is_answered_the_same_both_ways(app: Flask, make_user) -> None:
    """The integrations' questions of a submission (course/fast/integrations.py) against the session's reads: exact
    targets, sandbox links under a prefix, LIKE's own characters in an id, other learners' launches, and webhooks
    that are inactive or chose other events."""
    from types import SimpleNamespace as Event

    from course.lti import grades
    from course.webhooks import operations as webhooks

    learner, other, admin = make_user(), make_user(), make_user(role="admin")
    add_launches(
        app,
        {
            "quiz:kam-pay/q_1": learner,
            "sandbox:kam-pay/defend": learner,
            "sandbox:kam_pay": other,  # "_" would match any character in an unescaped LIKE
            "course:kam-pay": other,
        },
    )
    with app.app_context():
        db.session.add(
            Webhook(
                name="off",
                url="https://hr.example.org/a",
                secret="s" * 32,
                active=False,
                events=["course.completed"],
                created_by_id=admin.id,
            )
        )
        db.session.add(
            Webhook(
                name="on",
                url="https://hr.example.org/b",
                secret="s" * 32,
                events=["certificate.issued"],
                created_by_id=admin.id,
            )
        )
        db.session.commit()
        quiz, sandbox, course = grades._quiz_targets, grades._sandbox_targets, grades._course_targets
        questions = {  # the targets read only the event's course and quiz
            "quiz q_1": lambda user: grades._launched(user, quiz(Event(course_id="kam-pay", quiz_id="q_1"))),
            "quiz qx1": lambda user: grades._launched(user, quiz(Event(course_id="kam-pay", quiz_id="qx1"))),
            "sandbox kam-pay": lambda user: grades._launched(user, sandbox(Event(course_id="kam-pay"))),
            "sandbox kam_pay": lambda user: grades._launched(user, sandbox(Event(course_id="kam_pay"))),
            "course": lambda user: grades._launched(user, course(Event(course_id="kam-pay"))),
            "webhook course.completed": lambda _user: webhooks._wants("course.completed")(None),
            "webhook certificate.issued": lambda _user: webhooks._wants("certificate.issued")(None),
        }
        answers = {}
        for fast in (True, False):
            app.config["FAST_PATHS"] = fast
            answers[fast] = {
                (name, who): ask(person.id)
                for name, ask in questions.items()
                for who, person in (("learner", learner), ("other", other))
            }
    assert answers[True] == answers[False]
    assert answers[True][("quiz q_1", "learner")] and not answers[True][("quiz qx1", "learner")]
    assert answers[True][("sandbox kam-pay", "learner")] and not answers[True][("sandbox kam-pay", "other")]
    assert answers[True][("sandbox kam_pay", "other")] and not answers[True][("sandbox kam_pay", "learner")]
    assert answers[True][("course", "other")] and not answers[True][("course", "learner")]
    assert answers[True][("webhook certificate.issued", "learner")]
    assert not answers[True][("webhook course.completed", "learner")]


def test_a_learner_who_never_came_from_an_lms_is_not_asked_about_it(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether an LMS wants a learner's score is asked for every submission and evaluation: the request's user
    snapshot says whether the learner ever launched a link, so for one who did not nothing is read. One who did,
    and any other learner (a trainer grading an essay), are asked as before."""
    from flask_login import current_user

    from course.fast import integrations
    from course.lti import grades

    never, launched, other = make_user(), make_user(), make_user()
    add_launches(app, {"quiz:kam-pay/q_1": launched, "course:kam-pay": other})
    reads: list[int] = []
    read = integrations._LAUNCHED.all
    monkeypatch.setattr(integrations._LAUNCHED, "all", lambda *args, **params: reads.append(1) or read(*args, **params))
    targets = ("quiz:kam-pay/q_1", None)
    answers: list[tuple[bool, bool, int]] = []

    @app.get("/lms-question-test/<int:about>")
    def ask(about: int) -> str:
        reads.clear()
        snapshot = current_user.launched_from_lms
        answers.append((snapshot, grades._launched(about, targets), len(reads)))
        return ""

    for person, about in ((never, never), (launched, launched), (never, other)):
        assert client_for(app, person).get(f"/lms-question-test/{about.id}").status_code == 200
    assert answers == [(False, False, 0), (True, True, 1), (False, False, 1)]


def test_what_an_api_evaluation_reads_is_answered_the_same_both_ways(app: Flask, make_user) -> None:
    """The sandbox API's rubric weights and benchmark reveal (course/fast/sandbox.py) against the session's reads:
    the newest of several weights rows, a course without any, designs not yet evaluated, in another scenario or
    course, another learner's, and no course at all."""
    from course.api import sandbox as api
    from course.models import RubricWeights, SandboxDesign

    learner, other = make_user(), make_user()
    with app.app_context():
        for number, weight in ((1, 40.0), (2, 55.5)):
            db.session.add(RubricWeights(course_id="kam-pay", number=number, weights={"outcome": weight}))
        designs = (
            (learner, "kam-pay", "defend", 1),
            (learner, "kam-pay", "growth", 0),  # started, never evaluated
            (other, "other-course", "growth", 2),
        )
        for person, course_id, scenario_id, versions in designs:
            db.session.add(
                SandboxDesign(
                    user_id=person.id,
                    course_id=course_id,
                    scenario_id=scenario_id,
                    seed=7,
                    name="Design",
                    latest_version=versions,
                )
            )
        db.session.commit()
        answers = {}
        for fast in (True, False):
            app.config["FAST_PATHS"] = fast
            for person, who in ((learner, "learner"), (other, "other")):
                answers[fast, who] = {
                    (scenario_id, course_id): api._evaluation_reads(person.id, scenario_id, course_id)
                    for scenario_id in ("defend", "growth")
                    for course_id in ("kam-pay", "other-course", None)
                }
    assert answers[True, "learner"] == answers[False, "learner"]
    assert answers[True, "other"] == answers[False, "other"]
    assert answers[True, "learner"][("defend", "kam-pay")] == ({"outcome": 55.5}, True)
    assert answers[True, "learner"][("growth", None)] == (None, False)
    assert answers[True, "other"][("growth", "other-course")] == (None, True)
    assert answers[True, "other"][("growth", None)] == (None, True)


def test_the_attempt_page_reads_its_attempt_on_the_bare_driver(app: Flask, make_user) -> None:
    """`fast/attempt_page.py`: the attempt is read in one statement on the bare driver (FastQuery, outside a
    transaction on PostgreSQL), never through the session; the plain path reads it through the session."""
    client = client_for(app, make_user())
    attempt_id = start_attempt(client)
    statements: list[str] = []

    def seen(_connection, _cursor, statement: str, *_args: object) -> None:  # noqa: ANN001 - SQLAlchemy's objects
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", seen)
    try:
        found = {}
        for fast in (True, False):
            app.config["FAST_PATHS"] = fast
            statements.clear()
            assert client.get(f"/attempts/{attempt_id}").status_code == 200
            found[fast] = [statement for statement in statements if "FROM quiz_attempts" in statement]
    finally:
        event.remove(engine, "after_cursor_execute", seen)
    assert found == {True: [], False: found[False]} and len(found[False]) == 1


def test_a_fast_query_sends_its_parameters_as_sqlalchemy_would(app: Flask) -> None:
    """Parameters are converted by their types (JSON serialised, a time in the model's form), as the submission
    lane's writes need: what the bare driver gets back equals what SQLAlchemy's execution gets back."""
    columns = QuizAttempt.__table__.c
    statement = select(
        bindparam("answers", type_=columns.answers.type),
        bindparam("at", type_=columns.submitted_at.type),
        bindparam("passed", type_=Boolean),
    )
    params = {"answers": {"q1": {"mark": 0.1, "response": "ä"}}, "at": datetime(2026, 12, 7, 16, 0, 1, 5, UTC)}
    with app.app_context():
        with db.engine.connect() as connection:
            expected = tuple(connection.execute(statement, {**params, "passed": True}).one())
        assert FastQuery(statement, typed=True).all(db.engine, **params, passed=True) == [expected]
    assert expected[:2] == (params["answers"], params["at"])
    with app.app_context(), pytest.raises(TypeError, match="no value for the parameters at, passed"):
        FastQuery(statement).all(db.engine, answers={})


def test_the_certificate_download_reads_outside_a_transaction_on_postgresql(
    app: Flask, make_user, backend: str
) -> None:
    """`fast/reads.py`: no BEGIN and ROLLBACK around the download's reads; the plain path keeps its transaction.
    psycopg tells after each statement whether the connection is inside a transaction."""
    if backend != "postgresql":
        pytest.skip("SQLite has no round trips to save: its pages keep their transactions")
    from psycopg import pq

    user = make_user(display_name="Carla Certified", locale="en")
    course = catalog_of(app)
    record_progress(app, user.id, len(course.lesson_ids), len(course.quizzes), 90.0)
    client = client_for(app, user)
    assert client.post(f"/courses/{COURSE}/certificate", data={"name": "Carla"}).status_code == 302
    with app.app_context():
        public_id = db.session.query(Certificate.public_id).filter_by(user_id=user.id).scalar()
        engine = db.engine
    seen: list[pq.TransactionStatus] = []

    def status(connection, *_args: object) -> None:  # noqa: ANN001 - SQLAlchemy's Connection
        seen.append(connection.connection.driver_connection.info.transaction_status)

    event.listen(engine, "after_cursor_execute", status)
    try:
        statuses = {}
        for fast in (True, False):
            app.config["FAST_PATHS"] = fast
            seen.clear()
            assert client.get(f"/certificates/{public_id}/certificate.pdf").status_code == 200
            statuses[fast] = set(seen)
    finally:
        event.remove(engine, "after_cursor_execute", status)
    assert statuses[True] == {pq.TransactionStatus.IDLE}
    assert statuses[False] == {pq.TransactionStatus.INTRANS}


def test_the_bare_attempt_read_takes_only_the_users_own_attempt(app: Flask, make_user) -> None:
    owner, other = make_user(), make_user()
    attempt_id = start_attempt(client_for(app, owner))
    with app.app_context():
        mine = attempt_page.own_attempt(attempt_id, owner.id)
        row = db.session.get(QuizAttempt, attempt_id)
        assert mine is not None and (mine.layout, mine.answers, mine.status) == (row.layout, row.answers, "open")
        assert attempt_page.own_attempt(attempt_id, other.id) is None
    response = client_for(app, other).get(f"/attempts/{attempt_id}")
    assert response.status_code == 404


def test_the_learner_and_their_attempt_in_one_read_are_what_the_two_reads_find(app: Flask, make_user) -> None:
    """`attempt_page.learner_and_attempt` (the lane's attempt page): the same learner snapshot as the page's own
    read, the same attempt as `own_attempt`, nothing of someone else's attempt, nothing without a live session."""
    owner, other = make_user(), make_user()
    client = client_for(app, owner)
    attempt_id = start_attempt(client)
    with client.session_transaction() as session:
        session_id = session["_user_id"]
    user_id, token_hash = parse_session_id(session_id)
    with app.app_context():
        user, attempt, _webhooks = attempt_page.learner_and_attempt(user_id, token_hash, session_id, attempt_id)
        assert vars(user) == vars(load_request_user(user_id, token_hash, session_id))  # every field, not only the id
        assert attempt == replace(attempt_page.own_attempt(attempt_id, owner.id), answers_text="{}")
        stranger = client_for(app, other)
        with stranger.session_transaction() as session:
            theirs = session["_user_id"]
        user, attempt, _webhooks = attempt_page.learner_and_attempt(*parse_session_id(theirs), theirs, attempt_id)
        assert user is not None and user.id == other.id and attempt is None
        assert attempt_page.learner_and_attempt(user_id, "0" * 64, session_id, attempt_id) == (None, None, None)


def test_a_submissions_one_read_finds_the_active_webhooks_events(app: Flask, make_user) -> None:
    """The lane's submission reads the active webhooks' events with the learner and the attempt: what
    `integrations.active_webhook_events` reads on its own, and the same learner and attempt as without."""
    from course.fast import integrations

    owner, admin = make_user(), make_user(role="admin")
    client = client_for(app, owner)
    attempt_id = start_attempt(client)
    with client.session_transaction() as session:
        session_id = session["_user_id"]
    read = (*parse_session_id(session_id), session_id, attempt_id)
    with app.app_context():
        assert attempt_page.learner_and_attempt(*read, webhooks=True)[2] == [] == integrations.active_webhook_events()
        for name, active, events in (("off", False, ["course.completed"]), ("on", True, ["certificate.issued"])):
            db.session.add(
                Webhook(
                    name=name,
                    url=f"https://hr.example.org/{name}",
                    secret="s" * 32,
                    active=active,
                    events=events,
                    created_by_id=admin.id,
                )
            )
        db.session.commit()
        user, attempt, chosen = attempt_page.learner_and_attempt(*read, webhooks=True)
        assert chosen == integrations.active_webhook_events() == [["certificate.issued"]]
        alone, attempt_alone, _none = attempt_page.learner_and_attempt(*read)
        assert vars(user) == vars(alone) and attempt == attempt_alone
