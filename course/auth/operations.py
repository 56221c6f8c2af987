"""Account writes and checks; the views never touch password hashes themselves."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta
from functools import cache

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from course.branding import site_name
from course.core.login_delay import LoginDelay
from course.core.passwords import PasswordProblem, password_problem, personal_words
from course.extensions import db, savepoint
from course.i18n import LANGUAGES
from course.models import ROLES, AccountToken, AuditEntry, LoginFailures, User, UserSession, utcnow


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


def create_user(
    email: str,
    password: str | None,
    display_name: str,
    role: str = "learner",
    locale: str | None = None,
    email_verified: bool = False,
) -> User:
    """Add a user (hashed with Werkzeug's scrypt; no password: invited, or single sign-on only); the caller
    commits. Raises EmailTakenError when the address has an account."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (choose from {', '.join(ROLES)})")
    user = User(
        email=normalise_email(email),
        password_hash=generate_password_hash(password) if password is not None else None,
        display_name=display_name,
        role=role,
        locale=locale,
        email_verified=email_verified,
    )
    try:
        with savepoint():  # the unique index decides, also for two registrations at once
            db.session.add(user)
    except IntegrityError:
        raise EmailTakenError("an account with this email already exists") from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The account if the password is its own; an account without a password never matches. Unknown
    addresses cost the same time as known ones."""
    user = find_user(email)
    if user is None or user.password_hash is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def password_refusal(password: str, *texts: str) -> PasswordProblem | None:
    """Why `password` may not be used (None: it may), judged with the words of `texts` (the account's name
    and address) and of the site as personal words."""
    context = personal_words(*texts, *_site_names(), current_app.config["PUBLIC_URL"])
    return password_problem(password, current_app.config["PASSWORD_MIN_LENGTH"], tuple(context))


def _site_names() -> list[str]:
    """The site's name in every language: whoever knows the site knows it, whatever language they read."""
    names = []
    for lang in LANGUAGES:
        with force_locale(lang):
            names.append(site_name(lang))
    return names


def set_locale(user_id: int, lang: str) -> None:
    """Remember the user's language on the account, so the next login starts in it; the caller commits."""
    user = db.session.get(User, user_id)
    if user is not None:  # an account deleted since the request began has nothing to remember it on
        user.locale = lang


def set_password(user: User, password: str) -> None:
    """Store a new password and end every session of the account and every password link sent to it; the
    caller commits."""
    user.password_hash = generate_password_hash(password)
    end_all_sessions(user.id)
    forget_tokens(user.id, "reset", "invite")


# Links sent by mail (reset, invite, verify, email): single use, with an expiry; a newer one of the same
# purpose replaces the older. The mail carries the token, the database its SHA-256.

TOKEN_PURPOSES = ("reset", "invite", "verify", "email")
_TOKEN_LIFETIMES = {
    "reset": "PASSWORD_RESET_MAX_AGE",
    "invite": "INVITATION_MAX_AGE",
    "verify": "EMAIL_CONFIRMATION_MAX_AGE",
    "email": "EMAIL_CONFIRMATION_MAX_AGE",
}


class TokenError(AccountError):
    """The link is unknown (mistyped, tampered, already used or replaced by a newer one) or has expired."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "unknown")
        self.expired = expired


def issue_token(user: User, purpose: str, new_email: str | None = None) -> str:
    """A new link token for `user`; older tokens of the purpose stop working. The caller commits."""
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    forget_tokens(user.id, purpose)
    token = secrets.token_urlsafe(32)
    lifetime = current_app.config[_TOKEN_LIFETIMES[purpose]]
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_token_hash(token),
            new_email=normalise_email(new_email) if new_email else None,
            expires_at=utcnow() + lifetime,
        )
    )
    return token


def _valid_token_hash(token: str) -> str | None:
    return _token_hash(token) if 20 <= len(token) <= 100 and token.isascii() else None


def peek_token(token: str, purpose: str) -> AccountToken:
    """The live token row (for the page that asks for confirmation before the token is used); raises
    TokenError. Looking does not use it up: mail scanners open links too."""
    token_hash = _valid_token_hash(token)
    row = None
    if token_hash is not None:
        row = db.session.scalar(
            select(AccountToken).where(AccountToken.token_hash == token_hash, AccountToken.purpose == purpose)
        )
    if row is None:
        raise TokenError(expired=False)
    if row.expires_at <= utcnow():
        raise TokenError(expired=True)
    return row


def take_token(token: str, purpose: str) -> tuple[User, AccountToken]:
    """Use a token up: (its account, the row as it was). Deleting the row decides, so of two requests with the
    same link only one succeeds. Raises TokenError. The caller commits (or rolls back, which keeps the link)."""
    row = peek_token(token, purpose)
    deleted = db.session.execute(
        delete(AccountToken).where(AccountToken.id == row.id).returning(AccountToken.id)
    ).first()
    user = db.session.get(User, row.user_id)
    if deleted is None or user is None:
        raise TokenError(expired=False)
    return user, row


def forget_tokens(user_id: int, *purposes: str) -> None:
    """Make the account's links of these purposes (all, if none named) stop working; the caller commits."""
    statement = delete(AccountToken).where(AccountToken.user_id == user_id)
    if purposes:
        statement = statement.where(AccountToken.purpose.in_(purposes))
    db.session.execute(statement)


# A form that mails an account (forgot password, register, a login before confirming) sends it at most one
# mail of a kind a minute, so nobody can flood someone's mailbox through it.
MAIL_INTERVAL = timedelta(minutes=1)


