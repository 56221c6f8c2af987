"""The events other systems hear of are told by the app's own actions, once each, with what they need: a lesson
read and completed, a quiz submitted with each question's result, a design evaluated, a certificate issued and
revoked, a course completed by its last step, a learner overdue. A handler that is not enabled costs nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from course import events
from course.certificates import operations as certificates
from course.core.sandbox.evaluation import plan_data
from course.extensions import db
from course.models import Certificate, LessonProgress, QuizResult, utcnow
from course.notifications import operations as notifications
from tests.notification_helpers import assign, group_of
from tests.quiz_helpers import attempt_key, faster_apps, start_attempt
from tests.sandbox_helpers import adapted_plan, posted
from tests.web.test_certificates_routes import complete_course, issue
from tests.web.test_quiz_routes import submit_form
from tests.web.test_sandbox_routes import evaluate, start

HEARD: list[object] | None = None  # None: the recorder is not enabled


def _record(event: object) -> None:
    HEARD.append(event)


for _kind in (
    events.LessonViewed,
    events.LessonCompleted,
    events.QuizSubmitted,
    events.DesignEvaluated,
    events.CertificateIssued,
    events.CertificateRevoked,
    events.CourseCompleted,
    events.LearnerOverdue,
):
    events.subscribe(_kind, _record, lambda _event: HEARD is not None)


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


@pytest.fixture
def heard() -> list[object]:
    global HEARD  # noqa: PLW0603 - the module's recorder, switched on for one test
    HEARD = []
    yield HEARD
    HEARD = None


def of(heard: list[object], kind: type) -> list:
    return [event for event in heard if isinstance(event, kind)]


def test_reading_and_completing_a_lesson_is_told_once(client, make_user, login_as, heard) -> None:
    user = make_user()
    login_as(user)
    url = "/courses/kam-pay/lessons/"
    first = client.get("/courses/kam-pay").get_data(as_text=True).split(url)[1].split('"')[0]
    assert client.get(url + first).status_code == 200
    assert client.post(f"{url}{first}/complete").status_code == 302
    assert client.post(f"{url}{first}/complete").status_code == 302  # again: already done, nothing new
    viewed, completed = of(heard, events.LessonViewed), of(heard, events.LessonCompleted)
    assert [(e.user_id, e.course_id, e.lesson_id) for e in viewed] == [(user.id, "kam-pay", first)]
    assert [(e.user_id, e.course_id, e.lesson_id) for e in completed] == [(user.id, "kam-pay", first)]


def test_a_visitor_reading_a_lesson_is_told_nothing(client, heard) -> None:
    page = client.get("/courses/kam-pay").get_data(as_text=True)
    first = page.split("/courses/kam-pay/lessons/")[1].split('"')[0]
    assert client.get(f"/courses/kam-pay/lessons/{first}").status_code == 200
    assert heard == []


def test_a_submitted_quiz_is_told_with_each_questions_result_and_the_best_score(
    app, client, make_user, login_as, heard
) -> None:
    user = make_user()
    login_as(user)
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    assert submit_form(client, attempt_id, key.form_data(key.right_answers())).status_code == 302
    (event,) = of(heard, events.QuizSubmitted)
    assert (event.user_id, event.attempt_id, event.number, event.passed) == (user.id, attempt_id, 1, True)
    assert event.percent == 100.0 and event.best_percent == 100.0 and event.score == event.max_score
    assert event.questions and all(question.fraction == 1.0 for question in event.questions)
    assert {question.question_id for question in event.questions} == set(key.right_answers())

    second = start_attempt(client)
    assert submit_form(client, second, {}, confirm="1").status_code == 302  # nothing answered: 0 %
    worse = of(heard, events.QuizSubmitted)[-1]
    assert (worse.number, worse.percent, worse.best_percent, worse.passed) == (2, 0.0, 100.0, False)


def test_an_evaluated_design_is_told_with_its_scenario_and_score(app, client, make_user, login_as, heard) -> None:
    user = make_user()
    login_as(user)
    design_id = start(client)
    with app.app_context():
        from course.models import SandboxDesign

        seed = db.session.get(SandboxDesign, design_id).seed
    assert evaluate(client, design_id, posted("Mine", plan_data(adapted_plan("defend", seed)))).status_code == 302
    (event,) = of(heard, events.DesignEvaluated)
    assert (event.user_id, event.design_id, event.version, event.scenario_id) == (user.id, design_id, 1, "defend")
    assert 0 <= event.score <= 100 and event.best_score == event.score


def test_the_last_step_tells_the_course_completed_and_the_certificate_is_told_when_issued_and_revoked(
    app, client, make_user, login_as, heard
) -> None:
    user = make_user()
    login_as(user)
    complete_course(app, user)
    with app.app_context():  # one lesson still open: completing it completes the course
        last = db.session.scalars(select(LessonProgress).where(LessonProgress.user_id == user.id)).first()
        lesson_id = last.lesson_id
        db.session.delete(last)
        db.session.commit()
    assert client.post(f"/courses/kam-pay/lessons/{lesson_id}/complete").status_code == 302
    assert [(e.user_id, e.course_id) for e in of(heard, events.CourseCompleted)] == [(user.id, "kam-pay")]

    assert issue(client).status_code == 302
    (issued,) = of(heard, events.CertificateIssued)
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        assert (issued.user_id, issued.course_id, issued.public_id) == (user.id, "kam-pay", certificate.public_id)
        certificates.revoke(certificate, None, "issued by mistake")
        db.session.commit()
    (revoked,) = of(heard, events.CertificateRevoked)
    assert (revoked.public_id, revoked.reason) == (issued.public_id, "issued by mistake")


def test_an_incomplete_course_tells_no_completion(app, client, make_user, login_as, heard) -> None:
    user = make_user()
    login_as(user)
    complete_course(app, user, skip_quiz=True)
    with app.app_context():
        lesson_id = db.session.scalars(select(LessonProgress.lesson_id)).first()
        db.session.execute(LessonProgress.__table__.delete().where(LessonProgress.lesson_id == lesson_id))
        db.session.commit()
        assert db.session.scalar(select(QuizResult.quiz_id)) is not None
    client.post(f"/courses/kam-pay/lessons/{lesson_id}/complete")
    assert of(heard, events.LessonCompleted) and not of(heard, events.CourseCompleted)


def test_an_overdue_learner_is_told_once_by_the_reminder_job(app, make_user, heard) -> None:
    learner = make_user()
    group_id = group_of(app, [learner])
    assignment_id = assign(app, group_id, utcnow() + timedelta(days=10))
    later = utcnow() + timedelta(days=12)
    with app.app_context():
        notifications.queue_reminders(later)
        db.session.commit()
        notifications.queue_reminders(later)  # the next run: nothing new
        db.session.commit()
    (event,) = of(heard, events.LearnerOverdue)
    assert (event.user_id, event.course_id, event.assignment_id) == (learner.id, "kam-pay", assignment_id)
    assert event.due_at < later


def test_nothing_is_asked_when_no_handler_is_enabled(app, make_user) -> None:
    user = make_user()
    with app.app_context():
        assert events.emit(events.CourseCompleted(user.id, "kam-pay", utcnow())) == 0
        assert not events.wanted(events.CourseCompleted(user.id, "kam-pay", utcnow()))
