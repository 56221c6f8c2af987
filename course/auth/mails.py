"""The account mails: a password link, an invitation, a confirmation link and the notices around them.

A page never waits for the mail server: each function here queues its mail in the outbox (channel "mail", in the
caller's transaction) and a job sends it as soon as the caller has committed (course/outbox/jobs.py). A server that
is down or refuses means retries with growing waits, and admins see the mail at /admin/mail; the page has long
answered, alike whatever the server does.

A link's token is made when the mail is sent, not when it is queued: the database holds only its hash, never the
token itself, not even while the mail waits. A new link replaces the older one of its purpose only once the server
has taken the mail (a savepoint), so while the server refuses, the link a person already holds keeps working
(docs/operations.md, "Accounts and sessions").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from course import mail
from course.auth import operations
from course.extensions import db, savepoint
from course.models import OutboxMessage, User, utcnow
from course.outbox import operations as outbox
from course.urls import external_url

CHANNEL = "mail"


def duration(span: timedelta) -> str:
    """How long a link is valid, in the request's (or the mail's) language: "1 hour", "7 days", "30 minutes"."""
    seconds = max(0, int(span.total_seconds()))
    if seconds and seconds % 86400 == 0:
        return ngettext("%(num)d day", "%(num)d days", seconds // 86400)
    if seconds and seconds % 3600 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", seconds // 3600)
    return ngettext("%(num)d minute", "%(num)d minutes", (seconds + 59) // 60)


# --- Queueing (in the request) ---------------------------------------------------------------------------------------


def _queue(user: User, template: str, *, key: str | None = None, to: str | None = None, **data: object) -> None:
    """Queue one mail about `user` (to their address when it is sent, or to `to`); the caller commits. `key` makes
    a second mail with the same key a no-op; by default every mail is a mail of its own."""
    if mail.undeliverable(to or user.email):
        current_app.logger.info("Mail %s for account %s not queued: the address cannot receive mail", template, user.id)
        return
    payload = {"template": template, "to": to, "data": data}
    outbox.enqueue(CHANNEL, key or f"{template}:{user.id}:{secrets.token_hex(6)}", payload, user_id=user.id)


def send_password_reset(user: User) -> None:
    """Mail a link to choose a new password (or a first one, for an account without a password)."""
    _queue(user, "reset")


def send_invitation(user: User, inviter_name: str | None) -> None:
    """Mail the invitation to an account created for someone: who invited them, the course, the link to choose
    a password, how long it is valid and what to do once it has expired. Without `inviter_name` (the command
    line, unless told) the mail says only that they are invited."""
    _queue(user, "invite", inviter=inviter_name)


def send_verification(user: User, welcome: bool) -> None:
    """Mail a link that confirms the address: with a welcome after registering (`welcome`), or again when an
    unconfirmed account tries to log in (at most one such mail a minute, however often the login is tried)."""
    minute = int(utcnow().timestamp()) // 60
    _queue(user, "verify", key=None if welcome else f"verify:{user.id}:{minute}", welcome=welcome)


def send_account_exists(user: User) -> None:
    """Someone registered with an address that has an account: tell its owner, with a login link and a reset
    link (which also proves the address, so an account someone else opened with it goes to its owner)."""
    _queue(user, "account_exists")


def send_account_deactivated(user: User) -> None:
    """A password link was asked for a deactivated account: no link, but whom to ask."""
    _queue(user, "account_deactivated")


def send_password_changed(user: User) -> None:
    """The notice after a password change (by a reset link or on the profile page): if it was not the owner,
    they learn it now and can take the account back."""
    _queue(user, "password_changed")


def send_email_change(user: User, new_email: str, holder: User | None) -> None:
    """Mail the new address a link that moves `user`'s account to it or, when the address has an account already
    (`holder`), tell that address's owner so, in their language, without a link. The page says the same either way."""
    lang = mail.language_for(holder.locale) if holder is not None else None
    _queue(user, "email_change", to=new_email, new_email=new_email, taken=holder is not None, lang=lang)


def send_email_change_notice(user: User, new_email: str) -> None:
    """Tell the current address that a move to `new_email` was asked for, with the way to stop someone who knows
    the password."""
    _queue(user, "email_change_notice", to=user.email, new_email=new_email)


# --- Sending (in the job) --------------------------------------------------------------------------------------------


def _reset_link(user: User) -> dict[str, object]:
    """A new reset link (the older one stops working) and what the mail says about it."""
    token = operations.issue_token(user, "reset")
    return {
        "url": external_url("auth.reset_password", token=token),
        "max_age": current_app.config["PASSWORD_RESET_MAX_AGE"],
        "first_password": user.password_hash is None,  # invited, or single sign-on only: "set", not "reset"
    }


