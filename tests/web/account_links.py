"""Small helpers for the tests of the mailed account links (reset, invitation, confirmation)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select, update

from course.auth import operations
from course.extensions import db
from course.models import AccountToken, AuditEntry, User, utcnow
from tests.mailbox import Mail

NEW_PASSWORD = "plover kiosk zebra lantern"


def link_path(mail: Mail, prefix: str) -> str:
    """The path of the mail's one link under `prefix` (e.g. /auth/password/reset/); the html part has it too."""
    paths = [urlsplit(link).path for link in mail.links if urlsplit(link).path.startswith(prefix)]
    assert len(paths) == 1, (prefix, mail.links)
    assert paths[0] in mail.html
    return paths[0]


def issue(app: Flask, user_id: int, purpose: str) -> str:
    """A live token as a mail would carry it."""
    with app.app_context():
        token = operations.issue_token(db.session.get(User, user_id), purpose)
        db.session.commit()
    return token


def expire_tokens(app: Flask, user_id: int) -> None:
    """Move every link of the account past its expiry (no clock tricks: the row says when it ends)."""
    with app.app_context():
        db.session.execute(
            update(AccountToken)
            .where(AccountToken.user_id == user_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def audit_entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        entries = list(
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )
        for entry in entries:
            db.session.expunge(entry)
        return entries


def account(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def field_errors(page: str, field: str) -> str:
    """The error list shown at a field (macros.html `field`)."""
    match = re.search(rf'id="{field}-error">(.*?)</ul>', page, re.S)
    assert match, f"no errors at {field}"
    return match.group(1)


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash--\w+">(.*?)</p>', page)
