"""The account mails: a password link, an invitation, a confirmation link and the notices around them.

Each function issues its link's token (if it has one) and sends the mail at once in the recipient's language;
it raises `mail.MailError` when the server refuses. The token is in the caller's transaction: commit after a
sent mail; roll back after a MailError, so the link the person already holds keeps working.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import ngettext

from course import mail
from course.auth import operations
from course.models import User
from course.urls import external_url


def duration(span: timedelta) -> str:
    """How long a link is valid, in the request's (or the mail's) language: "1 hour", "7 days", "30 minutes"."""
    seconds = max(0, int(span.total_seconds()))
    if seconds and seconds % 86400 == 0:
        return ngettext("%(num)d day", "%(num)d days", seconds // 86400)
    if seconds and seconds % 3600 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", seconds // 3600)
    return ngettext("%(num)d minute", "%(num)d minutes", (seconds + 59) // 60)


def _send(user: User, template: str, **context: object) -> None:
    mail.send(user.email, template, mail.language_for(user.locale), name=user.display_name, **context)


def _reset_link(user: User) -> dict[str, object]:
    """A new reset link (the older one stops working) and what the mail says about it."""
    token = operations.issue_token(user, "reset")
    return {
        "url": external_url("auth.reset_password", token=token),
        "max_age": current_app.config["PASSWORD_RESET_MAX_AGE"],
        "first_password": user.password_hash is None,  # invited, or single sign-on only: "set", not "reset"
    }


def send_password_reset(user: User) -> None:
    """Mail a link to choose a new password (or a first one, for an account without a password)."""
    _send(user, "reset", **_reset_link(user))


def send_invitation(user: User, inviter_name: str | None) -> None:
    """Mail the invitation to an account created for someone: who invited them, the course, the link to choose
    a password, how long it is valid and what to do once it has expired. Without `inviter_name` (the command
    line, unless told) the mail says only that they are invited."""
    token = operations.issue_token(user, "invite")
    _send(
        user,
        "invite",
        inviter=inviter_name,
        url=external_url("auth.accept_invitation", token=token),
        max_age=current_app.config["INVITATION_MAX_AGE"],
        forgot_url=external_url("auth.forgot_password"),
    )


def send_verification(user: User, welcome: bool) -> None:
    """Mail a link that confirms the address: with a welcome after registering (`welcome`), or again when an
    unconfirmed account tries to log in."""
    token = operations.issue_token(user, "verify")
    _send(
        user,
        "verify",
        url=external_url("auth.confirm_email", token=token),
        max_age=current_app.config["EMAIL_CONFIRMATION_MAX_AGE"],
        welcome=welcome,
        ready=current_app.config["REGISTRATION_MODE"] == "open",  # the account works before it is confirmed
    )


def send_account_exists(user: User) -> None:
    """Someone registered with an address that has an account: tell its owner, with a login link and a reset
    link (which also proves the address, so an account someone else opened with it goes to its owner)."""
    _send(user, "account_exists", login_url=external_url("auth.login"), **_reset_link(user))


def send_account_deactivated(user: User) -> None:
    """A password link was asked for a deactivated account: no link, but whom to ask."""
    admins = [(admin.display_name, admin.email) for admin in operations.administrators() if admin.id != user.id]
    _send(user, "account_deactivated", admins=admins)


def send_password_changed(user: User) -> None:
    """The notice after a password change (by a reset link or on the profile page): if it was not the owner,
    they learn it now and can take the account back."""
    _send(user, "password_changed", forgot_url=external_url("auth.forgot_password"))
