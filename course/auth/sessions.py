"""Logging a browser in, shared by every way in: the password form, a mailed link, single sign-on, and the
password change that keeps this browser logged in while every other session ends."""

from __future__ import annotations

from flask import session, url_for
from flask_login import login_user

from course.auth import operations
from course.extensions import db
from course.models import User
from course.security import is_safe_redirect

# A page that holds a mailed token in its address: no Referer to carry it on, no cached copy to find it in.
LINK_PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def log_in(user: User, remember: bool, sso_provider: str | None = None) -> None:
    """Start a server-side session for `user` (committed) and a fresh CSRF token: a token seen before login (on a
    shared computer, say) is worth nothing after it."""
    operations.start_session(user, remember, sso_provider)
    db.session.commit()
    session.pop("csrf_token", None)
    login_user(user, remember=remember, duration=operations.session_lifetime(remember))


def next_url(candidate: str | None) -> str:
    """Where to go after logging in: the page asked for, if it is on this site, else the home page."""
    return candidate if is_safe_redirect(candidate) else url_for("learn.index")
