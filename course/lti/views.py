"""The LTI 1.3 tool's routes: login initiation, launch, deep linking, the tool's key set and configuration, and the
admins' platform pages.

The login and launch are cross-site form posts from the LMS, so they carry no CSRF token: state, nonce and the
platform's signature protect them instead (course/lti/tool.py). Everything else keeps CSRF. A refused message
gets a page of its own that says what went wrong without the technical detail, which goes to the log and to the
admins' page; nothing of the refused launch is kept.

The protocol code (course/lti/tool.py on pylti1p3 and PyJWT, about 20 MB per process) is imported by the three
views that speak it, when first called: a site that no LMS launches never loads it.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from course import embedding
from course.auth.access import roles_required, staff_required
from course.auth.sessions import LINK_PAGE_HEADERS, log_in
from course.branding import site_name
from course.core import lti
from course.core.lti import LaunchRefused, RegistrationRefused
from course.extensions import csrf, db
from course.i18n import current_language
from course.lti import keys, operations, registration, targets
from course.lti.forms import DeepLinkForm, PlatformForm, ToggleForm
from course.models import LtiPlatform, User
from course.security import content_security_policy
from course.urls import external_url, public_url

bp = Blueprint("lti", __name__)
log = logging.getLogger(__name__)
admin_required = roles_required("admin")
PROBE_COOKIE = "lti_cookie_probe"
NEW_WINDOW = "lti1p3_new_window"  # pylti1p3's name for a login restarted outside the frame
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id")
DEEP_LINK = "lti_deep_link"  # the session's deep-linking launch id: only its own instructor may answer it
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    operations.NRPS_SCOPE,
)


# --- login initiation and launch ------------------------------------------------------------------------------------


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    from course.lti.tool import OIDCLogin, purge_expired_state

    params = {name: request.values[name] for name in LOGIN_PARAMS if request.values.get(name)}
    try:
        if not _is_ours(params.get("target_link_uri")):
            raise LaunchRefused("wrong_target", f"target_link_uri={params.get('target_link_uri')!r}")
        if not request.values.get(NEW_WINDOW) and PROBE_COOKIE not in request.cookies:
            if request.values.get("probe"):
                return _cookies_blocked(params)
            return _probe(params)
        purge_expired_state()
        response = OIDCLogin().redirect_response(external_url("lti.launch"))
    except LaunchRefused as refusal:
        db.session.rollback()
        return _refused(refusal, params.get("iss"), None)
    db.session.commit()
    return response


def _is_ours(url: str | None) -> bool:
    base = public_url()
    return bool(url) and (url == base or url.startswith(base + "/"))


def _probe(params: dict[str, str]):
    """Set a cookie with the session cookie's own attributes and come back: if it is missing then, a login
    inside this frame could not last either (third-party cookies blocked, or EMBEDDING off)."""
    response = redirect(url_for("lti.login", **params, probe="1"), code=303)
    config = current_app.config
    response.set_cookie(
        PROBE_COOKIE,
        "1",
        max_age=300,
        path=url_for("lti.login"),
        httponly=True,
        secure=config["SESSION_COOKIE_SECURE"],
        samesite=config["SESSION_COOKIE_SAMESITE"],
        partitioned=bool(config.get("SESSION_COOKIE_PARTITIONED")),
    )
    return response


def _cookies_blocked(params: dict[str, str]):
    """The page for a frame that keeps no cookies: the same login, started again in a window of its own."""
    log.info("LTI login in a frame without cookies from %s: offering a new window", params.get("iss"))
    again = url_for("lti.login", **params, **{NEW_WINDOW: "1"})
    return render_template("lti/new_window.html", url=again)


@bp.post("/lti/launch")
@csrf.exempt
def launch():
    from course.lti.tool import MessageLaunch

    message = MessageLaunch()
    resolved = None
    try:
        message.validate()
        claims = message.claims
        deep_linking = claims.get(lti.MESSAGE_TYPE) == lti.DEEP_LINKING_LAUNCH
        if not deep_linking and claims.get(lti.MESSAGE_TYPE) != lti.RESOURCE_LAUNCH:
            raise LaunchRefused("unsupported_message", str(claims.get(lti.MESSAGE_TYPE)))
        if deep_linking and not lti.teaches(claims):
            raise LaunchRefused("not_instructor", f"roles {lti.role_values(claims)}")
        user = operations.sign_in(message.platform, claims, current_language())
        if not deep_linking:
            requested = lti.requested_target(claims, _query_target(claims))
            resolved = targets.resolve(requested)
            target = str(resolved.target) if resolved else (requested or "")[:300]  # no course published yet
            operations.record_launch(message.platform, message.deployment_id(), claims, user, target)
    except LaunchRefused as refusal:
        db.session.rollback()
        return _refused(refusal, message.claimed_issuer, message.platform.id if message.platform else None)
    log_in(user, remember=False)  # commits
    if deep_linking:
        session[DEEP_LINK] = message.get_launch_id()
        return redirect(url_for("lti.deep_link", launch_id=message.get_launch_id()), code=303)
    if resolved is None:
        return redirect(url_for("learn.index"), code=303)
    if not resolved.exact:
        flash(_("The link in your LMS points to content that is not here (any more), so you see the course."), "info")
    return redirect(resolved.url, code=303)


def _query_target(claims: dict) -> str | None:
    uri = claims.get(lti.TARGET_LINK_URI)
    if not isinstance(uri, str):
        return None
    values = parse_qs(urlsplit(uri).query).get("target")
    return values[0] if values else None


def _refused(refusal: LaunchRefused, issuer: str | None, platform_id: int | None):
    """Log the refusal, keep it for the admins, explain it; nothing else of the message is kept."""
    log.warning("LTI message from %s refused: %s", issuer or "an unknown issuer", refusal)
    operations.record_refusal(refusal, issuer, platform_id)
    db.session.commit()
    title, text = _explanation(refusal.reason)
    page = render_template("lti/refused.html", title=title, text=text, reason=refusal.reason)
    return page, refusal.status, LINK_PAGE_HEADERS


def _explanation(reason: str) -> tuple[str, str]:
    if reason in ("state", "replay", "expired"):
        return _("Please open the link again"), _(
            "This launch could not be finished: it was opened twice, took too long, or your browser did not keep "
            "our cookie. You are not logged in. Please open the link in your LMS again."
        )
    if reason in (
        "unknown_issuer",
        "unknown_client",
        "wrong_audience",
        "inactive_platform",
        "unknown_deployment",
        "wrong_target",
    ):
        return _("This LMS is not connected"), _(
            "The course is not (or no longer) set up for the LMS you came from, so nothing was opened or saved. "
            "Please tell your LMS administrator."
        )
    if reason == "jwks_unreachable":
        return _("Your LMS is not answering"), _(
            "We could not check the launch because your LMS did not give us its keys. Please try again in a few "
            "minutes; if it keeps happening, tell your administrator."
        )
    if reason == "account_closed":
        return _("Account deactivated"), _("This account has been deactivated. Please ask your course administrator.")
    if reason == "not_instructor":
        return _("Only for instructors"), _(
            "Choosing what to place in an LMS course is for the course's instructors. You are not logged in."
        )
    return _("The launch could not be verified"), _(
        "The message from your LMS did not pass our security checks, so you are not logged in. Please tell your "
        "LMS administrator if it keeps happening."
    )


# --- deep linking ---------------------------------------------------------------------------------------------------


@bp.route("/lti/deep-link/<launch_id>", methods=["GET", "POST"])
@staff_required
def deep_link(launch_id: str):
    from pylti1p3.deep_link_resource import DeepLinkResource

    from course.lti.tool import MessageLaunch

    if session.get(DEEP_LINK) != launch_id:
        raise NotFound()
    try:
        message = MessageLaunch.restored(launch_id)
    except LaunchRefused as refusal:
        session.pop(DEEP_LINK, None)
        return _refused(refusal, None, None)
    lang = current_language()
    choices = targets.choices(lang)
    form = DeepLinkForm.with_choices([(item.target, item.title) for _course, items in choices for item in items])
    if not form.validate_on_submit():
        page = render_template("lti/deep_link.html", form=form, choices=choices, launch_id=launch_id)
        return page, 400 if form.is_submitted() else 200
    title = dict(form.target.choices)[form.target.data]
    resource = (
        DeepLinkResource()
        .set_url(external_url("lti.launch", target=form.target.data))
        .set_title(title)
        .set_custom_params({"target": form.target.data})
    )
    deep = message.get_deep_link()
    answer = deep.get_response_jwt([resource])
    return_url = message.claims[lti.DEEP_LINKING_SETTINGS]["deep_link_return_url"]
    operations.take_launch_data(launch_id)
    session.pop(DEEP_LINK, None)
    db.session.commit()
    response = make_response(render_template("lti/deep_link_return.html", url=return_url, jwt=answer, title=title))
    origins = embedding.current_origins(current_app._get_current_object())
    response.headers["Content-Security-Policy"] = content_security_policy(
        lti.frame_ancestors(origins), form_action=f"'self' {lti.origin(return_url) or ''}".strip()
    )
    response.headers.update(LINK_PAGE_HEADERS)
    return response


# --- dynamic registration ------------------------------------------------------------------------------------------


@bp.get("/lti/register/<token>")
def register(token: str):
    """The registration link the LMS opens (in its frame or a window) with `openid_configuration` and
    `registration_token`; the page then tells the LMS to close it (org.imsglobal.lti.close)."""
    configuration_url = request.args.get("openid_configuration", "")
    try:
        platform = registration.register(
            token, configuration_url, request.args.get("registration_token"), tool_configuration()
        )
    except RegistrationRefused as refusal:
        db.session.rollback()
        log.warning("LTI dynamic registration from %s refused: %s", configuration_url[:200], refusal)
        page = render_template("lti/registered.html", platform=None, reason=refusal.reason)
        return page, refusal.status, LINK_PAGE_HEADERS
    db.session.commit()
    log.info("LTI platform %s registered itself (%s)", platform.name, platform.issuer)
    response = make_response(render_template("lti/registered.html", platform=platform, reason=None))
    response.headers.update(LINK_PAGE_HEADERS)
    # The LMS shows this page in its frame before it is an active platform the site's CSP knows.
    origins = {*embedding.current_origins(current_app._get_current_object()), lti.origin(configuration_url) or ""}
    response.headers["Content-Security-Policy"] = content_security_policy(lti.frame_ancestors(origins))
    return response


@bp.post("/admin/lti/registration-link")
@admin_required
def new_registration_link():
    """A one-time link for an LMS's dynamic registration, shown once."""
    if not ToggleForm().validate_on_submit():
        abort(400)
    token = operations.create_registration_link(db.session.get(User, current_user.id))
    db.session.commit()
    return _platforms_page(registration_url=external_url("lti.register", token=token))


