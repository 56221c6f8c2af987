"""Account writes and checks; the views never touch password hashes themselves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from flask_login import UserMixin
from sqlalchemy import String, bindparam, cast, literal, select, true, union_all
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from course.extensions import db
from course.fastquery import FastQuery
from course.models import ROLES, Certificate, LessonProgress, QuizResult, SandboxResult, User


@cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so a failed login costs the same either way."""
    return generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    pass


class EmailTakenError(AccountError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """Emails are stored normalised, so the lookup can use the unique index."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, password: str, display_name: str, role: str = "learner", locale: str | None = None) -> User:
    """Add a user (hashed with Werkzeug's scrypt); the caller commits."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (choose from {', '.join(ROLES)})")
    user = User(
        email=normalise_email(email),
        password_hash=generate_password_hash(password),
        display_name=display_name,
        role=role,
        locale=locale,
    )
    try:
        with db.session.begin_nested():  # the unique index decides, also for two registrations at once
            db.session.add(user)
    except IntegrityError:
        raise EmailTakenError("an account with this email already exists") from None
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


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
    sandbox: Mapping[str, float] = field(default_factory=dict)  # course id → best sandbox score
    certificates: Mapping[str, str] = field(default_factory=dict)  # course id → current certificate's public id


def _progress_items():  # noqa: ANN202 - a SQLAlchemy subquery
    """Completed lessons, passed quizzes, best sandbox scores and current certificates of one user, as
    (course, item, kind) rows."""
    lessons = select(
        LessonProgress.course_id, LessonProgress.lesson_id.label("item"), literal("lesson").label("kind")
    ).where(LessonProgress.user_id == bindparam("user_id"))
    quizzes = select(QuizResult.course_id, QuizResult.quiz_id, literal("quiz")).where(
        QuizResult.user_id == bindparam("user_id"), QuizResult.passed.is_(True)
    )
    sandbox = select(SandboxResult.course_id, cast(SandboxResult.best_score, String), literal("sandbox")).where(
        SandboxResult.user_id == bindparam("user_id")
    )
    certificates = select(Certificate.course_id, Certificate.public_id, literal("certificate")).where(
        Certificate.user_id == bindparam("user_id"), Certificate.revoked_at.is_(None)
    )
    return union_all(lessons, quizzes, sandbox, certificates).subquery()


_ITEMS = _progress_items()
# Built once: constructing a SELECT costs more than running this one on SQLite.
_REQUEST_USER_QUERY = FastQuery(
    select(
        User.id, User.email, User.display_name, User.role, User.locale, _ITEMS.c.course_id, _ITEMS.c.item, _ITEMS.c.kind
    )
    .outerjoin(_ITEMS, true())
    .where(User.id == bindparam("user_id"))
)


def load_request_user(user_id: int) -> RequestUser | None:
    """The user with their progress and certificates: one query, run on the bare driver."""
    rows = _REQUEST_USER_QUERY.all(db.engine, user_id=user_id)
    if not rows:
        return None
    completed = frozenset((course_id, item) for *_, course_id, item, kind in rows if kind == "lesson")
    passed = frozenset((course_id, item) for *_, course_id, item, kind in rows if kind == "quiz")
    sandbox = {course_id: float(item) for *_, course_id, item, kind in rows if kind == "sandbox"}
    certificates = {course_id: item for *_, course_id, item, kind in rows if kind == "certificate"}
    return RequestUser(*rows[0][:5], completed=completed, passed=passed, sandbox=sandbox, certificates=certificates)
