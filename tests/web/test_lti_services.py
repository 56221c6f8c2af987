"""Grades back to an LMS (LTI Assignment and Grade Services) against a platform that follows the specification message
by message (tests/lti_platform_services.py): a quiz submitted here → a message in the outbox → the sending job → the
score in the platform's gradebook, for the platform's id of the learner, on the link's line item; a better score
later is sent again, a worse one sends nothing. A platform whose token endpoint is down, fails, refuses or hangs
keeps the message waiting with a clear error; nothing is lost and the next run delivers it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from flask import Flask
from sqlalchemy import select

from course.core import lti_services as spec
from course.core.sandbox.evaluation import plan_data
from course.extensions import db
from course.lti import grades, keys, services
from course.models import (
    LessonProgress,
    LtiPlatform,
    LtiResourceLink,
    OutboxMessage,
    SandboxDesign,
    utcnow,
)
from course.outbox import operations as outbox
from tests.lti_platform_services import (
    CLIENT_ID,
    QUIZ_TARGET,
    SUBJECT,
    ServicePlatform,
    launch,
    ready,
    register,
    running_platform,
    tool_apps,
)
from tests.quiz_helpers import attempt_key, start_attempt
from tests.sandbox_helpers import adapted_plan, copied_plan, posted
from tests.sso_provider import free_port
from tests.web.test_certificates_routes import complete_course
from tests.web.test_quiz_routes import submit_form
from tests.web.test_sandbox_routes import assign, evaluate, start


@pytest.fixture(scope="module")
def platform() -> ServicePlatform:
    with running_platform() as running:
        yield running


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lti-key") / "tool-key.pem"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch, key_file: Path):
    return tool_apps(make_app, monkeypatch, key_file)


@pytest.fixture
def app(make_app, platform: ServicePlatform) -> Flask:
    return ready(make_app(), platform)


def messages(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def send(app: Flask, minutes: float = 0) -> outbox.SendReport:
    with app.app_context():
        return outbox.send_due(utcnow() + timedelta(minutes=minutes), channel_names=[grades.CHANNEL])


def line_item_of(app: Flask, link_id: int) -> str | None:
    with app.app_context():
        return db.session.get(LtiResourceLink, link_id).lineitem_url


def submit(app: Flask, client, answered: int | None) -> float:
    """An attempt at the quiz with the first `answered` questions right (None: all); its percentage."""
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    right = dict(list(key.right_answers().items())[:answered])
    assert submit_form(client, attempt_id, key.form_data(right), confirm="1").status_code == 302
    with app.app_context():
        from course.models import QuizAttempt

        return db.session.get(QuizAttempt, attempt_id).percent


# --- Scores reach the gradebook ----------------------------------------------------------------------------------


def test_a_quiz_score_reaches_the_gradebook_and_only_a_better_one_is_sent_again(
    app, client, make_user, login_as, platform
) -> None:
    learner = make_user()
    link_id = register(app, platform)
    launch(app, platform, link_id, learner)
    item = line_item_of(app, link_id)
    login_as(learner)

    first = submit(app, client, answered=3)
    assert 0 < first < 100
    (queued,) = messages(app)
    assert (queued.channel, queued.target_id, queued.status) == (grades.CHANNEL, link_id, "pending")
    assert platform.scores(item) == {}  # nothing leaves the site in the learner's request
    report = send(app)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    score = platform.scores(item)[SUBJECT]
    assert score["scoreGiven"] == pytest.approx(first, abs=0.01) and score["scoreMaximum"] == 100
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert messages(app)[0].last_status_code == 204

    assert submit(app, client, answered=None) == 100.0  # better: sent again
    assert send(app).sent == 1
    assert platform.scores(item)[SUBJECT]["scoreGiven"] == 100.0

    assert submit(app, client, answered=0) == 0.0  # worse: the best stays, nothing new to send
    assert len(messages(app)) == 2
    assert send(app).sent == 0
    assert platform.scores(item)[SUBJECT]["scoreGiven"] == 100.0
    assert [post["scoreGiven"] for post in platform.score_posts] == [score["scoreGiven"], 100.0]
    assert platform.token_requests == 1  # the token is kept until it expires
    assert platform.refusals == []


def test_learners_without_a_launch_of_the_link_queue_nothing(app, client, make_user, login_as, platform) -> None:
    other_quiz = register(app, platform, "quiz:kam-pay/designing-a-kam-bonus-plan-quiz")
    someone = make_user()
    launch(app, platform, other_quiz, someone)
    register(app, platform)  # a link to the quiz, launched by nobody
    login_as(make_user())
    submit(app, client, answered=None)
    login_as(someone)  # launched a link to another quiz only
    submit(app, client, answered=None)
    assert messages(app) == []


def test_a_link_without_a_line_item_gets_one_created_once_and_found_again(
    app, client, make_user, login_as, platform
) -> None:
    link_id = register(app, platform, line_item=False)
    platform.add_line_item("Someone else's column", "another-link")
    platform.add_line_item("Also not ours", "resource-link-1")
    learner, second = make_user(), make_user()
    launch(app, platform, link_id, learner)
    launch(app, platform, link_id, second, "lms-user-second")
    login_as(learner)
    submit(app, client, answered=None)
    assert send(app).sent == 1
    created = line_item_of(app, link_id)
    ours = platform.line_items[created]
    assert (ours["label"], ours["scoreMaximum"], ours["resourceLinkId"]) == ("Link 1", 100, "resource-link-1")
    assert (ours["resourceId"], ours["tag"]) == (QUIZ_TARGET, spec.LINEITEM_TAG)
    assert platform.scores(created)[SUBJECT]["scoreGiven"] == 100.0

    with app.app_context():  # another server that never saw the created id finds it among the platform's items
        db.session.get(LtiResourceLink, link_id).lineitem_url = None
        db.session.commit()
    login_as(second)
    submit(app, client, answered=None)
    assert send(app).sent == 1
    assert line_item_of(app, link_id) == created and len(platform.line_items) == 3
    assert set(platform.scores(created)) == {SUBJECT, "lms-user-second"}


def test_the_best_counting_sandbox_score_goes_to_a_sandbox_link(app, client, make_user, login_as, platform) -> None:
    learner = make_user()
    link_id = register(app, platform, "sandbox:kam-pay/defend")
    launch(app, platform, link_id, learner)
    assign(app, learner, "defend")  # the design below is in the learner's assigned account, so it counts
    login_as(learner)
    design_id = start(client)
    with app.app_context():
        seed = db.session.get(SandboxDesign, design_id).seed
    copy = posted("Copy", plan_data(copied_plan("defend", seed)))
    assert evaluate(client, design_id, copy).status_code == 302
    assert messages(app) == []  # an unchanged copy of the lesson's plan is not the learner's score
    assert evaluate(client, design_id, posted("Mine", plan_data(adapted_plan("defend", seed)))).status_code == 302
    assert send(app).sent == 1
    with app.app_context():
        from course.models import SandboxResult

        result = db.session.scalar(select(SandboxResult).where(SandboxResult.user_id == learner.id))
        best = max(value for value in (result.assigned_score, result.other_score) if value is not None)
    assert platform.scores(line_item_of(app, link_id))[SUBJECT]["scoreGiven"] == pytest.approx(best, abs=0.01)


def test_completing_the_course_sends_full_marks_to_a_course_link(app, client, make_user, login_as, platform) -> None:
    learner = make_user()
    course_link = register(app, platform, "course:kam-pay")
    launch(app, platform, course_link, learner)
    complete_course(app, learner)
    with app.app_context():  # every step but one lesson, which the learner now completes
        lesson_id = db.session.scalars(select(LessonProgress.lesson_id)).first()
        db.session.execute(LessonProgress.__table__.delete().where(LessonProgress.lesson_id == lesson_id))
        db.session.commit()
    login_as(learner)
    assert client.post(f"/courses/kam-pay/lessons/{lesson_id}/complete").status_code == 302
    assert send(app).sent == 1
    score = platform.scores(line_item_of(app, course_link))[SUBJECT]
    assert (score["scoreGiven"], score["activityProgress"], score["gradingProgress"]) == (
        100.0,
        "Completed",
        "FullyGraded",
    )


# --- A platform that fails: retried, kept, nothing lost -------------------------------------------------------------


def hang(app: Flask, platform: ServicePlatform) -> None:
    """A short patience for the tests where the platform hangs (the others keep the generous default)."""
    app.config["LTI_SERVICE_TIMEOUT_SECONDS"] = 0.5
    platform.hang_seconds = 1.5


def queued_score(app, client, make_user, login_as, platform, **register_options) -> int:
    learner = make_user()
    link_id = register(app, platform, **register_options)
    launch(app, platform, link_id, learner)
    login_as(learner)
    submit(app, client, answered=None)
    return link_id


@pytest.mark.parametrize(
    ("mode", "status", "error"),
    [
        ("500", 500, "refused the token request: HTTP 500"),
        ("401", 401, "refused the token request: HTTP 401 invalid_client"),
        ("hang", None, "did not answer within 0.5 s"),
        ("down", None, "could not be reached (ConnectionError)"),
    ],
)
def test_a_failing_token_endpoint_keeps_the_score_waiting_with_a_clear_error(
    app, client, make_user, login_as, platform, mode: str, status: int | None, error: str, caplog
) -> None:
    hang(app, platform)
    token_url = f"http://127.0.0.1:{free_port()}/token" if mode == "down" else None
    link_id = queued_score(app, client, make_user, login_as, platform, token_url=token_url)
    platform.token_mode = mode if mode != "down" else "ok"
    with caplog.at_level("INFO"):
        report = send(app)
    assert (report.sent, report.retrying) == (0, 1)
    (message,) = messages(app)
    assert (message.status, message.attempts, message.last_status_code) == ("pending", 1, status)
    assert error in message.last_error and "token endpoint" in message.last_error
    assert error in caplog.text  # the log says it too
    assert send(app).sent == 0  # not due yet

    platform.token_mode = "ok"
    if mode == "down":
        with app.app_context():
            db.session.scalar(select(LtiPlatform)).auth_token_url = platform.token_url
            db.session.commit()
    assert send(app, minutes=2).sent == 1
    assert platform.scores(line_item_of(app, link_id))[SUBJECT]["scoreGiven"] == 100.0


def test_an_unreachable_platform_postpones_its_other_scores_in_the_same_run(
    app, client, make_user, login_as, platform
) -> None:
    hang(app, platform)
    queued_score(app, client, make_user, login_as, platform)
    queued_score(app, client, make_user, login_as, platform)
    platform.token_mode = "hang"
    report = send(app)
    assert (report.retrying, report.postponed) == (1, 1)
    assert sorted(message.attempts for message in messages(app)) == [0, 1]
    platform.token_mode = "ok"
    assert send(app, minutes=2).sent == 2


def test_a_score_endpoint_error_is_retried_and_a_refused_score_fails_at_once(
    app, client, make_user, login_as, platform
) -> None:
    link_id = queued_score(app, client, make_user, login_as, platform)
    platform.service_mode = "500"
    assert send(app).retrying == 1
    (message,) = messages(app)
    assert message.last_status_code == 500 and "/scores" in message.last_error and "HTTP 500" in message.last_error
    platform.service_mode = "ok"
    platform.members.clear()  # the learner left the LMS course: the platform refuses their score (400)
    report = send(app, minutes=2)
    assert report.failed == 1
    (message,) = messages(app)
    assert (message.status, message.last_status_code) == ("failed", 400)
    assert "userId is not a member" in message.last_error
    assert platform.scores(line_item_of(app, link_id)) == {}


def test_a_token_the_platform_dropped_is_asked_for_again_once(app, client, make_user, login_as, platform) -> None:
    queued_score(app, client, make_user, login_as, platform)
    queued_score(app, client, make_user, login_as, platform)
    assert send(app).sent == 2 and platform.token_requests == 1
    platform.tokens.clear()  # the platform forgot every token it issued (a restart)
    queued_score(app, client, make_user, login_as, platform)
    assert send(app).sent == 1 and platform.token_requests == 2


def test_a_score_scope_the_platform_never_granted_fails_at_once_with_the_reason(
    app, client, make_user, login_as, platform
) -> None:
    queued_score(app, client, make_user, login_as, platform, scopes=(spec.NRPS_MEMBERSHIPS,))
    assert send(app).failed == 1
    (message,) = messages(app)
    assert message.status == "failed" and f"did not grant {spec.AGS_SCORE}" in message.last_error
    assert platform.token_requests == 0


def test_an_older_score_that_waited_is_skipped_once_a_newer_one_was_sent(
    app, client, make_user, login_as, platform
) -> None:
    learner = make_user()
    link_id = register(app, platform)
    launch(app, platform, link_id, learner)
    login_as(learner)
    submit(app, client, answered=2)
    platform.service_mode = "500"
    assert send(app).retrying == 1  # the first score waits a minute for another try
    platform.service_mode = "ok"
    submit(app, client, answered=None)
    assert send(app).sent == 1  # only the newer one is due
    assert send(app, minutes=2).skipped == 1
    older, newer = messages(app)
    assert (older.status, older.last_error, newer.status) == (
        "skipped",
        "a newer score for this learner and link was sent already",
        "sent",
    )
    assert platform.scores(line_item_of(app, link_id))[SUBJECT]["scoreGiven"] == 100.0


def test_the_scores_of_a_deleted_link_are_skipped(app, client, make_user, login_as, platform) -> None:
    link_id = queued_score(app, client, make_user, login_as, platform)
    with app.app_context():
        db.session.delete(db.session.get(LtiResourceLink, link_id))
        db.session.commit()
    assert send(app).skipped == 1
    assert messages(app)[0].last_error == "the LMS link was deleted" and platform.score_posts == []


# --- The client assertion, as the platform checks it -----------------------------------------------------------------


def test_the_client_assertion_is_an_rfc_7523_jwt_signed_by_the_published_tool_key(app, platform) -> None:
    register(app, platform)
    with app.app_context():
        row = db.session.scalar(select(LtiPlatform))
        assertion = services.client_assertion(row)
        kid = keys.key_id()
    header = jwt.get_unverified_header(assertion)
    assert (header["alg"], header["kid"]) == ("RS256", kid)
    key = jwt.PyJWK(platform.tool_jwks["keys"][0]).key
    claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=platform.token_url)
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert 0 < claims["exp"] - claims["iat"] <= 300 and len(claims["jti"]) >= 20
    with app.app_context():
        assert services.client_assertion(db.session.scalar(select(LtiPlatform))) != assertion  # a fresh jti each time


@pytest.mark.parametrize("wrong", ["audience", "key", "client_id"])
def test_the_platform_refuses_an_assertion_that_is_not_the_tools(
    app, client, make_user, login_as, platform, wrong: str
) -> None:
    queued_score(app, client, make_user, login_as, platform)
    with app.app_context():
        row = db.session.scalar(select(LtiPlatform))
        if wrong == "audience":
            row.auth_audience = "https://elsewhere.example/token"
        elif wrong == "client_id":
            row.client_id = "another-tool"
        db.session.commit()
    if wrong == "key":  # the platform holds an old key set of the tool
        from joserfc.jwk import RSAKey

        old = RSAKey.generate_key(2048).as_dict(private=False)
        platform.tool_jwks = {"keys": [{**old, "kid": platform.tool_jwks["keys"][0]["kid"], "alg": "RS256"}]}
    assert send(app).retrying == 1
    (message,) = messages(app)
    assert message.last_status_code == 401 and "invalid_client" in message.last_error
    assert len(platform.refusals) == 1


def test_a_deactivated_platform_keeps_its_scores_waiting_until_it_is_active_again(
    app, client, make_user, login_as, platform
) -> None:
    link_id = queued_score(app, client, make_user, login_as, platform)
    with app.app_context():
        db.session.scalar(select(LtiPlatform)).active = False
        db.session.commit()
    assert send(app).retrying == 1
    assert "is deactivated" in messages(app)[0].last_error and platform.token_requests == 0
    with app.app_context():
        db.session.scalar(select(LtiPlatform)).active = True
        db.session.commit()
    assert send(app, minutes=2).sent == 1
    assert platform.scores(line_item_of(app, link_id))[SUBJECT]["scoreGiven"] == 100.0


def test_with_read_only_line_items_the_tools_item_is_found_but_never_created(
    app, client, make_user, login_as, platform
) -> None:
    read_only = (spec.AGS_LINEITEM_READONLY, spec.AGS_SCORE)
    link_id = queued_score(app, client, make_user, login_as, platform, line_item=False, scopes=read_only)
    assert send(app).failed == 1
    assert f"did not grant {spec.AGS_LINEITEM} " in messages(app)[0].last_error and len(platform.line_items) == 0
    ours = platform.add_line_item("Placed by the LMS", "resource-link-1", resourceId=QUIZ_TARGET, tag=spec.LINEITEM_TAG)
    with app.app_context():
        outbox.retry(channel=grades.CHANNEL)
        db.session.commit()
    assert send(app).sent == 1
    assert line_item_of(app, link_id) == ours and SUBJECT in platform.scores(ours)
