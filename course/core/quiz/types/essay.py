"""Essay: a text the learner writes and a trainer grades, with marks and a comment.

The core cannot grade it: `grade` gives nothing, and an attempt with an essay waits for the trainer's mark
(`course.core.quiz.attempt.grade_attempt` takes the trainers' marks). The answer is plain text: it is stored as
typed (line breaks kept) and always shown escaped, never as HTML. The rubric is for the trainer who grades.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade, Text, pick
from course.core.quiz.parsing import Fields
from course.core.quiz.types import QuestionType, register
from course.core.quiz.types._common import is_blank
from course.core.text.yamldoc import LineDict

DEFAULT_MAX_CHARS = 3000
MIN_CHARS = 50
MAX_CHARS = 20_000  # a few pages: an answer to read and grade, not an upload
# Control characters other than tab and line breaks have no place in a text (and some break JSON or XML).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class EssaySpec:
    max_chars: int
    rubric: Text | None  # for the trainer who grades: what a good answer holds


@register
class Essay(QuestionType):
    name = "essay"
    keys = frozenset({"max_chars", "rubric"})
    graded_by_trainer = True

    def parse(self, fields: Fields, data: LineDict) -> EssaySpec | None:
        rubric = fields.text(data, "rubric", required=False)
        limit = data.get("max_chars", DEFAULT_MAX_CHARS)
        if isinstance(limit, bool) or not isinstance(limit, int) or not MIN_CHARS <= limit <= MAX_CHARS:
            fields.add(data.key_line("max_chars"), f"max_chars must be a whole number from {MIN_CHARS} to {MAX_CHARS}")
            return None
        return EssaySpec(limit, rubric)

    def public(self, spec: EssaySpec, order: Sequence[str], lang: str) -> dict:
        return {"max_chars": spec.max_chars}

    def read(self, spec: EssaySpec, order: Sequence[str], value: object, lang: str) -> str | None:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if is_blank(value):
            return None
        if not isinstance(value, str):
            raise AnswerError(N_("Write your answer as text."))
        text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
        if len(text) > spec.max_chars:
            raise AnswerError(
                N_("Keep the answer to %(limit)d characters (it has %(count)d)."), limit=spec.max_chars, count=len(text)
            )
        return text or None

    def value(self, spec: EssaySpec, order: Sequence[str], response: str | None) -> str | None:
        return response

    def grade(self, spec: EssaySpec, response: str | None) -> Grade:
        return Grade(0.0)  # only a trainer grades an essay (see the module's docstring)

    def review(self, spec: EssaySpec, order: Sequence[str], response: str | None, lang: str) -> dict:
        return {"given": response}

    def secrets(self, spec: EssaySpec, lang: str) -> Iterator[str]:
        if spec.rubric:
            yield pick(spec.rubric, lang)
