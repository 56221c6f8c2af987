"""Account writes and checks; the views never touch password hashes themselves."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from course.extensions import db
from course.models import ROLES, User


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


def set_locale(user_id: int, lang: str) -> None:
    """Remember the user's language on the account, so the next login starts in it; the caller commits."""
    user = db.session.get(User, user_id)
    if user is not None:  # an account deleted since the request began has nothing to remember it on
        user.locale = lang
