"""Notifications in the app and by mail: each kind once, preferences, the list with its unread count, marking read,
feedback requests on designs, and the admins' view of failed mail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from course.core.sandbox import recommended_plan
from course.core.sandbox.evaluation import plan_data
from course.extensions import db
from course.models import Certificate, Notification, NotificationMail, NotificationPreference, SandboxDesign, utcnow
from course.notifications import operations
from tests.notification_helpers import assign, group_of, mails, notes
from tests.quiz_helpers import client_for, faster_apps
from tests.sandbox_helpers import posted

EN = {"Accept-Language": "en"}


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def run_job(app, now: datetime | None = None) -> str:
    args = ["notifications", "send"] + (["--now", now.isoformat()] if now else [])
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output


def saved(app, assignment_id: int) -> int:
    from course.models import CourseAssignment

    with app.app_context():
        created = operations.assignment_saved(db.session.get(CourseAssignment, assignment_id))
        db.session.commit()
        return created


def design_of(app, user, name: str = "My plan") -> int:
    """A design with one evaluated version, made through the sandbox pages."""
    client = client_for(app, user)
    response = client.post("/courses/kam-pay/sandbox/designs", data={"scenario": "defend", "example": "lesson"})
    design_id = int(re.search(r"/sandbox/designs/(\d+)", response.headers["Location"]).group(1))
    evaluated = client.post(f"/sandbox/designs/{design_id}", data=posted(name, plan_data(recommended_plan("defend"))))
    assert evaluated.status_code == 302
    return design_id


# --- Course reminders ------------------------------------------------------------------------------------------------


def test_assigning_tells_the_groups_learners_at_once_by_app_and_mail(app, make_user, mailbox) -> None:
    learner, other, gone = make_user(locale="en"), make_user(locale="de"), make_user()
    trainer = make_user(role="trainer")
    with app.app_context():
        db.session.get(type(gone), gone.id).active = False
        db.session.commit()
    group = group_of(app, [learner, other, gone], trainers=[trainer])
    due = utcnow() + timedelta(days=20)
    assignment = assign(app, group, due)
    assert saved(app, assignment) == 2  # the members; not the deactivated one, not the trainer
    assert saved(app, assignment) == 0  # saving again tells nobody twice
    assert notes(app, learner) == [("assigned", f"assigned:{assignment}:{due.isoformat()}")]
    assert "2 sent" in run_job(app)
    english = mailbox.last_to(learner.email)
    assert english.subject == "A course is assigned to you"
    assert "is assigned to you, due by" in english.text and "/courses/kam-pay" in english.links[0]
    assert "/account/notifications" in english.links[-1] and "Open in the course" in english.html
    german = mailbox.last_to(other.email)
    assert german.subject == "Ihnen wurde ein Kurs zugewiesen"
    assert mailbox.to(gone.email) == [] and mailbox.to(trainer.email) == []
    run_job(app)
    assert len(mailbox.mails) == 2  # never the same mail twice


def test_a_course_not_started_yet_is_told_when_it_starts(app, make_user) -> None:
    learner = make_user()
    start = utcnow() + timedelta(days=2)
    assignment = assign(app, group_of(app, [learner]), start + timedelta(days=10), starts_at=start)
    assert saved(app, assignment) == 0
    run_job(app)
    assert notes(app, learner) == []
    run_job(app, start + timedelta(minutes=1))
    assert [kind for kind, _ in notes(app, learner)] == ["assigned"]


def test_due_soon_and_overdue_come_once_each_and_a_moved_due_date_rearms_them(app, make_user, mailbox) -> None:
    learner = make_user(locale="en")
    due = utcnow() + timedelta(days=10)
    assignment = assign(app, group_of(app, [learner]), due)
    run_job(app)
    run_job(app, due - timedelta(days=2))
    run_job(app, due - timedelta(days=1))
    assert [kind for kind, _ in notes(app, learner)] == ["assigned", "due_soon"]
    run_job(app, due + timedelta(hours=1))
    run_job(app, due + timedelta(hours=2))
    assert [kind for kind, _ in notes(app, learner)] == ["assigned", "due_soon", "overdue"]
    assert [m.subject for m in mailbox.to(learner.email)] == [
        "A course is assigned to you",
        "Your course is due soon",
        "Your course is overdue",
    ]
    assert "was due by" in mailbox.last_to(learner.email).text
    from course.models import CourseAssignment

    later = due + timedelta(days=7)
    with app.app_context():
        db.session.get(CourseAssignment, assignment).due_at = later
        db.session.commit()
    assert saved(app, assignment) == 1  # the new due date, at once
    run_job(app, later - timedelta(days=1))
    kinds = [kind for kind, _ in notes(app, learner)]
    assert kinds == ["assigned", "due_soon", "overdue", "assigned", "due_soon"]


def test_no_reminder_for_a_learner_who_holds_the_certificate(app, make_user) -> None:
    learner, done = make_user(), make_user()
    with app.app_context():
        db.session.add(
            Certificate(public_id="p" * 26, user_id=done.id, course_id="kam-pay", record={}, signature="s", key_id="k")
        )
        db.session.commit()
    due = utcnow() + timedelta(days=1)
    assign(app, group_of(app, [learner, done]), due)
    run_job(app, due + timedelta(days=1))
    assert notes(app, done) == []
    assert [kind for kind, _ in notes(app, learner)] == ["assigned", "overdue"]


def test_preferences_decide_which_mails_are_queued_and_sent(app, make_user, mailbox) -> None:
    learner = make_user(locale="en")
    with app.app_context():
        db.session.add(NotificationPreference(user_id=learner.id, kind="assigned", by_mail=False))
        db.session.commit()
    assign(app, group_of(app, [learner]), utcnow() + timedelta(days=1))
    run_job(app)
    assert [kind for kind, _ in notes(app, learner)] == ["assigned", "due_soon"]
    assert [m.subject for m in mailbox.to(learner.email)] == ["Your course is due soon"]


def test_a_mail_no_longer_wanted_at_sending_time_is_skipped(app, make_user, mailbox) -> None:
    learner = make_user()
    with app.app_context():
        operations.notify([learner.id], "design_comment", "comment:1", {"design_id": 1, "number": 1})
        db.session.add(NotificationPreference(user_id=learner.id, kind="design_comment", by_mail=False))
        db.session.commit()
    assert "1 skipped" in run_job(app)
    assert mails(app) == [("design_comment", "skipped", 0)] and mailbox.mails == []


# --- Events ----------------------------------------------------------------------------------------------------------


def test_a_trainers_comment_tells_the_owner_and_answers_a_feedback_request(app, make_user, mailbox) -> None:
    learner = make_user(locale="en", display_name="Lea Learner")
    trainer = make_user(role="trainer", display_name="Tom Trainer", locale="en")
    stranger = make_user()
    design = design_of(app, learner, "Team plan")
    group_of(app, [learner], trainers=[trainer])
    owner = client_for(app, learner)
    assert owner.post(f"/sandbox/designs/{design}/feedback", headers=EN).status_code == 302
    page = owner.get(f"/sandbox/designs/{design}/versions/1", headers=EN).get_data(as_text=True)
    assert "Your trainers are asked for feedback" in page and "You asked a trainer for feedback" in page
    assert owner.post(f"/sandbox/designs/{design}/feedback").status_code == 302  # one open request at a time
    assert notes(app) == [("feedback_request", notes(app)[0][1])]
    assert client_for(app, stranger).post(f"/sandbox/designs/{design}/feedback").status_code == 404
    assert app.test_client().post(f"/sandbox/designs/{design}/feedback").status_code == 302  # to log in
    run_job(app)
    asked = mailbox.last_to(trainer.email)
    assert asked.subject == "A learner asks for feedback on a design"
    assert "Lea Learner asks for feedback on the design “Team plan”" in asked.text
    assert f"/sandbox/designs/{design}/versions/1" in asked.links[0]
    response = client_for(app, trainer).post(f"/sandbox/designs/{design}/comments", data={"body": "Good start."})
    assert response.status_code == 302
    run_job(app)
    told = mailbox.last_to(learner.email)
    assert told.subject == "A trainer commented on your design"
    assert "Tom Trainer commented on your design “Team plan”." in told.text
    with app.app_context():
        assert db.session.get(SandboxDesign, design).feedback_requested_at is None
    assert owner.post(f"/sandbox/designs/{design}/feedback").status_code == 302  # answered: may ask again
    assert [kind for kind, _ in notes(app)].count("feedback_request") == 2


def test_without_groups_every_trainer_hears_a_feedback_request(app, make_user) -> None:
    learner, one, two, admin = make_user(), make_user(role="trainer"), make_user(role="trainer"), make_user("admin")
    design = design_of(app, learner)
    client_for(app, learner).post(f"/sandbox/designs/{design}/feedback")
    assert {kind for kind, _ in notes(app, one)} == {kind for kind, _ in notes(app, two)} == {"feedback_request"}
    assert notes(app, admin) == [] and notes(app, learner) == []


def test_an_issued_certificate_is_told_once(app, make_user) -> None:
    learner = make_user()
    with app.app_context():
        certificate = Certificate(
            public_id="q" * 26, user_id=learner.id, course_id="kam-pay", record={}, signature="s", key_id="k"
        )
        db.session.add(certificate)
        db.session.flush()
        assert operations.certificate_issued(certificate) == 1
        assert operations.certificate_issued(certificate) == 0
        db.session.commit()
    assert notes(app, learner) == [("certificate_issued", f"certificate:{'q' * 26}")]


# --- In the app ------------------------------------------------------------------------------------------------------


def test_the_list_the_unread_count_and_marking_read(app, make_user) -> None:
    learner, other = make_user(locale="en"), make_user()
    with app.app_context():
        for n in range(3):
            operations.notify([learner.id], "design_comment", f"comment:{n}", {"design_id": 7, "by": "T", "design": n})
        operations.notify([other.id], "design_comment", "comment:9", {"design_id": 9})
        db.session.commit()
        first, theirs = (
            db.session.scalar(select(Notification.id).where(Notification.user_id == user.id).order_by(Notification.id))
            for user in (learner, other)
        )
    client = client_for(app, learner)
    for fast in (True, False):
        app.config["FAST_PATHS"] = fast
        page = client.get("/", headers=EN).get_data(as_text=True)
        assert re.search(r"Notifications\s*<span[^>]*>\(3 unread\)</span>", page), fast
    listing = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert listing.count("Unread:") == 3 and "T commented on your design “2”." in listing
    assert listing.index("“2”") < listing.index("“0”")  # newest first
    assert client.post(f"/notifications/{theirs}/read").status_code == 404
    opened = client.post(f"/notifications/{first}/read")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/sandbox/designs/7/versions/1")
    assert "(2 unread)" in client.get("/notifications", headers=EN).get_data(as_text=True)
    assert client.post("/notifications/read").status_code == 302
    page = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert "No unread notifications." in page and "Unread:" not in page and "unread)" not in page
    with app.app_context():
        assert operations.unread_count(other.id) == 1


def test_the_list_is_paged(app, make_user) -> None:
    learner = make_user(locale="en")
    with app.app_context():
        for n in range(31):
            operations.notify([learner.id], "design_comment", f"comment:{n}", {"design_id": 1, "design": f"d{n}"})
        db.session.commit()
    client = client_for(app, learner)
    first = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert "“d30”" in first and "“d0”" not in first and 'rel="next"' in first
    second = client.get("/notifications?page=2", headers=EN).get_data(as_text=True)
    assert "“d0”" in second and 'rel="prev"' in second
    assert client.get("/notifications?page=x", headers=EN).status_code == 200


# --- Preferences -----------------------------------------------------------------------------------------------------


def test_preferences_show_the_kinds_a_role_may_choose_and_save(app, make_user) -> None:
    learner, trainer = make_user(locale="en"), make_user(role="trainer", locale="en")
    client = client_for(app, learner)
    page = client.get("/account/notifications", headers=EN).get_data(as_text=True)
    assert "A course is assigned to me" in page and "Weekly summary" not in page
    assert 'name="assigned" type="checkbox" value="y" checked' in page or "checked" in page
    assert "notifications" in client.get("/account", headers=EN).get_data(as_text=True)
    response = client.post("/account/notifications", data={"due_soon": "y", "overdue": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert operations.preferences(db.session.get(type(learner), learner.id)) == {
            "assigned": False,
            "due_soon": True,
            "overdue": True,
            "certificate_issued": False,
            "design_comment": False,
            "essay_graded": False,
        }
    staff = client_for(app, trainer).get("/account/notifications", headers=EN).get_data(as_text=True)
    assert "Weekly summary of my groups" in staff and "A learner asks for feedback" in staff


@pytest.mark.parametrize(
    "data",
    [
        {"weekly_summary": "y"},  # not the learner's to choose
        {"assigned": "y", "is_admin": "1"},  # a field the form does not have
        {"assigned": "maybe"},  # not what a ticked box sends
        {"assigned": ["y", "y"]},  # sent twice
    ],
)
def test_tampered_preferences_are_refused_whole(app, make_user, data) -> None:
    learner = make_user(locale="en")
    response = client_for(app, learner).post("/account/notifications", data=data, headers=EN)
    assert response.status_code == 400
    assert "The form was changed before it was sent" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(NotificationPreference)).all() == []


# --- Admins see failed mail ------------------------------------------------------------------------------------------


def test_a_refused_address_is_retried_with_backoff_then_failed_and_shown_to_admins(app, make_user, mailbox) -> None:
    learner, admin = make_user(locale="en"), make_user(role="admin", locale="en")
    mailbox.refuse.add(learner.email)
    with app.app_context():
        operations.notify([learner.id], "design_comment", "comment:1", {"design_id": 1, "design": "X", "by": "T"})
        db.session.commit()
    now = utcnow() + timedelta(seconds=1)
    assert "1 to retry" in run_job(app, now)
    assert mails(app) == [("design_comment", "pending", 1)]
    assert "0 sent, 0 to retry" in run_job(app, now + timedelta(seconds=30))  # not before the first wait
    with app.app_context():
        row = db.session.scalar(select(NotificationMail))
        assert row.last_error.startswith("SMTPRecipientsRefused") and row.next_attempt_at == now + timedelta(minutes=1)
    admin_client = client_for(app, admin)
    page = admin_client.get("/admin/mail", headers=EN).get_data(as_text=True)
    assert learner.email in page and "SMTPRecipientsRefused" in page and "Waiting" in page
    moment = now
    for wait in (1, 5, 30, 120, 720):
        moment += timedelta(minutes=wait)
        run_job(app, moment)
    assert mails(app) == [("design_comment", "failed", 6)]
    page = admin_client.get("/admin/mail", headers=EN).get_data(as_text=True)
    assert "Try all failed mails again" in page and "Failed" in page
    assert "Notification mails" in admin_client.get("/admin/users", headers=EN).get_data(as_text=True)
    mailbox.refuse.clear()
    assert admin_client.post("/admin/mail/retry-failed").status_code == 302
    assert mails(app) == [("design_comment", "pending", 0)]
    assert "1 sent" in run_job(app)
    assert mailbox.last_to(learner.email).subject == "A trainer commented on your design"
    assert "No mail has failed." in admin_client.get("/admin/mail", headers=EN).get_data(as_text=True)


def test_an_smtp_server_that_is_down_is_retried_and_one_row_can_be_tried_again_now(make_app, make_user) -> None:
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_TIMEOUT=2)
    learner = make_user()
    admin = make_user(role="admin")
    with app.app_context():
        operations.notify([learner.id], "certificate_issued", "certificate:x", {"course_id": "kam-pay"})
        db.session.commit()
        mail_id = db.session.scalar(select(NotificationMail.id))
    assert "1 to retry" in run_job(app)
    with app.app_context():
        assert "ConnectionRefusedError" in db.session.get(NotificationMail, mail_id).last_error
    admin_client = client_for(app, admin)
    assert admin_client.post(f"/admin/mail/{mail_id}/retry").status_code == 302
    with app.app_context():
        row = db.session.get(NotificationMail, mail_id)
        assert (row.status, row.attempts) == ("pending", 0) and row.next_attempt_at <= utcnow()
    assert client_for(app, learner).get("/admin/mail").status_code == 403
    assert admin_client.post("/admin/mail/999999/retry").status_code == 404


def test_deactivated_accounts_get_no_mail(app, make_user, mailbox) -> None:
    learner = make_user()
    with app.app_context():
        operations.notify([learner.id], "certificate_issued", "certificate:y", {"course_id": "kam-pay"})
        db.session.get(type(learner), learner.id).active = False
        db.session.commit()
    assert "1 skipped" in run_job(app)
    assert mailbox.mails == []


def test_unknown_kinds_are_refused(app) -> None:
    with app.app_context(), pytest.raises(ValueError):
        operations.notify([1], "birthday", "x", {})


def test_the_job_refuses_a_malformed_moment(app) -> None:
    result = app.test_cli_runner().invoke(args=["notifications", "send", "--now", "yesterday"])
    assert result.exit_code == 2 and "not a moment in ISO 8601" in result.output
    result = app.test_cli_runner().invoke(args=["notifications", "send", "--now", "2026-12-05T10:00:00"])
    assert result.exit_code == 0 and "0 reminder(s)" in result.output


def test_a_moment_without_offset_is_utc(app, make_user) -> None:
    learner = make_user()
    due = datetime(2030, 1, 10, 22, 59, 59, tzinfo=UTC)
    assign(app, group_of(app, [learner]), due)
    app.test_cli_runner().invoke(args=["notifications", "send", "--now", "2030-01-10T23:00:00"])
    assert [kind for kind, _ in notes(app, learner)] == ["assigned", "overdue"]


def test_an_address_the_mail_library_refuses_is_kept_for_another_try(app, make_user, mailbox) -> None:
    learner = make_user()
    with app.app_context():
        db.session.get(type(learner), learner.id).email = "no address\n@example.org"
        operations.notify([learner.id], "certificate_issued", "certificate:w", {"course_id": "kam-pay"})
        db.session.commit()
    output = run_job(app)
    assert "0 sent, 1 to retry" in output and mailbox.mails == []
    with app.app_context():
        row = db.session.scalar(select(NotificationMail))
        assert (row.status, row.attempts) == ("pending", 1) and row.last_error
