"""Writing the audit log. Entries are only ever added here; nothing in the app edits or deletes one, but the
retention purge and the erasure of an account's labels."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import delete, update

from course.extensions import db
from course.models import AuditEntry, CurrentUser, User, utcnow

# Every action the log knows, in the order the admin's filter lists them.
ACTIONS = (
    "login",
    "login_failed",
    "sso_login",
    "sso_login_refused",
    "sso_linked",
    "registered",
    "invited",
    "email_verified",
    "password_reset_requested",
    "password_reset",
    "password_changed",
    "password_set",
    "email_change_requested",
    "email_changed",
    "profile_changed",
    "role_changed",
    "deactivated",
    "reactivated",
    "deleted",
    "data_exported",
    "certificate_revoked",
    "certificate_reissued",
    "published",
    "rubric_weights_changed",
    "group_created",
    "group_renamed",
    "group_deleted",
    "group_member_added",
    "group_member_removed",
    "group_member_role_changed",
    "assignment_created",
    "assignment_changed",
    "assignment_removed",
    "scorm_package_created",
    "scorm_package_revoked",
    "scorm_launch_refused",
    "api_token_created",
    "api_token_revoked",
    "webhook_created",
    "webhook_changed",
    "webhook_secret_rotated",
    "webhook_deleted",
    "lti_platform_added",
    "lti_platform_changed",
    "lti_platform_activated",
    "lti_platform_deactivated",
    "lti_platform_removed",
)
COMMAND_LINE = "command line"
_UNSET = object()


def record(
    action: str,
    *,
    target: User | CurrentUser | None = None,
    target_label: str | None = None,
    actor: User | CurrentUser | None | object = _UNSET,
    **detail: object,
) -> None:
    """Add an entry in the caller's transaction, so the entry and the action commit (or fail) together.

    The actor is the request's user unless given (None: nobody logged in, as for a failed login); outside a
    request it is the command line. `target_label` defaults to the target's email.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is _UNSET:
        actor = current_user if has_request_context() and current_user.is_authenticated else None
    if actor is not None:
        actor_label = actor.email
    elif has_request_context():
        actor_label = ""  # nobody logged in
    else:
        actor_label = COMMAND_LINE
    db.session.add(
        AuditEntry(
            action=action,
            actor_id=actor.id if actor is not None else None,
            actor_label=actor_label,
            target_user_id=target.id if target is not None else None,
            target_label=target_label if target_label is not None else (target.email if target is not None else None),
            detail={key: value for key, value in detail.items() if value is not None},
            ip=request.remote_addr if has_request_context() else None,
        )
    )


def erase_person(user_id: int, label: str) -> None:
    """When an account is erased, its entries stay (what was done, when) but no longer say who: the labels
    become `label` and the addresses go. The caller commits."""
    db.session.execute(update(AuditEntry).where(AuditEntry.actor_id == user_id).values(actor_label=label, ip=None))
    db.session.execute(update(AuditEntry).where(AuditEntry.target_user_id == user_id).values(target_label=label))


def purge(retention_days: int | None = None) -> int:
    """Delete entries older than the retention period; returns how many. The caller commits."""
    days = current_app.config["AUDIT_RETENTION_DAYS"] if retention_days is None else retention_days
    cutoff = utcnow() - timedelta(days=int(days))
    return db.session.execute(delete(AuditEntry).where(AuditEntry.created_at < cutoff)).rowcount
