"""Learner progress: which lessons a learner has completed."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from course.auth.operations import RequestUser
from course.core.catalog import Course
from course.extensions import db
from course.models import LessonProgress, User


def completed_lessons(user: User | RequestUser, course: Course) -> set[str]:
    """Ids of this course's current lessons the user completed (progress on removed lessons is ignored)."""
    return {lesson_id for course_id, lesson_id in user.completed if course_id == course.id} & set(course.lesson_ids)


def mark_complete(user: User | RequestUser, course: Course, lesson_id: str) -> None:
    """Record completion once; completing again (or in two tabs at once) changes nothing."""
    course.lesson(lesson_id)
    if (course.id, lesson_id) in user.completed:  # the user was loaded with their progress
        return
    try:
        with db.session.begin_nested():
            db.session.add(LessonProgress(user_id=user.id, course_id=course.id, lesson_id=lesson_id))
    except IntegrityError:
        pass


def percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0
