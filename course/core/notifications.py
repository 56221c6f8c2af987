"""The rules of notifications: which kinds exist, who may choose mail for each, when a course reminder is due, and
how long to wait before trying a failed mail again.

Reminders are decided for one learner and one assignment at a moment, from plain values, so the sending job (which
runs every few minutes, maybe on two servers) can ask again and again: the answer names the notifications that
should exist by now, and their keys make creating one twice a no-op (docs/operations.md, "Notifications").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

STAFF = ("trainer", "manager", "admin")
EVERYONE = ("learner", *STAFF)


@dataclass(frozen=True)
class Kind:
    """One kind of notification: whether it is mailed when the person has not chosen, and who may choose."""

    name: str
    mail_by_default: bool
    roles: tuple[str, ...]


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("assigned", True, EVERYONE),
        Kind("due_soon", True, EVERYONE),
        Kind("overdue", True, EVERYONE),
        Kind("certificate_issued", True, EVERYONE),
        Kind("design_comment", True, EVERYONE),
        Kind("essay_graded", True, EVERYONE),
        Kind("feedback_request", True, STAFF),
        Kind("weekly_summary", False, STAFF),
    )
}

COURSE_REMINDERS = ("assigned", "due_soon", "overdue")


def kinds_for(role: str) -> tuple[Kind, ...]:
    """The kinds a person with `role` may choose mail for, in the table's order."""
    return tuple(kind for kind in KINDS.values() if role in kind.roles)


def wants_mail(kind: str, chosen: bool | None) -> bool:
    """Whether to mail a notification of `kind`: the person's choice, else the kind's default."""
    return KINDS[kind].mail_by_default if chosen is None else chosen


# --- Retrying mail ---------------------------------------------------------------------------------------------------

# The wait after the 1st, 2nd, ... failed attempt; after the last one the mail is given up as "failed" (shown to
# admins, who can try it again). Spread over about 15 hours, so a mail server down for a night still gets the mail.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts (1 or more), or None to give up."""
    if attempts < 1:
        raise ValueError("next_attempt is asked after a failed attempt")
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[attempts - 1]


# --- Course reminders ------------------------------------------------------------------------------------------------


def reminders(
    now: datetime,
    starts_at: datetime | None,
    due_at: datetime,
    *,
    completed: bool,
    due_soon_days: int,
) -> tuple[str, ...]:
    """The reminders one learner should have had by `now` for one assignment: "assigned" once it has started, plus
    "due_soon" within `due_soon_days` days before the due moment or "overdue" once it has passed (as
    `core.assignments.is_overdue` says). Nothing once the learner
    has completed the course, nothing before the start. "due_soon" is not sent late: past the due moment only
    "overdue" applies."""
    if completed or (starts_at is not None and now < starts_at):
        return ()
    if now > due_at:
        return ("assigned", "overdue")
    if now >= due_at - timedelta(days=due_soon_days):
        return ("assigned", "due_soon")
    return ("assigned",)


def reminder_key(kind: str, assignment_id: int, due_at: datetime) -> str:
    """The key of a course reminder: a moved due moment makes new keys, so the reminders apply again."""
    return f"{kind}:{assignment_id}:{due_at.isoformat()}"
