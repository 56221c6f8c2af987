"""Notifications in the database: creating each one exactly once, the mail outbox and its sending job, reading
and preferences.

Creating is one `INSERT … ON CONFLICT DO NOTHING` on the (user, key) unique index: two servers running the job,
or a request and the job, may try the same notification at the same moment and one row results, without an error
to catch. A mail is queued in the same transaction only for a notification that was actually created, so a
reminder is never mailed twice. Sending claims rows with one guarded UPDATE (PostgreSQL: `FOR UPDATE SKIP
LOCKED`), commits the claim, then sends: a second sender skips what the first holds. A "send now" job, queued as
the transaction that created mails commits, sends them within seconds; the periodic job (course/notifications/jobs.py)
creates the reminders that fell due and catches up retries (docs/operations.md, "Notifications").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from course import events, mail
from course.core import notifications as rules
from course.extensions import db
from course.jobs import operations as jobs
from course.jobs.claims import claim
from course.models import (
    STAFF_ROLES,
    Certificate,
    CourseAssignment,
    GroupMembership,
    Notification,
    NotificationMail,
    NotificationPreference,
    SandboxComment,
    SandboxDesign,
    User,
    utcnow,
)

CHUNK = 500  # ids per IN (…) list: well under SQLite's limit on parameters
CLAIM_FOR = timedelta(minutes=10)  # a sender that dies holds its rows this long; then another one sends them
STATUSES = ("pending", "sent", "failed", "skipped")  # "skipped": not wanted any more, or the account is gone
SEND_NOW = "notifications.send_now"  # the job kind that sends the due mails (course/notifications/jobs.py)


def send_soon() -> None:
    """Have the due mails sent right after the caller's transaction commits (one waiting job, however many mails)."""
    jobs.queue_soon(SEND_NOW, "now:notifications")


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(table):  # noqa: ANN001, ANN202 - a table; the dialect's INSERT with ON CONFLICT
    return (postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


# --- Creating --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewNotification:
    user_id: int
    kind: str
    key: str
    data: dict


def mail_choices(user_ids: Iterable[int], kinds: Iterable[str]) -> dict[tuple[int, str], bool]:
    """The choices people made, by (user, kind); a missing pair means the kind's default."""
    users, kinds = sorted(set(user_ids)), sorted(set(kinds))
    choices: dict[tuple[int, str], bool] = {}
    for chunk in _chunks(users):
        rows = db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.by_mail).where(
                NotificationPreference.user_id.in_(chunk), NotificationPreference.kind.in_(kinds)
            )
        )
        choices.update({(user_id, kind): by_mail for user_id, kind, by_mail in rows})
    return choices


def create(items: Sequence[NewNotification], now: datetime | None = None) -> int:
    """Create the notifications that do not exist yet, and a pending mail for each one whose person wants mail of
    its kind. Returns how many were created; an existing (user, key) is left as it is."""
    now = now or utcnow()
    # One order for every caller: two servers inserting the same rows in different orders could deadlock.
    items = sorted(items, key=lambda item: (item.user_id, item.key))
    created: list[tuple[int, int, str]] = []
    for chunk in _chunks(items):
        statement = (
            _insert(Notification.__table__)
            .values(
                [
                    {"user_id": i.user_id, "kind": i.kind, "key": i.key, "data": i.data, "created_at": utcnow()}
                    for i in chunk
                ]
            )
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(
                Notification.__table__.c.id,
                Notification.__table__.c.user_id,
                Notification.__table__.c.kind,
                Notification.__table__.c.key,
            )
        )
        data = {(i.user_id, i.key): i.data for i in chunk}
        for id_, user_id, kind, key in db.session.execute(statement):
            created.append((id_, user_id, kind))
            if kind == "overdue":
                _tell_overdue(user_id, data[(user_id, key)], now)
    if not created:
        return 0
    choices = mail_choices((user_id for _, user_id, _ in created), (kind for _, _, kind in created))
    mails = [
        {"notification_id": id_, "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": utcnow()}
        for id_, user_id, kind in created
        if rules.wants_mail(kind, choices.get((user_id, kind)))
    ]
    for chunk in _chunks(mails):
        db.session.execute(NotificationMail.__table__.insert(), list(chunk))
    if mails:
        send_soon()
    return len(created)


def _tell_overdue(user_id: int, data: dict, now: datetime) -> None:
    """Tell other systems (an HR system's webhook) that a learner missed a course's due date."""
    due_at = datetime.fromisoformat(data["due_at"])
    events.emit(events.LearnerOverdue(user_id, data["course_id"], data["assignment_id"], due_at, now))


