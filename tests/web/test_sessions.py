"""The session interface caches its serializer and the cookies it opened but keeps Flask's cookie format, expiry
and key rotation."""

from __future__ import annotations

import time
from unittest.mock import patch

import pytest
from flask import Flask, flash, get_flashed_messages, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from course.core import caching
from course.fast.sessions import CookieSessions


def flask_app(secret: str, fallbacks: list[str] | None = None) -> Flask:
    app = Flask(__name__)
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks
    app.config["FAST_PATHS"] = True
    return app


def test_cookies_are_interchangeable_with_flasks_own() -> None:
    app = flask_app("s" * 32)
    ours = CookieSessions().get_signing_serializer(app)
    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    assert ours.loads(flasks.dumps({"a": 1})) == {"a": 1}
    assert flasks.loads(ours.dumps({"b": 2})) == {"b": 2}


def test_a_new_secret_key_gets_a_new_serializer_and_fallbacks_still_open_old_cookies() -> None:
    sessions = CookieSessions()
    old_app = flask_app("old-key" * 4)
    old_cookie = sessions.get_signing_serializer(old_app).dumps({"user": 7})
    rotated = flask_app("new-key" * 4, fallbacks=["old-key" * 4])
    serializer = sessions.get_signing_serializer(rotated)
    assert serializer.loads(old_cookie) == {"user": 7}
    assert sessions.get_signing_serializer(rotated) is serializer  # cached


# --- a cookie opened once is opened again from what was kept ------------------------------------------------


def cookie_app(secret: str = "k" * 32) -> Flask:
    """A Flask app on our session interface with pages that read, change and flash into the session."""
    app = flask_app(secret)
    app.session_interface = CookieSessions()

    @app.get("/read")
    def read() -> dict:
        return dict(session)

    @app.get("/change")
    def change() -> dict:
        session["seen"] = session.get("seen", 0) + 1
        return dict(session)

    @app.get("/flash")
    def flash_it() -> dict:
        flash("saved")
        return {}

    @app.get("/flashes")
    def flashes() -> dict:
        return {"flashes": get_flashed_messages()}

    return app


def signed_cookie(app: Flask, data: dict, *, signed_at: int | None = None) -> str:
    serializer = app.session_interface.get_signing_serializer(app)
    if signed_at is None:
        return serializer.dumps(data)
    with patch.object(TimestampSigner, "get_timestamp", return_value=signed_at):
        return serializer.dumps(data)


def open_with(app: Flask, cookie: str, path: str = "/read") -> dict:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get(path).get_json()


@pytest.fixture(autouse=True)
def _nothing_kept() -> None:
    caching.clear_all()


def test_a_kept_cookie_opens_to_the_same_data_and_a_change_does_not_reach_the_kept_copy() -> None:
    app = cookie_app()
    cookie = signed_cookie(app, {"user": "7:token", "seen": 1})
    assert open_with(app, cookie) == {"user": "7:token", "seen": 1}
    assert open_with(app, cookie, "/change") == {"user": "7:token", "seen": 2}
    assert open_with(app, cookie) == {"user": "7:token", "seen": 1}  # the same cookie still says what it said


def test_a_kept_cookie_expires_like_a_checked_one() -> None:
    app = cookie_app()
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    now = int(time.time())
    cookie = signed_cookie(app, {"user": "7:token"}, signed_at=now - lifetime + 60)
    assert open_with(app, cookie) == {"user": "7:token"}  # opened and kept
    with patch("course.fast.sessions.time.time", return_value=now + 120):
        assert open_with(app, cookie) == {}  # older than the lifetime now: empty, as itsdangerous would answer


def test_a_tampered_or_foreign_cookie_opens_empty() -> None:
    app = cookie_app()
    cookie = signed_cookie(app, {"user": "7:token"})
    assert open_with(app, cookie) == {"user": "7:token"}
    assert open_with(app, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")) == {}
    other = cookie_app("another-secret-key" * 2)
    assert open_with(other, cookie) == {}  # kept under the first key set only


def test_flashed_messages_are_shown_once_even_when_the_same_cookie_comes_back() -> None:
    app = cookie_app()
    client = app.test_client()
    client.get("/flash")
    with_flash = client.get_cookie("session").value
    assert open_with(app, with_flash, "/flashes") == {"flashes": ["saved"]}
    # A session holding a list is never kept, so taking the message out cannot change what the cookie opens to.
    assert open_with(app, with_flash, "/flashes") == {"flashes": ["saved"]}


@pytest.mark.parametrize(("fast", "checks"), [(True, 1), (False, 2)])
def test_the_signature_is_checked_once_per_cookie_on_the_fast_path_and_every_time_on_the_plain_one(
    fast: bool, checks: int
) -> None:
    app = cookie_app()
    app.config["FAST_PATHS"] = fast
    cookie = signed_cookie(app, {"user": "7:token"})
    original = URLSafeTimedSerializer.loads
    with patch.object(URLSafeTimedSerializer, "loads", autospec=True, side_effect=original) as loads:
        assert open_with(app, cookie) == open_with(app, cookie) == {"user": "7:token"}
    assert loads.call_count == checks
