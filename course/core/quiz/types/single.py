"""Single choice: one option is right."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade, pick
from course.core.quiz.parsing import Choice, Fields
from course.core.quiz.types import QuestionType, register
from course.core.quiz.types._common import by_id, choice_id, in_order, is_blank, public_choices, token
from course.core.text.yamldoc import LineDict


@dataclass(frozen=True)
class ChoiceSpec:
    options: tuple[Choice, ...]
    correct: frozenset[str]


def parse_options(fields: Fields, data: LineDict) -> tuple[tuple[Choice, ...], frozenset[str]] | None:
    options, correct = [], set()
    for choice, item in fields.choices(data, "options", "option", extra={"correct"}):
        options.append(choice)
        if fields.boolean(item, "correct", False):
            correct.add(choice.id)
    return (tuple(options), frozenset(correct)) if options else None


class ChoiceType(QuestionType):
    """What single and multiple choice share: options shown in a per-attempt order, feedback per option."""

    keys = frozenset({"options"})

    def shuffled(self, spec: ChoiceSpec) -> tuple[str, ...]:
        return tuple(option.id for option in spec.options)

    def public(self, spec: ChoiceSpec, order: Sequence[str], lang: str) -> dict:
        return {"options": public_choices(spec.options, order, lang)}

    def secrets(self, spec: ChoiceSpec, lang: str) -> Iterator[str]:
        return (pick(option.feedback, lang) for option in spec.options if option.feedback)


@register
class SingleChoice(ChoiceType):
    name = "single"

    def parse(self, fields: Fields, data: LineDict) -> ChoiceSpec | None:
        parsed = parse_options(fields, data)
        if parsed is None:
            return None
        options, correct = parsed
        if len(correct) != 1:
            fields.add(
                data.key_line("options"),
                f"a single-choice question needs exactly one option with correct: true (has {len(correct)})",
            )
            return None
        return ChoiceSpec(options, correct)

    def read(self, spec: ChoiceSpec, order: Sequence[str], value: object, lang: str) -> str | None:
        if is_blank(value):
            return None
        if isinstance(value, list):  # a form or client that sent the field twice
            if len(value) != 1:
                raise AnswerError(N_("Pick one option only."))
            value = value[0]
        return choice_id(spec.options, order, value)

    def value(self, spec: ChoiceSpec, order: Sequence[str], response: str | None) -> str | None:
        return token(spec.options, order, response) if response else None

    def grade(self, spec: ChoiceSpec, response: str | None) -> Grade:
        if response is None:
            return Grade(0.0)
        chosen = by_id(spec.options)[response]
        return Grade(1.0 if response in spec.correct else 0.0, (chosen.feedback,) if chosen.feedback else ())

    def review(self, spec: ChoiceSpec, order: Sequence[str], response: str | None, lang: str) -> dict:
        return {"options": review_options(spec, order, {response} if response else set(), lang)}


def review_options(spec: ChoiceSpec, order: Sequence[str], chosen: set[str], lang: str) -> list[dict]:
    return [
        {
            "text": pick(option.text, lang),
            "chosen": option.id in chosen,
            "correct": option.id in spec.correct,
            "feedback": pick(option.feedback, lang) if option.feedback and option.id in chosen else None,
        }
        for option in in_order(spec.options, order)
    ]
