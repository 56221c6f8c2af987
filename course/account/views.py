"""The account pages: profile, password, email address, data export and deletion (docs/operations.md,
"Data rights")."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm

from course import ratelimit
from course.account import export, operations
from course.account.forms import DeleteWithEmailForm, DeleteWithPasswordForm, EmailForm, PasswordForm, ProfileForm
from course.admin import operations as admin_rules
from course.auth import mails
from course.auth import operations as accounts
from course.auth.sessions import LINK_PAGE_HEADERS, log_in
from course.certificates.keys import KeyUnavailable
from course.extensions import db
from course.forms import shows_back_text
from course.i18n import current_language
from course.models import User, utcnow

bp = Blueprint("account", __name__, url_prefix="/account")

# Every form here that asks for the current password counts against one budget per client, like the login.
RATE_SCOPE = "account-password-check"


def _account() -> User:
    """The logged-in user's row, to write to (the request's user may be a read-only snapshot)."""
    return db.session.get(User, current_user.id)


def _status(form: FlaskForm) -> int:
    return 400 if form.is_submitted() else 200


@bp.route("", methods=["GET", "POST"])
@login_required
@shows_back_text("display_name")
def profile():
    user = _account()
    stored = {"display_name": user.display_name, "locale": user.locale or current_language()}
    form = ProfileForm(data=stored if request.method == "GET" else None)
    if not form.validate_on_submit():
        return render_template(
            "account/profile.html", form=form, user=user, providers=operations.sso_providers(user)
        ), _status(form)
    changed = operations.update_profile(user, form.display_name.data, form.locale.data)
    db.session.commit()
    session["lang"] = user.locale  # also after logging out
    with force_locale(user.locale):  # the message is read on the next page, in the new language
        flash(_("Your profile is saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("account.profile"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    user = _account()
    if not current_app.config["PASSWORD_LOGIN"] or user.password_hash is None:
        status = 403 if request.method == "POST" else 200
        return render_template(
            "account/password.html", form=None, user=user, providers=operations.sso_providers(user)
        ), status
    if request.method == "POST":
        ratelimit.enforce(RATE_SCOPE, "LOGIN_RATE_LIMIT")
    form = PasswordForm(user)
    valid = form.validate_on_submit()
    if form.current.data and form.is_submitted() and not operations.password_matches(user, form.current.data):
        form.current.errors = [*form.current.errors, _("This is not your current password.")]
        valid = False
    elif valid and form.password.data == form.current.data:
        form.password.errors = [*form.password.errors, _("The new password is the same as the current one.")]
        valid = False
    if not valid:
        return render_template("account/password.html", form=form, user=user, providers=[]), _status(form)
    here = operations.current_session(session.get("_user_id"))
    remember, provider = (here.remember, here.sso_provider) if here is not None else (False, None)
    operations.change_password(user, form.password.data)
    mails.send_password_changed(user)
    log_in(user, remember, provider)  # every other session has ended; this browser gets a fresh one (and commits)
    flash(_("Your password is changed. You stay logged in here; everywhere else you have been logged out."), "success")
    return redirect(url_for("account.profile"))


@bp.route("/email", methods=["GET", "POST"])
@login_required
def email():
    user = _account()
    if user.password_hash is None:
        status = 403 if request.method == "POST" else 200
        return render_template(
            "account/email.html", form=None, user=user, providers=operations.sso_providers(user)
        ), status
    if request.method == "POST":
        ratelimit.enforce(RATE_SCOPE, "LOGIN_RATE_LIMIT")
    form = EmailForm()
    valid = form.validate_on_submit()
    if form.password.data and form.is_submitted() and not operations.password_matches(user, form.password.data):
        form.password.errors = [*form.password.errors, _("This is not your current password.")]
        valid = False
    if valid and accounts.normalise_email(form.email.data) == user.email:
        form.email.errors = [*form.email.errors, _("This is your address already.")]
        valid = False
    if not valid:
        return render_template("account/email.html", form=form, user=user, providers=[]), _status(form)
    new_email = accounts.normalise_email(form.email.data)
    holder = operations.request_email_change(user, new_email)
    mails.send_email_change(user, new_email, holder)  # to an address with an account: its owner hears, not the page
    mails.send_email_change_notice(user, new_email)
    db.session.commit()
    return render_template("account/email_sent.html", new_email=new_email)


def _link_problem(error: accounts.TokenError):
    status = 410 if error.expired else 400
    return render_template("account/link_problem.html", expired=error.expired), status, LINK_PAGE_HEADERS


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Opening the link only shows a button (mail scanners open links too); the button's POST uses it."""
    try:
        row = accounts.peek_token(token, "email")
    except accounts.TokenError as error:
        return _link_problem(error)
    form = FlaskForm()
    if not form.validate_on_submit():
        page = render_template("account/confirm_email.html", form=form, new_email=row.new_email, token=token)
        return page, _status(form), LINK_PAGE_HEADERS
    try:
        user, _old = operations.confirm_email_change(token)
    except accounts.TokenError as error:
        db.session.rollback()
        return _link_problem(error)
    except accounts.EmailTakenError:
        db.session.rollback()
        page = render_template("account/confirm_email.html", form=None, new_email=row.new_email, taken=True)
        return page, 409, LINK_PAGE_HEADERS
    db.session.commit()
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("account.profile"))
    return redirect(url_for("auth.login"))


@bp.route("/export", methods=["GET", "POST"], endpoint="export")
@login_required
def export_data():
    form = FlaskForm()
    if not form.validate_on_submit():
        return render_template("account/export.html", form=form), _status(form)
    user = _account()
    data = operations.export_data(user, current_language())
    db.session.commit()
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{export.file_name(utcnow())}"'},
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete():
    user = _account()
    form = DeleteWithPasswordForm() if user.password_hash is not None else DeleteWithEmailForm()
    try:
        admin_rules.check_deletable(user)  # the same rule as for an administrator deleting an account
        last_admin = False
    except admin_rules.LastAdminError:
        last_admin = True
    if request.method == "POST":
        ratelimit.enforce(RATE_SCOPE, "LOGIN_RATE_LIMIT")
        if last_admin:
            return render_template("account/delete.html", form=form, user=user, last_admin=True), 403
    valid = form.validate_on_submit()
    if isinstance(form, DeleteWithPasswordForm):
        if form.password.data and form.is_submitted() and not operations.password_matches(user, form.password.data):
            form.password.errors = [*form.password.errors, _("This is not your current password.")]
            valid = False
    elif valid and accounts.normalise_email(form.email.data) != user.email:
        form.email.errors = [*form.email.errors, _("This is not the address of your account.")]
        valid = False
    if not valid:
        return render_template("account/delete.html", form=form, user=user, last_admin=last_admin), _status(form)
    try:
        operations.delete_account(user, user)
    except KeyUnavailable:
        db.session.rollback()
        form.form_errors.append(
            _("Your account cannot be deleted at the moment because of a technical problem. Please try again later.")
        )
        return render_template("account/delete.html", form=form, user=user, last_admin=False), 503
    db.session.commit()
    session["lang"] = current_language()  # the goodbye, and the pages after it, in the language used until now
    logout_user()
    session.pop("csrf_token", None)
    flash(_("Your account and your personal data have been deleted. Goodbye!"), "info")
    return redirect(url_for("learn.index"))
