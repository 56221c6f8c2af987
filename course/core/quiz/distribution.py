"""How often each answer was given to a question: the option counts behind a question's item statistics.

A facility of 40 % says a question is hard; the distribution says why (most learners chose the same wrong option,
or typed the same near-miss). Input is the question as parsed and the stored responses (in the key's own ids, as
``course.core.quiz.types`` reads them), each with the number of attempts that gave it; ``None`` means unanswered.

* single / multiple choice: one row per option in the authored order (a multiple-choice attempt counts once for
  each option it ticked), so shares of a multiple-choice question may add up to more than 100 %.
* true/false: a row for "true" and one for "false".
* matching: one row per (prompt, choice) pair that was given, grouped by prompt, choices in authored order.
* blanks: each blank a group, numbered in the text's order, counted like single choice or short text.
* ordering, numeric and short text: identical responses grouped (numbers by value, text by
  :func:`~course.core.quiz.types.shorttext.normalise`), the most frequent first, the rest summed as ``other``.

Every row says whether that answer earns full marks, so a trainer sees at a glance which option the key marks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from course.core.quiz.model import Question, pick
from course.core.quiz.numbers import format_number
from course.core.quiz.types import question_type
from course.core.quiz.types.shorttext import normalise

TOP = 5  # free responses shown before the rest is summed as "other"


@dataclass(frozen=True)
class AnswerCount:
    """One answer and how often it was given. ``label`` is sanitised HTML for options, plain text otherwise."""

    key: str  # option id, "true"/"false", "prompt→choice", or the grouped response
    label: str
    count: int
    correct: bool  # this answer earns full marks (for a matching pair: the pair is right)
    group: str = ""  # matching: the prompt's label (sanitised HTML); empty otherwise
    html: bool = False  # whether label is (sanitised) HTML from the quiz file


@dataclass(frozen=True)
class Distribution:
    """The answers to one question over ``responses`` attempts, ``unanswered`` of which gave none."""

    question_id: str
    kind: str
    responses: int
    unanswered: int
    rows: tuple[AnswerCount, ...]
    other: int = 0  # grouped free responses beyond the top ones
    other_kinds: int = 0  # how many different responses `other` holds

    def share(self, count: int) -> float | None:
        """A count as a fraction of the attempts containing the question; ``None`` without attempts."""
        return count / self.responses if self.responses else None


def distribution(
    question: Question, responses: Iterable[tuple[object, int]], lang: str, top: int = TOP
) -> Distribution:
    """Count the stored responses to ``question``, given as (response, attempts) pairs; a response may come in
    several pairs. Unknown option ids (from an older revision) are skipped."""
    given = [(response, count) for response, count in responses if count]
    answered = [(response, count) for response, count in given if response is not None and response not in ([], {})]
    total = sum(count for _, count in given)
    unanswered = total - sum(count for _, count in answered)
    builder = _BUILDERS.get(question.type, _grouped)
    rows, other, other_kinds = builder(question, answered, lang, top)
    return Distribution(question.id, question.type, total, unanswered, tuple(rows), other, other_kinds)


Rows = tuple[list[AnswerCount], int, int]
Counted = Sequence[tuple[object, int]]  # (response, how many attempts gave it)


def _choices(question: Question, answered: Counted, lang: str, top: int) -> Rows:
    spec = question.spec
    counts: Counter[str] = Counter()
    for response, count in answered:
        for option in response if isinstance(response, list) else [response]:
            counts[option] += count
    rows = [
        AnswerCount(option.id, pick(option.text, lang), counts[option.id], option.id in spec.correct, html=True)
        for option in spec.options
    ]
    return rows, 0, 0


def _truefalse(question: Question, answered: Counted, lang: str, top: int) -> Rows:
    counts: Counter[bool] = Counter()
    for response, count in answered:
        if isinstance(response, bool):
            counts[response] += count
    rows = [
        AnswerCount("true", "true", counts[True], question.spec.answer is True),
        AnswerCount("false", "false", counts[False], question.spec.answer is False),
    ]
    return rows, 0, 0


def _matching(question: Question, answered: Counted, lang: str, top: int) -> Rows:
    spec = question.spec
    key = spec.key
    counts: Counter[tuple[str, str]] = Counter()
    for response, count in answered:
        if isinstance(response, dict):
            for pair in response.items():
                counts[pair] += count
    rows = []
    for prompt in spec.prompts:
        for choice in spec.choices:
            count = counts[(prompt.id, choice.id)]
            if count or key[prompt.id] == choice.id:  # the right pair always shows, even when nobody chose it
                rows.append(
                    AnswerCount(
                        f"{prompt.id}→{choice.id}",
                        pick(choice.text, lang),
                        count,
                        key[prompt.id] == choice.id,
                        group=pick(prompt.text, lang),
                        html=True,
                    )
                )
    return rows, 0, 0


def _blanks(question: Question, answered: Counted, lang: str, top: int) -> Rows:
    """Each blank as a group, in the text's order: a select's options like a single-choice question, a text
    field's typed answers grouped like a short-text question."""
    rows: list[AnswerCount] = []
    other = other_kinds = 0
    for number, (_token, blank) in enumerate(question.spec.in_text_order(lang), start=1):
        given = [(r[blank.id], count) for r, count in answered if isinstance(r, dict) and r.get(blank.id) is not None]
        part = Question(question.id, blank.kind.name, 1.0, question.text, question.explanation, {}, blank.spec)
        built, more, kinds = (_choices if blank.kind.name == "single" else _grouped)(part, given, lang, top)
        rows += [replace(row, key=f"{blank.id}:{row.key}", group=f"({number})") for row in built]
        other, other_kinds = other + more, other_kinds + kinds
    return rows, other, other_kinds


