"""Flask's signed-cookie sessions: the signing serializer built once per key set, and a cookie already checked
opened without checking its signature again.

A logged-in browser sends the same session cookie on every page until the session changes. Checking its
signature and decoding its compressed JSON cost about a tenth of a logged-in lesson page under gunicorn, for the
same answer each time. So the answer is kept per cookie (and key set); its age is still checked on every request.
"""

from __future__ import annotations

import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from course.core.caching import Cache, cache

# Values a kept session may hold: immutable, so a request that changes its session cannot change the kept copy
# (Flask's flashed messages are a list changed in place; a session holding one is never kept).
_KEPT_TYPES = (str, int, float, bool, type(None))

# cookie (and key set) → (its data, when it was signed, epoch seconds). A session cookie is a few hundred bytes.
_OPENED: Cache[tuple[dict, int]] = cache("sessions.opened", 2_048)


class CookieSessions(SecureCookieSessionInterface):
    """Same cookies, same keys and fallbacks, same expiry; Flask would build the serializer twice per request and
    check the same cookie's signature on every request."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def _key_set(self, app: Flask) -> tuple:
        return (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.config["FAST_PATHS"]:
            return super().get_signing_serializer(app)
        key = self._key_set(app)
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializers = {key: serializer}  # keys change rarely: keep only the current set
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.config["FAST_PATHS"]:
            return super().open_session(app, request)
        if self.get_signing_serializer(app) is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        data = self.read(app, value) if value else None
        return self.session_class(data) if data is not None else self.session_class()

    def read(self, app: Flask, value: str) -> dict | None:
        """The data of a session cookie, or None for one whose signature fails or has expired (an empty session).
        The caller gets the kept dict itself and must copy it before changing it. Needs a secret key."""
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (self._key_set(app), value)
        opened = _OPENED.get(key)
        if opened is None:
            try:
                data, signed = self.get_signing_serializer(app).loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:  # also an expired cookie (SignatureExpired), as in Flask
                return None
            opened = (data, int(signed.timestamp()))
            if all(type(item) in _KEPT_TYPES for item in data.values()):
                _OPENED.put(key, opened)
        data, signed_at = opened
        if int(time.time()) - signed_at > max_age:  # what itsdangerous would say now: expired, an empty session
            return None
        return data
