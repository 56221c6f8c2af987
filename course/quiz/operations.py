"""Quiz attempts in the database: start, save, check, submit, and the learner's best result."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from course.auth.operations import RequestUser
from course.core.catalog import Course
from course.core.errors import N_, CourseError, NotFound
from course.core.quiz import (
    AnswerError,
    AttemptRefused,
    Grade,
    Quiz,
    Slot,
    check_can_start,
    grade_answer,
    grade_attempt,
    make_layout,
    parse_quiz,
    ready_at,
)
from course.extensions import db
from course.models import ContentRevision, QuizAnswer, QuizAttempt, QuizResult, User, utcnow


class AttemptClosed(CourseError):
    """The attempt was already submitted (an old tab, a double click)."""


class AnswerLocked(CourseError):
    """The question was already checked; its answer can no longer change."""


def aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything here is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def layout_of(attempt: QuizAttempt) -> tuple[Slot, ...]:
    return tuple(Slot(question_id, tuple(order)) for question_id, order in attempt.layout)


def attempts_of(user: User | RequestUser, course_id: str, quiz_id: str) -> list[QuizAttempt]:
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user.id, QuizAttempt.course_id == course_id, QuizAttempt.quiz_id == quiz_id)
            .order_by(QuizAttempt.number)
        )
    )


MAX_ID = 2**31 - 1  # INTEGER on PostgreSQL: a larger id in a URL cannot exist (and must not reach the driver)


def own_attempt(attempt_id: int, user: User | RequestUser, *, for_update: bool = False) -> QuizAttempt:
    """The user's own attempt; someone else's is reported exactly like a missing one."""
    if not 0 < attempt_id <= MAX_ID:
        raise NotFound(N_("There is no such attempt."))
    query = select(QuizAttempt).where(QuizAttempt.id == attempt_id, QuizAttempt.user_id == user.id)
    if for_update:
        query = query.with_for_update()
    attempt = db.session.scalar(query)
    if attempt is None:
        raise NotFound(N_("There is no such attempt."))
    return attempt


def start_attempt(user: User | RequestUser, course: Course, quiz: Quiz) -> QuizAttempt:
    """Resume the open attempt, or start a new one if the limit and cooldown allow it."""
    attempts = attempts_of(user, course.id, quiz.id)
    for attempt in attempts:
        if attempt.status == "open":
            return attempt
    submitted = [aware(a.submitted_at) for a in attempts if a.submitted_at is not None]
    check_can_start(quiz, len(attempts), max(submitted, default=None), datetime.now(UTC))
    revision_id = db.session.scalar(
        select(ContentRevision.id)
        .where(ContentRevision.path == quiz.path, ContentRevision.checksum == quiz.checksum)
        .order_by(ContentRevision.number.desc())
        .limit(1)
    )
    if revision_id is None:
        raise NotFound(N_("This quiz is not published."))
    seed = secrets.randbits(62)
    attempt = QuizAttempt(
        user_id=user.id,
        course_id=course.id,
        quiz_id=quiz.id,
        number=len(attempts) + 1,
        revision_id=revision_id,
        seed=seed,
        layout=[[slot.question_id, list(slot.order)] for slot in make_layout(quiz, seed)],
        status="open",
    )
    try:
        with db.session.begin_nested():  # two tabs starting at once: the unique number decides
            db.session.add(attempt)
    except IntegrityError:
        raise AttemptRefused(N_("Another attempt was started at the same moment. Reload the page.")) from None
    return attempt


class _RevisionQuizzes:
    """Old quiz revisions parsed once per process: attempts are graded and reviewed against their own revision."""

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self._quizzes: OrderedDict[int, Quiz] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, revision_id: int, course: Course) -> Quiz:
        with self._lock:
            if revision_id in self._quizzes:
                self._quizzes.move_to_end(revision_id)
                return self._quizzes[revision_id]
        revision = db.session.get(ContentRevision, revision_id)
        if revision is None:
            raise NotFound(N_("The quiz revision of this attempt is gone."))
        quiz, problems = parse_quiz(revision.path, revision.source, course.id, course.languages)
        if quiz is None:
            raise NotFound(N_("The quiz revision of this attempt cannot be read: %(problem)s"), problem=problems[0])
        with self._lock:
            self._quizzes[revision_id] = quiz
            while len(self._quizzes) > self.limit:
                self._quizzes.popitem(last=False)
        return quiz


_revisions = _RevisionQuizzes()


def quiz_of(attempt: QuizAttempt, course: Course) -> Quiz:
    """The quiz exactly as the attempt started it: the published one if unchanged, else its old revision."""
    try:
        current = course.quiz(attempt.quiz_id)
    except NotFound:
        current = None
    if current is not None:
        checksum = db.session.scalar(select(ContentRevision.checksum).where(ContentRevision.id == attempt.revision_id))
        if checksum == current.checksum:
            return current
    return _revisions.get(attempt.revision_id, course)


def saved_answers(attempt: QuizAttempt) -> dict[str, QuizAnswer]:
    return {answer.question_id: answer for answer in attempt.answers}


def _answer_row(attempt: QuizAttempt, quiz: Quiz, question_id: str) -> QuizAnswer:
    rows = saved_answers(attempt)
    if question_id in rows:
        return rows[question_id]
    position = [slot.question_id for slot in layout_of(attempt)].index(question_id)
    row = QuizAnswer(question_id=question_id, position=position, max_mark=quiz.question(question_id).points)
    attempt.answers.append(row)
    return row


def save_responses(attempt: QuizAttempt, quiz: Quiz, responses: Mapping[str, object]) -> None:
    """Keep what the learner entered so far; checked answers stay as they were checked."""
    _require_open(attempt)
    for question_id, response in responses.items():
        row = _answer_row(attempt, quiz, question_id)
        if row.checked_at is None:
            row.response = response


def check_question(attempt: QuizAttempt, quiz: Quiz, question_id: str, response: object) -> Grade:
    """Grade one question now and lock its answer, so its feedback cannot be used to change it."""
    _require_open(attempt)
    row = _answer_row(attempt, quiz, question_id)
    if row.checked_at is not None:
        raise AnswerLocked(N_("This question was already checked; its answer cannot change."))
    if response is None:
        raise AnswerError(N_("Answer the question before you check it."))
    grade = grade_answer(quiz.question(question_id), response)
    row.response, row.checked_at, row.mark = response, utcnow(), grade.fraction * row.max_mark
    return grade


def submit_attempt(attempt: QuizAttempt, quiz: Quiz, responses: Mapping[str, object]) -> None:
    """Grade every question against the attempt's revision, close the attempt and update the best result."""
    save_responses(attempt, quiz, responses)
    layout = layout_of(attempt)
    for slot in layout:
        _answer_row(attempt, quiz, slot.question_id)
    rows = saved_answers(attempt)
    result = grade_attempt(quiz, layout, {qid: row.response for qid, row in rows.items()})
    for question_id, grade in result.grades.items():
        rows[question_id].mark = grade.fraction * rows[question_id].max_mark
    attempt.status, attempt.submitted_at = "submitted", utcnow()
    attempt.score, attempt.max_score, attempt.percent = result.score, result.max_score, result.percent
    attempt.passed = result.passed(quiz)
    _record_best(attempt)