def _grouped(question: Question, answered: Counted, lang: str, top: int) -> Rows:
    """Free responses: identical ones (after normalising) counted together, most frequent first."""
    kind = question_type(question.type)
    raw: Counter[object] = Counter()  # normalise each distinct response once
    for response, count in answered:
        raw[_hashable(response)] += count
    counts: Counter[str] = Counter()
    examples: dict[str, object] = {}
    labels: dict[str, str] = {}
    for frozen, count in raw.items():
        response = _thawed(frozen)
        key, label = _group_key(question, response, lang)
        counts[key] += count
        examples.setdefault(key, response)
        labels.setdefault(key, label)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    html = question.type == "ordering"  # item texts are sanitised HTML; typed answers are plain text
    rows = [
        AnswerCount(key, labels[key], count, _full_marks(kind, question, examples[key]), html=html)
        for key, count in ranked[:top]
    ]
    rest = ranked[top:]
    return rows, sum(count for _, count in rest), len(rest)


def _hashable(response: object) -> object:
    """A stored response as a dictionary key (JSON gives lists and dicts)."""
    if isinstance(response, dict):
        return ("dict", tuple(sorted((str(k), _hashable(v)) for k, v in response.items())))
    if isinstance(response, list):
        return ("list", tuple(_hashable(item) for item in response))
    return response


def _thawed(frozen: object) -> object:
    if isinstance(frozen, tuple) and len(frozen) == 2 and frozen[0] == "dict":
        return {key: _thawed(value) for key, value in frozen[1]}
    if isinstance(frozen, tuple) and len(frozen) == 2 and frozen[0] == "list":
        return [_thawed(item) for item in frozen[1]]
    return frozen


def _full_marks(kind: object, question: Question, response: object) -> bool:
    """Whether a response earns full marks; a response the current key cannot grade (older revision) does not."""
    try:
        return kind.grade(question.spec, response).fraction >= 1 - 1e-9
    except (KeyError, TypeError, ValueError):
        return False


def _group_key(question: Question, response: object, lang: str) -> tuple[str, str]:
    """What makes two free responses "the same answer", and how to show it."""
    if question.type == "numeric" and isinstance(response, dict) and "value" in response:
        value = float(response["value"])
        text = f"{value:.10g}"
        return text, format_number(value, lang)
    if question.type == "ordering" and isinstance(response, list):
        items = {item.id: pick(item.text, lang) for item in question.spec.items}
        return "|".join(map(str, response)), " → ".join(items.get(item, str(item)) for item in response)
    if isinstance(response, str):
        key = normalise(response)
        return key, key
    return repr(response), str(response)


_BUILDERS = {
    "single": _choices,
    "multiple": _choices,
    "truefalse": _truefalse,
    "matching": _matching,
    "blanks": _blanks,
}
