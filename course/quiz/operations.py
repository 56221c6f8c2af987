"""Quiz attempts in the database: start, save, check, submit, and the learner's best result."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import TypeVar

from sqlalchemy import bindparam, case, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from course import events, fast
from course.core import caching
from course.core.analytics.answers import answer_rows
from course.core.catalog import Course
from course.core.errors import N_, CourseError, NotFound
from course.core.quiz import (
    AnswerError,
    AttemptRefused,
    AttemptResult,
    Grade,
    Quiz,
    Slot,
    check_can_start,
    grade_answer,
    grade_attempt,
    make_layout,
    parse_quiz,
    question_type,
    ready_at,
)
from course.extensions import db, lock_for_writing
from course.fast import attempt_page
from course.fast import attempts as fast_attempts
from course.fast.attempt_page import AttemptSnapshot
from course.models import ContentRevision, CurrentUser, QuizAnswer, QuizAttempt, QuizResult, utcnow


class AttemptClosed(CourseError):
    """The attempt was already submitted (an old tab, a double click)."""


class AnswerLocked(CourseError):
    """The question was already checked; its answer can no longer change."""


ShownAttempt = QuizAttempt | AttemptSnapshot  # an attempt a page only reads: the row, or its snapshot
A = TypeVar("A", QuizAttempt, AttemptSnapshot)


def layout_of(attempt: ShownAttempt) -> tuple[Slot, ...]:
    return tuple(Slot(question_id, tuple(order)) for question_id, order in attempt.layout)


def attempts_of(user: CurrentUser, course_id: str, quiz_id: str) -> list[QuizAttempt]:
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user.id, QuizAttempt.course_id == course_id, QuizAttempt.quiz_id == quiz_id)
            .order_by(QuizAttempt.number)
        )
    )


MAX_ID = 2**31 - 1  # INTEGER on PostgreSQL: a larger id in a URL cannot exist (and must not reach the driver)


# Built once: every attempt page and answer starts with this query.
_OWN_ATTEMPT = select(QuizAttempt).where(
    QuizAttempt.id == bindparam("attempt_id"), QuizAttempt.user_id == bindparam("user_id")
)
_OWN_ATTEMPT_FOR_UPDATE = _OWN_ATTEMPT.with_for_update().execution_options(populate_existing=True)


def own_attempt(attempt_id: int, user: CurrentUser, *, for_update: bool = False) -> QuizAttempt:
    """The user's own attempt; someone else's is reported exactly like a missing one.

    `for_update` is for a request that changes the attempt (save, check, submit): the attempt is read under a
    lock held until the commit (PostgreSQL: its row; SQLite: the write lock), so a second request on it waits
    and then sees what the first stored, e.g. a checked answer or the closed attempt.
    """
    if not 0 < attempt_id <= MAX_ID:
        return _found(None)
    if for_update:
        lock_for_writing()
    query = _OWN_ATTEMPT_FOR_UPDATE if for_update else _OWN_ATTEMPT
    return _found(db.session.scalar(query, {"attempt_id": attempt_id, "user_id": user.id}))


def attempt_to_show(attempt_id: int, user: CurrentUser) -> ShownAttempt:
    """The user's own attempt for a page that only shows it; with the fast paths a read-only snapshot read in one
    statement on the bare driver (course/fast/attempt_page.py), else the ORM row."""
    if not fast.enabled():
        return own_attempt(attempt_id, user)
    return _found(attempt_page.own_attempt(attempt_id, user.id) if 0 < attempt_id <= MAX_ID else None)


def _found(attempt: A | None) -> A:
    """The attempt; a missing one, someone else's and an impossible id are all "no such attempt"."""
    if attempt is None:
        raise NotFound(N_("There is no such attempt."))
    return attempt


def start_attempt(user: CurrentUser, course: Course, quiz: Quiz) -> tuple[QuizAttempt, bool]:
    """Resume the open attempt, or start a new one if the limit and cooldown allow it; True if new."""
    attempts = attempts_of(user, course.id, quiz.id)
    for attempt in attempts:
        if attempt.status == "open":
            return attempt, False
    submitted = [a.submitted_at for a in attempts if a.submitted_at is not None]
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
        answers={},
        status="open",
    )
    try:
        with db.session.begin_nested():  # two tabs starting at once: the unique number decides
            db.session.add(attempt)
    except IntegrityError:
        raise AttemptRefused(N_("Another attempt was started at the same moment. Reload the page.")) from None
    return attempt, True