def _record_best(attempt: QuizAttempt) -> None:
    result = db.session.scalar(
        select(QuizResult)
        .where(
            QuizResult.user_id == attempt.user_id,
            QuizResult.course_id == attempt.course_id,
            QuizResult.quiz_id == attempt.quiz_id,
        )
        .with_for_update()
    )
    if result is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    QuizResult(
                        user_id=attempt.user_id,
                        course_id=attempt.course_id,
                        quiz_id=attempt.quiz_id,
                        best_percent=attempt.percent,
                        passed=bool(attempt.passed),
                        attempts=1,
                    )
                )
            return
        except IntegrityError:
            return _record_best(attempt)  # a parallel submit created it; update that row
    result.best_percent = max(result.best_percent, attempt.percent or 0.0)
    result.passed = result.passed or bool(attempt.passed)
    result.attempts = (result.attempts or 0) + 1
    result.updated_at = utcnow()
    return None


def _require_open(attempt: QuizAttempt) -> None:
    if attempt.status != "open":
        raise AttemptClosed(N_("This attempt was already submitted."))


@dataclass(frozen=True)
class QuizStanding:
    """What the quiz page tells a learner about their attempts."""

    attempts: list[QuizAttempt]
    open_attempt: QuizAttempt | None
    best_percent: float | None
    passed: bool
    attempts_left: int | None
    ready_at: datetime | None


def standing(user: User | RequestUser, course: Course, quiz: Quiz) -> QuizStanding:
    attempts = attempts_of(user, course.id, quiz.id)
    submitted = [a for a in attempts if a.status == "submitted"]
    last = max((aware(a.submitted_at) for a in submitted), default=None)
    ready = ready_at(quiz, last)
    return QuizStanding(
        attempts=attempts,
        open_attempt=next((a for a in attempts if a.status == "open"), None),
        best_percent=max((a.percent or 0.0 for a in submitted), default=None),
        passed=any(a.passed for a in submitted),
        attempts_left=None if quiz.max_attempts is None else max(0, quiz.max_attempts - len(attempts)),
        ready_at=ready if ready is not None and ready > datetime.now(UTC) else None,
    )
