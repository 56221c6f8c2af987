"""Rate limits for the few endpoints that need them (login, registration), on the `limits` library.

Flask-Limiter, which wraps the same library, checks every request of the app in a before-request hook;
that alone cost about 14 % of an anonymous lesson page. Only two views need limits, so they ask here.
Counters live in memory, or in Redis when REDIS_URL is set, so limits hold across app servers.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, current_app, request
from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    # Redis's own errors arrive as StorageError: a site without Redis never imports its client (about 4 MB a worker).
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"], wrap_exceptions=True)
    app.extensions["course_rate_limiter"] = FixedWindowRateLimiter(storage)


def enforce(scope: str, setting: str) -> None:
    """Count one request by this client against the limit in config[`setting`]; 429 when it is used up.

    If the counter store is unreachable the request is let through and the error logged: an outage of
    Redis must not lock every learner out.
    """
    limiter: FixedWindowRateLimiter = current_app.extensions["course_rate_limiter"]
    limit = parse(current_app.config[setting])
    try:
        allowed = limiter.hit(limit, scope, request.remote_addr or "unknown")
    except (StorageError, OSError) as error:
        log.error("rate-limit storage unavailable, not limiting %s: %s", scope, error)
        return
    if not allowed:
        abort(429)
