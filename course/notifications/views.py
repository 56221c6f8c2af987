"""The notification pages: the person's list with its unread count, marking read, mail preferences, and for
admins the mail outbox with the mails that failed (docs/operations.md, "Notifications")."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from course.auth import mails
from course.auth.access import roles_required
from course.core import notifications as rules
from course.extensions import db
from course.forms import whole_number
from course.i18n import current_language
from course.models import User
from course.notifications import operations
from course.notifications.forms import ButtonForm, PreferencesForm, unexpected_fields
from course.notifications.messages import describe
from course.outbox import operations as outbox_messages

bp = Blueprint("notifications", __name__)

PER_PAGE = 30


@bp.get("/notifications")
@login_required
def index():
    page = whole_number(request.args.get("page", "1"), 1) or 1
    rows, more = operations.page_of(current_user.id, page, PER_PAGE)
    lang = current_language()
    items = [(row, *describe(row, lang)) for row in rows]
    return render_template(
        "notifications/index.html",
        items=items,
        page=page,
        more=more,
        unread=operations.unread_count(current_user.id),
        form=ButtonForm(),
    )


@bp.post("/notifications/read")
@login_required
def read_all():
    if not ButtonForm().validate_on_submit():
        abort(400)
    changed = operations.mark_read(current_user.id)
    db.session.commit()
    flash(ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", changed), "info")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_one(notification_id: int):
    notification = operations.find_own(current_user.id, notification_id)
    if notification is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    operations.mark_read(current_user.id, notification.id)
    _text, link = describe(notification, current_language())
    db.session.commit()
    return redirect(link)


def _preferences_page(form: PreferencesForm, status: int = 200, problem: str | None = None):  # noqa: ANN202
    return render_template("notifications/preferences.html", form=form, problem=problem), status


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    user = db.session.get(User, current_user.id)
    kinds = [kind.name for kind in rules.kinds_for(user.role)]
    if request.method == "GET":
        return _preferences_page(PreferencesForm.for_role(user.role, data=operations.preferences(user)))
    form = PreferencesForm.for_role(user.role)
    wrong = unexpected_fields(request.form, kinds)
    if wrong:
        problem = _(
            "The form was changed before it was sent (%(fields)s), so nothing was saved. Please choose again below.",
            fields=", ".join(wrong)[:200],
        )
        return _preferences_page(PreferencesForm.for_role(user.role, data=operations.preferences(user)), 400, problem)
    if not form.validate_on_submit():
        return _preferences_page(form, 400, _("The form has expired. Please choose again and save."))
    operations.save_preferences(user, form.choices())
    db.session.commit()
    flash(_("Your mail settings are saved."), "success")
    return redirect(url_for("notifications.preferences"))


# --- Admins: the outbox ----------------------------------------------------------------------------------------------


@bp.get("/admin/mail")
@roles_required("admin")
def outbox():
    lang = current_language()
    rows = [
        (row, notification, user, describe(notification, lang)[0])
        for row, notification, user in operations.troubled_mails()
    ]
    account_rows = outbox_messages.troubled(mails.CHANNEL)
    ids = sorted({row.user_id for row in account_rows if row.user_id is not None})
    emails = {id_: email for id_, email in db.session.execute(select(User.id, User.email).where(User.id.in_(ids)))}
    return render_template(
        "notifications/outbox.html",
        counts=operations.status_counts(),
        rows=rows,
        account_counts=outbox_messages.status_counts().get(mails.CHANNEL, dict.fromkeys(outbox_messages.STATUSES, 0)),
        account_rows=account_rows,
        account_emails=emails,
        mail_label=mails.label,
        form=ButtonForm(),
    )


@bp.post("/admin/mail/<int:mail_id>/retry")
@roles_required("admin")
def retry(mail_id: int):
    if not ButtonForm().validate_on_submit():
        abort(400)
    if operations.retry([mail_id]) == 0:
        abort(404)
    db.session.commit()
    flash(_("The mail is queued again and is sent in a moment."), "success")
    return redirect(url_for("notifications.outbox"))


@bp.post("/admin/mail/retry-failed")
@roles_required("admin")
def retry_failed():
    if not ButtonForm().validate_on_submit():
        abort(400)
    queued = operations.retry()
    db.session.commit()
    flash(
        ngettext("%(num)d failed mail is queued again.", "%(num)d failed mails are queued again.", queued),
        "success",
    )
    return redirect(url_for("notifications.outbox"))
