"""The studio's assignment pages: which groups a course is assigned to, assigning it, moving dates, unassigning.

Admins assign to any group, trainers to the groups they look after; managers and learners get 403. An assignment
of a group the trainer does not look after is answered like one that does not exist (404)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from course.assignments import operations
from course.assignments.forms import AssignForm, RemoveForm, ScheduleForm
from course.auth.access import staff_required
from course.core.assignments import ScheduleError, is_overdue, local_day, make_schedule
from course.core.catalog import Course
from course.extensions import db
from course.i18n import current_language
from course.models import CourseAssignment, utcnow
from course.notifications import operations as notifications
from course.publishing.cache import catalog

bp = Blueprint("assignments", __name__, url_prefix="/studio/courses/<course_id>/assignments")


@bp.app_template_filter("assignment_day")
def assignment_day(moment, zone: str) -> str:  # noqa: ANN001 - a datetime, or None
    """A stored moment as the day it is in the assignment's zone, in the reader's language ("31. Dezember 2026")."""
    return format_date(local_day(moment, zone), format="long") if moment is not None else ""


def _assignment_or_404(course: Course, assignment_id: int) -> CourseAssignment:
    assignment = operations.find_assignment(course.id, assignment_id)
    if assignment is None or not operations.may_assign(current_user, assignment.group_id):
        raise NotFound()
    return assignment


def _schedule(form: ScheduleForm):  # noqa: ANN202 - a Schedule, or None with the error on its field
    try:
        return make_schedule(form.due.data, form.starts.data, form.time_zone.data or "", utcnow())
    except ScheduleError as error:
        getattr(form, error.field).errors.append(_(error.message, **error.params))
        return None


def _page(course: Course, form: AssignForm, status: int = 200):
    user = current_user._get_current_object()
    return render_template(
        "assignments/course.html",
        course=course,
        lang=current_language(),
        form=form,
        rows=operations.assignment_rows(course.id, user),
        now=utcnow(),
        is_overdue=is_overdue,
    ), status


@bp.route("", methods=["GET", "POST"])
@staff_required
def course_assignments(course_id: str):
    course = catalog().course(course_id)
    user = current_user._get_current_object()
    groups = operations.assignable_groups(user)
    form = AssignForm(groups)
    if request.method == "GET":
        return _page(course, form)
    if not form.validate_on_submit():
        return _page(course, form, 400)
    group = form.chosen_group(groups)
    if group is None:
        form.group.errors.append(_("Choose one of the groups you look after."))
    schedule = _schedule(form)
    if group is None or schedule is None:
        return _page(course, form, 400)
    try:
        assignment, created = operations.assign(course.id, group, schedule, by=user)
    except operations.EmptyGroupError:
        form.group.errors.append(_("This group has no members yet; add learners first."))
        return _page(course, form, 400)
    notifications.assignment_saved(assignment)
    db.session.commit()
    if created:
        flash(_("The course has been assigned to %(group)s.", group=group.name), "success")
    else:
        flash(
            _("The course was already assigned to %(group)s; its dates have been updated.", group=group.name), "success"
        )
    return redirect(url_for("assignments.course_assignments", course_id=course.id), code=303)


@bp.route("/<int:assignment_id>", methods=["GET", "POST"])
@staff_required
def change(course_id: str, assignment_id: int):
    course = catalog().course(course_id)
    assignment = _assignment_or_404(course, assignment_id)
    form = ScheduleForm()
    if request.method == "GET":
        zone = assignment.time_zone
        form.due.data = local_day(assignment.due_at, zone)
        form.starts.data = local_day(assignment.starts_at, zone) if assignment.starts_at else None
        form.time_zone.data = zone
        return render_template("assignments/change.html", course=course, assignment=assignment, form=form)
    schedule = _schedule(form) if form.validate_on_submit() else None
    if schedule is None:
        return render_template("assignments/change.html", course=course, assignment=assignment, form=form), 400
    if operations.change(assignment, schedule, by=current_user._get_current_object()):
        notifications.assignment_saved(assignment)
        db.session.commit()
        flash(_("The dates for %(group)s have been saved.", group=assignment.group.name), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("assignments.course_assignments", course_id=course.id), code=303)


@bp.route("/<int:assignment_id>/delete", methods=["GET", "POST"])
@staff_required
def remove(course_id: str, assignment_id: int):
    course = catalog().course(course_id)
    assignment = _assignment_or_404(course, assignment_id)
    form = RemoveForm(confirm="yes")
    if request.method == "GET":
        return render_template("assignments/remove.html", course=course, assignment=assignment, form=form)
    if not form.validate_on_submit():
        return render_template("assignments/remove.html", course=course, assignment=assignment, form=form), 400
    name = assignment.group.name
    operations.unassign(assignment)
    db.session.commit()
    flash(_("The course is no longer assigned to %(group)s.", group=name), "success")
    return redirect(url_for("assignments.course_assignments", course_id=course.id), code=303)
