"""User administration pages, for admins only: the accounts, invitations, the CSV import, the audit log.

Every change is a POST with a CSRF token, records an audit entry in the same transaction as the change, and is
refused when it would leave the site without an active admin. Nothing here edits or deletes an audit entry. The
pages hold personal data, so no response may be stored by a browser or proxy.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from course.account.operations import delete_account
from course.admin import operations
from course.admin.forms import (
    ActiveForm,
    AuditFilterForm,
    ConfirmForm,
    DeleteForm,
    ImportForm,
    InviteForm,
    RoleForm,
)
from course.admin.labels import (
    LAST_LOGIN_LABELS,
    ROLE_LABELS,
    SIGN_IN_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    account_status,
    action_label,
    actor_label,
    role_label,
)
from course.audit.operations import ACTIONS
from course.auth import mails
from course.auth import operations as accounts
from course.auth.access import roles_required
from course.certificates.keys import KeyUnavailable
from course.core import user_import
from course.core.analytics.tables import csv_cell
from course.core.errors import N_
from course.extensions import db
from course.forms import whole_number
from course.groups import operations as group_operations
from course.i18n import LANGUAGES
from course.jobs import views as jobs
from course.jobs.registry import JobKind, Progress, Result, register
from course.models import ROLES, User

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_required = roles_required("admin")


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every route of the blueprint, including ones added later, is for admins only."""


