"""The admins' API token pages: the list (prefix, scopes, created, last used, expiry, revocation), a new token shown
once, and revoking one (docs/operations.md, "HR systems")."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course.api import tokens
from course.auth.access import roles_required
from course.extensions import db
from course.models import ApiToken, utcnow
from course.webhooks.forms import SCOPE_LABELS, ButtonForm, TokenForm

bp = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")


def _list_page(form: TokenForm, status: int = 200, created: str | None = None):  # noqa: ANN202
    now = utcnow()
    rows = [(token, tokens.state(token, now)) for token in tokens.all_tokens()]
    page = render_template(
        "api/tokens.html", rows=rows, form=form, labels=SCOPE_LABELS, created=created, button=ButtonForm()
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.route("", methods=["GET", "POST"])
@roles_required("admin")
def index():
    form = TokenForm()
    if request.method == "GET":
        return _list_page(form)
    if not form.validate_on_submit():
        return _list_page(form, 400)
    expires_at = utcnow() + timedelta(days=form.days.data) if form.days.data else None
    _token, plain = tokens.create_token(form.name.data, form.chosen(), expires_at, by=current_user)
    db.session.commit()
    # Shown in this answer only (not flashed: a flash would sit in the session cookie); never stored in plain.
    return _list_page(TokenForm(formdata=None), 200, created=plain)


@bp.post("/<int:token_id>/revoke")
@roles_required("admin")
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id) if token_id < 2**31 else None
    if token is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if tokens.revoke(token):
        db.session.commit()
        flash(_("The token is revoked: requests with it are refused from now on."), "success")
    return redirect(url_for("api_tokens.index"))
