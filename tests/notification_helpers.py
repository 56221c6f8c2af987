"""Groups, assignments and notifications for the notification tests, written straight to the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import Flask
from sqlalchemy import select

from course.extensions import db
from course.models import CourseAssignment, Group, GroupMembership, Notification, NotificationMail, User

COURSE = "kam-pay"


def group_of(app: Flask, members: Iterable[User], trainers: Iterable[User] = (), name: str = "Team") -> int:
    with app.app_context():
        group = Group(name=name, name_key=name.lower())
        db.session.add(group)
        db.session.flush()
        for user in members:
            db.session.add(GroupMembership(group_id=group.id, user_id=user.id, role_in_group="member"))
        for user in trainers:
            db.session.add(GroupMembership(group_id=group.id, user_id=user.id, role_in_group="trainer"))
        db.session.commit()
        return group.id


def assign(app: Flask, group_id: int, due_at: datetime, starts_at: datetime | None = None) -> int:
    """A course assignment as the assign pages save it (without telling anyone: see `assignment_saved`)."""
    with app.app_context():
        row = CourseAssignment(
            course_id=COURSE, group_id=group_id, due_at=due_at, starts_at=starts_at, time_zone="Europe/Berlin"
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def notes(app: Flask, user: User | None = None) -> list[tuple[str, str]]:
    """(kind, key) of the notifications (of one user), oldest first."""
    with app.app_context():
        statement = select(Notification.kind, Notification.key).order_by(Notification.id)
        if user is not None:
            statement = statement.where(Notification.user_id == user.id)
        return list(db.session.execute(statement))


def mails(app: Flask) -> list[tuple[str, str, int]]:
    """(kind, status, attempts) of every queued notification mail."""
    with app.app_context():
        return list(
            db.session.execute(
                select(Notification.kind, NotificationMail.status, NotificationMail.attempts)
                .join(Notification, Notification.id == NotificationMail.notification_id)
                .order_by(NotificationMail.id)
            )
        )