def password_mail_sent_recently(user_id: int) -> bool:
    """Whether a password mail (a reset link, the "you already have an account" mail with one, or the notice that
    the account is deactivated) went to the account within MAIL_INTERVAL; the audit log records each one as
    `password_reset_requested`."""
    return (
        db.session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.target_user_id == user_id,
                AuditEntry.action == "password_reset_requested",
                AuditEntry.created_at > utcnow() - MAIL_INTERVAL,
            )
            .limit(1)
        )
        is not None
    )


def token_issued_recently(user_id: int, purpose: str) -> bool:
    """Whether a link of this purpose was mailed to the account within MAIL_INTERVAL."""
    return (
        db.session.scalar(
            select(AccountToken.id)
            .where(
                AccountToken.user_id == user_id,
                AccountToken.purpose == purpose,
                AccountToken.created_at > utcnow() - MAIL_INTERVAL,
            )
            .limit(1)
        )
        is not None
    )


def set_password_by_link(user: User, password: str, display_name: str | None = None) -> None:
    """Set the password chosen through a mailed link (reset, or an invitation, whose form may correct the name):
    it ends every session and link as `set_password` does, and the link proved the address too. The caller
    commits."""
    set_password(user, password)
    user.email_verified = True
    if display_name:
        user.display_name = display_name


def mark_email_verified(user: User) -> None:
    """The owner opened a confirmation link; the caller commits."""
    user.email_verified = True


def administrators(limit: int = 3) -> list[User]:
    """Active administrators, oldest first: whom a person with a deactivated account can ask."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "admin", User.active.is_(True), User.deleted_at.is_(None))
            .order_by(User.id)
            .limit(limit)
        )
    )


def set_active(user: User, active: bool) -> None:
    """Deactivate (ending every session and every mailed link at once) or reactivate an account; the caller
    commits."""
    user.active = active
    if not active:
        end_all_sessions(user.id)
        forget_tokens(user.id)  # a link mailed before must not work again after a reactivation


# Sessions: the cookie holds "<user id>:<token>"; the database holds the token's SHA-256 and an expiry.


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_lifetime(remember: bool) -> timedelta:
    return current_app.config["REMEMBER_COOKIE_DURATION" if remember else "LOGIN_SESSION_LIFETIME"]


def start_session(user: User, remember: bool, sso_provider: str | None = None) -> None:
    """Record a new login for `user` and give it its token (`user.get_id()` then names it); the caller
    commits before logging the user in. Expired sessions of the account are tidied away on the way.
    `sso_provider`: the provider key of a single sign-on login, so logging out signs out there too."""
    now = int(time.time())
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_epoch <= now))
    expires = now + int(session_lifetime(remember).total_seconds())
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_token_hash(token),
            remember=remember,
            expires_epoch=expires,
            sso_provider=sso_provider,
        )
    )
    user.session_token = token
    user.last_login_at = utcnow()


def parse_session_id(session_id: str) -> tuple[int, str] | None:
    """(user id, token) from what Flask-Login keeps in the session and the remember cookie, or None."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or len(user_id) > 18 or not token or len(token) > 100:
        return None
    return int(user_id), _token_hash(token)


def session_user(session_id: str) -> User | None:
    """The active account whose unexpired session this is, or None (the ORM twin of the fast path's query)."""
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, token_hash = parsed
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active.is_(True),
            UserSession.token_hash == token_hash,
            UserSession.expires_epoch > int(time.time()),
        )
    )
    if user is not None:
        user.session_token = session_id.partition(":")[2]
    return user


def end_session(session_id: str | None) -> None:
    """End one session (logout): its cookie, and any copy of it, stops working on every server."""
    parsed = parse_session_id(session_id or "")
    if parsed is not None:
        user_id, token_hash = parsed
        db.session.execute(
            delete(UserSession).where(UserSession.user_id == user_id, UserSession.token_hash == token_hash)
        )


def end_all_sessions(user_id: int) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user_id))


# Failed logins, counted per account name in the database so the limit holds across workers and servers.


def _login_key(email: str) -> str:
    return hashlib.sha256(("login:" + normalise_email(email)).encode()).hexdigest()


def _login_delay() -> LoginDelay:
    config = current_app.config
    return LoginDelay(
        config["LOGIN_FREE_FAILURES"], config["LOGIN_FIRST_DELAY_SECONDS"], config["LOGIN_MAX_DELAY_SECONDS"]
    )


def login_wait(email: str) -> int:
    """Seconds before this account name may try again (0: now). Known and unknown names behave alike."""
    blocked_until = db.session.scalar(select(LoginFailures.blocked_until).where(LoginFailures.key == _login_key(email)))
    if blocked_until is None:
        return 0
    return max(0, int((blocked_until - utcnow()).total_seconds() + 0.999))


def record_login_failure(email: str) -> None:
    """Count one failure atomically (two servers at once both count) and set the wait it earns; the caller
    commits."""
    now = utcnow()
    key = _login_key(email)
    forgotten = now - current_app.config["LOGIN_FAILURES_FORGOTTEN_AFTER"]
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(LoginFailures)
    statement = (
        insert.values(key=key, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[LoginFailures.key],
            set_={
                "failures": case((LoginFailures.last_failure_at < forgotten, 1), else_=LoginFailures.failures + 1),
                "last_failure_at": now,
            },
        )
        .returning(LoginFailures.failures)
    )
    failures = db.session.execute(statement).scalar_one()
    wait = _login_delay().after(failures)
    if wait:
        db.session.execute(
            update(LoginFailures).where(LoginFailures.key == key).values(blocked_until=now + timedelta(seconds=wait))
        )


def forget_login_failures(email: str) -> None:
    """A successful login starts the count afresh; the caller commits."""
    db.session.execute(delete(LoginFailures).where(LoginFailures.key == _login_key(email)))
