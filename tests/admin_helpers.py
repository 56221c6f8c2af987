"""Small helpers the admin tests share: an admin's client, the audit entries, an account as stored."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from course.auth import operations as accounts
from course.extensions import db
from course.models import AuditEntry, User
from tests.sessions import sign_in

EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}


def admin_client(app: Flask, make_user: Callable[..., User], **user: object) -> tuple[FlaskClient, User]:
    """A browser logged in as a new admin: Ada Admin, ada@example.org, English (unless `user` says otherwise)."""
    defaults = {"display_name": "Ada Admin", "email": "ada@example.org", "locale": "en"}
    admin = make_user(role="admin", **{**defaults, **user})
    return sign_in(app.test_client(), admin.id), admin


def entries(app: Flask, action: str | None = None) -> list[AuditEntry]:
    """The audit entries, oldest first, detached so a test can read them after the app context."""
    with app.app_context():
        statement = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            statement = statement.where(AuditEntry.action == action)
        found = list(db.session.scalars(statement))
        db.session.expunge_all()
        return found


def stored(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = accounts.find_user(email)
        if user is not None:
            db.session.expunge(user)
        return user


def by_id(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def upload(data: bytes, filename: str = "people.csv") -> dict[str, object]:
    """`post()` arguments for the import form with `data` as the file. The body is encoded here, in memory: the
    test client would spool a large one to a temporary file that it never closes unless redirects are followed."""
    boundary, body = encode_multipart(MultiDict({"file": FileStorage(io.BytesIO(data), filename)}))
    return {"data": body, "content_type": f'multipart/form-data; boundary="{boundary}"'}
