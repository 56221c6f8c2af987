"""The sending job on two servers at once: every reminder is created once and every mail arrives once, whichever
sender gets there first; a sender that dies holding mails gives them up after its claim runs out.

Two threads stand for two servers: each has its own app context, so its own session and database connection, as
two `flask notifications send` processes would. On SQLite the write lock serialises the claims (that is the
promise there); on PostgreSQL the claims overlap and `FOR UPDATE SKIP LOCKED` keeps them apart.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask

from course.extensions import db
from course.models import utcnow
from course.notifications import operations
from tests.notification_helpers import assign, group_of, mails, notes
from tests.quiz_helpers import faster_apps

SERVERS = 2


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def at_once(app: Flask, job: Callable[[], object]) -> list[object]:
    """Run `job` on SERVERS threads that start together, each in its own app context; re-raise any error."""
    start = threading.Barrier(SERVERS)
    results: list[object] = []
    errors: list[BaseException] = []

    def server() -> None:
        with app.app_context():
            try:
                start.wait(timeout=10)
                results.append(job())
            except BaseException as error:  # noqa: BLE001 - handed to the test thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=server) for _ in range(SERVERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def test_two_servers_create_each_reminder_once_and_send_each_mail_once(app, make_user, mailbox) -> None:
    learners = [make_user() for _ in range(24)]
    due = utcnow() + timedelta(days=1)  # due soon: "assigned" and "due_soon" for everyone
    assign(app, group_of(app, learners), due)
    now = utcnow() + timedelta(seconds=1)

    def queue() -> int:
        created = operations.queue_reminders(now)
        db.session.commit()
        return created

    assert sum(at_once(app, queue)) == 2 * len(learners)
    assert sum(at_once(app, queue)) == 0  # and again: nothing new
    assert len(notes(app)) == 2 * len(learners)

    def send() -> int:
        sent = 0
        while True:  # small batches, so the two senders take turns and overlap
            report = operations.send_due(now, limit=3)
            if report.sent + report.retrying + report.failed + report.skipped == 0:
                return sent
            sent += report.sent

    assert sum(at_once(app, send)) == 2 * len(learners)
    arrived = Counter((mail.recipients[0], mail.subject) for mail in mailbox.mails)
    assert len(arrived) == 2 * len(learners) and set(arrived.values()) == {1}
    assert {status for _kind, status, _attempts in mails(app)} == {"sent"}


def test_the_cli_job_run_twice_sends_nothing_twice(app, make_user, mailbox) -> None:
    learners = [make_user() for _ in range(3)]
    assign(app, group_of(app, learners), utcnow() + timedelta(days=30))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["notifications", "send"])
    assert first.exit_code == 0 and "3 reminder(s)" in first.output and "3 sent" in first.output
    second = runner.invoke(args=["notifications", "send"])
    assert second.exit_code == 0 and "0 reminder(s)" in second.output and "0 sent" in second.output
    assert len(mailbox.mails) == 3


def test_a_sender_that_dies_holding_mails_gives_them_up_when_its_claim_runs_out(app, make_user, mailbox) -> None:
    learner = make_user()
    with app.app_context():
        operations.notify([learner.id], "certificate_issued", "certificate:z", {"course_id": "kam-pay"})
        db.session.commit()
        now = utcnow() + timedelta(seconds=1)
        assert len(operations._claim(now, 10)) == 1  # claimed, then the process is gone
        assert operations.send_due(now).sent == 0  # another sender leaves it alone meanwhile
        assert operations.send_due(now + operations.CLAIM_FOR - timedelta(seconds=1)).sent == 0
        assert operations.send_due(now + operations.CLAIM_FOR + timedelta(seconds=1)).sent == 1
    assert len(mailbox.to(learner.email)) == 1


def test_reminders_for_many_learners_take_a_bounded_number_of_queries(app, make_user) -> None:
    """Set-based: the number of statements does not grow with the learners (below one chunk of them)."""
    from sqlalchemy import event

    def statements_for(count: int, name: str) -> int:
        learners = [make_user() for _ in range(count)]
        assign(app, group_of(app, learners, name=name), utcnow() + timedelta(days=1))
        seen: list[str] = []
        with app.app_context():
            engine = db.engine

            def count_statement(*_args: object) -> None:
                seen.append("x")

            event.listen(engine, "before_cursor_execute", count_statement)
            try:
                operations.queue_reminders(utcnow())
                db.session.commit()
            finally:
                event.remove(engine, "before_cursor_execute", count_statement)
        return len(seen)

    assert statements_for(5, "Small") == statements_for(40, "Large")


def test_an_address_no_mail_can_reach_is_skipped_not_retried(app, make_user, mailbox) -> None:
    """Accounts an LMS made without the person's address (LTI, SCORM) have one under the reserved .invalid domain."""
    learners = [make_user(email="lti-1-abc@lti.invalid"), make_user()]
    assign(app, group_of(app, learners), utcnow() + timedelta(days=30))
    result = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert result.exit_code == 0 and "1 sent" in result.output and "1 skipped" in result.output
    assert [mail.to for mail in mailbox.mails] == [learners[1].email]
