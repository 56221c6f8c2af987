"""xAPI statements: what learners do reaches a real LRS (Ralph, started by the test) once each, valid by Ralph's own
models; an LRS that fails (500, 401, no answer, refused) keeps the statement waiting with its error, and the learner
never notices; the settings are checked at start-up."""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from course import events
from course.app import create_app
from course.config import InsecureConfigError
from course.core import xapi
from course.core.sandbox.evaluation import plan_data
from course.extensions import db
from course.models import OutboxMessage, SandboxDesign, User, utcnow
from course.outbox import operations as outbox
from course.publishing.cache import catalog
from tests.paths import CONTENT_DIR
from tests.quiz_helpers import COURSE, attempt_key, faster_apps, start_attempt
from tests.ralph_lrs import CraftedLRS, RalphLRS, crafted_lrs, running_ralph
from tests.sandbox_helpers import adapted_plan, posted
from tests.sessions import sign_in
from tests.sso_provider import free_port

LESSON_URL = "/courses/{course}/lessons/{lesson}"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


@pytest.fixture(scope="module")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RalphLRS]:
    """One real Ralph LRS for the module."""
    with running_ralph(tmp_path_factory.mktemp("ralph")) as lrs:
        yield lrs


@pytest.fixture(scope="module")
def crafted() -> Iterator[CraftedLRS]:
    with crafted_lrs() as lrs:
        yield lrs


def site_url() -> str:
    """A public address of its own for each app: statement ids derive from it, so two tests (or the two database
    backends) never make the same statement id in the one LRS."""
    return f"https://{uuid.uuid4().hex[:12]}.kurs.example.org"


def messages(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "xapi")))
        for row in rows:
            db.session.expunge(row)
        return rows


def send(app: Flask, later: timedelta = timedelta(0)) -> outbox.SendReport:
    with app.app_context():
        return outbox.send_due(utcnow() + later, channel_names=["xapi"])


def first_lesson(app: Flask, index: int = 0) -> str:
    with app.app_context():
        return catalog().course(COURSE).lessons[index].id


def lesson_url(app: Flask, index: int = 0) -> str:
    return LESSON_URL.format(course=COURSE, lesson=first_lesson(app, index))


def emit(app: Flask, event: object) -> None:
    with app.app_context():
        events.emit(event)
        db.session.commit()


# --- Settings ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"XAPI_LRS_URL": "lrs.example.org/xAPI"}, "XAPI_LRS_URL must be the LRS's http(s) xAPI address"),
        ({"XAPI_LRS_URL": "ftp://lrs.example.org/xAPI"}, "XAPI_LRS_URL must be the LRS's http(s) xAPI address"),
        ({"XAPI_LRS_URL": "https://lrs.example.org/xAPI?x=1"}, "XAPI_LRS_URL must be the LRS's http(s) xAPI address"),
        ({"XAPI_LRS_URL": "https://user:pw@lrs.example.org/xAPI"}, "credentials go into XAPI_LRS_USERNAME"),
        ({"XAPI_LRS_USERNAME": "course"}, "XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD go together"),
        ({"XAPI_LRS_PASSWORD": "secret"}, "XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD go together"),
        ({"XAPI_TIMEOUT_SECONDS": 0}, "XAPI_TIMEOUT_SECONDS must be a number of seconds above 0"),
        ({"XAPI_TIMEOUT_SECONDS": "ten"}, "XAPI_TIMEOUT_SECONDS must be a number of seconds above 0"),
        ({"XAPI_ACTOR": "email"}, "XAPI_ACTOR must be one of account, mbox, mbox_sha1sum, not 'email'"),
    ],
)
def test_bad_lrs_settings_stop_the_start_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: dict, message: str
) -> None:
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(InsecureConfigError, match=re.escape(message)):
        create_app({"TESTING": True, "SECRET_KEY": "test", **settings})


PRODUCTION = {"PUBLIC_URL": "https://kurs.example.org", "SECRET_KEY": "a-long-production-secret-key-for-tests"}


def test_in_production_the_lrs_is_reached_over_https_unless_it_runs_on_the_same_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(InsecureConfigError, match=re.escape("XAPI_LRS_URL must use https")):
        create_app({**PRODUCTION, "XAPI_LRS_URL": "http://lrs.example.org/xAPI"})
    assert create_app({**PRODUCTION, "XAPI_LRS_URL": "http://127.0.0.1:8100/xAPI"}).config["XAPI_LRS_URL"]
    assert create_app({**PRODUCTION, "XAPI_LRS_URL": "https://lrs.example.org/xAPI"}).config["XAPI_LRS_URL"]