# --- what platforms and their admins read -----------------------------------------------------------------------------


@bp.get("/lti/jwks.json")
def jwks():
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/lti/config.json")
def configuration():
    """The tool's configuration in the LTI Dynamic Registration format, for an LMS admin to copy from."""
    return jsonify(tool_configuration())


def tool_configuration() -> dict:
    launch_url = external_url("lti.launch")
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": external_url("lti.login"),
        "redirect_uris": [launch_url],
        "client_name": site_name(current_language()),
        "jwks_uri": external_url("lti.jwks"),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        "https://purl.imsglobal.org/spec/lti-tool-configuration": {
            "domain": urlsplit(public_url()).netloc,
            "target_link_uri": launch_url,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email", "locale"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": launch_url},
                {"type": "LtiDeepLinkingRequest", "target_link_uri": launch_url},
            ],
        },
    }


def tool_values() -> list[tuple[str, str]]:
    """What an LMS admin enters for the tool."""
    return [
        (_("Login initiation URL (OIDC login)"), external_url("lti.login")),
        (_("Launch URL (redirect URI, target link URI)"), external_url("lti.launch")),
        (_("Deep-linking URL"), external_url("lti.launch")),
        (_("Public keyset URL (JWKS)"), external_url("lti.jwks")),
        (_("Tool configuration (JSON)"), external_url("lti.configuration")),
    ]


