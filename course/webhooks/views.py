"""The admins' webhook pages: the list, create and edit (address, events, on/off), delete, a new secret, a test
delivery, and each webhook's delivery log from the outbox with a button to try a delivery again
(docs/operations.md, "HR systems")."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course.auth.access import roles_required
from course.core.webhooks import AddressRefused
from course.extensions import db
from course.models import Webhook
from course.outbox import operations as outbox
from course.webhooks import operations
from course.webhooks.forms import EVENT_LABELS, ButtonForm, WebhookForm, field_name

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


def _webhook_or_404(webhook_id: int) -> Webhook:
    webhook = db.session.get(Webhook, webhook_id) if webhook_id < 2**31 else None
    if webhook is None:
        abort(404)
    return webhook


def _checked(form: WebhookForm) -> str | None:
    """The form's address if the site may post to it; else None, with the reason on the field."""
    try:
        return operations.checked_url(form.url.data)
    except AddressRefused as error:
        form.url.errors.append(_(error.message, **error.params))
        return None


@bp.get("")
@roles_required("admin")
def index():
    return render_template("webhooks/index.html", webhooks=operations.all_webhooks(), labels=EVENT_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin")
def new():
    form = WebhookForm()
    if request.method == "GET":
        return render_template("webhooks/form.html", form=form, webhook=None)
    url = _checked(form) if form.validate_on_submit() else None
    if url is None:
        return render_template("webhooks/form.html", form=form, webhook=None), 400
    webhook = operations.create_webhook(form.name.data, url, form.chosen(), form.active.data, by=current_user)
    db.session.commit()
    flash(_("The webhook is saved. Give the receiver its signing secret, shown below."), "success")
    return redirect(url_for("webhooks.show", webhook_id=webhook.id))


@bp.get("/<int:webhook_id>")
@roles_required("admin")
def show(webhook_id: int):
    webhook = _webhook_or_404(webhook_id)
    return render_template(
        "webhooks/show.html",
        webhook=webhook,
        labels=EVENT_LABELS,
        troubled=outbox.troubled(operations.CHANNEL, webhook.id, limit=50),
        recent=outbox.recent(operations.CHANNEL, webhook.id, limit=50),
        form=ButtonForm(),
    )


@bp.route("/<int:webhook_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit(webhook_id: int):
    webhook = _webhook_or_404(webhook_id)
    if request.method == "GET":
        data = {"name": webhook.name, "url": webhook.url, "active": webhook.active}
        data |= {field_name(event): event in webhook.events for event in EVENT_LABELS}
        return render_template("webhooks/form.html", form=WebhookForm(data=data), webhook=webhook)
    form = WebhookForm()
    url = _checked(form) if form.validate_on_submit() else None
    if url is None:
        return render_template("webhooks/form.html", form=form, webhook=webhook), 400
    if operations.change_webhook(webhook, form.name.data, url, form.chosen(), form.active.data):
        db.session.commit()
        flash(_("The webhook is saved."), "success")
    return redirect(url_for("webhooks.show", webhook_id=webhook.id))


@bp.post("/<int:webhook_id>/secret")
@roles_required("admin")
def rotate(webhook_id: int):
    webhook = _webhook_or_404(webhook_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    operations.rotate_secret(webhook)
    db.session.commit()
    flash(
        _("The webhook has a new signing secret: give it to the receiver. Deliveries are signed with it from now on."),
        "success",
    )
    return redirect(url_for("webhooks.show", webhook_id=webhook.id))


@bp.post("/<int:webhook_id>/ping")
@roles_required("admin")
def ping(webhook_id: int):
    webhook = _webhook_or_404(webhook_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    operations.queue_ping(webhook)
    db.session.commit()
    flash(
        _("A test delivery is queued: the next run of the sending job sends it. Its result appears below."), "success"
    )
    return redirect(url_for("webhooks.show", webhook_id=webhook.id))


@bp.post("/<int:webhook_id>/deliveries/<int:message_id>/retry")
@roles_required("admin")
def retry(webhook_id: int, message_id: int):
    webhook = _webhook_or_404(webhook_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    ours = {row.id for row in outbox.troubled(operations.CHANNEL, webhook.id, limit=500)}
    if message_id not in ours or outbox.retry([message_id]) == 0:
        abort(404)
    db.session.commit()
    flash(_("The delivery is queued again: the next run of the sending job sends it."), "success")
    return redirect(url_for("webhooks.show", webhook_id=webhook.id))


@bp.route("/<int:webhook_id>/delete", methods=["GET", "POST"])
@roles_required("admin")
def delete(webhook_id: int):
    webhook = _webhook_or_404(webhook_id)
    form = ButtonForm()
    if request.method == "GET":
        return render_template("webhooks/delete.html", webhook=webhook, form=form)
    if not form.validate_on_submit():
        abort(400)
    operations.delete_webhook(webhook)
    db.session.commit()
    flash(_("The webhook is deleted; deliveries still waiting for it will not be sent."), "success")
    return redirect(url_for("webhooks.index"))