def test_lrs_settings_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COURSE_XAPI_LRS_URL", "https://lrs.example.org/xAPI/")
    monkeypatch.setenv("COURSE_XAPI_LRS_USERNAME", "course")
    monkeypatch.setenv("COURSE_XAPI_LRS_PASSWORD", "secret")
    monkeypatch.setenv("COURSE_XAPI_TIMEOUT_SECONDS", "2.5")
    config = create_app({"TESTING": True, "SECRET_KEY": "test"}).config
    assert config["XAPI_LRS_URL"] == "https://lrs.example.org/xAPI"
    assert (config["XAPI_LRS_USERNAME"], config["XAPI_LRS_PASSWORD"], config["XAPI_TIMEOUT_SECONDS"]) == (
        "course",
        "secret",
        2.5,
    )


# --- Without an LRS ---------------------------------------------------------------------------------------------------


def test_without_an_lrs_nothing_is_queued_and_a_lesson_page_writes_nothing(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    app = make_app()
    learner = make_user()
    client = app.test_client()
    sign_in(client, learner.id)
    assert client.get(lesson_url(app)).status_code == 200
    assert client.post(lesson_url(app) + "/complete").status_code in (200, 302)
    assert messages(app) == []
    with app.app_context():
        assert not events.wanted(events.LessonViewed(learner.id, COURSE, first_lesson(app), "de", utcnow()))


# --- Against Ralph ----------------------------------------------------------------------------------------------------


def learner_does_everything(app: Flask, client: FlaskClient, learner: User) -> None:
    """Read a lesson (twice), complete it, fail and pass the mandate quiz, evaluate a sandbox design; then the
    certificate and the course's completion, told as the app tells them."""
    assert client.get(lesson_url(app)).status_code == 200
    assert client.get(lesson_url(app)).status_code == 200
    assert client.post(lesson_url(app) + "/complete").status_code in (200, 302)

    attempt = start_attempt(client)
    key = attempt_key(app, attempt)
    client.post(f"/attempts/{attempt}", data={**key.form_data(key.wrong_answers()), "submit": "1", "confirm": "1"})
    second = start_attempt(client)
    key = attempt_key(app, second)
    client.post(f"/attempts/{second}", data={**key.form_data(key.right_answers()), "submit": "1", "confirm": "1"})

    started = client.post(f"/courses/{COURSE}/sandbox/designs", data={"scenario": "defend", "example": "lesson"})
    design_id = int(re.search(r"/sandbox/designs/(\d+)", started.headers["Location"]).group(1))
    with app.app_context():
        seed = db.session.get(SandboxDesign, design_id).seed
    evaluated = client.post(
        f"/sandbox/designs/{design_id}", data=posted("My plan", plan_data(adapted_plan("defend", seed)))
    )
    assert evaluated.status_code == 302

    emit(app, events.CertificateIssued(learner.id, COURSE, "K7QX2M", utcnow()))
    emit(app, events.CourseCompleted(learner.id, COURSE, utcnow()))


def test_what_a_learner_does_reaches_ralph_once_each_and_ralphs_models_accept_it(
    make_app: Callable[..., Flask], make_user: Callable[..., User], ralph: RalphLRS
) -> None:
    app = make_app(
        PUBLIC_URL=site_url(),
        XAPI_LRS_URL=ralph.url,
        XAPI_LRS_USERNAME=ralph.auth[0],
        XAPI_LRS_PASSWORD=ralph.auth[1],
    )
    learner = make_user(email="ada@example.org", display_name="Ada Lovelace")
    learner_does_everything(app, sign_in(app.test_client(), learner.id), learner)
    queued = messages(app)
    verbs = sorted(row.payload["verb"]["display"]["en-US"] for row in queued)
    assert verbs.count("experienced") == 1  # two views on one day: one statement
    assert {"experienced", "completed", "failed", "passed", "answered", "scored", "earned"} <= set(verbs)
    assert verbs.count("completed") == 2  # the lesson, and the course
    assert "ada@example.org" not in json.dumps([row.payload for row in queued])  # the default actor: an account

    report = send(app)
    assert (report.sent, report.retrying, report.failed) == (len(queued), 0, 0)
    assert {row.status for row in messages(app)} == {"sent"}
    assert {row.last_status_code for row in messages(app)} == {204}

    ours = {row.payload["id"]: row.payload for row in queued}
    stored = {statement["id"]: statement for statement in ralph.statements(limit="500") if statement["id"] in ours}
    assert set(stored) == set(ours)
    for statement_id, statement in ours.items():
        for part in ("actor", "verb", "object", "result", "context"):
            assert stored[statement_id].get(part) == statement.get(part), (statement_id, part)
    broken = {**next(iter(stored.values())), "id": str(uuid.uuid4()), "result": {"response": ""}}
    verdicts = ralph.validate([*stored.values(), broken])
    assert [verdict["id"] for verdict in verdicts if verdict["errors"]] == [broken["id"]]  # the models do refuse
    assert {"AnsweredVerb", "CompletedVerb"} <= {model for verdict in verdicts for model in verdict["models"]}

    with app.app_context():  # sent again (an admin's retry, a lost answer): the LRS still holds each once
        for row in db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "xapi")):
            row.status = "pending"
        db.session.commit()
    assert send(app).sent == len(queued)
    again = [statement["id"] for statement in ralph.statements(limit="500") if statement["id"] in ours]
    assert sorted(again) == sorted(ours)


