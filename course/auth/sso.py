"""Single sign-on with OpenID Connect: the button's redirect to the provider and the provider's way back.

The protocol lives in sso_client.py (Authlib), the account decisions in course/core/sso.py and the writes in
sso_accounts.py; these views only join them and explain every refusal on a page of its own, since a person
sent back from their company's login has no form to show an error on.
"""

from __future__ import annotations

import logging

from flask import abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course import ratelimit
from course.audit import operations as audit
from course.auth import sso_accounts, sso_client
from course.auth.sessions import log_in, next_url
from course.auth.views import bp
from course.core.sso import SignInRefused
from course.extensions import db
from course.i18n import current_language
from course.models import User
from course.security import is_safe_redirect
from course.urls import external_url

log = logging.getLogger(__name__)
_NEXT = "sso_next"  # where to go after the provider sends the person back

# HTTP status per refusal: the person's own account or answer (403), a broken or replayed callback (400), the
# provider failing us (502, 504).
_STATUS = {
    "state": 400,
    "cancelled": 403,
    "missing_email": 403,
    "email_unverified": 403,
    "no_role": 403,
    "deactivated": 403,
    "provider_error": 502,
    "provider_unreachable": 502,
    "bad_token": 502,
    "provider_timeout": 504,
}
# Refusals a second attempt may cure: the page offers one.
_RETRY = {"state", "cancelled", "provider_error", "provider_unreachable", "bad_token", "provider_timeout"}


@bp.record_once
def _set_up(state) -> None:  # noqa: ANN001 - Flask's BlueprintSetupState
    sso_client.init_app(state.app)


@bp.get("/sso/<provider>")
def sso_login(provider: str):
    if provider not in sso_client.providers():
        abort(404)
    target = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(next_url(target))
    session.pop(_NEXT, None)
    if is_safe_redirect(target):
        session[_NEXT] = target
    callback = external_url("auth.sso_callback", provider=provider)
    try:
        return sso_client.authorize_redirect(provider, callback, ui_locales=current_language())
    except SignInRefused as refusal:
        return _refused(provider, refusal)


@bp.get("/sso/<provider>/callback")
def sso_callback(provider: str):
    if provider not in sso_client.providers():
        abort(404)
    if current_user.is_authenticated:  # opened again after the login went through
        return redirect(next_url(session.pop(_NEXT, None)))
    ratelimit.enforce("login", "LOGIN_RATE_LIMIT")
    try:
        claims = sso_client.verified_claims(provider)
        user = sso_accounts.sign_in(provider, sso_client.providers()[provider], claims, current_language())
    except SignInRefused as refusal:
        db.session.rollback()
        return _refused(provider, refusal)
    audit.record("sso_login", target=user, actor=user, provider=provider)
    log_in(user, remember=False, sso_provider=provider)
    return redirect(next_url(session.pop(_NEXT, None)))


def _refused(provider: str, refusal: SignInRefused):
    """Record the refusal and explain it; nothing else of the attempt is kept."""
    log.warning("single sign-on with %s refused: %s", provider, refusal)
    session.pop(_NEXT, None)
    target = db.session.get(User, refusal.account_id) if refusal.account_id else None
    audit.record(
        "sso_login_refused",
        target=target,
        target_label=None if target else refusal.email,
        actor=None,
        provider=provider,
        reason=refusal.reason,
        problem=refusal.detail,
    )
    db.session.commit()
    title, message = _explanation(refusal.reason, sso_client.provider_name(provider))
    retry = url_for("auth.sso_login", provider=provider) if refusal.reason in _RETRY else None
    page = render_template("auth/sso_error.html", title=title, message=message, retry_url=retry)
    return page, _STATUS.get(refusal.reason, 403)


def _explanation(reason: str, name: str) -> tuple[str, str]:
    """The page's heading and text for a refusal, in the person's language."""
    if reason == "cancelled":
        return _("Sign-in cancelled"), _(
            "The sign-in at %(provider)s was cancelled. You are not logged in.", provider=name
        )
    if reason == "state":
        return _("Please sign in again"), _(
            "This sign-in could not be finished: it was started in another browser or tab, took too long, or this "
            "page was opened twice. You are not logged in. Please start again."
        )
    if reason in ("provider_unreachable", "provider_timeout", "provider_error"):
        return _("%(provider)s is not available", provider=name), _(
            "We could not complete your sign-in because %(provider)s did not answer as expected. Please try again "
            "in a few minutes; if it keeps happening, tell your administrator.",
            provider=name,
        )
    if reason == "bad_token":
        return _("Sign-in could not be verified"), _(
            "The answer from %(provider)s did not pass our security checks, so you are not logged in. Please try "
            "again; if it keeps happening, tell your administrator.",
            provider=name,
        )
    if reason == "missing_email":
        return _("No email address"), _(
            "%(provider)s did not tell us your email address, which your account here needs. Please ask your "
            "administrator.",
            provider=name,
        )
    if reason == "email_unverified":
        return _("Account not connected"), _(
            "An account with your email address already exists here, but %(provider)s has not confirmed that the "
            "address is yours, so we cannot connect the two. Please ask your administrator.",
            provider=name,
        )
    if reason == "no_role":
        return _("No access to this course"), _(
            "Your company account carries no role for this course; ask your administrator."
        )
    return _("Account deactivated"), _("This account has been deactivated. Please ask your course administrator.")
