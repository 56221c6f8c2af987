"""Who may show the site in a frame, and the cookies a login needs to survive there.

An LMS shows an LTI tool in an iframe, so the active LTI platforms' origins (of their issuer and login URLs), plus
FRAME_ANCESTORS for LMSs that embed the SCORM package, go into the CSP's frame-ancestors; with none of them the
site keeps `frame-ancestors 'none'` and `X-Frame-Options: DENY`. X-Frame-Options cannot name origins, so it is left
out when some are allowed (browsers then follow the CSP alone).

The origins are read from the database at most once a minute per process (security headers are added to every
response, also outside a request's app context); a change on this server is seen at once, on another server within
the minute.

Cookies: a frame under an LMS is a third-party context, where browsers send only SameSite=None; Secure cookies.
With EMBEDDING = True (config.py) the session cookie is SameSite=None; Secure; Partitioned: the browser keeps a
separate jar per top-level site, so the LMS frame's login is not the site's own and cannot be used from anywhere
else. The price is SameSite's second line of defence against cross-site form posts; the first one, a CSRF token on
every form, stays. The remember-me cookie stays SameSite=Lax (frames never set it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from course.core import caching
from course.core.lti import frame_ancestors, origin
from course.extensions import db
from course.models import LtiPlatform

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60
_origins: caching.Cache[tuple[str, ...]] = caching.cache("embedding.origins", 8)  # per database and minute
_headers: caching.Cache[list[tuple[str, str]]] = caching.cache("embedding.headers", 8)  # per set of origins


def https_site(app: Flask | None = None) -> bool:
    """Whether the site is served over https (PUBLIC_URL): only then may cookies be SameSite=None; Secure."""
    return str((app or current_app).config["PUBLIC_URL"]).startswith("https://")


def allowed_origins(app: Flask) -> list[str]:
    """The origins that may frame the site: the active LTI platforms' and FRAME_ANCESTORS."""
    try:
        with app.app_context():
            rows = db.session.execute(
                select(LtiPlatform.issuer, LtiPlatform.auth_login_url).where(LtiPlatform.active.is_(True))
            ).all()
    except SQLAlchemyError:  # a database not migrated yet, or gone for a moment: FRAME_ANCESTORS alone
        log.exception("could not read the LTI platforms' origins for frame-ancestors")
        rows = []
    found = [origin(url) for row in rows for url in row]
    return sorted({value for value in [*found, *app.config["FRAME_ANCESTORS"]] if value})


def current_origins(app: Flask) -> tuple[str, ...]:
    """This minute's allowed origins (read from the database at most once a minute per process)."""
    key = (app.config["SQLALCHEMY_DATABASE_URI"], int(time.monotonic() // REFRESH_SECONDS))
    found = _origins.get(key)
    if found is None:
        found = _origins.put(key, tuple(allowed_origins(app)))
    return found


def framing_headers(app: Flask, policy: Callable[[str], str]) -> Callable[[], list[tuple[str, str]]]:
    """For the security-headers middleware: the Content-Security-Policy (`policy` builds it from the
    frame-ancestors value) and X-Frame-Options for the current origins."""

    def headers() -> list[tuple[str, str]]:
        origins = current_origins(app)
        found = _headers.get(origins)
        if found is None:
            found = [("Content-Security-Policy", policy(frame_ancestors(origins)))]
            if not origins:
                found.append(("X-Frame-Options", "DENY"))
            _headers.put(origins, found)
        return found

    return headers


def forget_origins() -> None:
    """Platforms changed: read the origins again at the next response."""
    _origins.clear()


def cookie_settings(config: dict) -> None:
    """With EMBEDDING, the session cookie a login inside an LMS's frame needs (see the module's docstring)."""
    if config["EMBEDDING"]:
        config["SESSION_COOKIE_SAMESITE"] = "None"
        config["SESSION_COOKIE_PARTITIONED"] = True