def test_the_mbox_actor_names_the_learner_by_address_for_an_lrs_that_wants_it(
    make_app: Callable[..., Flask], make_user: Callable[..., User], ralph: RalphLRS
) -> None:
    app = make_app(
        PUBLIC_URL=site_url(),
        XAPI_LRS_URL=ralph.url,
        XAPI_LRS_USERNAME=ralph.auth[0],
        XAPI_LRS_PASSWORD=ralph.auth[1],
        XAPI_ACTOR="mbox",
    )
    learner = make_user(email="grace@example.org", display_name="Grace Hopper")
    emit(app, events.LessonCompleted(learner.id, COURSE, first_lesson(app), utcnow()))
    assert send(app).sent == 1
    (row,) = messages(app)
    stored = ralph.statement(row.payload["id"])
    assert stored["actor"] == {"objectType": "Agent", "mbox": "mailto:grace@example.org", "name": "Grace Hopper"}
    assert ralph.validate([stored])[0]["errors"] == []


# --- A failing LRS ----------------------------------------------------------------------------------------------------


def crafted_app(make_app: Callable[..., Flask], lrs: CraftedLRS, **settings: object) -> Flask:
    lrs.reset()
    return make_app(
        PUBLIC_URL=site_url(),
        XAPI_LRS_URL=settings.pop("url", lrs.url),
        XAPI_LRS_USERNAME="course",
        XAPI_LRS_PASSWORD="lrs-secret",
        **settings,
    )


def test_a_put_names_the_statement_the_version_and_the_credentials(
    make_app: Callable[..., Flask], make_user: Callable[..., User], crafted: CraftedLRS
) -> None:
    app = crafted_app(make_app, crafted)
    learner = make_user()
    emit(app, events.LessonCompleted(learner.id, COURSE, first_lesson(app), utcnow()))
    assert send(app).sent == 1
    (received,) = crafted.received
    (row,) = messages(app)
    assert received["statementId"] == row.payload["id"] == received["statement"]["id"]
    assert received["version"] == "1.0.3"
    assert received["authorization"] == "Basic " + base64.b64encode(b"course:lrs-secret").decode()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, "The LRS answered 500: database is down"),
        (401, "The LRS refused our credentials (401); check XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD"),
    ],
)
def test_an_lrs_that_fails_keeps_the_statement_with_its_error_until_it_recovers(
    make_app: Callable[..., Flask],
    make_user: Callable[..., User],
    crafted: CraftedLRS,
    caplog: pytest.LogCaptureFixture,
    status: int,
    error: str,
) -> None:
    app = crafted_app(make_app, crafted)
    learner = make_user()
    emit(app, events.LessonCompleted(learner.id, COURSE, first_lesson(app), utcnow()))
    crafted.status, crafted.body = status, "database is down"
    with caplog.at_level(logging.INFO, logger="course"):
        report = send(app)
    assert error in caplog.text  # the log says what the LRS answered, as the admin page does
    assert (report.sent, report.retrying) == (0, 1)
    (row,) = messages(app)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, status)
    assert row.last_error.startswith(error)

    crafted.status, crafted.body = 204, ""
    assert send(app).sent == 0  # not due yet: the first retry waits a minute
    assert send(app, timedelta(minutes=2)).sent == 1
    (row,) = messages(app)
    assert (row.status, row.last_status_code, row.last_error) == ("sent", 204, None)
    assert len({received["statementId"] for received in crafted.received}) == 1  # the same statement, twice


