"""Account writes and checks; the views never touch password hashes themselves."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from course.extensions import db
from course.models import ROLES, User

# Checked against when the email is unknown, so a failed login costs the same either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    pass


class EmailTakenError(AccountError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(email: str, password: str, display_name: str, role: str = "learner", locale: str | None = None) -> User:
    """Add a user (hashed with Werkzeug's scrypt); the caller commits."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (choose from {', '.join(ROLES)})")
    if find_user(email) is not None:
        raise EmailTakenError("an account with this email already exists")
    user = User(
        email=normalise_email(email),
        password_hash=generate_password_hash(password),
        display_name=display_name,
        role=role,
        locale=locale,
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():  # a concurrent registration of the same email loses here
            db.session.flush()
    except IntegrityError:
        raise EmailTakenError("an account with this email already exists") from None
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password)
