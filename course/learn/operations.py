"""Learner progress: completed lessons, passed quizzes and the sandbox score."""

from __future__ import annotations

from dataclasses import dataclass

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


def passed_quizzes(user: User | RequestUser, course: Course) -> set[str]:
    """Ids of this course's current quizzes the user has passed (their best attempt counts)."""
    return {quiz_id for course_id, quiz_id in user.passed if course_id == course.id} & {q.id for q in course.quizzes}


def sandbox_done(course: Course, best_score: float | None) -> bool | None:
    """Whether the learner's best sandbox score reaches the course's threshold; None if the course sets none."""
    threshold = course.completion.sandbox
    if threshold is None:
        return None
    return best_score is not None and best_score >= threshold


def course_percent(course: Course, done: set[str], passed: set[str], sandbox: bool | None = None) -> int:
    """Share of the course's required steps: every lesson, every quiz if the course requires them, and the
    sandbox threshold if it sets one."""
    required = set(course.required_quizzes)
    steps = len(course.lessons) + len(required) + (sandbox is not None)
    return percent(len(done) + len(passed & required) + bool(sandbox), steps)


@dataclass(frozen=True)
class Step:
    """One line of the certificate checklist: what the completion rule asks, and whether it is done."""

    kind: str  # "lessons" | "quiz" | "sandbox"
    done: bool
    item: str = ""  # the quiz id
    count: int = 0  # lessons completed, or the best sandbox score
    total: int = 0  # lessons in the course, or the sandbox threshold


def checklist(course: Course, done: set[str], passed: set[str], sandbox_score: float | None) -> list[Step]:
    """The course's completion rule as steps: all lessons, each required quiz, the sandbox threshold."""
    lessons = len(done & set(course.lesson_ids))
    steps = [Step("lessons", lessons == len(course.lessons), count=lessons, total=len(course.lessons))]
    steps += [Step("quiz", quiz_id in passed, item=quiz_id) for quiz_id in course.required_quizzes]
    threshold = course.completion.sandbox
    if threshold is not None:
        score = sandbox_score if sandbox_score is not None else 0.0
        steps.append(Step("sandbox", score >= threshold, count=round(score), total=threshold))
    return steps


def percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0