def test_an_lrs_that_never_answers_is_left_for_later_and_its_other_statements_wait(
    make_app: Callable[..., Flask], make_user: Callable[..., User], crafted: CraftedLRS
) -> None:
    app = crafted_app(make_app, crafted, XAPI_TIMEOUT_SECONDS=0.3)
    learner = make_user()
    emit(app, events.LessonCompleted(learner.id, COURSE, first_lesson(app, 0), utcnow()))
    emit(app, events.LessonCompleted(learner.id, COURSE, first_lesson(app, 1), utcnow()))
    crafted.delay = 30.0
    report = send(app)
    crafted.release.set()
    assert (report.sent, report.retrying, report.postponed) == (0, 1, 1)
    tried, waiting = sorted(messages(app), key=lambda row: -row.attempts)
    assert (tried.status, tried.attempts, tried.last_status_code) == ("pending", 1, None)
    assert tried.last_error == f"The LRS at {crafted.url}/statements did not answer within 0.3 s."
    assert (waiting.status, waiting.attempts) == ("pending", 0)

    crafted.delay = 0.0
    app.config["XAPI_TIMEOUT_SECONDS"] = 10  # a busy test machine may take longer than 0.3 s to answer at once
    assert send(app, timedelta(minutes=10)).sent == 2
    assert {row.status for row in messages(app)} == {"sent"}


def test_an_lrs_that_refuses_connections_is_unreachable_and_the_learner_notices_nothing(
    make_app: Callable[..., Flask], make_user: Callable[..., User], crafted: CraftedLRS
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/xAPI"
    app = crafted_app(make_app, crafted, url=closed)
    learner = make_user()
    client = sign_in(app.test_client(), learner.id)
    assert client.get(lesson_url(app)).status_code == 200
    assert client.post(lesson_url(app) + "/complete").status_code in (200, 302)
    assert len(messages(app)) == 2
    report = send(app)
    assert (report.sent, report.retrying, report.postponed) == (0, 1, 1)
    tried = max(messages(app), key=lambda row: row.attempts)
    assert tried.last_error.startswith(f"The LRS at {closed}/statements cannot be reached:")
    assert "refused" in tried.last_error.lower()


@pytest.mark.parametrize("status", [400, 422])
def test_a_statement_the_lrs_refuses_fails_at_once_with_the_lrs_reason(
    make_app: Callable[..., Flask], make_user: Callable[..., User], crafted: CraftedLRS, status: int
) -> None:
    app = crafted_app(make_app, crafted)
    learner = make_user()
    emit(app, events.LessonCompleted(learner.id, COURSE, first_lesson(app), utcnow()))
    crafted.status, crafted.body = status, '{"detail": "invalid statement"}'
    assert send(app).failed == 1
    (row,) = messages(app)
    assert (row.status, row.last_status_code) == ("failed", status)
    assert row.last_error == f'The LRS refused the statement ({status}): {{"detail": "invalid statement"}}'


def test_a_statement_the_lrs_already_has_counts_as_sent(
    make_app: Callable[..., Flask], make_user: Callable[..., User], crafted: CraftedLRS
) -> None:
    app = crafted_app(make_app, crafted)
    learner = make_user()
    emit(app, events.LessonCompleted(learner.id, COURSE, first_lesson(app), utcnow()))
    crafted.status = 409
    assert send(app).sent == 1
    (row,) = messages(app)
    assert (row.status, row.last_status_code) == ("sent", 409)


def test_each_fact_is_queued_once_and_a_lesson_read_once_per_local_day(
    make_app: Callable[..., Flask], make_user: Callable[..., User], crafted: CraftedLRS
) -> None:
    app = crafted_app(make_app, crafted)
    learner = make_user()
    for _ in range(2):
        emit(app, events.LessonCompleted(learner.id, COURSE, first_lesson(app), utcnow()))
        emit(app, events.CourseCompleted(learner.id, COURSE, utcnow()))
        emit(app, events.CertificateIssued(learner.id, COURSE, "K7QX2M", utcnow()))
    emit(app, events.CertificateIssued(learner.id, COURSE, "P4RT9Z", utcnow()))  # re-issued: not earned again
    lesson = first_lesson(app)
    for moment in ("2026-12-05T22:30:00+00:00", "2026-12-05T23:30:00+00:00", "2026-12-06T20:00:00+00:00"):
        emit(app, events.LessonViewed(learner.id, COURSE, lesson, "de", datetime.fromisoformat(moment)))
    rows = messages(app)
    assert sorted(row.key for row in rows if row.key.startswith("experienced")) == [
        f"experienced:{learner.id}:{COURSE}:{lesson}:2026-12-05",  # 23:30 in Berlin
        f"experienced:{learner.id}:{COURSE}:{lesson}:2026-12-06",  # 00:30 and 21:00 in Berlin: one day, one statement
    ]
    rows = [row for row in rows if not row.key.startswith("experienced")]
    assert len(rows) == 3
    assert all(row.payload["id"] == xapi.Site(app.config["PUBLIC_URL"], "x").uuid(row.key) for row in rows)


def test_an_lrs_that_redirects_says_where_to_and_the_statement_waits(
    make_app: Callable[..., Flask], make_user: Callable[..., User], crafted: CraftedLRS
) -> None:
    app = crafted_app(make_app, crafted)
    learner = make_user()
    emit(app, events.LessonCompleted(learner.id, COURSE, first_lesson(app), utcnow()))
    crafted.status, crafted.headers = 301, {"Location": "https://lrs.example.org/data/xAPI/statements"}
    assert send(app).retrying == 1
    (row,) = messages(app)
    assert (row.status, row.last_status_code) == ("pending", 301)
    assert row.last_error == (
        "The LRS answered 301 and redirects to https://lrs.example.org/data/xAPI/statements;"
        " set XAPI_LRS_URL to the address it means."
    )


def test_the_outbox_job_sends_the_statements_on_its_xapi_channel(
    make_app: Callable[..., Flask], make_user: Callable[..., User], crafted: CraftedLRS
) -> None:
    app = crafted_app(make_app, crafted)
    learner = make_user()
    emit(app, events.CourseCompleted(learner.id, COURSE, utcnow()))
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--channel", "xapi"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Outbox: 1 sent, 0 to retry, 0 failed, 0 skipped, 0 postponed;"
        " 0 delivered message(s) older than 30 days deleted."
    )
    assert [received["statement"]["verb"]["id"] for received in crafted.received] == [xapi.COMPLETED.iri]


