"""Every send runs on the job system: the periodic runs that replace cron (one per interval, however many servers),
the "send now" job queued as an event's transaction commits (one waiting per channel), and the embedded thread
that delivers an account mail within moments of the page."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from course.core.jobs import next_slot
from course.extensions import db
from course.jobs import operations
from course.models import Job, NotificationMail, OutboxMessage, utcnow
from course.notifications import operations as notifications
from course.outbox import operations as outbox
from tests.jobs import run_jobs
from tests.sessions import sign_in

EN = {"Accept-Language": "en"}
CHANNEL = "sends-test"


def jobs_of(app: Flask) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        return [(job.kind, job.state, job.dedupe_key) for job in db.session.scalars(select(Job).order_by(Job.id))]


@pytest.fixture
def test_channel() -> list[OutboxMessage]:
    """An outbox channel that records what it sends (the real ones talk to other servers)."""
    sent: list[OutboxMessage] = []
    outbox.register(outbox.Channel(CHANNEL, "Test", lambda message: sent.append(message.key) or 200))
    yield sent
    outbox._channels.pop(CHANNEL, None)


# --- periodic runs ---------------------------------------------------------------------------------------------------


def test_each_server_asks_for_the_periodic_runs_and_one_run_per_interval_is_queued(make_app) -> None:
    app, other_server = make_app(), make_app()
    before = utcnow()
    with app.app_context():
        first = operations.queue_periodic()
    after = utcnow()
    with other_server.app_context():
        assert operations.queue_periodic() == []  # the waiting runs are the same runs
    assert len(first) == 2
    with app.app_context():
        jobs = {job.kind: job for job in db.session.scalars(select(Job))}
        for kind, seconds in (("outbox.send", 60), ("notifications.send", 300)):
            interval = timedelta(seconds=seconds)  # the slot after the moment it was queued (a minute may turn)
            assert jobs[kind].run_after in {next_slot(before, interval), next_slot(after, interval)}
        assert {job.max_attempts for job in jobs.values()} == {1}  # the next run is the retry


def test_a_periodic_run_queues_its_successor_sends_and_leaves_no_row(app: Flask, test_channel) -> None:
    with app.app_context():
        operations.queue_periodic()
        outbox.enqueue(CHANNEL, "late-message", {}, now=utcnow() + timedelta(hours=1))  # due later: no "send now"
        db.session.commit()
        db.session.execute(Job.__table__.delete().where(Job.kind != "outbox.send"))
        db.session.commit()
        run = db.session.scalar(select(Job).where(Job.kind == "outbox.send"))
        run.run_after = utcnow() - timedelta(seconds=1)  # its interval has begun
        run_id = run.id
        db.session.commit()
        assert operations.run_due() == 1
        successor = db.session.scalar(select(Job).where(Job.kind == "outbox.send"))
        assert successor.dedupe_key == "every:outbox.send" and successor.run_after > utcnow()
        assert db.session.get(Job, run_id) is None  # a run that worked leaves nothing for admins to read
    assert test_channel == []  # the message is due in an hour: the run took only what was due at its real time


def test_a_failed_periodic_run_shows_on_the_admins_page_and_successful_ones_never(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = sign_in(app.test_client(), make_user(role="admin", locale="en").id)
    with app.app_context():
        operations.queue_periodic()
    assert "Send the outbox" not in admin.get("/admin/jobs", headers=EN).get_data(as_text=True)  # merely waiting
    with app.app_context():
        db.session.execute(Job.__table__.update().values(run_after=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    def broken(**_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(outbox, "send_due", broken)
    run_jobs(app)
    page = admin.get("/admin/jobs", headers=EN).get_data(as_text=True)
    assert "Send the outbox" in page and "the database went away" in page
    assert "Create reminders and send notification mails" not in page  # it worked: gone


def test_an_interval_of_zero_turns_a_periodic_run_off(make_app) -> None:
    app = make_app(JOBS_OUTBOX_SECONDS=0)
    with app.app_context():
        operations.queue_periodic()
    assert [kind for kind, _state, _key in jobs_of(app)] == ["notifications.send"]


@pytest.mark.parametrize("value", [-1, 86401, 1.5, "60"])
def test_a_bad_interval_stops_the_start(make_app, value: object) -> None:
    with pytest.raises(Exception, match="JOBS_OUTBOX_SECONDS must be a whole number of seconds from 0 to 86400"):
        make_app(JOBS_OUTBOX_SECONDS=value)


def test_the_periodic_notifications_run_sends_the_mails_that_are_due(app: Flask, make_user, mailbox) -> None:
    user = make_user(locale="en")
    with app.app_context():
        notifications.notify([user.id], "certificate_issued", "certificate:x", {"course_id": "kam-pay"})
        db.session.execute(NotificationMail.__table__.update().values(next_attempt_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
        operations.queue_periodic()
        db.session.execute(Job.__table__.delete().where(Job.kind != "notifications.send"))
        db.session.execute(Job.__table__.update().values(run_after=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert operations.run_due() == 1
        assert db.session.scalar(select(NotificationMail.status)) == "pending"  # not due yet: it waits
        db.session.execute(NotificationMail.__table__.update().values(next_attempt_at=utcnow()))
        db.session.execute(Job.__table__.update().values(run_after=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert operations.run_due() == 1
        assert db.session.scalar(select(NotificationMail.status)) == "sent"
    assert [mail.recipients for mail in mailbox.received] == [(user.email,)]


# --- "send now" ------------------------------------------------------------------------------------------------------


def test_messages_committed_together_make_one_send_job_per_channel(app: Flask, test_channel) -> None:
    with app.app_context():
        outbox.enqueue(CHANNEL, "a", {})
        outbox.enqueue(CHANNEL, "b", {})
        db.session.commit()
        outbox.enqueue(CHANNEL, "c", {})  # another request while the first job still waits
        db.session.commit()
    assert jobs_of(app) == [("outbox.send_now", "queued", f"now:outbox:{CHANNEL}")]
    assert run_jobs(app) == 1
    assert test_channel == ["a", "b", "c"] and jobs_of(app) == []


def test_a_transaction_that_rolls_back_queues_no_send(app: Flask, test_channel) -> None:
    with app.app_context():
        outbox.enqueue(CHANNEL, "a", {})
        db.session.rollback()
        db.session.commit()
    assert jobs_of(app) == []


def test_a_message_committed_while_the_send_runs_gets_a_send_of_its_own(app: Flask, test_channel) -> None:
    """The runner clears the key as it claims the job, so what commits during the run is not left for a minute."""
    with app.app_context():
        outbox.enqueue(CHANNEL, "a", {})
        db.session.commit()
        job_id, attempt = operations.claim_next()
        outbox.enqueue(CHANNEL, "b", {})
        db.session.commit()
        assert [(k, s) for k, s, _key in jobs_of(app)] == [
            ("outbox.send_now", "running"),
            ("outbox.send_now", "queued"),
        ]
        operations.run_claimed(job_id, attempt)
    run_jobs(app)
    assert test_channel == ["a", "b"] and jobs_of(app) == []


def test_a_retry_from_the_admin_page_goes_out_at_once(app: Flask, make_user, test_channel) -> None:
    admin = sign_in(app.test_client(), make_user(role="admin").id)
    with app.app_context():
        outbox.enqueue(CHANNEL, "a", {})
        db.session.execute(OutboxMessage.__table__.update().values(status="failed"))
        db.session.execute(Job.__table__.delete())
        db.session.commit()
        message_id = db.session.scalar(select(OutboxMessage.id))
    assert admin.post(f"/admin/outbox/{message_id}/retry").status_code == 302
    run_jobs(app)
    assert test_channel == ["a"]


def test_a_notification_mail_goes_out_right_after_the_event(app: Flask, make_user, mailbox) -> None:
    user = make_user(locale="en")
    with app.app_context():
        notifications.notify([user.id], "certificate_issued", "certificate:x", {"course_id": "kam-pay"})
        db.session.commit()
    assert [(kind, state) for kind, state, _key in jobs_of(app)] == [("notifications.send_now", "queued")]
    assert mailbox.received == []
    run_jobs(app)
    assert [mail.recipients for mail in mailbox.received] == [(user.email,)]


# --- the embedded thread ---------------------------------------------------------------------------------------------


def test_with_the_embedded_runner_a_reset_mail_arrives_without_anyone_running_jobs(make_app, make_user, mailbox):
    app = make_app(JOBS_RUNNER="embedded", JOBS_POLL_SECONDS=0.05)
    user = make_user(email="kam@example.org")
    runner = app.extensions["jobs_runner"]
    try:
        client = app.test_client()
        response = client.post("/auth/password/forgot", data={"email": user.email}, headers=EN)
        assert response.status_code == 200
        for _ in range(300):  # bounded: a thread is involved
            if mailbox.received:
                break
            time.sleep(0.05)
    finally:
        runner.stop()
    assert [mail.recipients for mail in mailbox.received] == [("kam@example.org",)]
    assert sorted(kind for kind, _state, _key in jobs_of(app)) == ["notifications.send", "outbox.send"]  # next runs
