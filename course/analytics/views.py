"""How learners do: the progress table, item statistics per quiz question, sandbox scores per scenario.

Managers, trainers and admins; a trainer or manager sees only the learners of the groups they look after
(course/groups/operations.py `learners_in_view`, applied in SQL), and a learner out of view looks missing. Every page
reads the published course from the catalog (an unknown course or quiz is a 404) and costs a fixed number of queries
whatever the number of learners. Query parameters that make no sense fall back to their defaults, so an old or
hand-edited link still shows a page.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from course.analytics import operations
from course.analytics.charts import histogram
from course.auth.access import readers_required
from course.core.analytics.tables import bin_labels, csv_cell
from course.core.errors import N_, NotFound
from course.core.quiz.statistics import DUBIOUS_EFFICIENCY, VERY_EASY_FACILITY, VERY_HARD_FACILITY, ItemFlag
from course.core.sandbox import SCENARIOS
from course.forms import whole_number
from course.groups import operations as groups
from course.i18n import current_language
from course.jobs import operations as jobs
from course.jobs import views as job_views
from course.jobs.registry import JobKind, Progress, Result, register
from course.publishing.cache import catalog
from course.quiz.operations import quiz_of
from course.quiz.presenting import question_views

bp = Blueprint("analytics", __name__, url_prefix="/studio")

STATUS_LABELS = {
    "all": _l("All learners"),
    "certified": _l("Certificate issued"),
    "completed": _l("Completed, no certificate yet"),
    "in_progress": _l("In progress"),
    "not_started": _l("Not started"),
}
SORT_LABELS = {
    "name": _l("Name"),
    "email": _l("Email"),
    "lessons": _l("Lessons done"),
    "quizzes": _l("Quizzes passed"),
    "sandbox": _l("Sandbox score"),
}
ATTEMPT_MODES = ("first", "all")


def flag_explanation(flag: ItemFlag) -> str:
    """Why a flagged question deserves a look, in words a trainer can act on."""
    if flag is ItemFlag.VERY_EASY:
        return _(
            "Very easy: learners scored %(percent)d %% of the marks or more. It barely tells strong and weak "
            "learners apart; make the wrong options more plausible.",
            percent=round(100 * VERY_EASY_FACILITY),
        )
    if flag is ItemFlag.VERY_HARD:
        return _(
            "Very hard: learners scored %(percent)d %% of the marks or less. Check the answer key and the wording.",
            percent=round(100 * VERY_HARD_FACILITY),
        )
    if flag is ItemFlag.NEGATIVE_DISCRIMINATION:
        return _(
            "Negative discrimination: learners who did well on the rest of the quiz did worse on this question. "
            "The key may be wrong, or the question may be misleading."
        )
    return _(
        "Dubious: the discriminative efficiency is below %(percent)d %%, so the question hardly separates learners "
        "who know the topic from those who do not.",
        percent=round(DUBIOUS_EFFICIENCY),
    )


@bp.app_template_filter("stat")
def stat(value: float | None, pattern: str = "#,##0.0") -> str:
    """A statistic in the reader's number format; a dash where it is undefined."""
    return "–" if value is None else format_decimal(value, format=pattern)


@bp.app_template_filter("status_label")
def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def _scope():  # noqa: ANN202 - a SELECT of user ids, or None for everyone
    """The learners the signed-in trainer or manager looks after (None: everyone)."""
    return groups.learners_in_view(current_user)


def _no_group() -> bool:
    """Whether the page is empty because the account looks after no group yet (the page says so)."""
    return groups.looks_after_no_group(current_user)


def _in_view(user_id: int, message: str) -> None:
    """A learner out of the account's view is reported exactly like a missing one."""
    if not groups.may_see_learner(current_user, user_id):
        raise NotFound(message)


def _learner_filter() -> operations.LearnerFilter:
    args = request.args
    return operations.LearnerFilter.parse(args.get("q"), args.get("status"), args.get("sort"), args.get("dir"))


@bp.get("/progress")
@readers_required
def courses():
    """The way in for managers (the studio is for authors): every course with its progress pages."""
    return render_template(
        "analytics/courses.html", courses=catalog().courses, no_group=_no_group(), lang=current_language()
    )


@bp.get("/courses/<course_id>/learners")
@readers_required
def learners(course_id: str):
    course = catalog().course(course_id)
    wanted = _learner_filter()
    page = operations.learner_page(course, wanted, whole_number(request.args.get("page"), 1) or 1, learners=_scope())
    return render_template(
        "analytics/learners.html",
        course=course,
        no_group=_no_group(),
        wanted=wanted,
        result=page,
        statuses=STATUS_LABELS,
        sorts=SORT_LABELS,
        lang=current_language(),
    )


@bp.post("/courses/<course_id>/learners.csv")
@readers_required
def learners_csv(course_id: str):
    """Queue the CSV of the learners the table's filter selects as a background job, for the learners in view now."""
    course = catalog().course(course_id)
    form = request.form
    wanted = operations.LearnerFilter.parse(form.get("q"), form.get("status"), form.get("sort"), form.get("dir"))
    params = {
        "course_id": course.id,
        "q": wanted.query,
        "status": wanted.status,
        "sort": wanted.sort,
        "dir": "desc" if wanted.descending else "asc",
        "learners": jobs.capture_scope(current_user),
    }
    back = url_for("analytics.learners", course_id=course.id, **_filter_args(wanted))
    return job_views.start(LEARNERS_CSV.name, params, back)


