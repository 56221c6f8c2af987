"""Learner progress: recording completed lessons, and reading what a learner has done for the completion rule
(course/core/completion.py)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from course import events
from course.core import completion
from course.core.catalog import Course
from course.extensions import db
from course.models import CurrentUser, LessonProgress, utcnow


def progress(user: CurrentUser, rule: completion.Requirements) -> completion.Progress:
    """What the user has done in the rule's course, read from the user as loaded for the request; lessons and
    quizzes the course no longer has are left out."""
    return completion.progress(
        rule,
        (lesson_id for course_id, lesson_id in user.completed if course_id == rule.course_id),
        (quiz_id for course_id, quiz_id in user.passed if course_id == rule.course_id),
        user.sandbox.get(rule.course_id),
    )


def mark_complete(user: CurrentUser, course: Course, lesson_id: str) -> None:
    """Record completion once; completing again (or in two tabs at once) changes nothing."""
    course.lesson(lesson_id)
    if (course.id, lesson_id) in user.completed:  # the user was loaded with their progress
        return
    try:
        with db.session.begin_nested():
            db.session.add(LessonProgress(user_id=user.id, course_id=course.id, lesson_id=lesson_id))
    except IntegrityError:
        return
    now = utcnow()
    events.emit(events.LessonCompleted(user.id, course.id, lesson_id, now))
    events.progress_changed(user.id, course.id, now)


def viewed(user: CurrentUser, course: Course, lesson_id: str, lang: str) -> None:
    """Tell other systems (an LRS) that a learner read a lesson; commits only if one of them wants to know, so a
    lesson page writes nothing when no integration listens."""
    if events.emit(events.LessonViewed(user.id, course.id, lesson_id, lang, utcnow())):
        db.session.commit()
