"""Reports per group and course: the list of reports an account may open, one report, and its CSV.

Managers, trainers and admins; each sees the groups they look after (admins every group), and a group outside
their view is missing (404), exactly like a group that does not exist. Every number is computed per request.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from course.analytics.views import status_label
from course.auth.access import roles_required
from course.core import reports as core
from course.core.analytics.tables import bin_labels, csv_cell
from course.core.errors import N_
from course.extensions import db
from course.i18n import current_language
from course.jobs import views as jobs
from course.jobs.registry import JobKind, Progress, Result, register
from course.models import Group
from course.publishing.cache import catalog
from course.reports import charts, operations

bp = Blueprint("reports", __name__, url_prefix="/reports")

readers_required = roles_required("manager", "trainer", "admin")

STANDING_LABELS = {
    core.ON_TIME: _l("Completed on time"),
    core.LATE: _l("Completed late"),
    core.OVERDUE: _l("Overdue, not completed"),
    core.NOT_DUE: _l("Not completed, not yet due"),
    core.COMPLETED: _l("Completed"),
    core.OPEN: _l("Not completed"),
}
SHORT_LABELS = {  # under the bars, where the long labels would not fit
    core.ON_TIME: _l("On time"),
    core.LATE: _l("Late"),
    core.OVERDUE: _l("Overdue"),
    core.NOT_DUE: _l("Not yet due"),
    core.COMPLETED: _l("Completed"),
    core.OPEN: _l("Not completed"),
}
DUE_STANDINGS = (core.ON_TIME, core.LATE, core.OVERDUE, core.NOT_DUE)
UNDUE_STANDINGS = (core.COMPLETED, core.OPEN)


def local_moment(moment: datetime | None, zone: str | None = None) -> str:
    """A moment in the reader's format, in the assignment's time zone if given (the zone the due day was set in)."""
    if moment is None:
        return "–"
    if zone:
        return format_datetime(moment.astimezone(ZoneInfo(zone)), "medium", rebase=False) + f" ({zone})"
    return format_datetime(moment, "medium")


@bp.get("")
@readers_required
def index():
    return render_template(
        "reports/index.html",
        groups=operations.reports_in_view(current_user),
        local_moment=local_moment,
        lang=current_language(),
    )


def _load(group_id: int, course_id: str) -> operations.Report:
    group = operations.group_in_view(current_user, group_id)
    course = catalog().course(course_id)
    return operations.report(group, course)


@bp.get("/groups/<int:group_id>/courses/<course_id>")
@readers_required
def group_course(group_id: int, course_id: str):
    report = _load(group_id, course_id)
    lang = current_language()
    headline = report.headline
    standings = DUE_STANDINGS if report.due_at else UNDUE_STANDINGS
    counts = {
        core.ON_TIME: headline.on_time,
        core.LATE: headline.late,
        core.OVERDUE: headline.overdue,
        core.NOT_DUE: headline.not_due,
        core.COMPLETED: headline.completed,
        core.OPEN: headline.open,
    }
    standing_rows = [(str(STANDING_LABELS[key]), counts[key]) for key in standings]
    weeks = report.weeks()
    bins = [f"{low}–{high}" for low, high in bin_labels()]
    quiz_bins, sandbox_bins = report.quiz_bins(), report.sandbox_bins()
    svgs = {}
    if report.members:
        svgs = {
            "completions": charts.completions("completions", _("Completions over time"), weeks, headline.members),
            "standing": charts.bars(
                "standing",
                _("On time and overdue"),
                _("Bar chart of the members by where they stand against the due date; the table has the numbers."),
                [str(SHORT_LABELS[key]) for key in standings],
                [count for _label, count in standing_rows],
                _("Members"),
            ),
            "quiz": charts.bars(
                "quiz-scores",
                _("Quiz results"),
                _(
                    "Histogram of %(count)d members' quiz results (the mean of each member's best result per quiz) "
                    "in 10-point bins.",
                    count=sum(quiz_bins),
                ),
                bins,
                quiz_bins,
                _("Quiz result (%)"),
            ),
            "sandbox": charts.bars(
                "sandbox-scores",
                _("Sandbox scores"),
                _("Histogram of %(count)d members' best sandbox scores in 10-point bins.", count=sum(sandbox_bins)),
                bins,
                sandbox_bins,
                _("Best score (points)"),
            ),
        }
    return render_template(
        "reports/report.html",
        report=report,
        headline=headline,
        standing_rows=standing_rows,
        weeks=weeks,
        bins=bins,
        quiz_bins=quiz_bins,
        sandbox_bins=sandbox_bins,
        svgs=svgs,
        local_moment=local_moment,
        lang=lang,
    )


@bp.post("/groups/<int:group_id>/courses/<course_id>.csv")
@readers_required
def group_course_csv(group_id: int, course_id: str):
    """Queue the report's CSV as a background job: the group must be in the account's view now (404 otherwise)."""
    report = _load(group_id, course_id)
    back = url_for("reports.group_course", group_id=report.group.id, course_id=report.course.id)
    return jobs.start(GROUP_CSV.name, {"group_id": report.group.id, "course_id": report.course.id}, back)


def group_course_csv_job(params: dict, progress: Progress) -> Result:
    """The group report's CSV in the asker's language; the group was in their view when they asked for it."""
    group = db.session.get(Group, params["group_id"])
    if group is None:
        raise LookupError(f"group {params['group_id']} was deleted after the report was asked for")
    report = operations.report(group, catalog().course(params["course_id"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            _("Name"),
            _("Email"),
            _("Status"),
            _("Completed at (UTC)"),
            _("Due at (UTC)"),
            _("On time"),
            _("Lessons done"),
            _("Quizzes passed"),
            _("Best quiz result (%, mean over the quizzes taken)"),
            _("Sandbox best score"),
        ]
    )
    # Translated once, not per row (see the learners CSV in course/analytics/views.py).
    statuses = {status: status_label(status) for status in ("certified", "completed", "in_progress", "not_started")}
    on_time = {core.ON_TIME: _("yes"), core.LATE: _("no"), core.OVERDUE: _("no"), core.NOT_DUE: _("open")}
    due = report.due_at.isoformat(timespec="seconds") if report.due_at else None
    progress(0, len(report.members))
    for member in report.members:
        cells = [
            member.name,
            member.email,
            statuses.get(member.status, member.status),
            member.completed_at.isoformat(timespec="seconds") if member.completed_at else None,
            due,
            on_time.get(report.standing(member)),
            member.lessons,
            member.quizzes_passed,
            round(member.quiz_percent, 1) if member.quiz_percent is not None else None,
            member.sandbox,
        ]
        writer.writerow([csv_cell(cell) for cell in cells])
    filename = f"report-group-{report.group.id}-{report.course.id}.csv"
    return Result(buffer.getvalue().encode("utf-8"), filename, "text/csv; charset=utf-8")


GROUP_CSV = register(JobKind("reports.group_csv", N_("Group report as CSV"), group_course_csv_job))
