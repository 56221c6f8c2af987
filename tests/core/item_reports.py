"""Test helpers for item reports (pure: only course.core).

`reference_report` is the item report as the studio computed it before the answer rows existed: straight from each
attempt's stored answers, every mark through the definitions in course/core/quiz/statistics.py. The counted report
the studio computes now must equal it. `counted` makes, in Python, the counts SQL's GROUP BY makes over the
attempts' answer rows; `answer_pools` gives plausible responses per question type for generated attempts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import permutations

from course.core.analytics.answers import answer_rows, response_key
from course.core.analytics.items import (
    QuizReport,
    ReportCounts,
    points_of,
    positions_needed,
    report_from_marks,
)
from course.core.quiz.model import Question, Quiz


def reference_report(
    quiz: Quiz, attempts: Iterable[Mapping[str, object]], lang: str, min_attempts: int = 0
) -> QuizReport:
    """The report from stored answers (question id → {"response", "mark", "max_mark", …}), as it always was."""
    points = points_of(quiz)
    marks: list[dict[str, float]] = []
    responses: dict[str, dict[str | None, int]] = {}
    skipped = 0
    for answers in attempts:
        attempt: dict[str, float] = {}
        for question_id, saved in answers.items():
            mark = saved.get("mark") if isinstance(saved, Mapping) else None
            if question_id not in points or mark is None or float(saved.get("max_mark", -1)) != points[question_id]:
                skipped += 1
                continue
            attempt[question_id] = float(mark)
            key = response_key(saved.get("response"))
            responses.setdefault(question_id, {})[key] = responses.setdefault(question_id, {}).get(key, 0) + 1
        marks.append(attempt)
    return report_from_marks(quiz, marks, responses, lang, skipped, min_attempts)


def counted(quiz: Quiz, attempts: Iterable[Mapping[str, object]]) -> ReportCounts | None:
    """What GROUP BY gives over the attempts' answer rows, or None when an answer does not count (then the studio
    computes from the usable marks instead)."""
    points = points_of(quiz)
    order = {question.id: index for index, question in enumerate(quiz.questions)}
    marks: dict[str, dict[tuple[float, float], int]] = {}
    sizes: dict[tuple[float, float, int], int] = {}
    responses: dict[str, dict[str | None, int]] = {}
    ranked: list[list[float]] = []
    for answers in attempts:
        rows = answer_rows(answers)
        for row in rows:
            if row.mark is None or points.get(row.question_id) != row.max_mark:
                return None
            _add(marks.setdefault(row.question_id, {}), (row.mark, row.rest))
            _add(responses.setdefault(row.question_id, {}), row.response)
        if rows:
            _add(sizes, (rows[0].attempt_mark, rows[0].attempt_max_mark, rows[0].attempt_questions))
            ranked.append([row.mark for row in sorted(rows, key=lambda row: order[row.question_id])])
    size = positions_needed(quiz, sizes)
    positions: list[dict[float, int]] = [{} for _ in range(size or 0)]
    for attempt in ranked if size else ():
        for position, mark in enumerate(attempt):
            _add(positions[position], mark)
    return ReportCounts(marks, sizes, responses, positions)


def _add(counts: dict, key: object) -> None:
    counts[key] = counts.get(key, 0) + 1


def answer_pools(quiz: Quiz) -> dict[str, list[object]]:
    """A few stored responses per question, right and wrong, in the key's ids (None: unanswered)."""
    return {question.id: [None, *_responses(question)] for question in quiz.questions}


def _responses(question: Question) -> list[object]:
    spec = question.spec
    if question.type == "single":
        return [option.id for option in spec.options]
    if question.type == "multiple":
        ids = [option.id for option in spec.options]
        return [ids[:1], ids[1:3], ids, [ids[-1], ids[0]], []]
    if question.type == "truefalse":
        return [True, False]
    if question.type == "matching":
        prompts = [prompt.id for prompt in spec.prompts]
        choices = [choice.id for choice in spec.choices]
        return [dict(spec.key), dict(zip(prompts, choices, strict=False)), {prompts[0]: choices[-1]}, {}]
    if question.type == "ordering":
        return [list(order) for order in list(permutations(item.id for item in spec.items))[:4]]
    if question.type == "numeric":
        return [{"text": text, "value": value} for text, value in (("100000", 1e5), ("100.000", 1e5), ("7,5", 7.5))]
    return ["Support", " support.", "Ansprechpartner", "Unterstützung"]