# Old quiz revisions, parsed once per process: attempts are graded and reviewed against their own revision, and
# only attempts started before a quiz changed need one. A revision never changes, so its id is the whole key.
REVISIONS_KEPT = 64
_revisions: caching.Cache[Quiz] = caching.cache("quiz.revisions", REVISIONS_KEPT)


def _revision_quiz(revision_id: int, course: Course) -> Quiz:
    """The quiz of an old revision (raises NotFound when it is gone or unreadable)."""
    found = _revisions.get(revision_id)
    if found is not None:
        return found
    revision = db.session.get(ContentRevision, revision_id)
    if revision is None:
        raise NotFound(N_("The quiz revision of this attempt is gone."))
    quiz, problems = parse_quiz(revision.path, revision.source, course.id, course.languages)
    if quiz is None:
        raise NotFound(N_("The quiz revision of this attempt cannot be read: %(problem)s"), problem=problems[0])
    return _revisions.put(revision_id, quiz)


def quiz_of(attempt: ShownAttempt, course: Course) -> Quiz:
    """The quiz exactly as the attempt started it: the published one if unchanged, else its old revision."""
    try:
        current = course.quiz(attempt.quiz_id)
    except NotFound:
        current = None
    if current is not None and _revision_checksum(attempt.revision_id) == current.checksum:
        return current
    return _revision_quiz(attempt.revision_id, course)


# Every attempt page asks which revision its attempt started: a revision never changes, so its checksum is kept
# (a short string per revision that attempts refer to; far more than a course ever publishes fit).
CHECKSUMS_KEPT = 4096
_checksums: caching.Cache[str] = caching.cache("quiz.revision-checksums", CHECKSUMS_KEPT)


def _revision_checksum(revision_id: int) -> str | None:
    checksum = _checksums.get(revision_id)
    if checksum is None:
        checksum = db.session.scalar(select(ContentRevision.checksum).where(ContentRevision.id == revision_id))
        if checksum is not None:  # a missing revision is asked again: it may be published later
            _checksums.put(revision_id, checksum)
    return checksum


@dataclass(frozen=True)
class SavedAnswer:
    response: object  # in the quiz key's own ids; None = not answered
    checked_at: str | None = None  # ISO time the learner checked it; then it is locked
    mark: float | None = None  # points, once checked or submitted (an essay: once a trainer graded it)
    max_mark: float = 0.0
    # An essay, once graded: the trainer's comment, who graded it and when (ISO time)
    comment: str | None = None
    graded_by: int | None = None
    graded_at: str | None = None

    @property
    def checked(self) -> bool:
        return self.checked_at is not None

    # `dataclasses.replace(self, response=…)` and `(…, mark=…)` at a third of its cost (it walks the fields on every
    # call): a submission makes two per question. Every field is passed on, in order.
    def answered(self, response: object) -> SavedAnswer:
        return SavedAnswer(
            response, self.checked_at, self.mark, self.max_mark, self.comment, self.graded_by, self.graded_at
        )

    def marked(self, mark: float | None) -> SavedAnswer:
        return SavedAnswer(
            self.response, self.checked_at, mark, self.max_mark, self.comment, self.graded_by, self.graded_at
        )

    def stored(self) -> dict:
        """As kept in the attempt's JSON column (a plain dict; `asdict` would deep-copy the response)."""
        stored = {
            "response": self.response,
            "checked_at": self.checked_at,
            "mark": self.mark,
            "max_mark": self.max_mark,
        }
        if self.graded_at is not None:
            stored.update(comment=self.comment, graded_by=self.graded_by, graded_at=self.graded_at)
        return stored


def saved_answers(attempt: ShownAttempt) -> dict[str, SavedAnswer]:
    return {question_id: SavedAnswer(**entry) for question_id, entry in (attempt.answers or {}).items()}


def _store(attempt: QuizAttempt, answers: Mapping[str, SavedAnswer]) -> None:
    """Write the answers back as a new value, so the change is seen and saved in one UPDATE."""
    attempt.answers = {question_id: answer.stored() for question_id, answer in answers.items()}


