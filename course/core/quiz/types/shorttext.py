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
class ShortAnswer:
    """Answers that earn the same credit and feedback: texts per language, and patterns."""

    accept: tuple[tuple[str, tuple[str, ...]], ...]  # (lang, answers as written)
    patterns: tuple[tuple[str, str], ...] = ()  # (lang, regular expression)
    fraction: float = 1.0  # of the question's points
    feedback: Text | None = None

    def accepted(self, lang: str) -> tuple[str, ...]:
        return dict(self.accept).get(lang, ())

    def matches(self, answer: str) -> bool:
        if any(normalise(answer) == normalise(text) for _, texts in self.accept for text in texts):
            return True
        # Patterns see the answer's own letters (casefold would turn ß into ss); case is ignored by the flag.
        spaced = " ".join(unicodedata.normalize("NFKC", answer).split()).strip(_EDGE_PUNCTUATION + " ")
        return any(re.fullmatch(pattern, spaced, re.IGNORECASE) for _, pattern in self.patterns)


@dataclass(frozen=True)
class ShortTextSpec:
    answers: tuple[ShortAnswer, ...]  # at least one with full credit
    feedback_wrong: Text | None = None

    def accepted(self, lang: str) -> tuple[str, ...]:
        """The texts that earn full credit in `lang` (else in the first language that has some)."""
        full = [answer for answer in self.answers if answer.fraction >= 1]
        texts = tuple(text for answer in full for text in answer.accepted(lang))
        texts = texts or tuple(text for answer in full for _lang, written in answer.accept[:1] for text in written)
        return texts or tuple(pattern for answer in full for _lang, pattern in answer.patterns)

    def best(self, response: str) -> ShortAnswer | None:
        """The matching answer that earns the most (the first of equals), or None."""
        found = [answer for answer in self.answers if answer.matches(response)]
        return max(found, key=lambda answer: answer.fraction) if found else None


@register
class ShortText(QuestionType):
    name = "shorttext"
    keys = frozenset({"accept", "patterns", "answers", "feedback_wrong"})

    def parse(self, fields: Fields, data: LineDict) -> ShortTextSpec | None:
        feedback_wrong = fields.text(data, "feedback_wrong", required=False)
        if "answers" in data:
            for key in ("accept", "patterns"):
                if key in data:
                    fields.add(data.key_line(key), f"give {key} inside each of answers, not beside them")
                    return None
            answers = self._answers(fields, data)
        else:
            answer = self._answer(fields, data, 1.0, None)
            answers = (answer,) if answer else None
        if answers is None:
            return None
        return ShortTextSpec(answers, feedback_wrong)

    def _answers(self, fields: Fields, data: LineDict) -> tuple[ShortAnswer, ...] | None:
        """`answers`: a list of {accept, patterns, percent, feedback}, at least one of them worth 100 %."""
        answers, usable = [], True
        for _line, item in fields.mapping_list(data, "answers", "answers"):
            fields.unknown_keys(item, {"accept", "patterns", "percent", "feedback"}, "a short-text answer")
            percent = fields.number(item, "percent", default=100.0)
            if percent is not None and not 0 <= percent <= 100:
                fields.add(item.key_line("percent"), f"percent must be from 0 to 100 (got {percent:g})")
                percent = None
            feedback = fields.text(item, "feedback", required=False, where="answer ")
            answer = self._answer(fields, item, (percent or 0) / 100, feedback, patterns_suffice=True)
            if answer is None or percent is None:
                usable = False
                continue
            answers.append(answer)
        if not usable or not answers:
            return None
        if not any(answer.fraction >= 1 for answer in answers):
            fields.add(data.key_line("answers"), "no answer gives full credit: give one of them percent: 100")
            return None
        return tuple(answers)

    def _answer(
        self, fields: Fields, data: LineDict, fraction: float, feedback: Text | None, *, patterns_suffice: bool = False
    ) -> ShortAnswer | None:
        """Accepted texts (in every language) and patterns; one of `answers` may be patterns alone (a GIFT
        wildcard answer such as `colo*r`)."""
        patterns = self._per_language(fields, data, "patterns", required=False)
        accept = self._per_language(fields, data, "accept", required=not (patterns_suffice and patterns))
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
        return ShortAnswer(accept, tuple((lang, p) for lang, texts in patterns for p in texts), fraction, feedback)

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
        answer = spec.best(response)
        if answer is None:
            return Grade(0.0, (spec.feedback_wrong,) if spec.feedback_wrong else ())
        return Grade(answer.fraction, (answer.feedback,) if answer.feedback else ())

    def review(self, spec: ShortTextSpec, order: Sequence[str], response: str | None, lang: str) -> dict:
        """`percent` is the credit the learner's answer earned when it was a partly right one."""
        answer = spec.best(response) if response else None
        partial = answer is not None and 0 < answer.fraction < 1
        return {
            "given": response,
            "correct": list(spec.accepted(lang)),
            "percent": round(answer.fraction * 100, 2) if partial else None,
        }

    def secrets(self, spec: ShortTextSpec, lang: str) -> Iterator[str]:
        for answer in spec.answers:
            yield from answer.accepted(lang)
            if answer.feedback:
                yield pick(answer.feedback, lang)
        if spec.feedback_wrong:
            yield pick(spec.feedback_wrong, lang)
