"""Helpers shared by the types that show a list of choices in a per-attempt order."""

from __future__ import annotations

from collections.abc import Sequence

from course.core.errors import N_
from course.core.quiz.model import AnswerError, pick
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
    return [
        {"id": str(position), "text": pick(choice.text, lang)}
        for position, choice in enumerate(in_order(choices, order))
    ]


def choice_id(choices: Sequence[Choice], order: Sequence[str], token: object) -> str:
    """The id behind a position token; an AnswerError for anything that is not one of the shown tokens."""
    return choice_ids(choices, order, [token])[0]


def choice_ids(choices: Sequence[Choice], order: Sequence[str], tokens: Sequence[object]) -> list[str]:
    """The ids behind several position tokens of one question, its order worked out once."""
    shown = in_order(choices, order)
    digits = len(str(len(shown)))
    ids = []
    for token in tokens:
        if isinstance(token, bool) or not isinstance(token, str | int):
            raise AnswerError(N_("That choice is not one of the options shown."))
        text = str(token).strip()
        # "²".isdigit() is True; the length test keeps int() clear of Python's 4,300-digit limit
        if not (text.isascii() and text.isdigit()) or len(text) > digits or int(text) >= len(shown):
            raise AnswerError(N_("That choice is not one of the options shown."))
        ids.append(shown[int(text)].id)
    return ids


def token(choices: Sequence[Choice], order: Sequence[str], choice_id: str) -> str:
    """The position token a choice has in this attempt (the inverse of `choice_id`)."""
    return str([choice.id for choice in in_order(choices, order)].index(choice_id))


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}
