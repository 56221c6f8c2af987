"""Single choice: the learner picks one option. One is right (or several, any of which earns all the points, as in
Moodle); other options may earn part of the points (`percent`)."""

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
    correct: frozenset[str]  # the options to pick (single) or tick (multiple) for full points
    # option id → the fraction of the points it earns where `correct` alone does not say (single: the partly
    # right options; multiple with weights: what each tick adds, negative for a penalty)
    credit: tuple[tuple[str, float], ...] = ()
    weighted: bool = False  # multiple: scored by the options' weights instead of the penalty rule

    def credit_of(self, option_id: str) -> float:
        return dict(self.credit).get(option_id, 1.0 if option_id in self.correct else 0.0)


@dataclass(frozen=True)
class ParsedOption:
    choice: Choice
    correct: bool
    percent: float | None  # None: not given
    line: int


def parse_options(fields: Fields, data: LineDict) -> list[ParsedOption] | None:
    """The options with their `correct` flags and `percent` weights; None (problems reported) if unusable."""
    options, usable = [], True
    for choice, item in fields.choices(data, "options", "option", extra={"correct", "percent"}):
        percent = None
        if "percent" in item:
            percent = fields.number(item, "percent")
            usable = usable and percent is not None
        line = item.key_line("percent") if "percent" in item else item.line
        options.append(ParsedOption(choice, fields.boolean(item, "correct", False), percent, line))
    return options if options and usable else None


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
        correct = frozenset(option.choice.id for option in parsed if option.correct)
        if not correct:  # several right options: any one of them earns all the points, as in Moodle
            fields.add(data.key_line("options"), "a single-choice question needs an option with correct: true")
            return None
        credit, ok = [], True
        for option in parsed:
            if option.percent is None:
                continue
            where = f"option {option.choice.id!r}"
            if option.correct:
                fields.add(
                    option.line, f"{where} is the right one and earns 100 %: give percent only to partly right options"
                )
                ok = False
            elif not 0 <= option.percent < 100:
                fields.add(
                    option.line,
                    f"{where}: percent must be from 0 to below 100 for a partly right option (got {option.percent:g}); "
                    "a right option has correct: true",
                )
                ok = False
            elif option.percent > 0:
                credit.append((option.choice.id, option.percent / 100))
        if not ok:
            return None
        options = tuple(option.choice for option in parsed)
        return ChoiceSpec(options, correct, tuple(credit))

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
        return Grade(spec.credit_of(response), (chosen.feedback,) if chosen.feedback else ())

    def review(self, spec: ChoiceSpec, order: Sequence[str], response: str | None, lang: str) -> dict:
        return {"options": review_options(spec, order, {response} if response else set(), lang)}


def review_options(spec: ChoiceSpec, order: Sequence[str], chosen: set[str], lang: str) -> list[dict]:
    """Each option with whether it was chosen and is right; `percent` is what it earns (or costs) when the question
    gives options their own credit: a partly right single-choice option, or every option of a weighted one."""
    return [
        {
            "text": pick(option.text, lang),
            "chosen": option.id in chosen,
            "correct": option.id in spec.correct,
            "feedback": pick(option.feedback, lang) if option.feedback and option.id in chosen else None,
            "percent": _percent(spec.credit_of(option.id))
            if spec.weighted or 0 < spec.credit_of(option.id) < 1
            else None,
        }
        for option in in_order(spec.options, order)
    ]


def _percent(fraction: float) -> float:
    return round(fraction * 100, 2)
