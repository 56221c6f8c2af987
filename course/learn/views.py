from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import AnonymousUserMixin, current_user, login_required

from course.auth.operations import RequestUser
from course.core.catalog import Course
from course.extensions import db
from course.i18n import current_language
from course.learn import operations
from course.models import User
from course.pages import shells, user_holes
from course.publishing.cache import catalog

bp = Blueprint("learn", __name__)


def _progress(user: User | RequestUser | AnonymousUserMixin, course: Course) -> tuple[set[str], set[str], float | None]:
    """(completed lesson ids, passed quiz ids, best sandbox score or None); empty for visitors."""
    if not user.is_authenticated:
        return set(), set(), None
    return (
        operations.completed_lessons(user, course),
        operations.passed_quizzes(user, course),
        user.sandbox.get(course.id),
    )


@bp.get("/")
def index():
    courses = catalog().courses
    if len(courses) == 1:
        return overview(courses[0].id)
    return render_template("learn/courses.html", courses=courses, lang=current_language())


@bp.get("/courses/<course_id>")
def overview(course_id: str):
    current_catalog = catalog()
    course = current_catalog.course(course_id)
    lang = current_language()
    user = current_user._get_current_object()
    done, passed, sandbox_score = _progress(user, course)
    certificate_id = user.certificates.get(course.id) if user.is_authenticated else None
    return shells().render(
        (course_id, lang, user.is_authenticated, frozenset(done), frozenset(passed), sandbox_score, certificate_id),
        current_catalog.version,
        "learn/overview.html",
        user_holes(user),
        course=course,
        lang=lang,
        authenticated=user.is_authenticated,
        done=done,
        passed=passed,
        percent=operations.course_percent(course, done, passed, operations.sandbox_done(course, sandbox_score)),
        sandbox_score=sandbox_score,
        certificate_id=certificate_id,
        steps=operations.checklist(course, done, passed, sandbox_score),
        next_lesson=next((lesson for lesson in course.lessons if lesson.id not in done), None),
    )


@bp.get("/courses/<course_id>/lessons/<lesson_id>")
def lesson(course_id: str, lesson_id: str):
    current_catalog = catalog()
    course = current_catalog.course(course_id)
    current = course.lesson(lesson_id)
    lang = current_language()
    user = current_user._get_current_object()  # one proxy lookup for the whole view
    done, passed, sandbox_score = _progress(user, course)
    before, after = course.neighbours(lesson_id)
    percent = operations.course_percent(course, done, passed, operations.sandbox_done(course, sandbox_score))
    holes = {**user_holes(user), "percent": lambda: str(percent)}
    authenticated, is_done = user.is_authenticated, lesson_id in done
    return shells().render(
        (course_id, lesson_id, lang, authenticated, is_done),
        current_catalog.version,
        "learn/lesson.html",
        holes,
        course=course,
        lesson=current,
        text=current.text(lang, (course.source_language,)),
        lang=lang,
        before=before,
        after=after,
        authenticated=authenticated,
        done=is_done,
    )


@bp.post("/courses/<course_id>/lessons/<lesson_id>/complete")
@login_required
def complete(course_id: str, lesson_id: str):
    course = catalog().course(course_id)
    operations.mark_complete(current_user, course, lesson_id)
    db.session.commit()
    _, after = course.neighbours(lesson_id)
    if after is None:
        return redirect(url_for("learn.overview", course_id=course_id))
    return redirect(url_for("learn.lesson", course_id=course_id, lesson_id=after.id))


@bp.app_template_filter("lesson_title")
def lesson_title(lesson, lang: str) -> str:  # noqa: ANN001 - catalog Lesson
    return lesson.text(lang).title