def merged_answers(attempt: ShownAttempt, quiz: Quiz, responses: Mapping[str, object]) -> dict[str, SavedAnswer]:
    """The saved answers with `responses` applied; a checked answer keeps what was checked."""
    answers = saved_answers(attempt)
    for question_id, response in responses.items():
        saved = answers.get(question_id)
        if saved is None:
            answers[question_id] = SavedAnswer(response, max_mark=quiz.question(question_id).points)
        elif not saved.checked:
            answers[question_id] = saved.answered(response)
    return answers


def save_responses(attempt: QuizAttempt, quiz: Quiz, responses: Mapping[str, object]) -> None:
    """Keep what the learner entered so far; checked answers stay as they were checked.

    Like `check_question` and `submit_attempt`, it merges into the answers as stored: the attempt must come
    from `own_attempt(..., for_update=True)`, so no other request changes them before the commit.
    """
    require_open(attempt)
    _store(attempt, merged_answers(attempt, quiz, responses))


def unanswered(attempt: QuizAttempt, quiz: Quiz, responses: Mapping[str, object]) -> list[int]:
    """Numbers of the questions that would have no answer if `responses` were saved now."""
    return unanswered_in(layout_of(attempt), merged_answers(attempt, quiz, responses))


def unanswered_in(layout: Sequence[Slot], answers: Mapping[str, SavedAnswer]) -> list[int]:
    """Numbers of the layout's questions that have no answer in `answers`."""
    return [
        number
        for number, slot in enumerate(layout, start=1)
        if slot.question_id not in answers or answers[slot.question_id].response is None
    ]


def check_question(attempt: QuizAttempt, quiz: Quiz, question_id: str, response: object) -> Grade:
    """Grade one question now and lock its answer, so its feedback cannot be used to change it."""
    require_open(attempt)
    answers = saved_answers(attempt)
    if question_id in answers and answers[question_id].checked:
        raise AnswerLocked(N_("This question was already checked; its answer cannot change."))
    if response is None:
        raise AnswerError(N_("Answer the question before you check it."))
    question = quiz.question(question_id)
    if question_type(question.type).graded_by_trainer:  # kept, not checked: there is nothing to check it against
        _store(attempt, merged_answers(attempt, quiz, {question_id: response}))
        raise AnswerError(N_("A trainer grades this answer once you have submitted the attempt."))
    grade = grade_answer(question, response)
    mark = grade.fraction * question.points
    answers[question_id] = SavedAnswer(response, utcnow().isoformat(), mark, question.points)
    _store(attempt, answers)
    return grade


def submit_attempt(attempt: QuizAttempt, quiz: Quiz, responses: Mapping[str, object]) -> None:
    """Grade every question against the attempt's revision, close the attempt, update the best result and write
    the answers' rows for the item statistics."""
    require_open(attempt)
    submission = graded_submission(attempt, quiz, merged_answers(attempt, quiz, responses))
    if submission.pending:  # an essay waits for a trainer: no result, no progress, no statistics until then
        if not close_attempt(attempt, submission.closed):
            raise AttemptClosed(N_("This attempt was already submitted."))
        return
    closing = fast_attempts.close_attempt if fast.enabled() else close_attempt
    if not closing(attempt, submission.closed):
        raise AttemptClosed(N_("This attempt was already submitted."))
    _record_best(attempt)
    record_answers(attempt)
    _tell_submitted(attempt, quiz, submission.layout, submission.answers)


@dataclass(frozen=True)
class Submission:
    """What submitting an open attempt writes, worked out before anything is written."""

    closed: dict[str, object]  # the attempt's new values: all of fast.attempts.CLOSED_FIELDS, or (pending) some
    answers: dict[str, SavedAnswer]  # each question's answer with its mark
    layout: tuple[Slot, ...]
    pending: bool  # an essay waits for a trainer


def graded_submission(attempt: ShownAttempt, quiz: Quiz, answers: dict[str, SavedAnswer]) -> Submission:
    """The attempt's answers (`merged_answers`, each given its mark here), graded, as the values that close it."""
    layout = layout_of(attempt)
    result = _graded(quiz, layout, answers)
    stored = {question_id: answer.stored() for question_id, answer in answers.items()}
    if result.pending:
        closed = {"status": AWAITING_TRAINER, "submitted_at": utcnow(), "answers": stored}
        return Submission(closed, answers, layout, pending=True)
    closed = {
        "status": "submitted",
        "submitted_at": utcnow(),
        "score": result.score,
        "max_score": result.max_score,
        "percent": result.percent,
        "passed": result.passed(quiz),
        "answers": stored,
    }
    return Submission(closed, answers, layout, pending=False)