def _invitation(user: User, data: dict) -> dict[str, object]:
    token = operations.issue_token(user, "invite")
    return {
        "inviter": data.get("inviter"),
        "url": external_url("auth.accept_invitation", token=token),
        "max_age": current_app.config["INVITATION_MAX_AGE"],
        "forgot_url": external_url("auth.forgot_password"),
    }


def _verification(user: User, data: dict) -> dict[str, object]:
    token = operations.issue_token(user, "verify")
    return {
        "url": external_url("auth.confirm_email", token=token),
        "max_age": current_app.config["EMAIL_CONFIRMATION_MAX_AGE"],
        "welcome": bool(data.get("welcome")),
        "ready": current_app.config["REGISTRATION_MODE"] == "open",  # the account works before it is confirmed
    }


def _email_change(user: User, data: dict) -> dict[str, object]:
    if data.get("taken"):
        return {"taken": True, "login_url": external_url("auth.login")}
    token = operations.issue_token(user, "email", new_email=str(data["new_email"]))
    return {
        "taken": False,
        "url": external_url("account.confirm_email", token=token),
        "max_age": current_app.config["EMAIL_CONFIRMATION_MAX_AGE"],
    }


def _deactivated(user: User, data: dict) -> dict[str, object]:
    admins = [(admin.display_name, admin.email) for admin in operations.administrators() if admin.id != user.id]
    return {"admins": admins}


# What each mail says, made when it is sent; the ones with a link need an account that can use it.
_CONTENT: dict[str, Callable[[User, dict], dict[str, object]]] = {
    "reset": lambda user, data: _reset_link(user),
    "invite": _invitation,
    "verify": _verification,
    "account_exists": lambda user, data: {"login_url": external_url("auth.login"), **_reset_link(user)},
    "account_deactivated": _deactivated,
    "password_changed": lambda user, data: {"forgot_url": external_url("auth.forgot_password")},
    "email_change": _email_change,
    "email_change_notice": lambda user, data: {
        "new_email": data.get("new_email"),
        "password_url": external_url("account.password"),
    },
}
_WITH_LINK = frozenset({"reset", "invite", "verify", "account_exists", "email_change"})
LABELS = {
    "reset": _l("Password link"),
    "invite": _l("Invitation"),
    "verify": _l("Address confirmation"),
    "account_exists": _l("“You have an account” with a password link"),
    "account_deactivated": _l("“Your account is deactivated”"),
    "password_changed": _l("“Your password was changed”"),
    "email_change": _l("Link to confirm a new address"),
    "email_change_notice": _l("“A new address was asked for”"),
}


def label(message: OutboxMessage) -> str:
    """What kind of account mail a queued message is, for admins."""
    template = str((message.payload or {}).get("template", ""))
    return str(LABELS.get(template, template))


def deliver(message: OutboxMessage) -> None:
    """The outbox channel's sender: make the mail's content (and its link) and hand it to the mail server."""
    payload = message.payload or {}
    template, data = str(payload.get("template", "")), dict(payload.get("data") or {})
    user = db.session.get(User, message.user_id) if message.user_id is not None else None
    if user is None or user.deleted_at is not None:
        raise outbox.Skip("The account has been deleted.")
    if template not in _CONTENT:
        raise outbox.DeliveryError(f"unknown account mail {template!r}", permanent=True)
    if template in _WITH_LINK and not user.active:
        raise outbox.Skip("The account is deactivated: its link would not work.")
    to = str(payload.get("to") or user.email)
    if mail.undeliverable(to):
        raise outbox.Skip("The address cannot receive mail.")
    lang = mail.language_for(data.get("lang") or user.locale)
    try:
        with savepoint():  # the new link replaces the older one only if the server takes the mail
            context = _CONTENT[template](user, data)
            mail.send(to, template, lang, name=user.display_name, **context)
    except mail.MailError as error:
        raise outbox.DeliveryError(str(error), unreachable=error.unreachable, permanent=error.permanent) from error


outbox.register(outbox.Channel(CHANNEL, _l("Account mails"), deliver))


def pending_for(user_id: int) -> list[OutboxMessage]:
    """The account's mails that are not sent yet (waiting, retrying or failed), newest first: what an admin sees on
    the account's page."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == CHANNEL,
                OutboxMessage.user_id == user_id,
                OutboxMessage.status.in_(("pending", "failed")),
            )
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        )
    )
