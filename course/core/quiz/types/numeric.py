"""Numeric: a number within a tolerance or range; several answers may give partial credit."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade, Text, pick
from course.core.quiz.numbers import format_number, parse_number
from course.core.quiz.parsing import Fields
from course.core.quiz.types import QuestionType, register
from course.core.quiz.types._common import is_blank
from course.core.text.yamldoc import LineDict

_ANSWER_KEYS = {"value", "tolerance", "min", "max", "percent", "feedback"}


@dataclass(frozen=True)
class NumericAnswer:
    low: float
    high: float
    percent: float
    feedback: Text | None = None
    value: float | None = None  # set when written as value ± tolerance
    tolerance: float = 0.0

    def accepts(self, number: float) -> bool:
        return self.low - 1e-9 <= number <= self.high + 1e-9

    def describe(self, lang: str) -> str:
        if self.value is not None:
            text = format_number(self.value, lang)
            return f"{text} ± {format_number(self.tolerance, lang)}" if self.tolerance else text
        return f"{format_number(self.low, lang)} – {format_number(self.high, lang)}"


@dataclass(frozen=True)
class NumericSpec:
    answers: tuple[NumericAnswer, ...]
    unit: Text | None
    feedback_wrong: Text | None


@register
class Numeric(QuestionType):
    name = "numeric"
    keys = frozenset({"answer", "tolerance", "answers", "unit", "feedback_wrong"})

    def parse(self, fields: Fields, data: LineDict) -> NumericSpec | None:
        unit = fields.text(data, "unit", required=False)
        feedback_wrong = fields.text(data, "feedback_wrong", required=False)
        if ("answer" in data) == ("answers" in data):
            fields.add(data.line, "a numeric question needs either answer (with optional tolerance) or answers")
            return None
        if "answer" in data:
            answers = [self._answer(fields, data, value_key="answer")]
        else:
            answers = [
                self._answer(fields, item, value_key="value")
                for _line, item in fields.mapping_list(data, "answers", "answers")
            ]
        if not answers or any(answer is None for answer in answers):
            return None
        if not any(answer.percent == 100 for answer in answers):
            fields.add(data.line, "at least one numeric answer must give full credit (percent: 100)")
            return None
        if "answers" in data and "tolerance" in data:
            fields.add(data.key_line("tolerance"), "with answers, give each answer its own tolerance")
            return None
        return NumericSpec(tuple(answers), unit, feedback_wrong)

    def _answer(self, fields: Fields, data: LineDict, value_key: str) -> NumericAnswer | None:
        if value_key == "value":
            fields.unknown_keys(data, _ANSWER_KEYS, "a numeric answer")
        percent = fields.number(data, "percent", default=100.0, minimum=0) if value_key == "value" else 100.0
        if percent is not None and percent > 100:
            fields.add(data.key_line("percent"), "percent must be between 0 and 100")
            return None
        feedback = fields.text(data, "feedback", required=False) if value_key == "value" else None
        if value_key in data:
            value = fields.number(data, value_key)
            tolerance = fields.number(data, "tolerance", default=0.0, minimum=0)
            if value is None or tolerance is None or percent is None:
                return None
            return NumericAnswer(value - tolerance, value + tolerance, percent, feedback, value, tolerance)
        if "min" in data and "max" in data:
            low, high = fields.number(data, "min"), fields.number(data, "max")
            if low is None or high is None or percent is None:
                return None
            if low > high:
                fields.add(data.key_line("min"), f"min ({low:g}) must not be above max ({high:g})")
                return None
            return NumericAnswer(low, high, percent, feedback)
        fields.add(data.line, f"give {value_key} (with optional tolerance) or min and max")
        return None

    def public(self, spec: NumericSpec, order: Sequence[str], lang: str) -> dict:
        return {"unit": pick(spec.unit, lang) or None}

    def read(self, spec: NumericSpec, order: Sequence[str], value: object, lang: str) -> dict | None:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if is_blank(value):
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise AnswerError(N_("That is not a number."))
        try:
            number = float(value) if isinstance(value, int | float) else parse_number(value, lang)
        except OverflowError:  # a JSON integer with hundreds of digits
            raise AnswerError(N_("That is not a number.")) from None
        if number != number or number in (float("inf"), float("-inf")):  # noqa: PLR0124 - NaN check
            raise AnswerError(N_("That is not a number."))
        return {"text": str(value).strip(), "value": number}

    def value(self, spec: NumericSpec, order: Sequence[str], response: dict | None) -> str | None:
        return response["text"] if response else None

    def best(self, spec: NumericSpec, number: float) -> NumericAnswer | None:
        matching = [answer for answer in spec.answers if answer.accepts(number)]
        return max(matching, key=lambda answer: answer.percent, default=None)

    def grade(self, spec: NumericSpec, response: dict | None) -> Grade:
        if response is None:
            return Grade(0.0)
        answer = self.best(spec, response["value"])
        if answer is None:
            return Grade(0.0, (spec.feedback_wrong,) if spec.feedback_wrong else ())
        return Grade(answer.percent / 100, (answer.feedback,) if answer.feedback else ())

    def review(self, spec: NumericSpec, order: Sequence[str], response: dict | None, lang: str) -> dict:
        full = [answer for answer in spec.answers if answer.percent == 100]
        return {
            "given": response["text"] if response else None,
            "correct": [answer.describe(lang) for answer in full],
            "unit": pick(spec.unit, lang) or None,
        }

    def secrets(self, spec: NumericSpec, lang: str) -> Iterator[str]:
        for answer in spec.answers:
            yield answer.describe(lang)
            if answer.feedback:
                yield pick(answer.feedback, lang)
        if spec.feedback_wrong:
            yield pick(spec.feedback_wrong, lang)
