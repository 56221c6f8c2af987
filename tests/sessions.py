"""Logging a test client in without the login form (which tests/web/test_auth.py covers): a real
server-side session, as the form would start it."""

from __future__ import annotations

from flask.testing import FlaskClient

from course.auth import operations
from course.extensions import db
from course.models import User


def sign_in(client: FlaskClient, user_id: int, remember: bool = False) -> FlaskClient:
    with client.application.app_context():
        user = db.session.get(User, user_id)
        operations.start_session(user, remember)
        db.session.commit()
        session_id = user.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client
