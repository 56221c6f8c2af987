"""Accounts: register, log in and out, and the pages the account mails link to (a new password, an invitation,
a confirmed address).

A mailed link is used up only by a POST: opening it, as mail scanners do, shows a form. The pages where someone
types an address (forgot password, register) answer alike whether or not it has an account; the mail to the
address tells its owner the rest.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from course import fast, mail, ratelimit
from course.audit import operations as audit
from course.auth import mails, operations, sso_accounts, sso_client
from course.auth.forms import (
    AcceptInvitationForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    RegisterForm,
)
from course.auth.sessions import LINK_PAGE_HEADERS, log_in, next_url
from course.extensions import db, login_manager
from course.fast.request_user import load_request_user
from course.forms import shows_back_text
from course.i18n import current_language
from course.models import CurrentUser, User, Visitor

bp = Blueprint("auth", __name__, url_prefix="/auth")
bp.add_app_template_filter(mails.duration, "duration")

login_manager.login_view = "auth.login"
login_manager.anonymous_user = Visitor
login_manager.login_message = None  # the login page explains itself; a flash would repeat it
# "basic" protection only marks a session non-fresh when the address or browser changes, and no view here
# asks for a fresh login; it would hash both and carry a 128-character id in every cookie for nothing.
login_manager.session_protection = None


@login_manager.user_loader
def load_user(session_id: str) -> CurrentUser | None:
    """The user whose live server-side session this is (course/auth/operations.py, "Sessions")."""
    if not fast.enabled():
        return operations.session_user(session_id)
    parsed = operations.parse_session_id(session_id)
    return load_request_user(*parsed, session_id) if parsed else None


def _log_in_by_link(user: User) -> None:
    """Log in the account a mailed link was for; a session of another account in this browser ends first."""
    if current_user.is_authenticated:
        operations.end_session(session.get("_user_id"))
        logout_user()
    log_in(user, remember=False)


def _password_login_or_404() -> None:
    """With single sign-on only (PASSWORD_LOGIN = False) the password pages do not exist."""
    if not current_app.config["PASSWORD_LOGIN"]:
        abort(404)


_PASSWORD_MAILS = {"reset": mails.send_password_reset, "account_exists": mails.send_account_exists}


def _mail_password_help(user: User | None, kind: str) -> None:
    """A password link (`kind`: reset, account_exists) or, for a deactivated account, whom to ask; at most one
    such mail a minute per account, and none for an unknown address."""
    if user is None or user.deleted_at is not None or operations.password_mail_sent_recently(user.id):
        return
    if not user.active:
        kind = "deactivated"
    _PASSWORD_MAILS.get(kind, mails.send_account_deactivated)(user)  # queued; a job sends it after the commit
    audit.record("password_reset_requested", target=user, mail=kind)
    db.session.commit()


@bp.route("/register", methods=["GET", "POST"])
@shows_back_text("display_name")
def register():
    _password_login_or_404()
    if current_user.is_authenticated:
        return redirect(url_for("learn.index"))
    mode = current_app.config["REGISTRATION_MODE"]
    if mode in ("invite", "closed"):
        page = render_template("auth/register_closed.html", mode=mode)
        return page, 403 if request.method == "POST" else 200
    if request.method == "POST":
        ratelimit.enforce("register", "REGISTER_RATE_LIMIT")
    form = RegisterForm()
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form), 400 if form.is_submitted() else 200
    try:
        user = operations.create_user(
            form.email.data, form.password.data, form.display_name.data, locale=current_language()
        )
    except operations.EmailTakenError:
        _mail_password_help(operations.find_user(form.email.data), "account_exists")
        return render_template("auth/check_mail.html", kind="register", email=form.email.data)
    audit.record("registered", target=user, actor=user)
    db.session.commit()
    mails.send_verification(user, welcome=True)
    db.session.commit()
    if mode == "verify":
        return render_template("auth/check_mail.html", kind="register", email=form.email.data)
    log_in(user, remember=False)
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
    if not mail.undeliverable(user.email):
        flash(_("To confirm your email address, open the link in the mail we have just sent you."), "info")
    return redirect(url_for("learn.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(next_url(request.args.get("next")))
    if request.method == "POST":
        _password_login_or_404()
        ratelimit.enforce("login", "LOGIN_RATE_LIMIT")
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200
    wait = operations.login_wait(form.email.data)
    if wait:
        form.form_errors.append(_too_many_failures(wait))
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
    user = operations.authenticate(form.email.data, form.password.data)
    if user is None:
        operations.record_login_failure(form.email.data)
        _audit_login_failed(operations.find_user(form.email.data), form.email.data, "password")
        db.session.commit()
        form.form_errors.append(_("Invalid email or password."))
        return render_template("auth/login.html", form=form), 400
    if not user.active:
        _audit_login_failed(user, form.email.data, "deactivated")
        db.session.commit()
        form.form_errors.append(_("This account has been deactivated. Please ask your course administrator."))
        return render_template("auth/login.html", form=form), 403
    if current_app.config["REGISTRATION_MODE"] == "verify" and not user.email_verified:
        if not operations.token_issued_recently(user.id, "verify"):
            mails.send_verification(user, welcome=False)
        _audit_login_failed(user, form.email.data, "unverified")
        db.session.commit()
        form.form_errors.append(
            _(
                "Please confirm your email address first: we have sent you a mail with a link to confirm it. It may"
                " take a few minutes to arrive."
            )
        )
        return render_template("auth/login.html", form=form), 403
    operations.forget_login_failures(form.email.data)
    if not user.locale and session.get("lang"):
        operations.set_locale(user.id, session["lang"])
    audit.record("login", target=user, actor=user)
    log_in(user, remember=form.remember.data)
    return redirect(next_url(form.next.data))


def _audit_login_failed(user: User | None, typed: str, reason: str) -> None:
    audit.record("login_failed", target=user, target_label=typed, actor=None, reason=reason)


def _too_many_failures(wait: int) -> str:
    if wait < 120:
        return ngettext(
            "Too many failed attempts with this email address. Please wait %(num)d second and try again.",
            "Too many failed attempts with this email address. Please wait %(num)d seconds and try again.",
            wait,
        )
    minutes = (wait + 59) // 60
    return ngettext(
        "Too many failed attempts with this email address. Please wait %(num)d minute and try again.",
        "Too many failed attempts with this email address. Please wait %(num)d minutes and try again.",
        minutes,
    )


@bp.post("/logout")
@login_required
def logout():
    sso_provider = sso_accounts.session_provider(session.get("_user_id"))
    operations.end_session(session.get("_user_id"))
    db.session.commit()
    logout_user()
    session.pop("csrf_token", None)
    # A single sign-on session ends at the provider too, or its next login there would pass without a question.
    # A page sends the browser on: the form's redirect to another site would break the CSP's form-action 'self'.
    provider_logout = sso_client.end_session_url(sso_provider)
    if provider_logout:
        name = sso_client.provider_name(sso_provider)
        return render_template("auth/sso_logout.html", provider_logout=provider_logout, provider=name)
    flash(_("You have been logged out."), "info")
    return redirect(url_for("learn.index"))


# --- Forgotten passwords and the mailed links ------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    _password_login_or_404()
    if request.method == "POST":
        ratelimit.enforce("forgot", "FORGOT_RATE_LIMIT")
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form), 400 if form.is_submitted() else 200
    _mail_password_help(operations.find_user(form.email.data), "reset")
    return render_template("auth/check_mail.html", kind="reset", email=form.email.data)


def _link_user(token: str, purpose: str) -> User:
    """The account a live link of this purpose was mailed to; otherwise the page that says why it does not work
    (400 unknown or used, 410 expired, 403 deactivated) and how to get a new one."""
    try:
        row = operations.peek_token(token, purpose)
    except operations.TokenError as error:
        abort(_link_problem(purpose, "expired" if error.expired else "unknown"))
    user = db.session.get(User, row.user_id)
    if user is None or not user.active or user.deleted_at is not None:
        abort(_link_problem(purpose, "deactivated"))
    return user


def _take_link(token: str, purpose: str) -> User:
    """Use the link up; of two requests with the same link only one gets past this."""
    try:
        user, _row = operations.take_token(token, purpose)
    except operations.TokenError as error:
        abort(_link_problem(purpose, "expired" if error.expired else "unknown"))
    return user


def _link_problem(purpose: str, problem: str):  # noqa: ANN202 - a response
    status = {"unknown": 400, "expired": 410, "deactivated": 403}[problem]
    page = render_template("auth/link_problem.html", purpose=purpose, problem=problem)
    return make_response(page, status, LINK_PAGE_HEADERS)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    _password_login_or_404()
    user = _link_user(token, "reset")
    form = NewPasswordForm(user)
    if not form.validate_on_submit():
        page = render_template("auth/reset.html", form=form, user=user, token=token)
        return page, 400 if form.is_submitted() else 200, LINK_PAGE_HEADERS
    user = _take_link(token, "reset")
    first_password = user.password_hash is None
    operations.set_password_by_link(user, form.password.data)
    audit.record("password_set" if first_password else "password_reset", target=user, actor=user)
    db.session.commit()
    mails.send_password_changed(user)
    db.session.commit()
    _log_in_by_link(user)
    flash(_("Your new password is saved, and you are logged in."), "success")
    return redirect(url_for("learn.index"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@shows_back_text("display_name")
def accept_invitation(token: str):
    _password_login_or_404()
    user = _link_user(token, "invite")
    form = AcceptInvitationForm(user)
    if not form.validate_on_submit():
        page = render_template("auth/invitation.html", form=form, user=user, token=token)
        return page, 400 if form.is_submitted() else 200, LINK_PAGE_HEADERS
    user = _take_link(token, "invite")
    operations.set_password_by_link(user, form.password.data, form.display_name.data)
    audit.record("password_set", target=user, actor=user)
    db.session.commit()
    _log_in_by_link(user)
    flash(_("Welcome, %(name)s! Your password is saved, and you are logged in.", name=user.display_name), "success")
    return redirect(url_for("learn.index"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    user = _link_user(token, "verify")
    form = ConfirmForm()
    if not form.validate_on_submit():
        page = render_template("auth/confirm.html", form=form, user=user, token=token)
        return page, 400 if form.is_submitted() else 200, LINK_PAGE_HEADERS
    user = _take_link(token, "verify")
    operations.mark_email_verified(user)
    audit.record("email_verified", target=user, actor=user)
    db.session.commit()
    if not (current_user.is_authenticated and current_user.id == user.id):
        _log_in_by_link(user)
    flash(_("Thank you: your email address is confirmed."), "success")
    return redirect(url_for("learn.index"))
