"""Multiple choice with partial credit and a penalty for wrong ticks (rule in quizzes/README.md)."""

from __future__ import annotations

from collections.abc import Sequence

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade
from course.core.quiz.parsing import Fields
from course.core.quiz.types import register
from course.core.quiz.types._common import by_id, choice_id, is_blank, token
from course.core.quiz.types.single import ChoiceSpec, ChoiceType, parse_options, review_options
from course.core.text.yamldoc import LineDict


def multiple_fraction(correct: int, wrong: int, right_ticks: int, wrong_ticks: int) -> float:
    """Right ticks earn 1/correct each, wrong ticks cost 1/wrong each; clamped to [0, 1]."""
    earned = right_ticks / correct if correct else 0.0
    lost = wrong_ticks / wrong if wrong else 0.0
    return min(1.0, max(0.0, earned - lost))


@register
class MultipleChoice(ChoiceType):
    name = "multiple"

    def parse(self, fields: Fields, data: LineDict) -> ChoiceSpec | None:
        parsed = parse_options(fields, data)
        if parsed is None:
            return None
        options, correct = parsed
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
        ids = [choice_id(spec.options, order, token) for token in tokens]
        if len(set(ids)) != len(ids):
            raise AnswerError(N_("An option was ticked twice."))
        return sorted(ids)

    def value(self, spec: ChoiceSpec, order: Sequence[str], response: list[str] | None) -> list[str]:
        return sorted((token(spec.options, order, i) for i in response or ()), key=int)

    def grade(self, spec: ChoiceSpec, response: list[str] | None) -> Grade:
        if not response:
            return Grade(0.0)
        ticked = set(response)
        fraction = multiple_fraction(
            len(spec.correct),
            len(spec.options) - len(spec.correct),
            len(ticked & spec.correct),
            len(ticked - spec.correct),
        )
        options = by_id(spec.options)
        return Grade(fraction, tuple(options[i].feedback for i in response if options[i].feedback))

    def review(self, spec: ChoiceSpec, order: Sequence[str], response: list[str] | None, lang: str) -> dict:
        return {"options": review_options(spec, order, set(response or ()), lang)}
