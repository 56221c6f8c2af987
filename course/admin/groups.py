"""The group pages of the admin area: the groups, one group with its members, adding members by address or from
a CSV file, renaming and deleting. Admins only (the blueprint's before_request); every change is a POST with a
CSRF token and records an audit entry in the same transaction (course/groups/operations.py)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import NotFound

from course.admin.forms import ConfirmForm, DeleteForm, ImportForm
from course.admin.group_forms import GroupForm, MemberForm, MemberRoleForm
from course.admin.labels import group_role_label
from course.admin.views import bp, explain
from course.auth import operations as accounts
from course.core import group_import
from course.core.errors import N_
from course.core.user_import import MAX_BYTES, MAX_ROWS, Problem
from course.extensions import db
from course.groups import operations
from course.models import GROUP_ROLES, Group, User

bp.add_app_template_filter(group_role_label, "group_role_label")


def _group_or_404(group_id: int) -> Group:
    group = db.session.get(Group, group_id)
    if group is None:
        raise NotFound()
    return group


def _back(group: Group):
    return redirect(url_for("admin.group", group_id=group.id), code=303)


def _name_taken() -> str:
    return _("Another group already has this name.")


@bp.get("/groups")
def groups():
    return render_template("admin/groups.html", groups=operations.group_rows(), roles=GROUP_ROLES)


@bp.route("/groups/new", methods=["GET", "POST"])
def new_group():
    form = GroupForm()
    if not form.validate_on_submit():
        return render_template("admin/group_form.html", form=form, group=None), 400 if form.is_submitted() else 200
    me = db.session.get(User, current_user.id)
    try:
        group = operations.create_group(form.name.data, form.description.data or "", by=me)
    except operations.GroupNameTakenError:
        db.session.rollback()
        form.name.errors.append(_name_taken())
        return render_template("admin/group_form.html", form=form, group=None), 400
    db.session.commit()
    flash(_("The group %(name)s has been created.", name=group.name), "success")
    return _back(group)


def _group_page(group: Group, member_form: MemberForm | None = None, status: int = 200):
    rows = operations.members(group)
    return (
        render_template(
            "admin/group.html",
            group=group,
            members=rows,
            member_form=member_form or MemberForm(formdata=None),
            role_forms={row.user_id: MemberRoleForm(formdata=None, role=row.role_in_group) for row, _user in rows},
            remove_form=ConfirmForm(formdata=None),
            sso_names={
                key: provider.get("name", key) for key, provider in current_app.config["OIDC_PROVIDERS"].items()
            },
        ),
        status,
    )


@bp.get("/groups/<int:group_id>")
def group(group_id: int):
    return _group_page(_group_or_404(group_id))


@bp.post("/groups/<int:group_id>/members")
def add_group_member(group_id: int):
    group = _group_or_404(group_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return _group_page(group, form, 400)
    user = accounts.find_user(form.email.data)
    if user is None or user.deleted_at is not None:
        form.email.errors.append(_("No account has this address. Invite the person first."))
        return _group_page(group, form, 400)
    try:
        operations.add_member(group, user, form.role.data)
    except operations.AlreadyMemberError:
        db.session.rollback()
        form.email.errors.append(_("This person is in the group already."))
        return _group_page(group, form, 400)
    db.session.commit()
    flash(
        _("%(email)s is now in the group as: %(role)s.", email=user.email, role=group_role_label(form.role.data)),
        "success",
    )
    return _back(group)


def _member_or_404(group: Group, user_id: int):
    row = operations.membership(group, user_id)
    if row is None:
        raise NotFound()
    return row, db.session.get(User, user_id)


@bp.post("/groups/<int:group_id>/members/<int:user_id>/role")
def group_member_role(group_id: int, user_id: int):
    group = _group_or_404(group_id)
    row, user = _member_or_404(group, user_id)
    form = MemberRoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role in the group."), "error")
        return _group_page(group, status=400)
    if operations.change_member_role(group, row, user, form.role.data):
        db.session.commit()
        flash(
            _("%(email)s is now in the group as: %(role)s.", email=user.email, role=group_role_label(form.role.data)),
            "success",
        )
    return _back(group)


@bp.post("/groups/<int:group_id>/members/<int:user_id>/remove")
def remove_group_member(group_id: int, user_id: int):
    group = _group_or_404(group_id)
    row, user = _member_or_404(group, user_id)
    if not ConfirmForm().validate_on_submit():
        return _group_page(group, status=400)
    operations.remove_member(group, row, user)
    db.session.commit()
    flash(_("%(email)s has been removed from the group.", email=user.email), "success")
    return _back(group)


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
def edit_group(group_id: int):
    group = _group_or_404(group_id)
    form = GroupForm(obj=group) if request.method == "GET" else GroupForm()
    if not form.validate_on_submit():
        return render_template("admin/group_form.html", form=form, group=group), 400 if form.is_submitted() else 200
    try:
        changed = operations.edit_group(group, form.name.data, form.description.data or "")
    except operations.GroupNameTakenError:
        db.session.rollback()
        form.name.errors.append(_name_taken())
        return render_template("admin/group_form.html", form=form, group=group), 400
    db.session.commit()
    if changed:
        flash(_("The group has been saved."), "success")
    return _back(group)


@bp.route("/groups/<int:group_id>/delete", methods=["GET", "POST"])
def delete_group(group_id: int):
    group = _group_or_404(group_id)
    form = DeleteForm(confirm="yes")
    count = operations.member_count(group)
    if request.method == "GET":
        return render_template("admin/group_delete.html", group=group, form=form, count=count)
    if not form.validate_on_submit():
        return render_template("admin/group_delete.html", group=group, form=form, count=count), 400
    name = group.name
    operations.delete_group(group)
    db.session.commit()
    flash(_("The group %(name)s has been deleted.", name=name), "success")
    return redirect(url_for("admin.groups"), code=303)


def _import_page(group: Group, form: ImportForm, problems: list[Problem] | None = None, status: int = 200):
    return (
        render_template(
            "admin/group_import.html",
            group=group,
            form=form,
            problems=problems or [],
            explain=explain,
            max_rows=MAX_ROWS,
            limit_kb=min(MAX_BYTES, current_app.config["MAX_CONTENT_LENGTH"]) // 1024,
            roles=GROUP_ROLES,
        ),
        status,
    )


def too_large(group_id: int, form: ImportForm):  # noqa: ANN201 - a response
    """The import page again after an upload over MAX_CONTENT_LENGTH, with the message at the file field."""
    return _import_page(_group_or_404(group_id), form, status=413)


@bp.route("/groups/<int:group_id>/import", methods=["GET", "POST"])
def import_group_members(group_id: int):
    group = _group_or_404(group_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(group, form, status=400 if form.is_submitted() else 200)
    data = form.file.data.stream.read(MAX_BYTES + 1)
    parsed = operations.check_member_import(group, group_import.read_members(data, roles=GROUP_ROLES))
    if parsed.problems:
        return _import_page(group, form, list(parsed.problems), 400)
    try:
        added = operations.import_members(group, parsed.members)
    except operations.MemberAddedError as error:
        db.session.rollback()
        problem = Problem(
            error.member.line,
            N_("%(email)s changed while the file was read: upload it again."),
            {"email": error.member.email},
        )
        return _import_page(group, form, [problem], 409)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d person has been added to the group.", "%(num)d people have been added to the group.", len(added)
        ),
        "success",
    )
    return _back(group)
