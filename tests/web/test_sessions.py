"""The session interface caches its serializer but keeps Flask's cookie format and key rotation."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

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