def notify(user_ids: Iterable[int], kind: str, key: str, data: dict, *, now: datetime | None = None) -> int:
    """Tell these people about one event (`key` names it, e.g. "certificate:<public id>"), once each; returns how
    many were told now. Safe to call again for the same event: nobody is told twice. The caller commits."""
    if kind not in rules.KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    return create([NewNotification(user_id, kind, key, data) for user_id in sorted(set(user_ids))], now)


# --- Events in other areas ------------------------------------------------------------------------------------------


def certificate_issued(certificate: Certificate) -> int:
    """Tell the holder their certificate is issued (certificates/views.py, when it was created)."""
    if certificate.user_id is None:
        return 0
    data = {"course_id": certificate.course_id, "public_id": certificate.public_id}
    return notify([certificate.user_id], "certificate_issued", f"certificate:{certificate.public_id}", data)


def design_commented(design: SandboxDesign, comment: SandboxComment, author_name: str) -> int:
    """Tell a design's owner that a trainer commented on it (sandbox/operations.py `add_comment`)."""
    if comment.author_id == design.user_id:
        return 0
    data = {
        "course_id": design.course_id,
        "design_id": design.id,
        "design": design.name,
        "number": comment.version_number or design.latest_version or 1,
        "by": author_name,
    }
    return notify([design.user_id], "design_comment", f"comment:{comment.id}", data)


def feedback_readers(learner_id: int) -> list[int]:
    """Who hears that a learner asks for feedback: the active trainers (and admins) who look after one of the
    learner's groups as trainers; when there are none (no groups, or no trainer in them), every active trainer;
    when the site has no trainer, every active admin."""
    staff = and_(User.active.is_(True), User.deleted_at.is_(None), User.role.in_(STAFF_ROLES))
    learner_groups = select(GroupMembership.group_id).where(
        GroupMembership.user_id == learner_id, GroupMembership.role_in_group == "member"
    )
    in_groups = list(
        db.session.scalars(
            select(User.id)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(staff, GroupMembership.group_id.in_(learner_groups), GroupMembership.role_in_group == "trainer")
            .distinct()
        )
    )
    if in_groups:
        return in_groups
    for role in ("trainer", "admin"):
        everyone = list(db.session.scalars(select(User.id).where(staff, User.role == role)))
        if everyone:
            return everyone
    return []


def feedback_requested(design: SandboxDesign, learner_name: str, at: datetime) -> int:
    """Tell the trainers who look after the learner that they asked, at `at`, for feedback on a design."""
    data = {
        "course_id": design.course_id,
        "design_id": design.id,
        "design": design.name,
        "number": design.latest_version or 1,
        "by": learner_name,
    }
    key = f"feedback:{design.id}:{at.isoformat()}"
    return notify([r for r in feedback_readers(design.user_id) if r != design.user_id], "feedback_request", key, data)


def forget_person(user_id: int) -> None:
    """Erase an account's notifications and choices, and the notifications others hold that name the person (their
    feedback requests, their comments as a trainer); account/operations.py `delete_account`, before the comments
    lose their author. The mails go with their notifications (ON DELETE CASCADE)."""
    designs = list(db.session.scalars(select(SandboxDesign.id).where(SandboxDesign.user_id == user_id)))
    comments = list(db.session.scalars(select(SandboxComment.id).where(SandboxComment.author_id == user_id)))
    about = [Notification.user_id == user_id]
    about += [
        and_(Notification.kind == "feedback_request", Notification.key.like(f"feedback:{design_id}:%"))
        for design_id in designs
    ]
    for chunk in _chunks(comments):
        about.append(and_(Notification.kind == "design_comment", Notification.key.in_([f"comment:{c}" for c in chunk])))
    gone = select(Notification.id).where(or_(*about))
    db.session.execute(delete(NotificationMail).where(NotificationMail.notification_id.in_(gone)))
    db.session.execute(delete(Notification).where(or_(*about)))
    db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user_id))


# --- Course reminders ------------------------------------------------------------------------------------------------