# --- Activity ids resolve ---------------------------------------------------------------------------------------------


def test_each_activity_id_answers_with_its_definition_and_a_question_keeps_its_text(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    app = make_app(PUBLIC_URL=site_url(), XAPI_LRS_URL="https://lrs.example.org/xAPI")
    learner = make_user()
    now = utcnow()
    question = events.QuestionResult("pay-depends-on", "single", 1.0, 1.0, "a")
    for event in (
        events.LessonCompleted(learner.id, COURSE, first_lesson(app), now),
        events.QuizSubmitted(learner.id, COURSE, "kam-mandate-quiz", 1, 1, 1, 8, 12.5, False, 12.5, now, (question,)),
        events.DesignEvaluated(learner.id, COURSE, 1, 1, "defend", 80.0, True, 80.0, "assigned", now),
        events.CertificateIssued(learner.id, COURSE, "K7QX2M", now),
    ):
        emit(app, event)
    activities = {}
    for row in messages(app):
        for activity in [row.payload["object"], *row.payload["context"]["contextActivities"].get("parent", [])]:
            activities[activity["id"]] = activity["definition"]
    assert len(activities) == 6  # the course, a lesson, a quiz, a question, a scenario, the certificate
    client = app.test_client()
    for activity_id, definition in activities.items():
        response = client.get(activity_id.removeprefix(app.config["PUBLIC_URL"]))
        assert response.status_code == 200, activity_id
        assert response.mimetype == "application/json"
        if definition["type"] == xapi.INTERACTION:
            assert definition["name"] and response.get_json() == {"type": xapi.INTERACTION, "interactionType": "choice"}
        else:
            assert response.get_json() == definition


@pytest.mark.parametrize(
    "path",
    [
        "/xapi/activities/courses/no-such-course",
        f"/xapi/activities/courses/{COURSE}/lessons/no-such-lesson",
        f"/xapi/activities/courses/{COURSE}/quizzes/no-such-quiz",
        f"/xapi/activities/courses/{COURSE}/quizzes/kam-mandate-quiz/questions/no-such-question",
        f"/xapi/activities/courses/{COURSE}/scenarios/no-such-scenario",
    ],
)
def test_an_unknown_activity_is_not_found(make_app: Callable[..., Flask], path: str) -> None:
    assert make_app().test_client().get(path).status_code == 404


def test_a_course_only_its_groups_may_see_is_not_found_to_others(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    course_yml = content / COURSE / "course.yml"
    course_yml.write_text(course_yml.read_text() + "access: assigned\n")
    client = make_app(CONTENT_DIR=str(content)).test_client()
    assert client.get(f"/courses/{COURSE}/lessons/kams-are-not-salespeople").status_code == 404  # as its lessons
    assert client.get(f"/xapi/activities/courses/{COURSE}").status_code == 404
    assert client.get(f"/xapi/activities/courses/{COURSE}/certificate").status_code == 404