@dataclass(frozen=True)
class SubmittedAttempt:
    """An attempt as its submission closed it, for the writes and events that follow (the ORM row serves as one
    too): the page lane's submission has no row (course/fast/submission.py)."""

    id: int
    user_id: int
    course_id: str
    quiz_id: str
    number: int
    submitted_at: datetime
    score: float
    max_score: float
    percent: float
    passed: bool
    answers: dict


Submitted = QuizAttempt | SubmittedAttempt


AWAITING_TRAINER = "grading"  # the status of a submitted attempt whose essays a trainer has not graded yet


def _graded(quiz: Quiz, layout: tuple[Slot, ...], answers: dict[str, SavedAnswer]) -> AttemptResult:
    """Grade the answers (the trainers' marks for essays) and write each question's mark into `answers`; a pending
    essay keeps no mark."""
    marks = {qid: answer.mark for qid, answer in answers.items() if answer.graded_at and answer.mark is not None}
    result = grade_attempt(quiz, layout, {qid: answer.response for qid, answer in answers.items()}, marks)
    for slot in layout:
        question = quiz.question(slot.question_id)
        saved = answers.get(question.id, SavedAnswer(None, max_mark=question.points))
        mark = None if question.id in result.pending else result.grades[question.id].fraction * question.points
        answers[question.id] = saved.marked(mark)
    return result


def _tell_submitted(
    attempt: QuizAttempt, quiz: Quiz, layout: tuple[Slot, ...], answers: dict[str, SavedAnswer]
) -> None:
    """Tell other systems (course/events.py) of the submitted attempt, and of the course completed by it."""
    event = submitted_event(attempt, quiz, layout, answers)
    if events.wanted(event):
        best = db.session.scalar(
            select(QuizResult.best_percent).where(
                QuizResult.user_id == attempt.user_id,
                QuizResult.course_id == attempt.course_id,
                QuizResult.quiz_id == attempt.quiz_id,
            )
        )
        events.emit(replace(event, best_percent=max(best or 0.0, attempt.percent)))
    if attempt.passed:
        events.progress_changed(attempt.user_id, attempt.course_id, attempt.submitted_at)


def submitted_event(
    attempt: Submitted, quiz: Quiz, layout: tuple[Slot, ...], answers: dict[str, SavedAnswer]
) -> events.QuizSubmitted:
    """The event of a submitted attempt, its best percentage still the attempt's own."""
    questions = tuple(
        events.QuestionResult(
            slot.question_id,
            quiz.question(slot.question_id).type,
            (answers[slot.question_id].mark or 0.0) / (answers[slot.question_id].max_mark or 1.0),
            answers[slot.question_id].max_mark,
            answers[slot.question_id].response,
        )
        for slot in layout
    )
    return events.QuizSubmitted(
        attempt.user_id,
        attempt.course_id,
        attempt.quiz_id,
        attempt.id,
        attempt.number,
        attempt.score,
        attempt.max_score,
        attempt.percent,
        bool(attempt.passed),
        attempt.percent,
        attempt.submitted_at,
        questions,
    )


def close_attempt(attempt: QuizAttempt, values: Mapping[str, object]) -> bool:
    """Close `attempt` with `values` in one UPDATE if it is still open (a second tab's submit changes nothing);
    the session's copy takes the new values without a reload. False if it was already closed."""
    done = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == "open")
        .values(dict(values))
        .execution_options(synchronize_session="evaluate")
    )
    return done.rowcount == 1


ANSWER_ROWS = insert(QuizAnswer.__table__)  # Core, built once: the ORM's unit of work would cost more than the rows


def record_answers(attempt: QuizAttempt) -> None:
    """The submitted attempt's answers as one row per question for the item statistics, in one INSERT."""
    rows = answer_row_values(attempt)
    if rows:  # an empty parameter list would insert one row of defaults
        db.session.execute(ANSWER_ROWS, rows)