def _reminders(now: datetime, assignment_id: int | None = None) -> list[NewNotification]:
    """The course reminders due by `now` for every member of every assigned group (or of one assignment) that do
    not exist yet: one query for the learners with their assignments, then one per CHUNK learners for what exists."""
    completed = (
        select(Certificate.id)
        .where(
            Certificate.user_id == GroupMembership.user_id,
            Certificate.course_id == CourseAssignment.course_id,
            Certificate.revoked_at.is_(None),
        )
        .exists()
    )
    statement = (
        select(
            GroupMembership.user_id,
            CourseAssignment.id,
            CourseAssignment.course_id,
            CourseAssignment.starts_at,
            CourseAssignment.due_at,
            CourseAssignment.time_zone,
        )
        .join(GroupMembership, GroupMembership.group_id == CourseAssignment.group_id)
        .join(User, User.id == GroupMembership.user_id)
        .where(
            GroupMembership.role_in_group == "member",
            User.active.is_(True),
            User.deleted_at.is_(None),
            or_(CourseAssignment.starts_at.is_(None), CourseAssignment.starts_at <= now),
            ~completed,
        )
    )
    if assignment_id is not None:
        statement = statement.where(CourseAssignment.id == assignment_id)
    # A learner in two groups with the same course assigned hears about the earlier due moment only.
    earliest: dict[tuple[int, str], tuple] = {}
    for row in db.session.execute(statement):
        user_id, _, course_id, _, due_at, _ = row
        kept = earliest.get((user_id, course_id))
        if kept is None or (due_at, row[1]) < (kept[4], kept[1]):
            earliest[(user_id, course_id)] = tuple(row)
    wanted: list[NewNotification] = []
    days = int(current_app.config["NOTIFY_DUE_SOON_DAYS"])
    for user_id, id_, course_id, starts_at, due_at, time_zone in earliest.values():
        data = {"assignment_id": id_, "course_id": course_id, "due_at": due_at.isoformat(), "time_zone": time_zone}
        for kind in rules.reminders(now, starts_at, due_at, completed=False, due_soon_days=days):
            wanted.append(NewNotification(user_id, kind, rules.reminder_key(kind, id_, due_at), data))
    # Which exist already, by the (user, key) unique index: one query per CHUNK learners.
    keys = sorted({item.key for item in wanted})
    users = sorted({item.user_id for item in wanted})
    existing: set[tuple[int, str]] = set()
    for chunk in _chunks(users):
        rows = db.session.execute(
            select(Notification.user_id, Notification.key).where(
                Notification.user_id.in_(chunk), Notification.key.in_(keys)
            )
        )
        existing.update((user_id, key) for user_id, key in rows)
    return [item for item in wanted if (item.user_id, item.key) not in existing]


def assignment_saved(assignment: CourseAssignment, now: datetime | None = None) -> int:
    """Tell the group's learners at once about a course assigned to them (or its new due moment), if it has started;
    the job sends the rest of the reminders on time. Call after a trainer creates or changes an assignment (it is
    flushed here); the caller commits. Returns how many notifications were created."""
    db.session.flush()
    now = now or utcnow()
    return create(_reminders(now, assignment.id), now)


def queue_reminders(now: datetime) -> int:
    """Create the course reminders due by `now` (assigned, due soon, overdue) for everyone; the caller commits."""
    return create(_reminders(now), now)


# --- Sending ---------------------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def handled(self) -> int:
        """How many mails the run took."""
        return self.sent + self.retrying + self.failed + self.skipped

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed, {self.skipped} skipped"


def _claim(now: datetime, limit: int) -> list[int]:
    """Take up to `limit` mails that are due and not held by another sender, and commit the claim."""
    due = (
        select(NotificationMail.id)
        .where(
            NotificationMail.status == "pending",
            NotificationMail.next_attempt_at <= now,
            or_(NotificationMail.claimed_until.is_(None), NotificationMail.claimed_until < now),
        )
        .order_by(NotificationMail.next_attempt_at, NotificationMail.id)
        .limit(limit)
    )
    return claim(due, NotificationMail, {"claimed_until": now + CLAIM_FOR})


