from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from course import fast, ratelimit
from course.auth import operations
from course.auth.forms import LoginForm, RegisterForm
from course.extensions import db, login_manager
from course.fast.request_user import load_request_user
from course.forms import shows_back_text
from course.i18n import current_language
from course.models import CurrentUser, User, Visitor
from course.security import is_safe_redirect

bp = Blueprint("auth", __name__, url_prefix="/auth")

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


def _log_in(user: User, remember: bool) -> None:
    """Start a server-side session for `user` and a fresh CSRF token: a token seen before login (on a shared
    computer, say) is worth nothing after it."""
    operations.start_session(user, remember)
    db.session.commit()
    session.pop("csrf_token", None)
    login_user(user, remember=remember, duration=operations.session_lifetime(remember))


def _next_url(candidate: str | None) -> str:
    return candidate if is_safe_redirect(candidate) else url_for("learn.index")


@bp.route("/register", methods=["GET", "POST"])
@shows_back_text("display_name")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("learn.index"))
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
        form.email.errors.append(_("An account with this email address already exists. Log in instead?"))
        return render_template("auth/register.html", form=form), 400
    db.session.commit()
    _log_in(user, remember=False)
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
    return redirect(url_for("learn.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_url(request.args.get("next")))
    if request.method == "POST":
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
        db.session.commit()
        form.form_errors.append(_("Invalid email or password."))
        return render_template("auth/login.html", form=form), 400
    if not user.active:
        form.form_errors.append(_("This account has been deactivated. Please ask your course administrator."))
        return render_template("auth/login.html", form=form), 403
    operations.forget_login_failures(form.email.data)
    if not user.locale and session.get("lang"):
        operations.set_locale(user.id, session["lang"])
    _log_in(user, remember=form.remember.data)
    return redirect(_next_url(form.next.data))


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
    operations.end_session(session.get("_user_id"))
    db.session.commit()
    logout_user()
    session.pop("csrf_token", None)
    flash(_("You have been logged out."), "info")
    return redirect(url_for("learn.index"))
