"""The events other areas emit (course/events.py), turned into xAPI statements queued in the outbox.

Each handler builds its statements with course/core/xapi.py and queues one outbox message per statement, keyed
by the statement's key, in the event's own transaction. `enabled` looks at the configuration only: a lesson page
costs nothing more when no LRS is configured.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale

from course import branding, events
from course.certificates.documents import verify_url
from course.core import xapi
from course.core.errors import NotFound
from course.core.sandbox import SCENARIOS
from course.extensions import db
from course.models import User
from course.outbox import operations as outbox
from course.publishing.cache import catalog
from course.urls import public_url

CHANNEL = "xapi"


def enabled(_event: object = None) -> bool:
    """An LRS is configured."""
    return bool(current_app.config.get("XAPI_LRS_URL"))


def this_site() -> xapi.Site:
    """This site as statements name it: its public address and its name in the default language."""
    with force_locale(current_app.config["DEFAULT_LANGUAGE"]):
        return xapi.Site(public_url(), branding.site_name(current_app.config["DEFAULT_LANGUAGE"]))


def _learner(site: xapi.Site, user_id: int) -> dict:
    mode = current_app.config["XAPI_ACTOR"]
    if mode == "account":
        return xapi.actor(site, mode, user_id)
    user = db.session.get(User, user_id)
    if user is None or not user.email:  # cannot happen for a learner acting now; never fail their request for it
        return xapi.actor(site, "account", user_id)
    return xapi.actor(site, mode, user_id, user.email, user.display_name)


def _queue(user_id: int, *statements: xapi.Statement) -> None:
    for statement in statements:
        outbox.enqueue(CHANNEL, statement.key, statement.body, user_id=user_id)


def course_names(course_id: str) -> dict[str, str] | None:
    """The course's titles, if the catalog still has the course (a statement is sent without them otherwise)."""
    try:
        return dict(catalog().course(course_id).titles)
    except NotFound:
        return None


def lesson_names(course_id: str, lesson_id: str) -> dict[str, str] | None:
    try:
        lesson = catalog().course(course_id).lesson(lesson_id)
    except NotFound:
        return None
    return {lang: text.title for lang, text in lesson.texts.items()}


def _local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(current_app.config["TIME_ZONE"])).date()


def lesson_viewed(event: events.LessonViewed) -> None:
    """At most once per learner, lesson and day (in the site's time zone): the INSERT of a later view is a no-op."""
    site = this_site()
    _queue(
        event.user_id,
        xapi.lesson_experienced(
            site,
            _learner(site, event.user_id),
            event.user_id,
            event.course_id,
            event.lesson_id,
            event.lang,
            event.at,
            _local_day(event.at),
            course_names(event.course_id),
            lesson_names(event.course_id, event.lesson_id),
        ),
    )


def lesson_completed(event: events.LessonCompleted) -> None:
    site = this_site()
    _queue(
        event.user_id,
        xapi.lesson_completed(
            site,
            _learner(site, event.user_id),
            event.user_id,
            event.course_id,
            event.lesson_id,
            event.at,
            course_names(event.course_id),
            lesson_names(event.course_id, event.lesson_id),
        ),
    )


def course_completed(event: events.CourseCompleted) -> None:
    site = this_site()
    _queue(
        event.user_id,
        xapi.course_completed(
            site,
            _learner(site, event.user_id),
            event.user_id,
            event.course_id,
            event.at,
            course_names(event.course_id),
        ),
    )


def quiz_submitted(event: events.QuizSubmitted) -> None:
    site = this_site()
    try:
        quiz = catalog().course(event.course_id).quiz(event.quiz_id)
    except NotFound:
        quiz = None
    answers = []
    for question in event.questions:
        texts = None
        if quiz is not None:
            try:
                texts = dict(quiz.question(question.question_id).text)
            except NotFound:
                texts = None
        answers.append(
            xapi.Answer(
                question.question_id, question.kind, question.fraction, question.points, question.response, texts
            )
        )
    _queue(
        event.user_id,
        *xapi.quiz_submitted(
            site,
            _learner(site, event.user_id),
            event.course_id,
            event.quiz_id,
            event.attempt_id,
            event.number,
            event.score,
            event.max_score,
            event.percent,
            event.passed,
            event.at,
            answers,
            course_names(event.course_id),
            dict(quiz.titles) if quiz is not None else None,
        ),
    )


def design_evaluated(event: events.DesignEvaluated) -> None:
    site = this_site()
    scenario = SCENARIOS.get(event.scenario_id)
    _queue(
        event.user_id,
        xapi.design_evaluated(
            site,
            _learner(site, event.user_id),
            event.course_id,
            event.design_id,
            event.version,
            event.scenario_id,
            event.score,
            event.passed,
            event.counts,
            event.at,
            course_names(event.course_id),
            dict(scenario.titles) if scenario is not None else None,
        ),
    )


def certificate_issued(event: events.CertificateIssued) -> None:
    site = this_site()
    _queue(
        event.user_id,
        xapi.certificate_earned(
            site,
            _learner(site, event.user_id),
            event.user_id,
            event.course_id,
            event.public_id,
            verify_url(event.public_id),
            event.at,
            course_names(event.course_id),
        ),
    )


events.subscribe(events.LessonViewed, lesson_viewed, enabled)
events.subscribe(events.LessonCompleted, lesson_completed, enabled)
events.subscribe(events.CourseCompleted, course_completed, enabled)
events.subscribe(events.QuizSubmitted, quiz_submitted, enabled)
events.subscribe(events.DesignEvaluated, design_evaluated, enabled)
events.subscribe(events.CertificateIssued, certificate_issued, enabled)
