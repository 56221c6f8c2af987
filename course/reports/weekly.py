"""The weekly summary: once per ISO week, each trainer or manager who chose it gets a notification (and so a mail)
with the numbers of every group they look after, per course, and a link to each report.

It is opt-in (the kind's mail is off unless chosen on the preferences page) and goes to whoever looks after a group
as its trainer or manager, admins included if they do; an admin who looks after no group gets none (every group
of a large site would not fit in a mail). The notification's key names the ISO week, so the sending job may call
this every few minutes on two servers: each person gets one summary per week.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from course.core import reports as core
from course.extensions import db
from course.groups.operations import WATCHING_ROLES
from course.i18n import LANGUAGES
from course.mail import language_for
from course.models import Group, GroupMembership, Notification, NotificationPreference, User
from course.notifications import operations as notifications
from course.reports import operations
from course.urls import external_url

KIND = "weekly_summary"
READERS = ("manager", "trainer", "admin")


def week_key(now: datetime) -> str:
    year, week = core.iso_week(now)
    return f"{KIND}:{year}-W{week:02d}"


def _recipients(key: str) -> dict[int, tuple[User, list[int]]]:
    """Who gets this week's summary and which groups it covers: opted in, looking after a group, not told yet."""
    opted = select(NotificationPreference.user_id).where(
        NotificationPreference.kind == KIND, NotificationPreference.by_mail.is_(True)
    )
    told = select(Notification.user_id).where(Notification.key == key)
    rows = db.session.execute(
        select(User, GroupMembership.group_id)
        .join(GroupMembership, GroupMembership.user_id == User.id)
        .where(
            GroupMembership.role_in_group.in_(WATCHING_ROLES),
            User.id.in_(opted),
            User.id.not_in(told),
            User.role.in_(READERS),
            User.active.is_(True),
            User.deleted_at.is_(None),
        )
        .order_by(User.id, GroupMembership.group_id)
    )
    found: dict[int, tuple[User, list[int]]] = {}
    for user, group_id in rows:
        found.setdefault(user.id, (user, []))[1].append(group_id)
    return found


def summary_rows(groups: list[Group], now: datetime) -> list[dict]:
    """Per group and course: members, completed, overdue, new completions in the last seven days, and the link;
    `course` holds the course's titles by language until `in_language` picks one."""
    since = now - timedelta(days=7)
    rows = []
    for entry in operations.reports_for(groups):
        for course, _assignment in entry.courses:
            report = operations.report(entry.group, course, now)
            rows.append(
                {
                    "group_id": entry.group.id,
                    "group": entry.group.name,
                    "course_id": course.id,
                    "course": {lang: course.title(lang) for lang in LANGUAGES},
                    "members": report.headline.members,
                    "completed": report.headline.completed,
                    "overdue": report.headline.overdue,
                    "new": report.new_since(since),
                    "due_at": report.due_at.isoformat() if report.due_at else None,
                    "url": external_url("reports.group_course", group_id=entry.group.id, course_id=course.id),
                }
            )
    return rows


def in_language(rows: list[dict], lang: str) -> list[dict]:
    return [{**row, "course": row["course"][lang]} for row in rows]


def queue_weekly_summaries(now: datetime) -> int:
    """Create this week's summary for everyone who chose it and has none yet; returns how many. The caller commits.

    Each group's reports are computed once, however many of its trainers and managers get them."""
    key = week_key(now)
    recipients = _recipients(key)
    if not recipients:
        return 0
    group_ids = sorted({group_id for _user, ids in recipients.values() for group_id in ids})
    groups = {group.id: group for group in db.session.scalars(select(Group).where(Group.id.in_(group_ids)))}
    computed: dict[int, list[dict]] = {}
    year, week = core.iso_week(now)
    created = 0
    for user_id, (user, ids) in recipients.items():
        lang = language_for(user.locale)
        rows = []
        for group_id in ids:
            if group_id not in computed:
                computed[group_id] = summary_rows([groups[group_id]], now)
            rows += in_language(computed[group_id], lang)
        data = {"week": f"{year}-W{week:02d}", "rows": rows, "endpoint": "reports.index", "endpoint_args": {}}
        created += notifications.notify([user_id], KIND, key, data, now=now)
    return created
