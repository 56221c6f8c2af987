"""True or false."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade, Text, pick
from course.core.quiz.parsing import Fields
from course.core.quiz.types import QuestionType, register
from course.core.quiz.types._common import is_blank
from course.core.text.yamldoc import LineDict

_WORDS = {"true": True, "false": False}


@dataclass(frozen=True)
class TrueFalseSpec:
    answer: bool
    feedback_true: Text | None
    feedback_false: Text | None


@register
class TrueFalse(QuestionType):
    name = "truefalse"
    keys = frozenset({"answer", "feedback_true", "feedback_false"})

    def parse(self, fields: Fields, data: LineDict) -> TrueFalseSpec | None:
        answer = data.get("answer")
        feedback_true = fields.text(data, "feedback_true", required=False)
        feedback_false = fields.text(data, "feedback_false", required=False)
        if not isinstance(answer, bool):
            fields.add(data.key_line("answer"), f"answer must be true or false (got {answer!r})")
            return None
        return TrueFalseSpec(answer, feedback_true, feedback_false)

    def public(self, spec: TrueFalseSpec, order: Sequence[str], lang: str) -> dict:
        return {}

    def read(self, spec: TrueFalseSpec, order: Sequence[str], value: object, lang: str) -> bool | None:
        if is_blank(value):
            return None
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _WORDS:
            return _WORDS[value.strip().lower()]
        raise AnswerError(N_("Answer true or false."))

    def value(self, spec: TrueFalseSpec, order: Sequence[str], response: bool | None) -> bool | None:
        return response

    def grade(self, spec: TrueFalseSpec, response: bool | None) -> Grade:
        if response is None:
            return Grade(0.0)
        feedback = spec.feedback_true if response else spec.feedback_false
        return Grade(1.0 if response == spec.answer else 0.0, (feedback,) if feedback else ())

    def review(self, spec: TrueFalseSpec, order: Sequence[str], response: bool | None, lang: str) -> dict:
        feedback = spec.feedback_true if response else spec.feedback_false
        return {
            "given": response,
            "correct": spec.answer,
            "feedback": pick(feedback, lang) if response is not None and feedback else None,
        }

    def secrets(self, spec: TrueFalseSpec, lang: str) -> Iterator[str]:
        return (pick(text, lang) for text in (spec.feedback_true, spec.feedback_false) if text)
