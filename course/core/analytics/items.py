"""A quiz's item report from its stored attempts: Moodle's indices per question plus what learners answered.

Input is plain data: each attempt's stored answers, ``question id → {"response", "mark", "max_mark", …}`` as the
quiz blueprint keeps them. The report is drawn up against the quiz as published now: an answer to a question that
is no longer in the quiz, or that was worth a different number of points when it was given, is left out (and
counted in ``skipped``), because mixing scales would make the indices meaningless.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from course.core.quiz.distribution import Distribution, distribution
from course.core.quiz.model import Question, Quiz
from course.core.quiz.statistics import ItemStatistics, coefficient_of_internal_consistency, item_statistics


@dataclass(frozen=True)
class QuestionReport:
    number: int  # position in the quiz file, 1 first
    question: Question
    statistics: ItemStatistics[str]
    answers: Distribution

    @property
    def flagged(self) -> bool:
        return bool(self.statistics.flags)


@dataclass(frozen=True)
class QuizReport:
    attempts: int  # attempts with at least one usable answer
    mean_percent: float | None  # mean of the attempts' totals as a percentage of their maximum
    cic: float | None  # coefficient of internal consistency (%), per position when questions are drawn
    questions: tuple[QuestionReport, ...]
    skipped: int = 0  # answers left out: question removed or its points changed since

    @property
    def flagged(self) -> int:
        return sum(1 for question in self.questions if question.flagged)


def quiz_report(quiz: Quiz, attempts: Iterable[Mapping[str, Mapping]], lang: str) -> QuizReport:
    """Item statistics (first attempts, if that is what the caller passes) and answer counts per question."""
    points = {question.id: float(question.points) for question in quiz.questions}
    order = {question.id: index for index, question in enumerate(quiz.questions)}
    marks: list[dict[str, tuple[float, float]]] = []
    responses: dict[str, list[object]] = {question_id: [] for question_id in points}
    percents: list[float] = []
    skipped = 0
    for answers in attempts:
        attempt: dict[str, tuple[float, float]] = {}
        for question_id, saved in answers.items():
            mark = saved.get("mark") if isinstance(saved, Mapping) else None
            if question_id not in points or mark is None or float(saved.get("max_mark", -1)) != points[question_id]:
                skipped += 1
                continue
            attempt[question_id] = (float(mark), points[question_id])
            responses[question_id].append(saved.get("response"))
        if not attempt:
            continue
        marks.append(attempt)
        total = math.fsum(maximum for _, maximum in attempt.values())
        if total:
            percents.append(100.0 * math.fsum(mark for mark, _ in attempt.values()) / total)
    statistics = item_statistics(marks, points)
    by_position = [
        {position: attempt[question_id] for position, question_id in enumerate(sorted(attempt, key=order.__getitem__))}
        for attempt in marks
    ]
    questions = tuple(
        QuestionReport(number, question, statistics[question.id], distribution(question, responses[question.id], lang))
        for number, question in enumerate(quiz.questions, start=1)
    )
    return QuizReport(
        attempts=len(marks),
        mean_percent=math.fsum(percents) / len(percents) if percents else None,
        cic=coefficient_of_internal_consistency(by_position),
        questions=questions,
        skipped=skipped,
    )
