"""CSRF tokens signed once per session instead of once per page."""

from __future__ import annotations

from flask import current_app, g, session
from flask_wtf.csrf import generate_csrf

from course.core.caching import Cache, cache

_SIGNED: Cache[str] = cache("csrf.signed-tokens", 10_000)


def signed_token() -> str:
    """The session's signed token, signed once and then reused.

    Only while tokens never expire (WTF_CSRF_TIME_LIMIT = None): a kept token is then exactly as valid as a
    freshly signed one. Otherwise, and on the plain path, Flask-WTF signs one per request as usual.
    """
    if current_app.config["WTF_CSRF_TIME_LIMIT"] is not None:
        return generate_csrf()
    raw = session.get("csrf_token")
    signed = kept_token(current_app.secret_key, raw) if raw else None
    if signed is None:
        signed = generate_csrf()
        _SIGNED.put((current_app.secret_key, session["csrf_token"]), signed)
    g.csrf_token = signed  # what Flask-WTF's own generate_csrf returns for the rest of the request
    return signed


def kept_token(secret_key: str | bytes, raw: str) -> str | None:
    """The signed token kept for the session's raw token under this key, if a page has signed it already."""
    return _SIGNED.get((secret_key, raw))
