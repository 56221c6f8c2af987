"""Short text: a word or phrase compared with accepted answers, ignoring case, spacing and punctuation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade, Text, pick
from course.core.quiz.parsing import Fields
from course.core.quiz.types import QuestionType, register
from course.core.quiz.types._common import is_blank
from course.core.text.yamldoc import LineDict, LineList

MAX_ANSWER = 200
_EDGE_PUNCTUATION = ".,;:!?\"'„“”‚‘’«»()[]"


def normalise(text: str) -> str:
    """Compare answers by meaning of the characters, not by case, spacing or surrounding punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split()).strip(_EDGE_PUNCTUATION + " ")


@dataclass(frozen=True)
class ShortTextSpec:
    accept: tuple[tuple[str, tuple[str, ...]], ...]  # (lang, answers as written)
    patterns: tuple[tuple[str, str], ...]  # (lang, regular expression)
    feedback_wrong: Text | None

    def accepted(self, lang: str) -> tuple[str, ...]:
        return dict(self.accept).get(lang, ())

    def matches(self, answer: str) -> bool:
        if any(normalise(answer) == normalise(text) for _, texts in self.accept for text in texts):
            return True
        # Patterns see the answer's own letters (casefold would turn ß into ss); case is ignored by the flag.
        spaced = " ".join(unicodedata.normalize("NFKC", answer).split()).strip(_EDGE_PUNCTUATION + " ")
        return any(re.fullmatch(pattern, spaced, re.IGNORECASE) for _, pattern in self.patterns)


@register
class ShortText(QuestionType):
    name = "shorttext"
    keys = frozenset({"accept", "patterns", "feedback_wrong"})

    def parse(self, fields: Fields, data: LineDict) -> ShortTextSpec | None:
        feedback_wrong = fields.text(data, "feedback_wrong", required=False)
        accept = self._per_language(fields, data, "accept", required=True)
        patterns = self._per_language(fields, data, "patterns", required=False)
        if accept is None or patterns is None:
            return None
        for lang, texts in patterns:
            for pattern in texts:
                try:
                    re.compile(pattern)
                except re.error as error:
                    fields.add(
                        data.key_line("patterns"),
                        f"pattern {pattern!r} ({lang}) is not a valid regular expression: {error}",
                    )
                    return None
        return ShortTextSpec(accept, tuple((lang, p) for lang, texts in patterns for p in texts), feedback_wrong)

    def _per_language(
        self, fields: Fields, data: LineDict, key: str, required: bool
    ) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
        if key not in data:
            if required:
                fields.add(data.line, f"missing {key}: give the accepted answers per language")
                return None
            return ()
        value, line = data[key], data.key_line(key)
        if not isinstance(value, dict):
            fields.add(line, f"{key} must list answers per language, e.g. {{de: [Kundenbindung], en: [retention]}}")
            return None
        result = []
        for lang, texts in value.items():
            if lang not in fields.languages:
                fields.add(line, f"{key} has answers for {lang!r}, which is not one of the course's languages")
                return None
            if not isinstance(texts, LineList) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
                fields.add(line, f"{key}.{lang} must be a list of non-empty texts")
                return None
            result.append((lang, tuple(t.strip() for t in texts)))
        if required:
            for lang in fields.languages:
                if lang not in value:
                    fields.add(line, f"missing translation: {key} has no {lang!r} answers")
                    return None
        return tuple(result)

    def public(self, spec: ShortTextSpec, order: Sequence[str], lang: str) -> dict:
        return {}

    def read(self, spec: ShortTextSpec, order: Sequence[str], value: object, lang: str) -> str | None:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if is_blank(value):
            return None
        if not isinstance(value, str):
            raise AnswerError(N_("Type your answer as text."))
        if len(value) > MAX_ANSWER:
            raise AnswerError(N_("Keep the answer to %(limit)d characters."), limit=MAX_ANSWER)
        return " ".join(value.split())

    def value(self, spec: ShortTextSpec, order: Sequence[str], response: str | None) -> str | None:
        return response

    def grade(self, spec: ShortTextSpec, response: str | None) -> Grade:
        if response is None:
            return Grade(0.0)
        if spec.matches(response):
            return Grade(1.0)
        return Grade(0.0, (spec.feedback_wrong,) if spec.feedback_wrong else ())

    def review(self, spec: ShortTextSpec, order: Sequence[str], response: str | None, lang: str) -> dict:
        return {"given": response, "correct": list(spec.accepted(lang) or spec.accept[0][1])}

    def secrets(self, spec: ShortTextSpec, lang: str) -> Iterator[str]:
        yield from spec.accepted(lang)
        if spec.feedback_wrong:
            yield pick(spec.feedback_wrong, lang)
