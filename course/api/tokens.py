"""API tokens: admins make them for other systems, a request proves itself with `Authorization: Bearer <token>`.

A token request never uses the session cookie and needs no CSRF token: a bearer token is not sent by a browser on
its own, so no other site can make a visitor's browser use it. Refusals follow RFC 6750: 401 with
`WWW-Authenticate` for a missing, unknown, revoked or expired token, 403 for a scope the token lacks, each with the
app's JSON error body. `last_used_at` (and `last_refused_at`) are written at most once a minute per token by one
guarded UPDATE, so a busy script costs no write per request.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import wraps

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from course.audit import operations as audit
from course.core import api_tokens as rules
from course.extensions import db
from course.models import ApiToken, CurrentUser, utcnow

TOUCH_EVERY = timedelta(minutes=1)
REALM = "KAM course API"


class TokenRefused(Exception):  # noqa: N818 - an outcome the view turns into a 401 or 403
    """Why a request's token does not open the endpoint: `status` 401 or 403, `error` the RFC 6750 code."""

    def __init__(self, status: int, error: str, message: str, scope: str | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.scope = status, error, message, scope


# --- Admins ----------------------------------------------------------------------------------------------------------


def create_token(
    name: str, scopes: Iterable[str], expires_at: datetime | None, *, by: CurrentUser | None
) -> tuple[ApiToken, str]:
    """A new token and its plain text, which is shown once and never stored. The caller commits."""
    chosen = [scope for scope in rules.SCOPES if scope in set(scopes)]
    if not chosen:
        raise ValueError("a token needs at least one scope")
    plain, prefix = rules.make(secrets.token_bytes, secrets.choice)
    token = ApiToken(
        name=name.strip(),
        prefix=prefix,
        token_hash=rules.digest(plain),
        scopes=chosen,
        expires_at=expires_at,
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record("api_token_created", target_label=_label(token), scopes=" ".join(chosen))
    return token, plain


def revoke(token: ApiToken) -> bool:
    """Revoke the token from now on; False if it was revoked already. The caller commits."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit.record("api_token_revoked", target_label=_label(token))
    return True


def all_tokens() -> list[ApiToken]:
    """Every token, the usable ones first, newest first."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def state(token: ApiToken, now: datetime | None = None) -> str:
    """ "active", "expired" or "revoked"."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def _label(token: ApiToken) -> str:
    return f"{token.name} ({rules.START}_{token.prefix}_…)"


# --- Requests --------------------------------------------------------------------------------------------------------


def _presented() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(now: datetime | None = None) -> ApiToken:
    """The request's token if it is known, unrevoked and unexpired; TokenRefused (401) otherwise."""
    now = now or utcnow()
    presented = _presented()
    if presented is None:
        raise TokenRefused(401, "unauthenticated", _("Send an API token: Authorization: Bearer <token>."))
    prefix = rules.prefix_of(presented)
    token = (
        db.session.scalar(select(ApiToken).where(ApiToken.token_hash == rules.digest(presented))) if prefix else None
    )
    if token is None:
        current_app.logger.warning("API request refused: unknown token (prefix %s)", prefix or "none")
        raise TokenRefused(401, "invalid_token", _("This API token is not valid. Ask an administrator for a new one."))
    refusal = state(token, now)
    if refusal != "active":
        current_app.logger.warning("API request refused: %s token %s", refusal, _label(token))
        _note(token, "last_refused_at", now, last_refusal=refusal)
        message = (
            _("This API token was revoked. Ask an administrator for a new one.")
            if refusal == "revoked"
            else _("This API token has expired. Ask an administrator for a new one.")
        )
        raise TokenRefused(401, "invalid_token", message)
    _note(token, "last_used_at", now)
    return token


def _note(token: ApiToken, column: str, now: datetime, **values: object) -> None:
    """Set a moment on the token unless it was set less than TOUCH_EVERY ago: one guarded UPDATE, committed now (the
    API only reads), a no-op for most requests."""
    moment = getattr(ApiToken, column)
    changed = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id, or_(moment.is_(None), moment < now - TOUCH_EVERY))
        .values({column: now, **values})
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        db.session.commit()


def token_required(scope: str | None) -> Callable:
    """Open the view only to a request whose token has `scope` (None: any valid token); the token is
    `g.api_token`."""
    if scope is not None and scope not in rules.SCOPES:
        raise ValueError(f"unknown API scope {scope!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: object, **kwargs: object):  # noqa: ANN202 - whatever the view returns
            token = authenticate()
            if scope is not None and scope not in token.scopes:
                current_app.logger.warning("API request refused: token %s lacks scope %s", _label(token), scope)
                _note(token, "last_refused_at", utcnow(), last_refusal="scope")
                raise TokenRefused(
                    403,
                    "insufficient_scope",
                    _("This API token may not do this: it needs the scope %(scope)s.", scope=scope),
                    scope=scope,
                )
            g.api_token = token
            return view(*args, **kwargs)

        wrapped.required_scope = scope  # type: ignore[attr-defined] - read by the tests and the OpenAPI check
        return wrapped

    return decorator


def refusal_response(error: TokenRefused):  # noqa: ANN201 - a Flask response tuple
    """The JSON error with the RFC 6750 challenge."""
    challenge = f'Bearer realm="{REALM}"'
    if error.error != "unauthenticated":
        challenge += f', error="{error.error}"'
    if error.scope:
        challenge += f', scope="{error.scope}"'
    return jsonify(error=error.error, message=error.message), error.status, {"WWW-Authenticate": challenge}