@bp.after_request
def _not_stored(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


bp.add_app_template_filter(action_label, "action_label")
bp.add_app_template_filter(actor_label, "actor_label")
bp.add_app_template_filter(role_label, "role_label")
bp.add_app_template_filter(account_status, "account_status")


def _page_number() -> int:
    return whole_number(request.args.get("page"), 1) or 1


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def _last_admin_message() -> str:
    return _(
        "This is the last active administrator: the site would have nobody left to manage it. Make another account"
        " an administrator first."
    )


# --- the account list and one account -----------------------------------------------------------------------------


@bp.get("/users")
def users():
    wanted = operations.UserFilter.parse(request.args)
    return render_template(
        "admin/users.html",
        wanted=wanted,
        result=operations.user_page(wanted, _page_number()),
        counts=operations.status_counts(),
        roles=ROLE_LABELS,
        statuses=STATUS_LABELS,
        sign_ins=SIGN_IN_LABELS,
        last_logins=LAST_LOGIN_LABELS,
        sorts=SORT_LABELS,
    )


def _detail(user: User, role_form: RoleForm | None = None, status: int = 200):
    if role_form is None:
        role_form = RoleForm(formdata=None, role=user.role)
    return (
        render_template(
            "admin/user.html",
            user=user,
            status=operations.status_of(user),
            identities=operations.identities(user),
            groups=group_operations.groups_of(user),
            entries=operations.recent_entries(user),
            role_form=role_form,
            active_form=ActiveForm(formdata=None),
            link_form=ConfirmForm(formdata=None),
            is_self=user.id == current_user.id,
            unsent_mails=mails.pending_for(user.id),
            mail_label=mails.label,
        ),
        status,
    )


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _detail(_user_or_404(user_id))


def _back(user: User):
    return redirect(url_for("admin.user", user_id=user.id), code=303)


def _refuse_deleted(user: User):
    """A deleted account has nothing left to change: back to its page with a message."""
    flash(_("This account has been deleted; it can no longer be changed."), "error")
    return _back(user)


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _detail(user, form, 400)
    if user.deleted_at is not None:
        return _refuse_deleted(user)
    try:
        changed = operations.change_role(user, form.role.data)
    except operations.LastAdminError:
        db.session.rollback()
        flash(_last_admin_message(), "error")
        return _back(user)
    db.session.commit()
    if changed:
        flash(_("%(email)s is now: %(role)s.", email=user.email, role=role_label(user.role)), "success")
    return _back(user)


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    user = _user_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        flash(_("Choose deactivate or reactivate."), "error")
        return _detail(user, status=400)
    if user.deleted_at is not None:
        return _refuse_deleted(user)
    active = form.active.data == "1"
    try:
        changed = operations.change_active(user, active)
    except operations.LastAdminError:
        db.session.rollback()
        flash(_last_admin_message(), "error")
        return _back(user)
    db.session.commit()
    if changed and active:
        flash(_("%(email)s can log in again.", email=user.email), "success")
    elif changed:
        flash(_("%(email)s is deactivated and has been logged out everywhere.", email=user.email), "success")
    return _back(user)


@bp.post("/users/<int:user_id>/reset")
def send_reset(user_id: int):
    """Mail a password-reset link, or the invitation again to someone who has not arrived yet."""
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        return _detail(user, status=400)
    if user.deleted_at is not None:
        return _refuse_deleted(user)
    if not user.active:
        flash(_("This account is deactivated: reactivate it before sending a link."), "error")
        return _back(user)
    sent = operations.mail_link(user, current_user.display_name)
    db.session.commit()
    if sent == "invite":
        flash(_("The invitation to %(email)s is being sent again.", email=user.email), "success")
    else:
        flash(_("A link to set a new password is being sent to %(email)s.", email=user.email), "success")
    return _back(user)


@bp.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
def delete_user(user_id: int):
    user = _user_or_404(user_id)
    if user.deleted_at is not None:
        return _refuse_deleted(user)
    form = DeleteForm(confirm="yes")
    if request.method == "GET":
        return render_template("admin/delete.html", user=user, form=form)
    if not form.validate_on_submit():
        return render_template("admin/delete.html", user=user, form=form), 400
    try:
        operations.check_deletable(user)
    except operations.LastAdminError:
        db.session.rollback()
        flash(_last_admin_message(), "error")
        return _back(user)
    email = user.email
    try:
        delete_account(user, by=current_user)
    except KeyUnavailable:
        db.session.rollback()
        flash(
            _("The account cannot be deleted at the moment because of a technical problem. Please try again later."),
            "error",
        )
        return _back(user)
    db.session.commit()
    flash(_("The account of %(email)s has been deleted.", email=email), "success")
    return redirect(url_for("admin.users"), code=303)


# --- invitations ----------------------------------------------------------------------------------------------------


@bp.route("/users/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    if request.method == "GET":
        form.language.data = current_app.config["DEFAULT_LANGUAGE"]
    if not form.validate_on_submit():
        return render_template("admin/invite.html", form=form), 400 if form.is_submitted() else 200
    try:
        user = operations.invite(form.email.data, form.display_name.data, form.role.data, form.language.data)
    except accounts.EmailTakenError:
        form.email.errors.append(_("This address already has an account."))
        return render_template("admin/invite.html", form=form), 400
    mails.send_invitation(user, current_user.display_name)
    db.session.commit()
    flash(
        _(
            "The account is created and the invitation is being sent to %(email)s. If the mail server refuses it,"
            " this page says so.",
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.user", user_id=user.id), code=303)


def _import_page(form: ImportForm, problems: list[user_import.Problem] | None = None, status: int = 200):
    return (
        render_template(
            "admin/import.html",
            form=form,
            problems=problems or [],
            explain=explain,
            max_rows=user_import.MAX_ROWS,
            limit_kb=current_app.config["MAX_CONTENT_LENGTH"] // 1024,
            roles=ROLES,
            languages=LANGUAGES,
        ),
        status,
    )


def explain(problem: user_import.Problem) -> str:
    """A problem of the import in the reader's language."""
    return _(problem.message, **problem.params)


@bp.route("/users/import", methods=["GET", "POST"])
def import_users():
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(form, status=400 if form.is_submitted() else 200)
    data = form.file.data.stream.read(user_import.MAX_BYTES + 1)
    parsed = user_import.read_people(
        data, roles=ROLES, languages=LANGUAGES, default_language=current_app.config["DEFAULT_LANGUAGE"]
    )
    parsed = operations.check_import(parsed)
    if parsed.problems:
        return _import_page(form, list(parsed.problems), 400)
    try:
        created = operations.import_people(parsed.people)
    except operations.AddressTakenError as error:
        db.session.rollback()
        return _import_page(form, [error.problem], 409)
    for user in created:  # with the accounts: no account without its invitation
        mails.send_invitation(user, current_user.display_name)
    db.session.commit()
    return render_template("admin/import_done.html", created=created)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """An upload over MAX_CONTENT_LENGTH: the import form again with the message at the file field."""
    if current_user.is_authenticated and current_user.role == "admin":
        form = ImportForm(formdata=None)
        limit_kb = current_app.config["MAX_CONTENT_LENGTH"] // 1024
        form.file.errors = [_("The file is too large: at most %(limit)s KB.", limit=limit_kb)]
        if request.endpoint == "admin.import_users":
            return _import_page(form, status=413)
        if request.endpoint == "admin.import_group_members":
            from course.admin import groups  # the group pages import this module

            return groups.too_large(request.view_args["group_id"], form)
    title, message = _("Too large"), _("What you sent is too large.")
    return render_template("errors/error.html", status=413, title=title, message=message), 413


# --- the audit log --------------------------------------------------------------------------------------------------


def _audit_filter(formdata: MultiDict | None = None) -> tuple[AuditFilterForm, operations.AuditFilter, bool]:
    """The filter form from the query string (or the CSV button's form), the filter it gives, and whether it is valid
    (bad dates are left out of the filter and shown at their fields)."""
    form = AuditFilterForm(request.args if formdata is None else formdata)
    form.action.choices = [SelectChoice("", _("All actions"))] + [
        SelectChoice(action, action_label(action)) for action in ACTIONS
    ]
    valid = form.validate()
    action = form.action.data if form.action.data in ACTIONS else ""
    wanted = operations.AuditFilter(
        action=action,
        person=(form.person.data or "")[:120] if not form.person.errors else "",
        start=form.start.data if not form.start.errors else None,
        end=form.end.data if not form.end.errors else None,
    )
    return form, wanted, valid


@bp.get("/audit")
def audit():
    form, wanted, valid = _audit_filter()
    result = operations.audit_page(wanted, _page_number())
    return render_template("admin/audit.html", form=form, wanted=wanted, result=result), 200 if valid else 400


CSV_COLUMNS = (
    _l("Time (UTC)"),
    _l("Action"),
    _l("Action code"),
    _l("By"),
    _l("About"),
    _l("Details"),
    _l("IP address"),
)


@bp.post("/audit.csv")
def audit_csv():
    """Queue the CSV of the entries the filter selects as a background job; a bad filter shows the log with its
    errors, as the page itself does."""
    form, wanted, valid = _audit_filter(request.form)
    if not valid:
        result = operations.audit_page(wanted, 1)
        return render_template("admin/audit.html", form=form, wanted=wanted, result=result), 400
    return jobs.start(AUDIT_CSV.name, wanted.params(), url_for("admin.audit", **wanted.params()))


def audit_csv_job(params: dict, progress: Progress) -> Result:
    """The audit log's entries as CSV, with a byte-order mark so spreadsheets read it as UTF-8."""
    wanted = operations.AuditFilter(
        action=params.get("action") or "",
        person=params.get("person") or "",
        start=date.fromisoformat(params["start"]) if params.get("start") else None,
        end=date.fromisoformat(params["end"]) if params.get("end") else None,
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([str(column) for column in CSV_COLUMNS])
    for number, entry in enumerate(operations.audit_entries(wanted)):
        if number % 500 == 0:
            progress(number, None, _("%(count)d entries written", count=number))
        cells = [
            entry.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            action_label(entry.action),
            entry.action,
            entry.actor_label,
            entry.target_label,
            details(entry.detail),
            entry.ip,
        ]
        writer.writerow([csv_cell(cell) for cell in cells])
    return Result(buffer.getvalue().encode("utf-8"), "audit-log.csv", "text/csv; charset=utf-8")


AUDIT_CSV = register(JobKind("admin.audit_csv", N_("Audit log as CSV"), audit_csv_job))


@bp.app_template_filter("audit_details")
def details(detail: dict | None) -> str:
    """An entry's detail as `key: value` pairs, in a stable order."""
    return "; ".join(f"{key}: {value}" for key, value in sorted((detail or {}).items()))
