"""Single sign-on accounts: the account a validated ID token names, found, linked or created; the caller commits
(or rolls back after a refusal, so nothing is left half-made).

The provider's `sub` is how it names a person, stable when their address changes, so a known (provider, sub)
decides first. Otherwise the address may join an existing account only when the provider vouches for it
(`email_verified`): anyone can type any address into a self-service registration, and a link on an unverified
claim would hand that account to whoever controls the provider's entry. When the local account itself never
proved its address, its password goes: whoever registered the address first cannot get in any more.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from course.audit import operations as audit
from course.auth import operations
from course.core import sso
from course.core.sso import SignInRefused
from course.extensions import db, savepoint
from course.groups import operations as groups
from course.i18n import LANGUAGES
from course.models import SsoIdentity, User, UserSession, utcnow


def sign_in(key: str, provider: Mapping[str, object], claims: Mapping[str, object], language: str) -> User:
    """The account for this login, with its role brought up to date; raises SignInRefused. `language` is the
    request's, for a new account whose token names no usable locale."""
    subject = str(claims["sub"])  # Authlib checked that the ID token has one
    identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.provider == key, SsoIdentity.subject == subject))
    if identity is not None:
        user = db.session.get(User, identity.user_id)
        _refuse_closed(user)
        _update_role(user, key, provider, claims)
    else:
        email = sso.email_address(claims)
        if email is None:
            raise SignInRefused("missing_email")
        user = operations.find_user(email)
        if user is None:
            user = _create(key, provider, claims, email, language)
        else:
            _refuse_closed(user)
            if not sso.email_verified(claims):
                raise SignInRefused("email_unverified", account_id=user.id)
            _update_role(user, key, provider, claims)
            _link(user, key)
        identity = _add_identity(user, key, subject)
    _sync_groups(user, key, provider, claims)
    identity.last_login_at = utcnow()  # the account's own last_login_at is set when the session starts
    return user


def session_provider(session_id: str | None) -> str | None:
    """The provider that started this session (None: a password login, or no such session)."""
    parsed = operations.parse_session_id(session_id or "")
    if parsed is None:
        return None
    user_id, token_hash = parsed
    return db.session.scalar(
        select(UserSession.sso_provider).where(UserSession.user_id == user_id, UserSession.token_hash == token_hash)
    )


def _refuse_closed(user: User) -> None:
    if not user.active or user.deleted_at is not None:
        raise SignInRefused("deactivated", account_id=user.id)


def _update_role(user: User, key: str, provider: Mapping[str, object], claims: Mapping[str, object]) -> None:
    role = sso.login_role(claims, provider, current_role=user.role)
    if role is None:
        raise SignInRefused("no_role", f"no role in claim {provider.get('role_claim')!r}", account_id=user.id)
    if role != user.role:
        audit.record("role_changed", target=user, actor=None, provider=key, **{"from": user.role, "to": role})
        user.role = role


def _sync_groups(user: User, key: str, provider: Mapping[str, object], claims: Mapping[str, object]) -> None:
    """Bring the account's memberships from this provider in line with its group claim (if it has one)."""
    names = sso.login_groups(claims, provider)
    if names is not None:
        groups.sync_sso_groups(user, key, names)


def _create(key: str, provider: Mapping[str, object], claims: Mapping[str, object], email: str, language: str) -> User:
    role = sso.login_role(claims, provider, current_role=None)
    if role is None:
        raise SignInRefused("no_role", f"no role in claim {provider.get('role_claim')!r}", email=email)
    try:
        user = operations.create_user(
            email,
            None,
            sso.display_name(claims, email),
            role=role,
            locale=sso.language(claims, LANGUAGES, language),
            email_verified=sso.email_verified(claims),
        )
    except operations.EmailTakenError:
        raise SignInRefused("state", "a sign-in at the same moment created the account", email=email) from None
    audit.record("registered", target=user, actor=user, provider=key)
    return user


def _link(user: User, key: str) -> None:
    """Join the provider's identity to an existing account whose address the provider verified."""
    password_removed = not user.email_verified and user.password_hash is not None
    if not user.email_verified:
        user.password_hash = None
        operations.end_all_sessions(user.id)
        operations.forget_tokens(user.id)  # a reset or invitation link would give a password back
        user.email_verified = True
    audit.record("sso_linked", target=user, actor=user, provider=key, password_removed=password_removed or None)


def _add_identity(user: User, key: str, subject: str) -> SsoIdentity:
    identity = SsoIdentity(user_id=user.id, provider=key, subject=subject)
    try:
        with savepoint():  # the unique (provider, subject) decides between two parallel first logins
            db.session.add(identity)
    except IntegrityError:
        raise SignInRefused("state", "a sign-in at the same moment linked the identity", account_id=user.id) from None
    return identity
