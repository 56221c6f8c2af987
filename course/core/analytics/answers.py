"""A submitted attempt's answers as one row per question, in columns SQL can group and count.

The attempt keeps its answers as one JSON value (what the review shows). The item statistics need, per question,
the mark, the rest of the attempt's marks (the "rest of the test" that discrimination correlates with) and which
answer was given; reading those out of a million JSON values in Python is what made the reports slow. So the
submission writes them once, here computed from the stored answers exactly as the report would compute them:
sums with ``math.fsum``, the response as canonical JSON (equal responses give equal keys). The attempt's first row
also carries the attempt's total, its maximum and its number of graded answers: counting those rows counts
attempts, and the rows of one attempt never need to be joined to each other.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerRow:
    question_id: str
    mark: float | None  # None: never graded (the report leaves it out)
    max_mark: float  # what the question was worth when answered; -1 when the stored answer has none
    rest: float | None  # fsum of the attempt's other graded marks; None when this one is not graded
    response: str | None  # `response_key` of the stored response; None: unanswered
    attempt_mark: float | None = None  # the attempt's first row only: fsum of its graded marks …
    attempt_max_mark: float | None = None  # … fsum of their max marks …
    attempt_questions: int | None = None  # … and how many answers were graded


def answer_rows(answers: Mapping[str, object]) -> list[AnswerRow]:
    """One row per stored answer (question id → {"response", "mark", "max_mark", …}), in the stored order.

    Every submission writes these rows, so they are made in one pass: each graded mark's rest is the `fsum` of a
    list of the other marks (a slice, not a filter over pairs), and the first row is made with the attempt's sums.
    """
    stored = [(question_id, saved if isinstance(saved, Mapping) else {}) for question_id, saved in answers.items()]
    marks = [float(saved["mark"]) for _, saved in stored if saved.get("mark") is not None]
    maxima = [_max_mark(saved) for _, saved in stored if saved.get("mark") is not None]
    rows = []
    graded = 0  # graded answers so far: the index of the next one in `marks`
    for question_id, saved in stored:
        if saved.get("mark") is None:
            mark = rest = None
        else:
            mark, rest = marks[graded], math.fsum(marks[:graded] + marks[graded + 1 :])
            graded += 1
        first = () if rows else (math.fsum(marks), math.fsum(maxima), len(marks))
        rows.append(AnswerRow(question_id, mark, _max_mark(saved), rest, response_key(saved.get("response")), *first))
    return rows


def _max_mark(saved: Mapping) -> float:
    return float(saved.get("max_mark", -1))


# One encoder: `json.dumps` with options makes a new one per call, a few microseconds per answer of every submission.
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def response_key(response: object) -> str | None:
    """A stored response as compact, canonical JSON (sorted keys), so equal responses group together in SQL."""
    if response is None:
        return None
    return _canonical(response)


def response_of(key: str | None) -> object:
    """The stored response back from its key."""
    return None if key is None else json.loads(key)
