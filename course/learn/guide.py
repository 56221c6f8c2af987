"""The guided path on the pages: the course sidebar and the one "Continue" button (the path is course/core/path.py).

Pages rendered per request (quizzes, sandbox) call the template globals `course_sidebar` and `path_continue`.
Cached lesson pages cannot read the learner in their template: the view fills their sidebar as a hole with
`sidebar_html`, and their "Continue" target is the same for everyone (the step after the lesson), so the template
finds it (`following_step`) while the shell renders. The sidebar itself is drawn once per learner state (progress
and certificate) and page it marks (a fragment, course/fast/shells.py), since drawing it cost more than the rest of
a lesson page; the path is built only to draw it.
"""

from __future__ import annotations

from flask import g, get_template_attribute, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user
from markupsafe import Markup

from course.core import completion
from course.core.catalog import Course
from course.core.path import DONE, LESSON, QUIZ, SANDBOX, Path, Step, course_path
from course.i18n import current_language
from course.learn import operations
from course.models import CurrentUser
from course.pages import render_fragment


def learner_state(
    course: Course, learner: completion.Progress | None = None, user: CurrentUser | AnonymousUserMixin | None = None
) -> tuple[completion.Progress, bool]:
    """What the path of whoever is logged in (or `user`) depends on: their progress in the course and whether they
    hold its certificate; visitors have done nothing. Without `learner`, the progress is read once per request and
    course: a page with the sidebar and a Continue button asks for it twice."""
    if user is None:
        user = current_user._get_current_object()
    if not user.is_authenticated:
        return completion.Progress(), False
    if learner is None:
        read = g.setdefault("course_progress", {})
        if course.id not in read:
            read[course.id] = operations.progress(user, course.requirements)
        learner = read[course.id]
    return learner, course.id in user.certificates


def learner_path(course: Course, lang: str, learner: completion.Progress | None = None) -> Path:
    """The path for whoever is logged in; visitors get it with every step to do (the pages then hide states)."""
    progress, certified = learner_state(course, learner)
    return course_path(course, progress, lang, certified=certified)


def following(course: Course, kind: str, step_id: str, lang: str) -> Step | None:
    """The step after (kind, id): the same for every learner, so a cached page may carry it."""
    return course_path(course, completion.Progress(), lang).after(kind, step_id)


def sidebar_html(
    course: Course,
    lang: str,
    here: tuple[str, str] | None,
    authenticated: bool,
    learner: completion.Progress | None = None,
    user: CurrentUser | AnonymousUserMixin | None = None,
) -> Markup:
    """Drawn once per course, language, page and state of the learner (course/pages.py, `render_fragment`): keyed on
    what the path is made of, the progress and the certificate, so the path is built only when the sidebar is drawn.
    (Learners with the same path but different sandbox scores get a drawing each.)"""
    progress, certified = learner_state(course, learner, user)
    return render_fragment(
        "learn/sidebar.html",
        shells="sidebars",
        course=course,
        lang=lang,
        here=here,
        learner=progress,
        certified=certified,
        authenticated=authenticated,
    )


def course_sidebar(course: Course, kind: str | None = None, step_id: str | None = None) -> Markup:
    """The sidebar for a page rendered per request; (kind, id) names the step the page belongs to."""
    lang = current_language()
    here = (kind, step_id) if kind and step_id else None
    return sidebar_html(course, lang, here, current_user.is_authenticated)


def path_continue(course: Course, kind: str, step_id: str, *, when_done: bool = False) -> Markup:
    """The primary "Continue" link from the page of step (kind, id) to the step after it; empty after the last, and
    with `when_done` also while the learner has not done that step (the sandbox's result page)."""
    lang = current_language()
    step = following(course, kind, step_id, lang)
    if step is None:
        return Markup("")
    if when_done:
        mine = learner_path(course, lang).step(kind, step_id)
        if mine is None or mine.state != DONE:
            return Markup("")
    macro = get_template_attribute("learn/path.html", "continue_button")
    return Markup(macro(step, course, lang))  # noqa: S704 - rendered by an autoescaping template


def step_url(step: Step, course: Course) -> str:
    if step.kind == LESSON:
        return url_for("learn.lesson", course_id=course.id, lesson_id=step.id)
    if step.kind == QUIZ:
        return url_for("quiz.show", course_id=course.id, quiz_id=step.id)
    if step.kind == SANDBOX:
        return url_for("sandbox.index", course_id=course.id)
    return url_for("certificates.mine", course_id=course.id)


def time_left(minutes: int) -> str:
    """Minutes as a reader estimates them: "45 min", "2 h 5 min"."""
    hours, rest = divmod(max(minutes, 0), 60)
    if not hours:
        return _("%(minutes)d min", minutes=rest)
    if not rest:
        return _("%(hours)d h", hours=hours)
    return _("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