def _filter_args(wanted: operations.LearnerFilter) -> dict:
    """The table's filter as the query string of its page (the defaults left out, as the page writes it)."""
    return {
        "q": wanted.query or None,
        "status": wanted.status if wanted.status != "all" else None,
        "sort": wanted.sort if wanted.sort != "name" else None,
        "dir": "desc" if wanted.descending else None,
    }


def learners_csv_job(params: dict, progress: Progress) -> Result:
    """The learners CSV, in the asker's language, of the learners they could see when they asked for it."""
    course = catalog().course(params["course_id"])
    wanted = operations.LearnerFilter.parse(
        params.get("q"), params.get("status"), params.get("sort"), params.get("dir")
    )
    quiz_ids = [quiz.id for quiz in course.quizzes]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            _("Name"),
            _("Email"),
            _("Status"),
            _("Lessons done"),
            _("Lessons in the course"),
            _("Quizzes passed"),
            *(_("Best result %(quiz)s (%%)", quiz=quiz_id) for quiz_id in quiz_ids),
            _("Sandbox score"),
            _("Certificate"),
            _("Certificate state"),
            _("Last activity (UTC)"),
        ]
    )
    # Translated once, not per row: 10,000 rows would otherwise cost 40,000 look-ups (a third of the export).
    statuses = {status: status_label(status) for status in STATUS_LABELS}
    states = {"valid": _("valid"), "revoked": _("revoked"), "none": _("none")}
    for number, row in enumerate(operations.all_learners(course, wanted, jobs.captured_scope(params["learners"]))):
        if number % 100 == 0:  # translated and written now and then, not per row
            progress(number, None, _("%(count)d learners written", count=number))
        state = "valid" if row.certificate else ("revoked" if row.revoked else "none")
        best = [row.quizzes[quiz_id].percent if quiz_id in row.quizzes else None for quiz_id in quiz_ids]
        cells = [
            row.name,
            row.email,
            statuses.get(row.status, row.status),
            row.lessons,
            len(course.lessons),
            row.quizzes_passed,
            *best,
            row.sandbox,
            row.certificate,
            states[state],
            row.last_activity.isoformat(timespec="seconds") if row.last_activity else None,
        ]
        writer.writerow([csv_cell(cell) for cell in cells])
    return Result(buffer.getvalue().encode("utf-8"), f"{course.id}-learners.csv", "text/csv; charset=utf-8")


LEARNERS_CSV = register(JobKind("analytics.learners_csv", N_("Learners of a course as CSV"), learners_csv_job))


@bp.get("/courses/<course_id>/learners/<int:user_id>")
@readers_required
def learner(course_id: str, user_id: int):
    course = catalog().course(course_id)
    detail = operations.learner_detail(course, user_id)
    _in_view(user_id, N_("There is no such learner."))
    return render_template(
        "analytics/learner.html", course=course, detail=detail, scenarios=SCENARIOS, lang=current_language()
    )


@bp.get("/courses/<course_id>/learners/<int:user_id>/attempts/<int:attempt_id>")
@readers_required
def attempt_review(course_id: str, user_id: int, attempt_id: int):
    """A learner's submitted attempt as the learner's review shows it, against the quiz revision it was taken on."""
    course = catalog().course(course_id)
    user, attempt = operations.learner_attempt(course, user_id, attempt_id)
    _in_view(user_id, N_("There is no such attempt."))
    quiz = quiz_of(attempt, course)
    lang = current_language()
    return render_template(
        "analytics/attempt_review.html",
        course=course,
        learner=user,
        quiz=quiz,
        attempt=attempt,
        questions=question_views(attempt, course, quiz, lang, reveal=True),
        lang=lang,
    )


@bp.get("/courses/<course_id>/quizzes")
@readers_required
def quizzes(course_id: str):
    course = catalog().course(course_id)
    lang = current_language()
    reports = operations.course_reports(course, lang, learners=_scope())
    return render_template("analytics/quizzes.html", course=course, reports=reports, no_group=_no_group(), lang=lang)


@bp.get("/courses/<course_id>/quizzes/<quiz_id>/statistics")
@readers_required
def statistics(course_id: str, quiz_id: str):
    course = catalog().course(course_id)
    quiz = course.quiz(quiz_id)
    mode = request.args.get("attempts", "first")
    if mode not in ATTEMPT_MODES:
        mode = "first"
    lang = current_language()
    report = operations.quiz_report(course, quiz, mode == "first", lang, learners=_scope())
    editor = url_for("authoring.edit", path=quiz.path) if quiz.path and current_user.is_staff else None
    return render_template(
        "analytics/statistics.html",
        course=course,
        quiz=quiz,
        report=report,
        mode=mode,
        editor=editor,
        no_group=_no_group(),
        explain=flag_explanation,
        lang=lang,
    )


@bp.get("/courses/<course_id>/sandbox")
@readers_required
def sandbox(course_id: str):
    course = catalog().sandbox_course(course_id)
    lang = current_language()
    threshold = course.completion.sandbox
    scores = operations.scenario_scores(course, list(SCENARIOS), learners=_scope())
    charts = {
        entry.scenario_id: histogram(
            f"scores-{entry.scenario_id}", _scenario_title(entry.scenario_id, lang), entry.bins, threshold
        )
        for entry in scores
    }
    return render_template(
        "analytics/sandbox.html",
        course=course,
        scores=scores,
        charts=charts,
        bins=bin_labels(),
        threshold=threshold,
        title=_scenario_title,
        no_group=_no_group(),
        lang=lang,
    )


def _scenario_title(scenario_id: str, lang: str) -> str:
    found = SCENARIOS.get(scenario_id)
    return found.title(lang) if found else scenario_id
