from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user, login_required

from course.assignments import operations as assignments
from course.assignments.presenting import due_view
from course.core import completion
from course.core.catalog import Course
from course.core.path import LESSON, course_path
from course.extensions import db
from course.i18n import current_language
from course.learn import guide, operations
from course.models import CurrentUser
from course.pages import render_page
from course.publishing.cache import catalog

bp = Blueprint("learn", __name__)
bp.add_app_template_global(guide.course_sidebar)
bp.add_app_template_global(guide.path_continue)
bp.add_app_template_global(guide.following, "following_step")
bp.add_app_template_global(course_path, "path_of")  # the sidebar fragment builds the path only when drawn
bp.add_app_template_global(guide.step_url, "path_step_url")
bp.add_app_template_filter(guide.time_left, "time_left")


def _progress(user: CurrentUser | AnonymousUserMixin, rule: completion.Requirements) -> completion.Progress:
    """What the user has done in the course; nothing for visitors."""
    if not user.is_authenticated:
        return completion.Progress()
    return operations.progress(user, rule)


@bp.get("/")
def index():
    user = current_user._get_current_object()
    courses, dues = assignments.home_courses(user, catalog().courses)
    if len(courses) == 1:  # the course's overview, with the due date just read
        return _overview_page(user, courses[0], dues.get(courses[0].id))
    due_views = {
        course.id: due_view(dues[course.id], _completed(user, course)) for course in courses if course.id in dues
    }
    return render_template("learn/courses.html", courses=courses, dues=due_views, lang=current_language())


def _completed(user: CurrentUser, course: Course) -> bool:
    return completion.percent(course.requirements, _progress(user, course.requirements)) == 100


@bp.get("/courses/<course_id>")
def overview(course_id: str):
    user = current_user._get_current_object()
    course = assignments.visible(catalog().course(course_id), user)
    return _overview_page(user, course, assignments.due_of(user, course))


def _overview_page(user: CurrentUser | AnonymousUserMixin, course: Course, due: assignments.Due | None) -> str:
    lang = current_language()
    rule = course.requirements
    learner = _progress(user, rule)
    percent = completion.percent(rule, learner)
    done, passed, sandbox_score = learner.lessons, learner.passed, learner.sandbox
    certificate_id = user.certificates.get(course.id) if user.is_authenticated else None
    return render_page(
        "learn/overview.html",
        course=course,
        lang=lang,
        authenticated=user.is_authenticated,
        done=done,
        passed=passed,
        percent=percent,
        due=due_view(due, percent == 100) if due is not None else None,
        sandbox_score=sandbox_score,
        sandbox_done=bool(completion.sandbox_done(rule, learner)),
        certificate_id=certificate_id,
        steps=completion.checklist(rule, learner),
        path=course_path(course, learner, lang, certified=certificate_id is not None),
    )


@bp.get("/courses/<course_id>/lessons/<lesson_id>")
def lesson(course_id: str, lesson_id: str):
    user = current_user._get_current_object()  # one proxy lookup for the whole view
    course = assignments.visible(catalog().course(course_id), user)  # an open course asks the database nothing
    lang = current_language()
    holes, context = lesson_page(course, lesson_id, user, lang)
    if user.is_authenticated:
        operations.viewed(user, course, lesson_id, lang)
    return render_page(LESSON_TEMPLATE, holes, **context)


LESSON_TEMPLATE = "learn/lesson.html"


def lesson_page(
    course: Course, lesson_id: str, user: CurrentUser | AnonymousUserMixin, lang: str
) -> tuple[dict[str, Callable[[], str]], dict[str, object]]:
    """A lesson page's own holes (the course sidebar) and its context, for the view and for the page lane
    (course/fast/lane.py), which serves a learner's lesson page without Flask's request handling."""
    current = course.lesson(lesson_id)
    learner = _progress(user, course.requirements)
    before, after = course.neighbours(lesson_id)
    authenticated = user.is_authenticated
    here = (LESSON, lesson_id)
    holes = {"course_path": lambda: guide.sidebar_html(course, lang, here, authenticated, learner, user)}
    context = {
        "course": course,
        "lesson": current,
        "text": current.text(lang, (course.source_language,)),
        "lang": lang,
        "before": before,
        "after": after,
        "authenticated": authenticated,
        "done": lesson_id in learner.lessons,
    }
    return holes, context


@bp.post("/courses/<course_id>/lessons/<lesson_id>/complete")
@login_required
def complete(course_id: str, lesson_id: str):
    """Record the lesson, say so, and go on along the path (to the lesson's quiz, else the next step)."""
    course = assignments.visible_course(course_id)
    operations.mark_complete(current_user, course, lesson_id)
    db.session.commit()
    lang = current_language()
    title = course.lesson(lesson_id).text(lang, (course.source_language,)).title
    flash(_("Lesson “%(title)s” marked as completed.", title=title), "success")
    step = guide.following(course, LESSON, lesson_id, lang)
    return redirect(guide.step_url(step, course) if step else url_for("learn.overview", course_id=course_id))


@bp.app_template_filter("lesson_title")
def lesson_title(lesson, lang: str) -> str:  # noqa: ANN001 - catalog Lesson
    return lesson.text(lang).title
