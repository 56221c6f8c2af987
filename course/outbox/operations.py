"""The outbox: messages for other systems (and the account mails), queued with the event that caused them and sent
by a job: a "send now" job queued as the event's transaction commits (one waiting per channel), and the periodic run
that catches up retries (course/outbox/jobs.py).

Queueing is one `INSERT … ON CONFLICT DO NOTHING` on the (channel, key) unique index, in the caller's transaction:
the message exists exactly when the event was committed, and queueing it again is a no-op. Sending claims due rows
with one guarded UPDATE (PostgreSQL: `FOR UPDATE SKIP LOCKED`), commits the claim, then hands each row to its
channel's sender. A failure is kept with its error and the receiver's status code and tried again later (the same
waits as notification mails), until it is given up as "failed" and shown to admins at /admin/outbox. When a
receiver cannot be reached at all, the run stops sending to it: the rest of its messages wait for the next try
instead of each waiting for the same timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from course.core.notifications import next_attempt
from course.extensions import db
from course.jobs import operations as jobs
from course.jobs.claims import claim
from course.models import OutboxMessage, utcnow

CLAIM_FOR = timedelta(minutes=10)  # a sender that dies holds its rows this long; then another run sends them
STATUSES = ("pending", "sent", "failed", "skipped")
MAX_ERROR = 2000
SEND_NOW = "outbox.send_now"  # the job kind that sends one channel's due messages (course/outbox/jobs.py)


class DeliveryError(Exception):
    """A message could not be delivered now. `status_code`: what the receiver answered, if it did. `unreachable`:
    the receiver did not answer at all (refused, timed out), so the run leaves its other messages for later.
    `permanent`: trying again cannot help (the receiver refused the message itself); the message fails at once."""

    def __init__(
        self, message: str, *, status_code: int | None = None, unreachable: bool = False, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.unreachable = unreachable
        self.permanent = permanent


class Skip(Exception):  # noqa: N818 - an outcome, not an error
    """The message is not wanted any more (its webhook was deleted, the LMS link is gone): it is marked skipped."""


@dataclass(frozen=True)
class Channel:
    """How one channel sends a message. `send` returns the receiver's status code (or None), or raises
    DeliveryError or Skip. `receiver` names who a message goes to (for the "unreachable" rule); by default, the
    whole channel is one receiver. `label` says in the admin list what the channel is."""

    name: str
    label: str
    send: Callable[[OutboxMessage], int | None]
    receiver: Callable[[OutboxMessage], object] = field(default=lambda message: None)


_channels: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    """Make a channel's messages sendable; each integration registers its channel when it is imported."""
    _channels[channel.name] = channel


def channels() -> dict[str, Channel]:
    return dict(_channels)


def send_soon(channel: str) -> None:
    """Have the channel's due messages sent right after the caller's transaction commits (one waiting job per
    channel, whatever the number of messages)."""
    jobs.queue_soon(SEND_NOW, f"now:outbox:{channel}", {"channel": channel})


def _insert():  # noqa: ANN202 - the dialect's INSERT with ON CONFLICT
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutboxMessage.__table__)


