"""Inline blanks (Moodle's "missing word" and simple cloze): blanks inside the question's sentence, each a select
of options or a text field, graded per blank.

The text marks each blank with `{{blank-id}}`, in every language (the order may differ between languages). A
select blank is read and graded like a single-choice question, a text blank like a short-text one: each blank's
mapping is parsed by that type, so options may carry partial credit and text blanks may have several answers with
their own credit and feedback. The question earns the average of its blanks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade, Text, pick
from course.core.quiz.parsing import Fields
from course.core.quiz.types import QuestionType, register
from course.core.quiz.types._common import is_blank
from course.core.quiz.types.shorttext import ShortText, ShortTextSpec
from course.core.quiz.types.single import ChoiceSpec, SingleChoice
from course.core.text.markdown import render_text
from course.core.text.yamldoc import LineDict

MARKER = re.compile(r"\{\{([a-z0-9]+(?:-[a-z0-9]+)*)\}\}")
MAX_BLANKS = 20
_SELECT, _TEXT = SingleChoice(), ShortText()


@dataclass(frozen=True)
class Blank:
    id: str
    spec: ChoiceSpec | ShortTextSpec  # a select (options) or a text field (accepted answers)

    @property
    def kind(self) -> QuestionType:
        return _SELECT if isinstance(self.spec, ChoiceSpec) else _TEXT


@dataclass(frozen=True)
class BlanksSpec:
    blanks: tuple[Blank, ...]  # as the file lists them: a blank's token is its index here
    # per language, the question's HTML cut at the blanks, and the blank ids in the order the text has them
    parts: Mapping[str, tuple[str, ...]]
    sequence: Mapping[str, tuple[str, ...]]

    def blank(self, blank_id: str) -> Blank:
        return next(blank for blank in self.blanks if blank.id == blank_id)

    def in_text_order(self, lang: str) -> list[tuple[int, Blank]]:
        """(token, blank) in the order the text in `lang` shows them."""
        sequence = self.sequence.get(lang) or next(iter(self.sequence.values()))
        index = {blank.id: number for number, blank in enumerate(self.blanks)}
        return [(index[blank_id], self.blank(blank_id)) for blank_id in sequence]


def _order(blank: Blank, order: Sequence[str]) -> list[str]:
    """This blank's options in the attempt's order (the layout holds them as `<blank id>.<option id>`)."""
    prefix = f"{blank.id}."
    return [item[len(prefix) :] for item in order if item.startswith(prefix)]


@register
class Blanks(QuestionType):
    name = "blanks"
    keys = frozenset({"blanks"})

    def parse(self, fields: Fields, data: LineDict) -> BlanksSpec | None:
        blanks, usable = [], True
        items = fields.mapping_list(data, "blanks", "blanks")
        if len(items) > MAX_BLANKS:
            fields.add(data.key_line("blanks"), f"a question has at most {MAX_BLANKS} blanks")
            return None
        seen: set[str] = set()
        for line, item in items:
            blank_id = fields.ident(item, "id", "blank")
            if blank_id in seen:
                fields.add(line, f"duplicate blank id {blank_id!r}")
                blank_id = None
            spec = self._blank(fields, item, line, blank_id)
            if blank_id is None or spec is None:
                usable = False
                continue
            seen.add(blank_id)
            blanks.append(Blank(blank_id, spec))
        if not usable or not blanks:
            return None
        cut = self._cut(fields, data, [blank.id for blank in blanks])
        if cut is None:
            return None
        parts, sequence = cut
        return BlanksSpec(tuple(blanks), MappingProxyType(parts), MappingProxyType(sequence))

    def _blank(self, fields: Fields, item: LineDict, line: int, blank_id: str | None) -> Any:
        where = f"blank {blank_id!r}" if blank_id else "a blank"
        is_select, is_text = "options" in item, bool({"accept", "answers"} & set(item))
        if is_select == is_text:
            fields.add(line, f"{where} needs either options (a select) or accept/answers (a text field), not both")
            return None
        if is_select:
            fields.unknown_keys(item, {"id", "options"}, f"{where} with options")
            return _SELECT.parse(fields, item)
        fields.unknown_keys(item, {"id", *_TEXT.keys}, f"{where} with a text field")
        return _TEXT.parse(fields, item)

    def _cut(
        self, fields: Fields, data: LineDict, blank_ids: list[str]
    ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]] | None:
        """The question text cut at its markers, per language; every blank exactly once in every language."""
        texts = data.get("text")
        if not isinstance(texts, dict):
            return None  # the loader reports the text itself
        parts, sequence, line = {}, {}, data.key_line("text")
        for lang in fields.languages:
            raw = texts.get(lang)
            if not isinstance(raw, str) or not raw.strip():
                return None
            html = render_text(raw.strip())
            found = MARKER.findall(html)
            missing = [blank_id for blank_id in blank_ids if blank_id not in found]
            unknown = sorted({blank_id for blank_id in found if blank_id not in blank_ids})
            twice = sorted({blank_id for blank_id in found if found.count(blank_id) > 1})
            inside_markup = any(piece.rfind("<") > piece.rfind(">") for piece in MARKER.split(html)[0:-1:2])
            if missing or unknown or twice or inside_markup:
                problems = [
                    *(f"{{{{{blank_id}}}}} is missing" for blank_id in missing),
                    *(f"{{{{{blank_id}}}}} names no blank" for blank_id in unknown),
                    *(f"{{{{{blank_id}}}}} appears more than once" for blank_id in twice),
                ] or ["a marker is inside a link or other markup, where no field can go"]
                fields.add(line, f"text ({lang}): {'; '.join(problems)}: mark each blank once as {{{{blank-id}}}}")
                return None
            pieces = MARKER.split(html)
            parts[lang], sequence[lang] = tuple(pieces[0::2]), tuple(pieces[1::2])
        return parts, sequence

    def shown_text(self, spec: BlanksSpec, text: Text) -> Text:
        """Where the sentence is shown without its fields (a review, statistics): each blank as a numbered gap."""
        shown = {}
        for lang, parts in spec.parts.items():
            gaps = [f'<span class="blank-gap">({number})</span>' for number in range(1, len(parts))]
            shown[lang] = "".join(part + (gaps[index] if index < len(gaps) else "") for index, part in enumerate(parts))
        return MappingProxyType(shown)

    def shuffled(self, spec: BlanksSpec) -> tuple[str, ...]:
        return tuple(
            f"{blank.id}.{option_id}"
            for blank in spec.blanks
            if isinstance(blank.spec, ChoiceSpec)
            for option_id in blank.kind.shuffled(blank.spec)
        )

    def public(self, spec: BlanksSpec, order: Sequence[str], lang: str) -> dict:
        blanks = []
        for token, blank in spec.in_text_order(lang):
            shown = {"id": str(token)}
            if isinstance(blank.spec, ChoiceSpec):
                shown["options"] = blank.kind.public(blank.spec, _order(blank, order), lang)["options"]
            blanks.append(shown)
        return {"parts": list(spec.parts.get(lang) or next(iter(spec.parts.values()))), "blanks": blanks}

    def read(self, spec: BlanksSpec, order: Sequence[str], value: object, lang: str) -> dict[str, Any] | None:
        if is_blank(value):
            return None
        if not isinstance(value, dict):
            raise AnswerError(N_("Fill in the blanks."))
        response = {}
        for token, given in value.items():
            blank = self._by_token(spec, token)
            read = blank.kind.read(blank.spec, _order(blank, order), given, lang)
            if read is not None:
                response[blank.id] = read
        return response or None

    def _by_token(self, spec: BlanksSpec, token: object) -> Blank:
        text = str(token).strip() if isinstance(token, str | int) and not isinstance(token, bool) else ""
        if not (text.isascii() and text.isdigit()) or len(text) > 2 or int(text) >= len(spec.blanks):
            raise AnswerError(N_("That blank is not part of the question."))
        return spec.blanks[int(text)]

    def value(self, spec: BlanksSpec, order: Sequence[str], response: dict[str, Any] | None) -> dict[str, object]:
        tokens = {blank.id: str(number) for number, blank in enumerate(spec.blanks)}
        return {
            tokens[blank.id]: blank.kind.value(blank.spec, _order(blank, order), response[blank.id])
            for blank in spec.blanks
            if response and blank.id in response
        }

    def grade(self, spec: BlanksSpec, response: dict[str, Any] | None) -> Grade:
        if not response:
            return Grade(0.0)
        grades = [blank.kind.grade(blank.spec, response.get(blank.id)) for blank in spec.blanks]
        return Grade(
            sum(grade.fraction for grade in grades) / len(grades), tuple(f for g in grades for f in g.feedback)
        )

    def review(self, spec: BlanksSpec, order: Sequence[str], response: dict[str, Any] | None, lang: str) -> dict:
        """Per blank in the text's order: what was given, what is right, and how it was graded."""
        response = response or {}
        rows = []
        for number, (_token, blank) in enumerate(spec.in_text_order(lang), start=1):
            given = response.get(blank.id)
            grade = blank.kind.grade(blank.spec, given)
            if isinstance(blank.spec, ChoiceSpec):
                options = {option.id: option for option in blank.spec.options}
                shown = pick(options[given].text, lang) if given else None
                correct = [pick(options[option_id].text, lang) for option_id in sorted(blank.spec.correct)]
            else:
                shown, correct = given, list(blank.spec.accepted(lang))
            partial = 0 < grade.fraction < 1
            rows.append(
                {
                    "number": number,
                    "kind": "select" if isinstance(blank.spec, ChoiceSpec) else "text",  # option texts are HTML
                    "given": shown,
                    "correct": correct,
                    "verdict": grade.verdict if given is not None else "wrong",
                    "percent": round(grade.fraction * 100, 2) if partial else None,
                }
            )
        return {"blanks": rows}

    def secrets(self, spec: BlanksSpec, lang: str) -> Iterator[str]:
        for blank in spec.blanks:
            yield from blank.kind.secrets(blank.spec, lang)
