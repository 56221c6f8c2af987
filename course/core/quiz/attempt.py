"""Attempts as pure data: the layout an attempt fixes, reading answers, and grading against a key."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from course.core.errors import N_, CourseError
from course.core.quiz.model import AnswerError, Grade, Question, Quiz
from course.core.quiz.types import question_type


class AttemptRefused(CourseError):
    """Starting an attempt is not allowed now (limit reached, cooling down); the message says why."""


@dataclass(frozen=True)
class Slot:
    """One question of an attempt and the order its options are shown in."""

    question_id: str
    order: tuple[str, ...]


def make_layout(quiz: Quiz, seed: int) -> tuple[Slot, ...]:
    """Draw the questions and shuffle options for one attempt; the same seed always gives the same layout."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible shuffle from a stored seed, not a secret
    questions = list(quiz.questions)
    if quiz.draw and quiz.draw < len(questions):
        fixed = [question for question in questions if question.always]
        pool = [question for question in questions if not question.always]
        questions = fixed + rng.sample(pool, quiz.draw - len(fixed))
        questions.sort(key=quiz.questions.index)  # a drawn subset keeps the author's question order
    slots = []
    for question in questions:
        order = list(question_type(question.type).shuffled(question.spec))
        if quiz.shuffle or question.type == "ordering":
            key = list(order)
            rng.shuffle(order)
            if question.type == "ordering" and order == key and len(order) > 1:
                order = order[1:] + order[:1]  # an ordering shown in the right order gives itself away
        slots.append(Slot(question.id, tuple(order)))
    return tuple(slots)


def read_answer(question: Question, slot: Slot, value: object, lang: str) -> object:
    """A submitted value → a stored response in the key's ids (None = unanswered); AnswerError if unreadable."""
    return question_type(question.type).read(question.spec, slot.order, value, lang)


def read_answers(
    quiz: Quiz, layout: Sequence[Slot], values: Mapping[str, object], lang: str
) -> tuple[dict[str, object], dict[str, AnswerError]]:
    """Read the submitted values of the layout's questions; unreadable ones are returned as errors, not raised."""
    responses: dict[str, object] = {}
    errors: dict[str, AnswerError] = {}
    for slot in layout:
        if slot.question_id not in values:
            continue
        try:
            responses[slot.question_id] = read_answer(
                quiz.question(slot.question_id), slot, values[slot.question_id], lang
            )
        except AnswerError as error:
            errors[slot.question_id] = error
    return responses, errors


def grade_answer(question: Question, response: object) -> Grade:
    grade = question_type(question.type).grade(question.spec, response)
    return Grade(min(1.0, max(0.0, grade.fraction)), grade.feedback)


@dataclass(frozen=True)
class AttemptResult:
    score: float
    max_score: float
    grades: Mapping[str, Grade]
    # Questions a trainer grades (essays) that have no mark yet: until there are none, the score is not the result.
    pending: tuple[str, ...] = ()

    @property
    def percent(self) -> float:
        return round(100 * self.score / self.max_score, 2) if self.max_score else 0.0

    def passed(self, quiz: Quiz) -> bool:
        return self.percent >= quiz.pass_percent


def whole_percent(percent: float, *, full_marks: bool, passed: bool, pass_percent: int) -> int:
    """A score as the whole percentage a learner reads, rounded half up, but never saying more than the result:
    not 100 short of full marks, not 0 for some points, not the pass mark for a fail (79.6 % with 80 % needed
    reads 79 %)."""
    shown = math.floor(percent + 0.5 + 1e-9)  # half up; the tiny term absorbs binary noise such as 66.4999…
    if shown >= 100 and not full_marks:
        shown = 99
    if shown <= 0 < percent:
        shown = 1
    if not passed and shown >= pass_percent:
        shown = math.floor(percent)
    return max(0, min(100, shown))


def grade_attempt(
    quiz: Quiz,
    layout: Sequence[Slot],
    responses: Mapping[str, object],
    trainer_marks: Mapping[str, float] | None = None,
) -> AttemptResult:
    """Grade every question of the layout; a question with no response scores 0. A question a trainer grades
    takes its mark (points) from `trainer_marks`; an answered one without a mark is pending, an unanswered one
    scores 0 like any other."""
    grades, score, max_score, pending = {}, 0.0, 0.0, []
    marks = trainer_marks or {}
    for slot in layout:
        question = quiz.question(slot.question_id)
        response = responses.get(slot.question_id)
        if question_type(question.type).graded_by_trainer:
            if question.id in marks:
                grade = Grade(trainer_fraction(marks[question.id], question.points))
            else:
                grade = Grade(0.0)
                if response is not None:
                    pending.append(question.id)
        else:
            grade = grade_answer(question, response)
        grades[question.id] = grade
        score += grade.fraction * question.points
        max_score += question.points
    return AttemptResult(round(score, 6), max_score, grades, tuple(pending))


def trainer_fraction(mark: float, points: float) -> float:
    """A trainer's mark (0 to the question's points) as the fraction of the points it earns."""
    if not (isinstance(mark, int | float) and not isinstance(mark, bool) and math.isfinite(mark)):
        raise ValueError(f"a mark must be a number, not {mark!r}")
    if not 0 <= mark <= points:
        raise ValueError(f"a mark must be from 0 to {points:g}, not {mark:g}")
    return mark / points if points else 0.0


def check_can_start(quiz: Quiz, started: int, last_submitted_at: datetime | None, now: datetime) -> None:
    """Refuse a new attempt past the limit or inside the cooldown."""
    if quiz.max_attempts is not None and started >= quiz.max_attempts:
        raise AttemptRefused(N_("No attempts left: this quiz allows %(limit)d."), limit=quiz.max_attempts)
    ready = ready_at(quiz, last_submitted_at)
    if ready is not None and now < ready:
        raise AttemptRefused(
            N_("Your next attempt is possible in %(minutes)d minutes."),
            minutes=max(1, -int((now - ready).total_seconds() // 60)),
        )


def ready_at(quiz: Quiz, last_submitted_at: datetime | None) -> datetime | None:
    if not quiz.cooldown_minutes or last_submitted_at is None:
        return None
    return last_submitted_at + timedelta(minutes=quiz.cooldown_minutes)
