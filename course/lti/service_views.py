"""The admins' page for the LMS courses (LTI contexts) the tool was launched from: each with its group, its last
roster sync and how its scores are getting through, and a button that syncs its roster now (docs/operations.md,
"LMS grades and rosters"). Failed scores are retried from the outbox page; this page links there."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from course.auth.access import roles_required
from course.extensions import db
from course.lti import grades, roster, services
from course.models import Group, GroupMembership, LtiContext, LtiPlatform
from course.notifications.forms import ButtonForm

bp = Blueprint("lti_services", __name__, url_prefix="/admin/lti")
log = logging.getLogger(__name__)


@bp.before_request
@roles_required("admin")
def _admins_only() -> None:
    """Every route of the blueprint, including ones added later, is for admins only."""


@bp.after_request
def _not_stored(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/contexts")
def contexts():
    rows = db.session.execute(
        select(LtiContext, LtiPlatform, Group)
        .join(LtiPlatform, LtiPlatform.id == LtiContext.platform_id)
        .outerjoin(Group, Group.id == LtiContext.group_id)
        .order_by(LtiPlatform.name, LtiContext.title, LtiContext.id)
    ).all()
    members = dict(
        db.session.execute(select(GroupMembership.group_id, func.count()).group_by(GroupMembership.group_id)).all()
    )
    return render_template(
        "lti_services/contexts.html",
        rows=rows,
        members=members,
        deliveries=grades.delivery_counts(),
        channel=grades.CHANNEL,
        form=ButtonForm(),
    )


@bp.post("/contexts/<int:context_id>/sync")
def sync(context_id: int):
    context = db.session.get(LtiContext, context_id)
    if context is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    title = context.title or context.context_id
    try:
        report = roster.sync(context)
    except (services.ServiceError, roster.RosterUnavailable) as error:
        db.session.rollback()
        log.warning("Roster sync of LMS course %s failed: %s", context_id, error)
        flash(_("The roster of %(title)s could not be synced: %(error)s", title=title, error=str(error)), "error")
        return redirect(url_for("lti_services.contexts"))
    db.session.commit()
    flash(
        _(
            "Roster of %(title)s synced. Added: %(added)d, removed: %(removed)d, with another role: %(changed)d,"
            " new accounts: %(created)d.",
            title=title,
            added=report.added,
            removed=report.removed,
            changed=report.changed,
            created=report.created,
        ),
        "success",
    )
    for line in report.not_added[:20]:
        flash(_("Not added: %(reason)s", reason=line), "info")
    return redirect(url_for("lti_services.contexts"))
