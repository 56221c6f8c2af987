"""A quiz's item report: Moodle's indices per question plus what learners answered.

The report is drawn up against the quiz as published now: an answer to a question that is no longer in the quiz,
or that was worth a different number of points when it was given, is left out (and counted in ``skipped``),
because mixing scales would make the indices meaningless.

Two ways to the same report. :func:`report_from_marks` takes each attempt's usable marks and computes as the
definitions in ``course.core.quiz.statistics`` read. :func:`report_from_counts` takes what SQL counts over the
per-question answer rows (``answers.py``): it is what the studio uses, and it gives the same numbers to the last
bit as long as every counted answer is usable — then each row's stored rest of the attempt and each attempt's
stored total cover exactly the answers the report uses. After a question is removed or its points change, the
caller takes the first way (tests/web/test_analytics_counts.py holds the two together on random attempts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from course.core.analytics.answers import response_of
from course.core.quiz.distribution import Distribution, distribution
from course.core.quiz.model import Question, Quiz
from course.core.quiz.statistics import (
    ItemFlag,
    ItemStatistics,
    coefficient_from_counts,
    coefficient_of_internal_consistency,
    counted_sum,
    item_statistics,
    item_statistics_from_counts,
)

ResponseCounts = Mapping[str, Mapping[str | None, int]]  # question id → response key (answers.py) → answers


@dataclass(frozen=True)
class QuestionReport:
    number: int  # position in the quiz file, 1 first
    question: Question
    statistics: ItemStatistics[str]
    answers: Distribution
    min_attempts: int = 0  # review flags show once this many attempts contain the question

    @property
    def attempts_needed(self) -> int:
        """How many more attempts must contain the question before its flags show."""
        return max(0, self.min_attempts - self.statistics.attempts)

    @property
    def flags(self) -> tuple[ItemFlag, ...]:
        """The statistics' flags, once enough attempts back them: one attempt would flag every question."""
        return () if self.attempts_needed else self.statistics.flags

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class QuizReport:
    attempts: int  # attempts with at least one usable answer
    mean_percent: float | None  # mean of the attempts' totals as a percentage of their maximum
    cic: float | None  # coefficient of internal consistency (%), per position when questions are drawn
    questions: tuple[QuestionReport, ...]
    skipped: int = 0  # answers left out: question removed or its points changed since
    min_attempts: int = 0  # see QuestionReport

    @property
    def flagged(self) -> int:
        return sum(1 for question in self.questions if question.flagged)

    @property
    def attempts_needed(self) -> int:
        """How many more attempts the quiz needs before any flag can show."""
        return max(0, self.min_attempts - self.attempts)


@dataclass(frozen=True)
class ReportCounts:
    """A quiz's answers counted, as GROUP BY gives them: enough for the whole report without any single answer."""

    marks: Mapping[str, Mapping[tuple[float, float], int]]  # question → (mark, rest of its attempt) → answers
    attempts: Mapping[tuple[float, float, int], int]  # (attempt's marks, its maximum, its answers) → attempts
    responses: ResponseCounts
    # Needed only when every attempt has the same number P of answers, fewer than the quiz's questions (a draw):
    # for each position k < P, the marks of each attempt's k-th question in the quiz's order → attempts.
    positions: Sequence[Mapping[float, int]] = field(default=())


def points_of(quiz: Quiz) -> dict[str, float]:
    """The questions whose answers count, with the points an answer must have been worth to count."""
    return {question.id: float(question.points) for question in quiz.questions}


def positions_needed(quiz: Quiz, attempts: Mapping[tuple[float, float, int], int]) -> int | None:
    """The number of positions whose marks `report_from_counts` needs for the CIC, or None if it needs none.

    The CIC is defined only when every attempt has the same number P ≥ 2 of answers. When P is the number of
    questions, every attempt has every question, so position k is the quiz's k-th question: its marks are known.
    """
    sizes = {size for _, _, size in attempts}
    if len(sizes) != 1:
        return None
    size = next(iter(sizes))
    return size if 2 <= size < len(quiz.questions) else None