# --- the admins' platform pages ---------------------------------------------------------------------------------


def _platform_or_404(platform_id: int) -> LtiPlatform:
    platform = db.session.get(LtiPlatform, platform_id)
    if platform is None:
        abort(404)
    return platform


@bp.get("/admin/lti")
@admin_required
def platforms():
    return _platforms_page()


def _platforms_page(registration_url: str | None = None):
    found = operations.platforms()
    page = render_template(
        "lti/platforms.html",
        platforms=found,
        names={platform.id: platform.name for platform in found},
        values=tool_values(),
        refusals=operations.recent_refusals(),
        embedding=current_app.config["EMBEDDING"],
        toggle=ToggleForm(),
        registration_url=registration_url,
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/admin/lti/new", methods=["GET", "POST"])
@admin_required
def new_platform():
    form = PlatformForm()
    if not form.validate_on_submit():
        return render_template("lti/platform_form.html", form=form, platform=None), 400 if form.is_submitted() else 200
    try:
        platform = operations.add_platform(form.settings())
    except operations.PlatformTakenError:
        db.session.rollback()
        form.client_id.errors.append(_("A platform with this issuer and client id is registered already."))
        return render_template("lti/platform_form.html", form=form, platform=None), 400
    db.session.commit()
    flash(_("The platform %(name)s has been registered.", name=platform.name), "success")
    return redirect(url_for("lti.platforms"), code=303)


@bp.route("/admin/lti/<int:platform_id>", methods=["GET", "POST"])
@admin_required
def edit_platform(platform_id: int):
    platform = _platform_or_404(platform_id)
    form = PlatformForm()
    if not form.is_submitted():
        form.fill(operations.platform_settings(platform))
    if not form.validate_on_submit():
        page = render_template("lti/platform_form.html", form=form, platform=platform)
        return page, 400 if form.is_submitted() else 200
    try:
        operations.edit_platform(platform, form.settings())
    except operations.PlatformTakenError:
        db.session.rollback()
        form.client_id.errors.append(_("A platform with this issuer and client id is registered already."))
        return render_template("lti/platform_form.html", form=form, platform=platform), 400
    db.session.commit()
    flash(_("The platform %(name)s has been saved.", name=platform.name), "success")
    return redirect(url_for("lti.platforms"), code=303)


@bp.post("/admin/lti/<int:platform_id>/active")
@admin_required
def toggle_platform(platform_id: int):
    platform = _platform_or_404(platform_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    operations.set_active(platform, not platform.active)
    db.session.commit()
    if platform.active:
        flash(_("The platform %(name)s can launch the course again.", name=platform.name), "success")
    else:
        flash(_("The platform %(name)s has been deactivated: its launches are refused.", name=platform.name), "success")
    return redirect(url_for("lti.platforms"), code=303)
