"""The admins' view of the outbox: how many messages each channel has sent, which failed or wait for another
try and why, and a button to try them again (docs/operations.md, "Outbox")."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from course.auth.access import roles_required
from course.extensions import db
from course.notifications.forms import ButtonForm
from course.outbox import operations

bp = Blueprint("outbox", __name__)


def _channel_argument() -> str | None:
    """The channel to show, from ?channel=; an unknown one is a 404 rather than an empty page that looks fine."""
    channel = request.args.get("channel") or None
    if channel is not None and channel not in operations.channels():
        abort(404)
    return channel


@bp.get("/admin/outbox")
@roles_required("admin")
def index():
    channel = _channel_argument()
    return render_template(
        "outbox/index.html",
        channels=operations.channels(),
        channel=channel,
        counts=operations.status_counts(),
        rows=operations.troubled(channel),
        form=ButtonForm(),
    )


@bp.post("/admin/outbox/<int:message_id>/retry")
@roles_required("admin")
def retry(message_id: int):
    if not ButtonForm().validate_on_submit():
        abort(400)
    if operations.retry([message_id]) == 0:
        abort(404)
    db.session.commit()
    flash(_("The message is queued again and is sent in a moment."), "success")
    return redirect(url_for("outbox.index", channel=_channel_argument()))


@bp.post("/admin/outbox/retry-failed")
@roles_required("admin")
def retry_failed():
    if not ButtonForm().validate_on_submit():
        abort(400)
    queued = operations.retry(channel=_channel_argument())
    db.session.commit()
    flash(
        ngettext("%(num)d failed message is queued again.", "%(num)d failed messages are queued again.", queued),
        "success",
    )
    return redirect(url_for("outbox.index", channel=_channel_argument()))
