"""Helpers shared by the types that show a list of choices in a per-attempt order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from course.core.quiz.model import AnswerError, Text, pick
from course.core.quiz.parsing import Choice


def by_id(choices: Sequence[Choice]) -> dict[str, Choice]:
    return {choice.id: choice for choice in choices}


def in_order(choices: Sequence[Choice], order: Sequence[str]) -> list[Choice]:
    """The choices as this attempt shows them; ids missing from `order` (a stale layout) go last."""
    index = by_id(choices)
    shown = [index[choice_id] for choice_id in order if choice_id in index]
    return shown + [choice for choice in choices if choice.id not in order]


def public_choices(choices: Sequence[Choice], order: Sequence[str], lang: str) -> list[dict]:
    """Choices for the browser: a position token and the text, nothing else."""
    return [{"id": str(position), "text": pick(choice.text, lang)} for position, choice in enumerate(in_order(choices, order))]


def choice_id(choices: Sequence[Choice], order: Sequence[str], token: object, what: str = "option") -> str:
    """The id behind a position token; an AnswerError for anything that is not one of the shown tokens."""
    shown = in_order(choices, order)
    if isinstance(token, bool) or not isinstance(token, str | int):
        raise AnswerError(f"unknown {what}: expected one of the {what} ids shown")
    text = str(token).strip()
    if not text.isdigit() or int(text) >= len(shown):
        raise AnswerError(f"unknown {what} {str(token)[:20]!r}")
    return shown[int(text)].id


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def feedback_texts(choices: Sequence[Choice]) -> Iterator[Text]:
    for choice in choices:
        yield choice.text
        if choice.feedback:
            yield choice.feedback
