"""The course's completion rule, over plain data: what counts toward the certificate.

A course is complete when every lesson is done, each required quiz is passed and, if the course sets a
sandbox threshold, the learner reached it with a counting design in their assigned account and in an account of
another kind (course/core/assignment.py says which designs count). The learner's pages (progress bar,
checklist), the certificate's eligibility and the trainers' progress table all read the rule here, so they
cannot disagree; the progress table evaluates it in SQL for thousands of learners at once, and a test checks
that SQL against this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from course.core.catalog import Course

CERTIFIED = "certified"
COMPLETED = "completed"
IN_PROGRESS = "in_progress"
NOT_STARTED = "not_started"
STATUSES = (CERTIFIED, COMPLETED, IN_PROGRESS, NOT_STARTED)


@dataclass(frozen=True)
class Requirements:
    """What one course asks of a learner, read from its catalog entry."""

    course_id: str
    lesson_ids: tuple[str, ...]  # every lesson counts
    quiz_ids: tuple[str, ...]  # the course's current quizzes: results on removed ones are ignored
    required_quizzes: tuple[str, ...]  # those a learner must pass (all of them, or none)
    sandbox: int | None = None  # the score a counting sandbox design needs; None: the sandbox is not required

    @classmethod
    def of(cls, course: Course) -> Requirements:
        return cls(
            course_id=course.id,
            lesson_ids=course.lesson_ids,
            quiz_ids=tuple(quiz.id for quiz in course.quizzes),
            required_quizzes=course.required_quizzes,
            sandbox=course.completion.sandbox,
        )


class SandboxStanding(NamedTuple):
    """A learner's sandbox record in one course.

    `best`: the best score of any evaluated version (what trainers see; an unchanged copy of the lesson's plan
    counts here). `assigned`: the best score of a counting version in the learner's assigned account and draw;
    `other`: the same in an account of another kind. Counting versions are those that are not an unchanged copy
    of the lesson's plan; None: no counting version there yet.
    """

    best: float
    assigned: float | None = None
    other: float | None = None


@dataclass(frozen=True)
class Progress:
    """What a learner has done in one course: completed lesson ids, passed quiz ids, the sandbox standing.

    Ids the course no longer has may be in here; the rule ignores them (see `progress` to drop them).
    """

    lessons: frozenset[str] = frozenset()
    passed: frozenset[str] = frozenset()
    sandbox: SandboxStanding | None = None


def progress(
    rule: Requirements, lessons: Iterable[str], passed: Iterable[str], sandbox: SandboxStanding | None = None
) -> Progress:
    """The learner's progress restricted to the course as it is now: removed lessons and quizzes drop out."""
    current_lessons = frozenset(lessons) & frozenset(rule.lesson_ids)
    current_quizzes = frozenset(passed) & frozenset(rule.quiz_ids)
    return Progress(current_lessons, current_quizzes, sandbox)


def lessons_done(rule: Requirements, learner: Progress) -> frozenset[str]:
    """The course's lessons the learner completed."""
    return learner.lessons & frozenset(rule.lesson_ids)


def quizzes_passed(rule: Requirements, learner: Progress) -> frozenset[str]:
    """The required quizzes the learner passed (other quizzes do not count toward completion)."""
    return learner.passed & frozenset(rule.required_quizzes)


def _reached(rule: Requirements, score: float | None) -> bool:
    return score is not None and rule.sandbox is not None and score >= rule.sandbox  # exactly, not rounded


def sandbox_assigned_done(rule: Requirements, learner: Progress) -> bool:
    """Whether a counting design in the assigned account reached the threshold."""
    return learner.sandbox is not None and _reached(rule, learner.sandbox.assigned)


def sandbox_other_done(rule: Requirements, learner: Progress) -> bool:
    """Whether a counting design in an account of another kind than the assigned one reached the threshold."""
    return learner.sandbox is not None and _reached(rule, learner.sandbox.other)


def sandbox_done(rule: Requirements, learner: Progress) -> bool | None:
    """Whether the sandbox step is done: the threshold reached by counting designs both in the assigned account
    and in one of another kind (the best score of any design does not decide it); None if no threshold is set."""
    if rule.sandbox is None:
        return None
    return sandbox_assigned_done(rule, learner) and sandbox_other_done(rule, learner)


def complete(rule: Requirements, learner: Progress) -> bool:
    """Whether the course's completion rule is met: what makes a learner eligible for the certificate."""
    return (
        len(lessons_done(rule, learner)) == len(rule.lesson_ids)
        and len(quizzes_passed(rule, learner)) == len(rule.required_quizzes)
        and sandbox_done(rule, learner) is not False
    )


def percent(rule: Requirements, learner: Progress) -> int:
    """Share of the required steps done, in whole percent: each lesson, each required quiz, the sandbox step
    (both of its passes) if the course sets a threshold."""
    sandbox = sandbox_done(rule, learner)
    steps = len(rule.lesson_ids) + len(rule.required_quizzes) + (sandbox is not None)
    done = len(lessons_done(rule, learner)) + len(quizzes_passed(rule, learner)) + bool(sandbox)
    return round(100 * done / steps) if steps else 0


class Step(NamedTuple):
    """One line of the certificate checklist: what the completion rule asks, and whether it is done.

    A named tuple: pages are cached per checklist, and a tuple hashes and compares without Python code."""

    kind: str  # "lessons" | "quiz" | "sandbox_assigned" | "sandbox_other"
    done: bool
    item: str = ""  # the quiz id
    count: int = 0  # lessons completed, or the best counting sandbox score there (rounded for display)
    total: int = 0  # lessons in the course, or the sandbox threshold


def checklist(rule: Requirements, learner: Progress) -> tuple[Step, ...]:
    """The completion rule as steps a learner can follow: all lessons, each required quiz, and the sandbox step as
    its two passes (the assigned account, an account of another kind). Every step is done exactly when `complete`
    holds."""
    lessons = len(lessons_done(rule, learner))
    steps = [Step("lessons", lessons == len(rule.lesson_ids), count=lessons, total=len(rule.lesson_ids))]
    steps += [Step("quiz", quiz_id in learner.passed, item=quiz_id) for quiz_id in rule.required_quizzes]
    if rule.sandbox is not None:
        standing = learner.sandbox or SandboxStanding(0.0)
        steps.append(
            Step(
                "sandbox_assigned",
                sandbox_assigned_done(rule, learner),
                count=round(standing.assigned or 0.0),
                total=rule.sandbox,
            )
        )
        other = round(standing.other or 0.0)
        steps.append(Step("sandbox_other", sandbox_other_done(rule, learner), count=other, total=rule.sandbox))
    return tuple(steps)


def status(rule: Requirements, learner: Progress, *, certified: bool, quizzes_taken: bool = False) -> str:
    """Where a learner stands, as the trainers' progress table groups them.

    `certified`: the learner holds a current (unrevoked) certificate, whatever the rule says now. `quizzes_taken`:
    the learner has a result, passed or not, in any quiz of the course (even one since removed).
    """
    if certified:
        return CERTIFIED
    if complete(rule, learner):
        return COMPLETED
    if lessons_done(rule, learner) or learner.passed or quizzes_taken or learner.sandbox is not None:
        return IN_PROGRESS
    return NOT_STARTED
