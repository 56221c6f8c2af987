"""Writes for the account's own pages: profile, password, email address, export, and deletion.

Deleting an account erases the person, not the row: the row keeps its id (so anonymised quiz attempts and sandbox
versions keep counting in the item statistics) and loses everything that says who it was
(docs/operations.md, "Erasing an account").
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import String, cast, delete, literal, select, update
from sqlalchemy.exc import IntegrityError

from course.account import export
from course.audit import operations as audit
from course.auth import operations as accounts
from course.certificates import operations as certificates
from course.certificates.keys import signing_key
from course.extensions import db, savepoint
from course.jobs import operations as jobs
from course.models import (
    AuditEntry,
    Certificate,
    CurrentUser,
    GroupMembership,
    LessonProgress,
    LtiLaunch,
    QuizResult,
    SandboxAssignment,
    SandboxComment,
    SandboxDesign,
    SandboxResult,
    SsoIdentity,
    User,
    UserSession,
    utcnow,
)
from course.notifications import operations as notifications
from course.outbox import operations as outbox

# Audit actions whose detail names addresses ("old", "new"): erasing the account removes them from the detail.
_ADDRESS_DETAIL = {"email_change_requested": ("new",), "email_changed": ("old", "new")}


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is the account's own (an account without a password never matches)."""
    return accounts.authenticate(user.email, password) is user


def current_session(session_id: str | None) -> UserSession | None:
    """This browser's login, so the fresh session after a password change keeps its "stay logged in" and provider."""
    parsed = accounts.parse_session_id(session_id or "")
    if parsed is None:
        return None
    user_id, token_hash = parsed
    return db.session.scalar(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.token_hash == token_hash)
    )


def sso_providers(user: User) -> list[str]:
    """The names of the single sign-on providers the account signs in with, in the order they were linked."""
    providers = current_app.config["OIDC_PROVIDERS"]
    return [
        providers.get(identity.provider, {}).get("name", identity.provider)
        for identity in db.session.scalars(
            select(SsoIdentity).where(SsoIdentity.user_id == user.id).order_by(SsoIdentity.id)
        )
    ]


def update_profile(user: User, display_name: str, locale: str) -> list[str]:
    """Store the name and language; returns the names of the fields that changed (audited). The caller commits."""
    changed = [
        name for name, value in (("display_name", display_name), ("locale", locale)) if getattr(user, name) != value
    ]
    user.display_name = display_name
    user.locale = locale
    if changed:
        audit.record("profile_changed", target=user, actor=user, fields=changed)
    return changed


def change_password(user: User, password: str) -> None:
    """Set the new password, which ends every session of the account (the view starts one for this browser).
    The caller commits."""
    accounts.set_password(user, password)
    audit.record("password_changed", target=user, actor=user)


def request_email_change(user: User, new_email: str) -> User | None:
    """Record the request to move the account to `new_email`; returns the account that has that address already,
    if any: the page must not tell, the mail to that address does. The confirmation link is made when its mail is
    sent (course/auth/mails.py). The caller commits."""
    new_email = accounts.normalise_email(new_email)
    audit.record("email_change_requested", target=user, actor=user, new=new_email)
    return accounts.find_user(new_email)


def confirm_email_change(token: str) -> tuple[User, str]:
    """Use the link: the account moves to the address it was sent to (now proven) and links sent to the old address
    stop working. Returns (the account, its old address). Raises TokenError, or EmailTakenError when the address
    got an account meanwhile; the caller then rolls back, so nothing changes. The caller commits."""
    user, row = accounts.take_token(token, "email")
    if not row.new_email or not user.active or user.deleted_at is not None:
        raise accounts.TokenError(expired=False)
    old = user.email
    if accounts.find_user(row.new_email) is not None:
        raise accounts.EmailTakenError("an account with this email already exists")
    try:
        with savepoint():  # the unique index decides, also against a registration at the same moment
            user.email = row.new_email
            user.email_verified = True
    except IntegrityError:
        raise accounts.EmailTakenError("an account with this email already exists") from None
    accounts.forget_tokens(user.id, "reset", "verify")
    audit.record("email_changed", target=user, actor=user, old=old, new=user.email)
    return user, old


def export_data(user: User, lang: str) -> bytes:
    """The account's data as one ZIP (course/account/export.py), and the audit entry that it was handed out.
    Needs a request context; the caller commits."""
    data = export.archive(user, lang)
    audit.record("data_exported", target=user, actor=user)
    return data


def erased_email(user_id: int) -> str:
    """The address an erased account keeps: unique per row and never deliverable (.invalid is reserved, RFC 2606),
    so the person's own address is free to register again."""
    return f"deleted-{user_id}@invalid"


def delete_account(user: User, by: User | CurrentUser | None) -> None:
    """Erase the person behind `user` at their request (`by` is the user, an administrator, or None for the command
    line). The caller commits.

    The row stays, without anything personal; progress, results, sessions, links, single sign-on identities, group
    memberships, background jobs the person asked for, notifications (the person's, and others' that name them) and
    trainers' comments on the person's designs are deleted; quiz attempts and sandbox versions stay, anonymised,
    for the item statistics. Certificates stay valid: their stored record loses the name and is signed anew, so
    the verification page no longer shows who holds them while the holder's own copies still verify. Raises
    `KeyUnavailable` (before changing anything) when certificates need re-signing and the signing key is missing.
    """
    held = list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)))
    key = signing_key() if held else None
    old_email = user.email
    actor = user if by is not None and by.id == user.id else by  # the row, not a snapshot of the old address

    for certificate in held:
        certificates.erase_recipient(certificate, key)
    notifications.forget_person(user.id)  # before the comments below lose their author
    outbox.forget_person(user.id)
    jobs.forget_person(user.id)  # the exports the person asked for, and their files
    designs = select(SandboxDesign.id).where(SandboxDesign.user_id == user.id).scalar_subquery()
    db.session.execute(delete(SandboxComment).where(SandboxComment.design_id.in_(designs)))
    db.session.execute(update(SandboxComment).where(SandboxComment.author_id == user.id).values(author_id=None))
    db.session.execute(
        update(SandboxDesign)
        .where(SandboxDesign.user_id == user.id)
        .values(name=literal("Design ", String) + cast(SandboxDesign.id, String))
    )
    for model in (
        LessonProgress,
        QuizResult,
        SandboxResult,
        SandboxAssignment,
        SsoIdentity,
        GroupMembership,
        LtiLaunch,
    ):
        db.session.execute(delete(model).where(model.user_id == user.id))
    accounts.end_all_sessions(user.id)
    accounts.forget_tokens(user.id)
    accounts.forget_login_failures(old_email)

    user.email = erased_email(user.id)
    user.display_name = ""
    user.password_hash = None
    user.locale = None
    user.last_login_at = None
    user.email_verified = False
    user.active = False
    user.deleted_at = utcnow()
    db.session.flush()

    _scrub_addresses(user.id)
    audit.record("deleted", target=user, actor=actor)
    # After the entry above, so that an erasure the person asked for keeps no address of theirs either.
    audit.erase_person(user.id, user.email)


def _scrub_addresses(user_id: int) -> None:
    """Remove the addresses an account's email changes left in the audit detail (the labels are erase_person's)."""
    for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.target_user_id == user_id, AuditEntry.action.in_(_ADDRESS_DETAIL))
    ):
        gone = _ADDRESS_DETAIL[entry.action]
        entry.detail = {name: value for name, value in (entry.detail or {}).items() if name not in gone}