def answer_row_values(attempt: Submitted) -> list[dict[str, object]]:
    """The parameters of ANSWER_ROWS for a submitted attempt: one row per question."""
    return [
        {
            "attempt_id": attempt.id,
            "user_id": attempt.user_id,
            "course_id": attempt.course_id,
            "quiz_id": attempt.quiz_id,
            "first_attempt": attempt.number == 1,
            **vars(row),
        }
        for row in answer_rows(attempt.answers)
    ]


def _record_best(attempt: QuizAttempt) -> None:
    """One upsert keeps the best percentage, whether the learner ever passed, and the number of attempts.

    A single statement, so two submissions at the same moment cannot lose each other's result.
    """
    db.session.execute(best_result_upsert(db.session.get_bind().dialect.name), best_result_values(attempt))


def best_result_values(attempt: Submitted) -> dict[str, object]:
    """The parameters of `best_result_upsert` for a submitted attempt."""
    return {
        "user_id": attempt.user_id,
        "course_id": attempt.course_id,
        "quiz_id": attempt.quiz_id,
        "best_percent": attempt.percent,
        "passed": bool(attempt.passed),
        "attempts": 1,
        "updated_at": utcnow(),
    }


@cache
def best_result_upsert(dialect: str):  # noqa: ANN202 - a SQLAlchemy Insert
    """Built once per dialect: constructing this statement costs more than running it."""
    table = QuizResult.__table__  # Core, not the ORM's bulk path: a fraction of the cost per call
    return keeping_best((postgresql.insert if dialect == "postgresql" else sqlite.insert)(table))


def keeping_best(insert: postgresql.Insert | sqlite.Insert):  # noqa: ANN201 - the same Insert
    """The INSERT of a best result (the table's row, from values or a SELECT) merged into the stored one."""
    new, old = insert.excluded, insert.table.c
    return insert.on_conflict_do_update(
        index_elements=[old.user_id, old.course_id, old.quiz_id],
        set_={
            "best_percent": case((new.best_percent > old.best_percent, new.best_percent), else_=old.best_percent),
            "passed": or_(old.passed, new.passed),
            "attempts": old.attempts + 1,
            "updated_at": new.updated_at,
        },
    )


def require_open(attempt: QuizAttempt) -> None:
    if attempt.status != "open":
        raise AttemptClosed(N_("This attempt was already submitted."))


@dataclass(frozen=True)
class QuizStanding:
    """What the quiz page tells a learner about their attempts."""

    attempts: list[QuizAttempt]
    open_attempt: QuizAttempt | None
    best_percent: float | None
    best: QuizAttempt | None  # the submitted attempt with the highest score
    passed: bool
    attempts_left: int | None
    ready_at: datetime | None


def standing(user: CurrentUser, course: Course, quiz: Quiz) -> QuizStanding:
    attempts = attempts_of(user, course.id, quiz.id)
    submitted = [a for a in attempts if a.status == "submitted"]
    # The wait runs from the last submission, graded or still waiting for a trainer (as start_attempt counts it).
    last = max((a.submitted_at for a in attempts if a.submitted_at is not None), default=None)
    ready = ready_at(quiz, last)
    best = max(submitted, key=lambda a: a.percent or 0.0, default=None)
    return QuizStanding(
        attempts=attempts,
        open_attempt=next((a for a in attempts if a.status == "open"), None),
        best_percent=None if best is None else best.percent or 0.0,
        best=best,
        passed=any(a.passed for a in submitted),
        attempts_left=None if quiz.max_attempts is None else max(0, quiz.max_attempts - len(attempts)),
        ready_at=ready if ready is not None and ready > datetime.now(UTC) else None,
    )


# --- Essays: the trainer's grading ------------------------------------------------------------------------------


class GradingConflict(CourseError):
    """Someone graded the attempt since the form was opened; nothing of this grading was saved."""


@dataclass(frozen=True)
class TrainerMark:
    mark: float  # points, from 0 to the question's points
    comment: str


def graded_by_trainer(quiz: Quiz, attempt: QuizAttempt) -> list[str]:
    """The attempt's questions a trainer grades (its essays), in the attempt's order."""
    return [
        slot.question_id
        for slot in layout_of(attempt)
        if question_type(quiz.question(slot.question_id).type).graded_by_trainer
    ]


