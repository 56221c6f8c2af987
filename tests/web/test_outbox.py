"""The outbox every integration sends through: a message is queued once per key, sent once, kept with its error and
tried again after a failure, given up after the last try, and one unreachable receiver does not hold up the others.
Two senders at once (two servers' jobs) send each message once. Admins see what failed and queue it again."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from course.core.notifications import MAX_ATTEMPTS
from course.extensions import db
from course.models import OutboxMessage, utcnow
from course.outbox import operations
from course.outbox.operations import Channel, DeliveryError, Skip
from tests.quiz_helpers import faster_apps
from tests.web.test_notification_job import at_once


class Receiver:
    """A test channel's other end: answers as the test says, and remembers what arrived (per receiver name)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.answers: dict[str, object] = {}  # receiver name → an exception to raise, or a status code

    def send(self, message: OutboxMessage) -> int | None:
        answer = self.answers.get(message.payload["to"], 200)
        if isinstance(answer, Exception):
            raise answer
        self.received.append((message.payload["to"], message.key))
        return answer


RECEIVER = Receiver()
operations.register(
    Channel("test", "Test channel", lambda message: RECEIVER.send(message), lambda message: message.payload["to"])
)


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


@pytest.fixture(autouse=True)
def receiver() -> Receiver:
    RECEIVER.received.clear()
    RECEIVER.answers.clear()
    return RECEIVER


def queue(key: str, to: str = "a", **kwargs: object) -> bool:
    queued = operations.enqueue("test", key, {"to": to}, **kwargs)
    db.session.commit()
    return queued


def row(key: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.key == key)).one()


def test_a_message_is_queued_once_per_key_and_sent_once(app, receiver) -> None:
    with app.app_context():
        assert queue("one") is True
        assert queue("one") is False  # the same event told twice
        report = operations.send_due()
        assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
        assert operations.send_due().sent == 0
        sent = row("one")
        assert (sent.status, sent.attempts, sent.last_status_code) == ("sent", 1, 200)
        assert sent.sent_at is not None and sent.claimed_until is None
    assert receiver.received == [("a", "one")]


def test_an_unknown_channel_or_an_overlong_key_is_refused(app) -> None:
    with app.app_context():
        with pytest.raises(ValueError, match="unknown outbox channel"):
            operations.enqueue("nonsense", "k", {})
        with pytest.raises(ValueError, match="longer than 200"):
            operations.enqueue("test", "k" * 201, {})


def test_a_failure_is_kept_and_tried_again_later_until_given_up(app, receiver) -> None:
    receiver.answers["a"] = DeliveryError("the LRS answered 503", status_code=503)
    now = utcnow()
    with app.app_context():
        queue("flaky", now=now)
        assert operations.send_due(now).retrying == 1
        waiting = row("flaky")
        assert (waiting.status, waiting.attempts, waiting.last_status_code) == ("pending", 1, 503)
        assert waiting.last_error == "the LRS answered 503"
        assert waiting.next_attempt_at == now + timedelta(minutes=1)
        assert operations.send_due(now).retrying == 0  # not due yet
        moment = now
        for _ in range(MAX_ATTEMPTS - 1):
            moment = row("flaky").next_attempt_at
            operations.send_due(moment)
        failed = row("flaky")
        assert (failed.status, failed.attempts) == ("failed", MAX_ATTEMPTS)
        # The receiver is back: an admin queues the failed message again and the next run delivers it.
        receiver.answers.clear()
        assert operations.retry(channel="test") == 1
        db.session.commit()
        assert operations.send_due(moment).sent == 1
    assert receiver.received == [("a", "flaky")]


def test_a_refused_message_fails_at_once_and_a_skipped_one_is_not_tried_again(app, receiver) -> None:
    receiver.answers["bad"] = DeliveryError("400: the statement is not valid", status_code=400, permanent=True)
    receiver.answers["gone"] = Skip("the webhook was deleted")
    with app.app_context():
        queue("refused", to="bad")
        queue("unwanted", to="gone")
        report = operations.send_due()
        assert (report.failed, report.skipped) == (1, 1)
        assert (row("refused").status, row("refused").attempts) == ("failed", 1)
        assert (row("unwanted").status, row("unwanted").last_error) == ("skipped", "the webhook was deleted")


def test_a_bug_in_a_sender_is_kept_as_an_error_and_the_run_goes_on(app, receiver) -> None:
    receiver.answers["buggy"] = KeyError("payload")
    with app.app_context():
        queue("first", to="buggy")
        queue("second", to="b")
        report = operations.send_due()
        assert (report.sent, report.retrying) == (1, 1)
        assert row("first").last_error == "KeyError: 'payload'"
    assert receiver.received == [("b", "second")]


