"""What happened to a learner that other systems hear of: xAPI statements for a Learning Record Store, webhooks for
HR systems, scores for an LMS's gradebook.

The area where something happens calls `emit(...)` inside its own transaction; each integration has subscribed a
handler that queues a message in the outbox (course/outbox/) in that same transaction. So a message exists exactly
when the event was committed, and the job sends it later: a slow or broken receiver never slows down or breaks
the learner's request. A handler's `enabled()` says whether it has anything to do (an LRS configured, a webhook
for this event); `emit` asks nothing else of the database when no handler is enabled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select

from course.core import completion
from course.core.errors import NotFound
from course.extensions import db


@dataclass(frozen=True)
class LessonViewed:
    user_id: int
    course_id: str
    lesson_id: str
    lang: str
    at: datetime


@dataclass(frozen=True)
class LessonCompleted:
    user_id: int
    course_id: str
    lesson_id: str
    at: datetime


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    kind: str  # the question's type, e.g. "single", "multiple", "numeric"
    fraction: float  # 0 … 1 of the question's points
    points: float
    response: Any  # what the learner answered, as stored with the attempt


@dataclass(frozen=True)
class QuizSubmitted:
    user_id: int
    course_id: str
    quiz_id: str
    attempt_id: int
    number: int  # the learner's first, second, … attempt at this quiz
    score: float
    max_score: float
    percent: float  # 0 … 100
    passed: bool
    best_percent: float  # the learner's best percentage at this quiz so far, this attempt included
    at: datetime
    questions: tuple[QuestionResult, ...] = field(default=())


@dataclass(frozen=True)
class DesignEvaluated:
    user_id: int
    course_id: str
    design_id: int
    version: int
    scenario_id: str
    score: float  # 0 … 100
    passed: bool
    best_score: float  # the learner's best sandbox score in this course so far, this one included
    counts: str | None  # what it does for the certificate: "assigned", "other" or None (a copy)
    at: datetime


@dataclass(frozen=True)
class CertificateIssued:
    user_id: int
    course_id: str
    public_id: str
    at: datetime


@dataclass(frozen=True)
class CertificateRevoked:
    user_id: int | None
    course_id: str
    public_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class CourseCompleted:
    """Every step the course asks for is done (the certificate may be claimed later, or never)."""

    user_id: int
    course_id: str
    at: datetime


@dataclass(frozen=True)
class LearnerOverdue:
    user_id: int
    course_id: str
    assignment_id: int
    due_at: datetime
    at: datetime


Event = (
    LessonViewed
    | LessonCompleted
    | QuizSubmitted
    | DesignEvaluated
    | CertificateIssued
    | CertificateRevoked
    | CourseCompleted
    | LearnerOverdue
)
E = TypeVar("E")


@dataclass(frozen=True)
class _Subscription:
    handler: Callable[[Any], None]
    enabled: Callable[[Any], bool]


_subscriptions: dict[type, list[_Subscription]] = {}


def _always(_event: object) -> bool:
    return True


def subscribe(event_type: type[E], handler: Callable[[E], None], enabled: Callable[[E], bool] = _always) -> None:
    """Call `handler(event)` for every event of this type whose `enabled(event)` is true. Subscribing the same
    handler again changes nothing (an app factory may run several times in one process)."""
    subscriptions = _subscriptions.setdefault(event_type, [])
    if all(s.handler is not handler for s in subscriptions):
        subscriptions.append(_Subscription(handler, enabled))


def wanted(event: object) -> bool:
    """Whether any handler would act on this event."""
    return any(s.enabled(event) for s in _subscriptions.get(type(event), ()))


def emit(event: object) -> int:
    """Hand the event to every enabled handler, in the caller's transaction (the caller commits). Returns how many
    handlers acted."""
    acted = 0
    for subscription in _subscriptions.get(type(event), ()):
        if subscription.enabled(event):
            subscription.handler(event)
            acted += 1
    return acted


def progress_changed(user_id: int, course_id: str, at: datetime) -> None:
    """After a lesson is completed, a quiz submitted or a design evaluated: emit CourseCompleted if every step of
    the course is now done. Asks the database only when something listens; the receivers' outbox keys make a
    second CourseCompleted for the same learner and course a no-op."""
    probe = CourseCompleted(user_id, course_id, at)
    if not wanted(probe):
        return
    from course.publishing.cache import catalog  # the catalog needs the app; events.py is imported early

    try:
        course = catalog().course(course_id)
    except NotFound:
        return
    if completion.complete(course.requirements, learner_progress(user_id, course.requirements)):
        emit(probe)


def learner_progress(user_id: int, rule: completion.Requirements) -> completion.Progress:
    """What a learner has done in the rule's course, read fresh from the database (the request's user snapshot
    predates the change that is being told)."""
    from course.models import LessonProgress, QuizResult, SandboxResult

    lessons = db.session.scalars(
        select(LessonProgress.lesson_id).where(
            LessonProgress.user_id == user_id, LessonProgress.course_id == rule.course_id
        )
    )
    passed = db.session.scalars(
        select(QuizResult.quiz_id).where(
            QuizResult.user_id == user_id, QuizResult.course_id == rule.course_id, QuizResult.passed.is_(True)
        )
    )
    sandbox = db.session.scalar(
        select(SandboxResult).where(SandboxResult.user_id == user_id, SandboxResult.course_id == rule.course_id)
    )
    return completion.progress(rule, lessons, passed, sandbox.standing if sandbox is not None else None)