def report_from_counts(quiz: Quiz, counts: ReportCounts, lang: str, min_attempts: int = 0) -> QuizReport:
    """The report from counts of usable answers only (the caller checks; see the module docstring)."""
    points = points_of(quiz)
    statistics = {
        question_id: item_statistics_from_counts(question_id, maximum, counts.marks.get(question_id, {}))
        for question_id, maximum in points.items()
    }
    percents = [(100.0 * total / maximum, count) for (total, maximum, _), count in counts.attempts.items() if maximum]
    scored = sum(count for _, count in percents)
    needed = positions_needed(quiz, counts.attempts)
    if needed is not None and len(counts.positions) != needed:
        raise ValueError(f"the CIC needs the marks at {needed} positions, not {len(counts.positions)}")
    sizes = {size for _, _, size in counts.attempts}
    if len(sizes) == 1 and next(iter(sizes)) == len(quiz.questions):
        positions = [_marks_of(counts.marks.get(question.id, {})) for question in quiz.questions]
    else:
        positions = list(counts.positions)
    totals: dict[float, int] = {}
    for (total, _, _), count in counts.attempts.items():
        totals[total] = totals.get(total, 0) + count
    cic = coefficient_from_counts(positions, totals) if len(sizes) == 1 else None
    return _report(
        quiz,
        statistics,
        counts.responses,
        lang,
        attempts=sum(counts.attempts.values()),
        mean_percent=counted_sum(percents) / scored if scored else None,
        cic=cic,
        skipped=0,
        min_attempts=min_attempts,
    )


def report_from_marks(
    quiz: Quiz,
    attempts: Iterable[Mapping[str, float]],
    responses: ResponseCounts,
    lang: str,
    skipped: int = 0,
    min_attempts: int = 0,
) -> QuizReport:
    """The report from each attempt's usable marks (question id → mark), computed as the definitions read."""
    points = points_of(quiz)
    order = {question.id: index for index, question in enumerate(quiz.questions)}
    marks = [{question_id: (mark, points[question_id]) for question_id, mark in each.items()} for each in attempts]
    marks = [attempt for attempt in marks if attempt]
    percents = []
    for attempt in marks:
        total = math.fsum(maximum for _, maximum in attempt.values())
        if total:
            percents.append(100.0 * math.fsum(mark for mark, _ in attempt.values()) / total)
    by_position = [
        {position: attempt[question_id] for position, question_id in enumerate(sorted(attempt, key=order.__getitem__))}
        for attempt in marks
    ]
    return _report(
        quiz,
        item_statistics(marks, points),
        responses,
        lang,
        attempts=len(marks),
        mean_percent=math.fsum(percents) / len(percents) if percents else None,
        cic=coefficient_of_internal_consistency(by_position),
        skipped=skipped,
        min_attempts=min_attempts,
    )


def _marks_of(pairs: Mapping[tuple[float, float], int]) -> dict[float, int]:
    marks: dict[float, int] = {}
    for (mark, _), count in pairs.items():
        marks[mark] = marks.get(mark, 0) + count
    return marks


def _report(
    quiz: Quiz,
    statistics: Mapping[str, ItemStatistics[str]],
    responses: ResponseCounts,
    lang: str,
    *,
    attempts: int,
    mean_percent: float | None,
    cic: float | None,
    skipped: int,
    min_attempts: int,
) -> QuizReport:
    questions = tuple(
        QuestionReport(
            number,
            question,
            statistics[question.id],
            distribution(
                question, ((response_of(key), count) for key, count in responses.get(question.id, {}).items()), lang
            ),
            min_attempts,
        )
        for number, question in enumerate(quiz.questions, start=1)
    )
    return QuizReport(attempts, mean_percent, cic, questions, skipped, min_attempts)