def test_an_unreachable_receiver_does_not_hold_up_the_others(app, receiver) -> None:
    receiver.answers["down"] = DeliveryError("connection refused", unreachable=True)
    now = utcnow()
    with app.app_context():
        for number in range(3):
            queue(f"down-{number}", to="down", now=now)
        queue("up", to="up", now=now)
        report = operations.send_due(now)
        # One try at the unreachable receiver; its other messages wait without using up an attempt.
        assert (report.sent, report.retrying, report.postponed) == (1, 1, 2)
        assert sorted(row(f"down-{n}").attempts for n in range(3)) == [0, 0, 1]
        assert all(row(f"down-{n}").next_attempt_at > now for n in range(3))
    assert receiver.received == [("up", "up")]


def test_a_message_held_by_another_run_is_left_alone_until_its_claim_runs_out(app, receiver) -> None:
    now = utcnow()
    with app.app_context():
        queue("held", now=now)
        message = row("held")
        message.claimed_until = now + timedelta(minutes=5)
        db.session.commit()
        assert operations.send_due(now).sent == 0
        assert operations.send_due(now + timedelta(minutes=6)).sent == 1


def test_two_senders_at_once_send_each_message_once(app, receiver) -> None:
    with app.app_context():
        for number in range(40):
            operations.enqueue("test", f"m{number}", {"to": f"r{number % 4}"})
        db.session.commit()
    reports = at_once(app, lambda: operations.send_due(limit=500))
    assert sum(report.sent for report in reports) == 40
    assert Counter(key for _, key in receiver.received) == Counter(f"m{number}" for number in range(40))


def test_the_cli_sends_and_names_unknown_channels(app, runner, receiver) -> None:
    with app.app_context():
        queue("cli")
    result = runner.invoke(args=["outbox", "send", "--channel", "test"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    wrong = runner.invoke(args=["outbox", "send", "--channel", "nonsense"])
    assert wrong.exit_code != 0
    assert "unknown channel(s) nonsense" in wrong.output
    assert receiver.received == [("a", "cli")]


def test_admins_see_what_failed_and_queue_it_again(app, client, make_user, login_as, receiver) -> None:
    receiver.answers["a"] = DeliveryError("401 Unauthorized: check XAPI_LRS_USERNAME", status_code=401)
    with app.app_context():
        queue("needs-attention")
        operations.send_due()
        message_id = row("needs-attention").id
    login_as(make_user(role="admin"))
    page = client.get("/admin/outbox?channel=test")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "needs-attention" in text and "check XAPI_LRS_USERNAME" in text and "401" in text
    done = client.post(f"/admin/outbox/{message_id}/retry?channel=test")
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/outbox?channel=test")
    with app.app_context():
        queued = row("needs-attention")
        assert (queued.status, queued.attempts) == ("pending", 0)


def test_only_admins_see_the_outbox(client, make_user, login_as) -> None:
    for role in ("learner", "manager", "trainer"):
        login_as(make_user(role=role))
        assert client.get("/admin/outbox").status_code == 403


def test_erasing_an_account_deletes_its_messages_and_its_lms_launches(app, make_user) -> None:
    from course.account.operations import delete_account
    from course.models import LtiLaunch, LtiPlatform, LtiResourceLink, User

    person, other = make_user(), make_user()
    with app.app_context():
        operations.enqueue("test", "about-person", {"to": "a"}, user_id=person.id)
        operations.enqueue("test", "about-other", {"to": "a"}, user_id=other.id)
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
        link = LtiResourceLink(
            platform_id=platform.id, resource_link_id="r", deployment_id="d", target="course:kam-pay"
        )
        db.session.add(link)
        db.session.flush()
        db.session.add(LtiLaunch(link_id=link.id, user_id=person.id, subject="lms-user-7"))
        db.session.commit()
        delete_account(db.session.get(User, person.id), None)
        db.session.commit()
        assert [m.key for m in db.session.scalars(db.select(OutboxMessage))] == ["about-other"]
        assert db.session.scalars(db.select(LtiLaunch)).all() == []


def test_delivered_messages_are_deleted_after_the_retention_time_and_failed_ones_kept(app, receiver) -> None:
    receiver.answers["bad"] = DeliveryError("refused", permanent=True)
    now = utcnow()
    with app.app_context():
        queue("delivered", now=now)
        queue("refused", to="bad", now=now)
        operations.send_due(now)
        assert operations.purge(now + timedelta(days=29), timedelta(days=30)) == 0
        assert operations.purge(now + timedelta(days=31), timedelta(days=30)) == 1
        db.session.commit()
        assert [m.key for m in db.session.scalars(db.select(OutboxMessage))] == ["refused"]
