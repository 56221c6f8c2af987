"""The logged-in user as a read-only snapshot, loaded with one precompiled query on the bare driver.

Flask-Login would load the ORM `User` and then its progress through four relationships, each through
SQLAlchemy's execution layer. Every page needs who the user is and what they have completed, so that is one
UNION query here, compiled once (course/fast/query.py). Pages only read the user; a view that changes the
account loads the `User` row itself. `User` offers the same read-only attributes (`completed`, `passed`,
`sandbox`, `certificates`, `is_staff`), so every view works with either.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_login import UserMixin
from sqlalchemy import String, bindparam, cast, exists, func, literal_column, null, select, true, union_all
from sqlalchemy.sql import ColumnElement, Select

from course.core.completion import SandboxStanding
from course.extensions import db
from course.fast.query import FastQuery
from course.models import (
    STAFF_ROLES,
    Certificate,
    LessonProgress,
    LtiLaunch,
    Notification,
    QuizResult,
    SandboxResult,
    User,
    UserSession,
)


@dataclass(frozen=True, eq=False)
class RequestUser(UserMixin):
    """A read-only snapshot of the logged-in user for one request, loaded in one light query.

    Pages only read the user; a view that changes the account loads the `User` row itself.
    """

    id: int
    email: str
    display_name: str
    role: str
    locale: str | None
    completed: frozenset[tuple[str, str]]  # (course id, lesson id)
    passed: frozenset[tuple[str, str]] = frozenset()  # (course id, quiz id)
    sandbox: Mapping[str, SandboxStanding] = field(default_factory=dict)  # course id → sandbox standing
    certificates: Mapping[str, str] = field(default_factory=dict)  # course id → current certificate's public id
    session_id: str = ""  # what Flask-Login keeps: "<user id>:<session token>"
    unread_notifications: int = 0  # for the header's "Notifications (3 unread)"
    # Whether they ever launched a link from an LMS: if not, no score of theirs goes to one (course/lti/grades.py)
    launched_from_lms: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def get_id(self) -> str:
        return self.session_id


def constant(text: str) -> ColumnElement[str]:
    """A string constant (a branch's kind, a separator) written into the SQL rather than sent as a parameter: on
    PostgreSQL each parameter is converted and sent with every read, and psycopg keeps its parsed form only of
    statements up to 4 KB, which the attempt page's read with its branches would pass."""
    if "'" in text:
        raise ValueError("a constant without quotes")
    return literal_column(f"'{text}'", String)


def _progress_items() -> list[Select]:
    """Completed lessons, passed quizzes, sandbox standings and current certificates of one user, as
    (course, item, kind) rows, one row with the number of unread notifications, and one if they ever launched a
    link from an LMS."""
    lessons = select(
        LessonProgress.course_id, LessonProgress.lesson_id.label("item"), constant("lesson").label("kind")
    ).where(LessonProgress.user_id == bindparam("user_id"))
    quizzes = select(QuizResult.course_id, QuizResult.quiz_id, constant("quiz")).where(
        QuizResult.user_id == bindparam("user_id"), QuizResult.passed.is_(True)
    )
    scores = [
        func.coalesce(cast(column, String), constant(""))
        for column in (SandboxResult.best_score, SandboxResult.assigned_score, SandboxResult.other_score)
    ]
    sandbox = select(  # "best|assigned|other", an empty part for no score: see `_standing`
        SandboxResult.course_id, scores[0] + constant("|") + scores[1] + constant("|") + scores[2], constant("sandbox")
    ).where(SandboxResult.user_id == bindparam("user_id"))
    certificates = select(Certificate.course_id, Certificate.public_id, constant("certificate")).where(
        Certificate.user_id == bindparam("user_id"), Certificate.revoked_at.is_(None)
    )
    unread = select(constant(""), cast(func.count(), String), constant("unread")).where(
        Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
    )
    lms = select(constant(""), constant(""), constant("lms")).where(
        exists().where(LtiLaunch.user_id == bindparam("user_id"))
    )
    return [lessons, quizzes, sandbox, certificates, unread, lms]


def request_user_query(*extra: Select) -> FastQuery:
    """The user, if the session is live, with one row per progress item (`_progress_items`), as (id, email,
    display name, role, locale, course, item, kind).

    `extra`: more branches of items, other reads of the same page in the same statement
    (course/fast/attempt_page.py). The first is (course, item, kind) and columns of its own, which the other
    branches, the later extra ones included, fill with NULLs; the later ones are (course, item, kind).
    """
    branches = _progress_items()
    if extra:
        first, *rest = extra
        nulls = [cast(null(), column.type).label(column.name) for column in list(first.selected_columns)[3:]]
        branches = [
            *(branch.add_columns(*nulls) for branch in branches),
            first,
            *(branch.add_columns(*nulls) for branch in rest),
        ]
    items = union_all(*branches).subquery()
    return FastQuery(
        select(User.id, User.email, User.display_name, User.role, User.locale, *items.c)
        .outerjoin(items, true())
        .where(
            User.id == bindparam("user_id"),
            User.active.is_(True),
            exists().where(
                UserSession.user_id == User.id,
                UserSession.token_hash == bindparam("token_hash"),
                UserSession.expires_epoch > bindparam("now"),
            ),
        )
    )


# Built once: constructing a SELECT costs more than running this one on SQLite.
_REQUEST_USER_QUERY = request_user_query()


def _standing(item: str) -> SandboxStanding:
    best, assigned, other = (float(part) if part else None for part in item.split("|"))
    return SandboxStanding(best or 0.0, assigned, other)


def load_request_user(user_id: int, token_hash: str, session_id: str) -> RequestUser | None:
    """The user with their progress and certificates, if the session is live: one query on the bare driver."""
    rows = _REQUEST_USER_QUERY.all(db.engine, **session_params(user_id, token_hash))
    return request_user_of(rows, session_id)


def session_params(user_id: int, token_hash: str) -> dict[str, object]:
    """The parameters of `request_user_query` that decide whose session is live."""
    return {"user_id": user_id, "token_hash": token_hash, "now": int(time.time())}


def request_user_of(rows: list[tuple], session_id: str) -> RequestUser | None:
    """The snapshot from the rows of `request_user_query` (None for none: no live session); rows of an extra
    branch's kind are left out."""
    if not rows:
        return None
    items = [row[5:8] for row in rows]  # (course, item, kind)
    unread = next((int(item) for _, item, kind in items if kind == "unread"), 0)
    return RequestUser(
        *rows[0][:5],
        completed=frozenset((course_id, item) for course_id, item, kind in items if kind == "lesson"),
        passed=frozenset((course_id, item) for course_id, item, kind in items if kind == "quiz"),
        sandbox={course_id: _standing(item) for course_id, item, kind in items if kind == "sandbox"},
        certificates={course_id: item for course_id, item, kind in items if kind == "certificate"},
        session_id=session_id,
        unread_notifications=unread,
        launched_from_lms=any(kind == "lms" for _, _, kind in items),
    )