def _deliver(row: NotificationMail, now: datetime, report: SendReport) -> None:
    from course.notifications.messages import send_mail  # the web layer renders the mail's text and link

    notification = row.notification
    user = db.session.get(User, notification.user_id)
    choice = db.session.get(NotificationPreference, (notification.user_id, notification.kind))
    wanted = rules.wants_mail(notification.kind, None if choice is None else choice.by_mail)
    if user is None or not user.active or user.deleted_at is not None or not wanted or mail.undeliverable(user.email):
        row.status, row.claimed_until = "skipped", None
        report.skipped += 1
        return
    row.attempts += 1
    try:
        send_mail(user, notification)
    except Exception as error:  # noqa: BLE001 - one bad mail (an address the library refuses, a template) must
        # not stop the run or vanish: it is kept with its error, tried again, and shown to admins.
        if not isinstance(error, mail.MailError):
            current_app.logger.exception("Notification mail %d could not be sent", row.id)
            error = mail.MailError(f"{error.__class__.__name__}: {error}")
        row.last_error = str(error)[:2000]
        row.claimed_until = None
        retry_at = rules.next_attempt(row.attempts, now)
        if retry_at is None:
            row.status = "failed"
            report.failed += 1
            current_app.logger.warning("Notification mail %d to user %d failed: %s", row.id, user.id, error)
        else:
            row.next_attempt_at = retry_at
            report.retrying += 1
        return
    row.status, row.sent_at, row.claimed_until, row.last_error = "sent", utcnow(), None, None
    report.sent += 1


def send_due(now: datetime | None = None, limit: int = 200) -> SendReport:
    """Send the mails that are due by `now` (at most `limit`), each once, committing after each one."""
    now = now or utcnow()
    report = SendReport()
    for mail_id in _claim(now, limit):
        row = db.session.get(NotificationMail, mail_id)
        if row is not None and row.status == "pending":
            _deliver(row, now, report)
        db.session.commit()
    return report


# --- Admins: the outbox ----------------------------------------------------------------------------------------------


def status_counts() -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    rows = db.session.execute(select(NotificationMail.status, func.count()).group_by(NotificationMail.status))
    counts.update({status: number for status, number in rows})
    return counts


def troubled_mails(limit: int = 200) -> list[tuple[NotificationMail, Notification, User]]:
    """The mails that failed for good, then the ones waiting for another try, with whom they are for."""
    return list(
        db.session.execute(
            select(NotificationMail, Notification, User)
            .join(Notification, Notification.id == NotificationMail.notification_id)
            .join(User, User.id == Notification.user_id)
            .where(
                or_(
                    NotificationMail.status == "failed",
                    and_(NotificationMail.status == "pending", NotificationMail.attempts > 0),
                )
            )
            .order_by(NotificationMail.status, NotificationMail.next_attempt_at, NotificationMail.id)
            .limit(limit)
        )
    )


def retry(mail_ids: Iterable[int] | None = None) -> int:
    """Queue failed or waiting mails again (all failed ones when `mail_ids` is None), with a fresh count of attempts;
    a job sends them once the caller has committed. Returns how many were queued."""
    statement = update(NotificationMail).values(
        status="pending", attempts=0, next_attempt_at=utcnow(), claimed_until=None
    )
    if mail_ids is None:
        statement = statement.where(NotificationMail.status == "failed")
    else:
        statement = statement.where(
            NotificationMail.id.in_(list(mail_ids)), NotificationMail.status.in_(("failed", "pending"))
        )
    queued = db.session.execute(statement).rowcount
    if queued:
        send_soon()
    return queued


# --- Reading ---------------------------------------------------------------------------------------------------------


def unread_count(user_id: int) -> int:
    return (
        db.session.scalar(select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None)))
        or 0
    )


def page_of(user_id: int, page: int, per_page: int) -> tuple[list[Notification], bool]:
    """One page of the person's notifications, newest first, and whether there is a next page."""
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def find_own(user_id: int, notification_id: int) -> Notification | None:
    return db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    )


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one notification (or all of them) read; returns how many changed. The caller commits."""
    statement = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    return db.session.execute(statement).rowcount


# --- Preferences -----------------------------------------------------------------------------------------------------


def preferences(user: User) -> dict[str, bool]:
    """Whether the person gets mail, for each kind they may choose."""
    kinds = rules.kinds_for(user.role)
    choices = mail_choices([user.id], [kind.name for kind in kinds])
    return {kind.name: rules.wants_mail(kind.name, choices.get((user.id, kind.name))) for kind in kinds}


def save_preferences(user: User, by_mail: dict[str, bool]) -> None:
    """Store the choices (every kind the person may choose, validated by the caller). The caller commits."""
    allowed = {kind.name for kind in rules.kinds_for(user.role)}
    if set(by_mail) != allowed:
        raise ValueError("preferences must name exactly the kinds the person may choose")
    table = NotificationPreference.__table__
    statement = _insert(table).values([{"user_id": user.id, "kind": k, "by_mail": v} for k, v in by_mail.items()])
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.user_id, table.c.kind], set_={"by_mail": statement.excluded.by_mail}
        )
    )