def grading_state(attempt: QuizAttempt) -> str:
    """What the attempt's trainer grades are now, in short: a grading form carries it, so that a grade given
    meanwhile by someone else is noticed instead of overwritten."""
    grades = {
        question_id: [entry.get("mark"), entry.get("comment"), entry.get("graded_at")]
        for question_id, entry in sorted((attempt.answers or {}).items())
        if entry.get("graded_at")
    }
    text = json.dumps([attempt.status, grades], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def attempt_to_grade(attempt_id: int, *, for_update: bool = False) -> QuizAttempt:
    """A submitted attempt (waiting for a trainer, or graded) for the grading page; anything else is not found.
    Whether the trainer may see the learner is the view's question."""
    if not 0 < attempt_id <= MAX_ID:
        raise NotFound(N_("There is no such attempt."))
    if for_update:
        lock_for_writing()
    query = select(QuizAttempt).where(QuizAttempt.id == attempt_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    attempt = db.session.scalar(query)
    if attempt is None or attempt.status not in (AWAITING_TRAINER, "submitted"):
        raise NotFound(N_("There is no such attempt."))
    return attempt


def awaiting_trainer(learners=None, limit: int = 200) -> list[QuizAttempt]:  # noqa: ANN001 - a SELECT of user ids
    """Attempts whose essays wait for a trainer, oldest first; `learners` limits them to the trainer's view."""
    query = select(QuizAttempt).where(QuizAttempt.status == AWAITING_TRAINER)
    if learners is not None:
        query = query.where(QuizAttempt.user_id.in_(learners))
    return list(db.session.scalars(query.order_by(QuizAttempt.submitted_at, QuizAttempt.id).limit(limit)))


def grade_essays(attempt: QuizAttempt, quiz: Quiz, marks: Mapping[str, TrainerMark], grader_id: int, base: str) -> bool:
    """Give the attempt's essays the trainer's marks and comments; True when that completes the attempt's result.

    The attempt must come from `attempt_to_grade(..., for_update=True)`. `base` is the `grading_state` the form
    was opened with: if it changed, someone graded meanwhile and GradingConflict is raised (nothing saved). A
    completed result counts as a submitted attempt always has: the best result, the item statistics, progress and
    the events other systems hear. A changed grade on a completed attempt recomputes all of that.
    """
    if grading_state(attempt) != base:
        raise GradingConflict(N_("Someone graded this attempt while you were grading it. Nothing of yours was saved."))
    answers = saved_answers(attempt)
    now = utcnow().isoformat()
    for question_id, given in marks.items():
        question = quiz.question(question_id)
        if not question_type(question.type).graded_by_trainer:
            raise NotFound(N_("There is no such question to grade."))
        saved = answers.get(question_id, SavedAnswer(None, max_mark=question.points))
        answers[question_id] = replace(
            saved, mark=given.mark, comment=given.comment or None, graded_by=grader_id, graded_at=now
        )
    was_complete = attempt.status == "submitted"
    layout = layout_of(attempt)
    result = _graded(quiz, layout, answers)
    attempt.answers = {question_id: answer.stored() for question_id, answer in answers.items()}
    if result.pending:
        return False
    attempt.status = "submitted"
    attempt.score, attempt.max_score, attempt.percent = result.score, result.max_score, result.percent
    attempt.passed = result.passed(quiz)
    db.session.flush()
    if was_complete:  # a changed grade: the best result and the statistics rows are computed again
        _recompute_best(attempt)
        db.session.execute(delete(QuizAnswer).where(QuizAnswer.attempt_id == attempt.id))
    else:
        _record_best(attempt)
    record_answers(attempt)
    _tell_submitted(attempt, quiz, layout, answers)
    return True


def _recompute_best(attempt: QuizAttempt) -> None:
    """The learner's best result on the quiz from all their completed attempts (a grade may have gone down)."""
    completed = db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.user_id == attempt.user_id,
            QuizAttempt.course_id == attempt.course_id,
            QuizAttempt.quiz_id == attempt.quiz_id,
            QuizAttempt.status == "submitted",
        )
    ).all()
    db.session.execute(
        update(QuizResult)
        .where(
            QuizResult.user_id == attempt.user_id,
            QuizResult.course_id == attempt.course_id,
            QuizResult.quiz_id == attempt.quiz_id,
        )
        .values(
            best_percent=max(a.percent or 0.0 for a in completed),
            passed=any(a.passed for a in completed),
            updated_at=utcnow(),
        )
    )
