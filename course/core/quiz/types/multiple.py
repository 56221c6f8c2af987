"""Multiple choice with partial credit: by default the penalty rule for wrong ticks, or the options' own weights
(rules in quizzes/README.md)."""

from __future__ import annotations

from collections.abc import Sequence

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade
from course.core.quiz.parsing import Fields
from course.core.quiz.types import register
from course.core.quiz.types._common import by_id, choice_ids, is_blank, token
from course.core.quiz.types.single import ChoiceSpec, ChoiceType, ParsedOption, parse_options, review_options
from course.core.text.yamldoc import LineDict


def multiple_fraction(correct: int, wrong: int, right_ticks: int, wrong_ticks: int) -> float:
    """Right ticks earn 1/correct each, wrong ticks cost 1/wrong each; clamped to [0, 1]."""
    earned = right_ticks / correct if correct else 0.0
    lost = wrong_ticks / wrong if wrong else 0.0
    return min(1.0, max(0.0, earned - lost))


def weighted_fraction(weights: Sequence[float]) -> float:
    """The ticked options' weights added up (fractions, negative for a penalty), clamped to [0, 1]."""
    return min(1.0, max(0.0, sum(weights)))


#: how far the positive weights may be from 100 % in total (thirds are written 33.33333)
WEIGHT_SUM_SLACK = 0.01


@register
class MultipleChoice(ChoiceType):
    name = "multiple"

    def parse(self, fields: Fields, data: LineDict) -> ChoiceSpec | None:
        parsed = parse_options(fields, data)
        if parsed is None:
            return None
        options = tuple(option.choice for option in parsed)
        if any(option.percent is not None for option in parsed):
            return _weighted(fields, data, parsed)
        correct = frozenset(option.choice.id for option in parsed if option.correct)
        if not correct:
            fields.add(
                data.key_line("options"), "a multiple-choice question needs at least one option with correct: true"
            )
            return None
        return ChoiceSpec(options, correct)

    def read(self, spec: ChoiceSpec, order: Sequence[str], value: object, lang: str) -> list[str] | None:
        if is_blank(value):
            return None
        tokens = value if isinstance(value, list) else [value]
        ids = choice_ids(spec.options, order, tokens)
        if len(set(ids)) != len(ids):
            raise AnswerError(N_("An option was ticked twice."))
        return sorted(ids)

    def value(self, spec: ChoiceSpec, order: Sequence[str], response: list[str] | None) -> list[str]:
        return sorted((token(spec.options, order, i) for i in response or ()), key=int)

    def grade(self, spec: ChoiceSpec, response: list[str] | None) -> Grade:
        if not response:
            return Grade(0.0)
        ticked = set(response)
        options = by_id(spec.options)
        feedback = tuple(options[i].feedback for i in response if options[i].feedback)
        if spec.weighted:
            return Grade(weighted_fraction([spec.credit_of(i) for i in response]), feedback)
        fraction = multiple_fraction(
            len(spec.correct),
            len(spec.options) - len(spec.correct),
            len(ticked & spec.correct),
            len(ticked - spec.correct),
        )
        return Grade(fraction, feedback)

    def review(self, spec: ChoiceSpec, order: Sequence[str], response: list[str] | None, lang: str) -> dict:
        """`scoring` names the rule that scored it, so the review can say how the points came about."""
        return {
            "options": review_options(spec, order, set(response or ()), lang),
            "scoring": "weights" if spec.weighted else "penalty",
        }


def _weighted(fields: Fields, data: LineDict, parsed: list[ParsedOption]) -> ChoiceSpec | None:
    """Options that each carry a weight from −100 to 100 %; the positive ones add up to 100 %."""
    usable = True
    for option in parsed:
        where = f"option {option.choice.id!r}"
        if option.correct:
            fields.add(
                option.line,
                f"{where}: give every option either a percent (weights) or correct: true (the penalty rule), not both",
            )
            usable = False
        elif option.percent is None:
            fields.add(
                option.line,
                f"{where} has no percent: with weights, every option needs one "
                "(0 for one that neither earns nor costs)",
            )
            usable = False
        elif not -100 <= option.percent <= 100:
            fields.add(option.line, f"{where}: percent must be from -100 to 100 (got {option.percent:g})")
            usable = False
    if not usable:
        return None
    positive = sum(option.percent for option in parsed if option.percent > 0)
    if abs(positive - 100) > WEIGHT_SUM_SLACK:
        fields.add(
            data.key_line("options"),
            f"the positive weights add up to {positive:g} %; they must add up to 100 %, so that ticking every "
            "right option earns all the points",
        )
        return None
    # Scaled to add up to exactly 1, so ticking every right option of three written 33.33333 is simply right.
    return ChoiceSpec(
        tuple(option.choice for option in parsed),
        frozenset(option.choice.id for option in parsed if option.percent > 0),
        tuple(
            (option.choice.id, option.percent / positive if option.percent > 0 else option.percent / 100)
            for option in parsed
        ),
        weighted=True,
    )