def enqueue(
    channel: str,
    key: str,
    payload: dict,
    *,
    target_id: int | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a message unless one with this (channel, key) exists; True if it was queued now. `user_id`: whom it is
    about (erasing the account deletes it). The caller commits, with the event the message tells of; a job sends it
    as soon as that commit is done."""
    if channel not in _channels:
        raise ValueError(f"unknown outbox channel {channel!r}")
    if len(key) > 200:
        raise ValueError(f"outbox key longer than 200 characters: {key[:60]!r}…")
    moment = now or utcnow()
    statement = (
        _insert()
        .values(
            channel=channel,
            key=key,
            target_id=target_id,
            user_id=user_id,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=moment,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["channel", "key"])
        .returning(OutboxMessage.__table__.c.id)
    )
    queued = db.session.execute(statement).scalar() is not None
    if queued and moment <= utcnow():
        send_soon(channel)
    return queued


# --- Sending ---------------------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    postponed: int = 0  # not tried: their receiver could not be reached earlier in the run

    @property
    def handled(self) -> int:
        """How many messages the run took."""
        return self.sent + self.retrying + self.failed + self.skipped + self.postponed

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed, {self.skipped} skipped,"
            f" {self.postponed} postponed"
        )


def _claim(now: datetime, limit: int, names: Iterable[str] | None) -> list[int]:
    """Take up to `limit` messages that are due and not held by another run, and commit the claim."""
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            OutboxMessage.channel.in_(sorted(names if names is not None else _channels)),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    return claim(due, OutboxMessage, {"claimed_until": now + CLAIM_FOR})


def _failed(row: OutboxMessage, error: DeliveryError, now: datetime, report: SendReport) -> None:
    row.last_error = str(error)[:MAX_ERROR]
    row.last_status_code = error.status_code
    row.claimed_until = None
    retry_at = None if error.permanent else next_attempt(row.attempts, now)
    if retry_at is None:
        row.status = "failed"
        report.failed += 1
        current_app.logger.warning("Outbox %s message %d (%s) failed: %s", row.channel, row.id, row.key, error)
    else:
        row.next_attempt_at = retry_at
        report.retrying += 1
        current_app.logger.info(
            "Outbox %s message %d will be tried again at %s: %s", row.channel, row.id, retry_at, error
        )


def _deliver(row: OutboxMessage, channel: Channel, now: datetime, report: SendReport) -> bool:
    """Send one claimed message; False if its receiver could not be reached."""
    row.attempts += 1
    try:
        status_code = channel.send(row)
    except Skip as reason:
        row.status, row.claimed_until, row.last_error = "skipped", None, str(reason)[:MAX_ERROR] or None
        report.skipped += 1
        return True
    except DeliveryError as error:
        _failed(row, error, now, report)
        return not error.unreachable
    except Exception as error:  # noqa: BLE001 - a bug in one message's sending must not stop the run or lose it
        current_app.logger.exception("Outbox %s message %d could not be sent", row.channel, row.id)
        _failed(row, DeliveryError(f"{error.__class__.__name__}: {error}"), now, report)
        return True
    row.status, row.sent_at, row.claimed_until, row.last_error = "sent", utcnow(), None, None
    row.last_status_code = status_code
    report.sent += 1
    return True


def send_due(now: datetime | None = None, limit: int = 500, channel_names: Iterable[str] | None = None) -> SendReport:
    """Send the messages due by `now` (at most `limit`), each once, committing after each one."""
    now = now or utcnow()
    report = SendReport()
    unreachable: set[tuple[str, object]] = set()
    for message_id in _claim(now, limit, channel_names):
        row = db.session.get(OutboxMessage, message_id)
        channel = _channels.get(row.channel) if row is not None else None
        if row is None or row.status != "pending" or channel is None:
            db.session.commit()
            continue
        receiver = (row.channel, channel.receiver(row))
        if receiver in unreachable:  # not an attempt: it waits, with its count unchanged, for the next run
            row.claimed_until = None
            row.next_attempt_at = next_attempt(1, now)
            report.postponed += 1
        elif not _deliver(row, channel, now, report):
            unreachable.add(receiver)
        db.session.commit()
    return report


# --- Admins ----------------------------------------------------------------------------------------------------------


def status_counts() -> dict[str, dict[str, int]]:
    """Channel → status → how many messages."""
    counts = {name: dict.fromkeys(STATUSES, 0) for name in _channels}
    rows = db.session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
            OutboxMessage.channel, OutboxMessage.status
        )
    )
    for channel, status, number in rows:
        counts.setdefault(channel, dict.fromkeys(STATUSES, 0))[status] = number
    return counts


def troubled(channel: str | None = None, target_id: int | None = None, limit: int = 200) -> list[OutboxMessage]:
    """Messages that failed for good, then the ones waiting for another try."""
    statement = select(OutboxMessage).where(
        or_(OutboxMessage.status == "failed", and_(OutboxMessage.status == "pending", OutboxMessage.attempts > 0))
    )
    return list(
        db.session.scalars(
            _narrowed(statement, channel, target_id)
            .order_by(OutboxMessage.status, OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def recent(channel: str | None = None, target_id: int | None = None, limit: int = 100) -> list[OutboxMessage]:
    """The latest messages of a channel (or a webhook's), newest first: a delivery log."""
    statement = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return list(db.session.scalars(_narrowed(statement, channel, target_id).limit(limit)))


def _narrowed(statement, channel: str | None, target_id: int | None):  # noqa: ANN001, ANN202 - a Select
    if channel is not None:
        statement = statement.where(OutboxMessage.channel == channel)
    if target_id is not None:
        statement = statement.where(OutboxMessage.target_id == target_id)
    return statement


def retry(message_ids: Iterable[int] | None = None, channel: str | None = None) -> int:
    """Queue failed or waiting messages again (all failed ones, of a channel or all, when `message_ids` is None),
    with a fresh count of attempts; a job sends them once the caller has committed. Returns how many."""
    statement = (
        update(OutboxMessage)
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), claimed_until=None)
        .returning(OutboxMessage.channel)
    )
    if message_ids is None:
        statement = statement.where(OutboxMessage.status == "failed")
        if channel is not None:
            statement = statement.where(OutboxMessage.channel == channel)
    else:
        statement = statement.where(
            OutboxMessage.id.in_(list(message_ids)), OutboxMessage.status.in_(("failed", "pending"))
        )
    queued = list(db.session.scalars(statement))
    for name in sorted(set(queued)):
        send_soon(name)
    return len(queued)


# --- Data rights and housekeeping ------------------------------------------------------------------------------------


def forget_person(user_id: int) -> int:
    """Erase what the outbox holds about a person (account/operations.py `delete_account`): waiting messages are not
    sent any more, and sent ones were only our copy. Returns how many; the caller commits."""
    return db.session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user_id)).rowcount


def purge(now: datetime, older_than: timedelta) -> int:
    """Delete sent and skipped messages older than `older_than` (OUTBOX_RETENTION_DAYS): the receiver has them, and
    keeping their payloads forever would keep personal data nobody needs. Failed ones stay until an admin acts."""
    cutoff = now - older_than
    done = delete(OutboxMessage).where(
        or_(
            and_(OutboxMessage.status == "sent", OutboxMessage.sent_at < cutoff),
            and_(OutboxMessage.status == "skipped", OutboxMessage.created_at < cutoff),
        )
    )
    return db.session.execute(done).rowcount
