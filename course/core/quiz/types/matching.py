"""Matching: pick the right choice for each prompt; extra choices are distractors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade, pick
from course.core.quiz.parsing import Choice, Fields
from course.core.quiz.types import QuestionType, register
from course.core.quiz.types._common import by_id, choice_ids, in_order, is_blank, public_choices, token
from course.core.text.yamldoc import LineDict


@dataclass(frozen=True)
class MatchingSpec:
    prompts: tuple[Choice, ...]
    matches: tuple[tuple[str, str], ...]  # (prompt id, choice id)
    choices: tuple[Choice, ...]

    @property
    def key(self) -> dict[str, str]:
        return dict(self.matches)


@register
class Matching(QuestionType):
    name = "matching"
    keys = frozenset({"prompts", "choices"})

    def parse(self, fields: Fields, data: LineDict) -> MatchingSpec | None:
        choices = fields.choices(data, "choices", "choice")
        prompts = fields.choices(data, "prompts", "prompt", extra={"match"})
        choice_ids = {choice.id for choice, _ in choices}
        matches = []
        for prompt, item in prompts:
            target = item.get("match")
            if not isinstance(target, str) or target not in choice_ids:
                fields.add(
                    item.key_line("match"),
                    f"prompt {prompt.id!r}: match must be one of the choice ids ({', '.join(sorted(choice_ids))})",
                )
                continue
            matches.append((prompt.id, target))
        if not choices or not prompts or len(matches) != len(prompts):
            return None
        return MatchingSpec(tuple(p for p, _ in prompts), tuple(matches), tuple(c for c, _ in choices))

    def shuffled(self, spec: MatchingSpec) -> tuple[str, ...]:
        return tuple(choice.id for choice in spec.choices)

    def public(self, spec: MatchingSpec, order: Sequence[str], lang: str) -> dict:
        return {
            "prompts": [{"id": str(i), "text": pick(prompt.text, lang)} for i, prompt in enumerate(spec.prompts)],
            "choices": public_choices(spec.choices, order, lang),
        }

    def read(self, spec: MatchingSpec, order: Sequence[str], value: object, lang: str) -> dict[str, str] | None:
        if is_blank(value):
            return None
        if not isinstance(value, dict):
            raise AnswerError(N_("Choose a match for each prompt."))
        given = [(prompt, chosen) for prompt, chosen in value.items() if not is_blank(chosen)]
        prompt_ids = choice_ids(spec.prompts, [p.id for p in spec.prompts], [prompt for prompt, _chosen in given])
        chosen_ids = choice_ids(spec.choices, order, [chosen for _prompt, chosen in given])
        return dict(zip(prompt_ids, chosen_ids, strict=True)) or None

    def value(self, spec: MatchingSpec, order: Sequence[str], response: dict[str, str] | None) -> dict[str, str]:
        prompts = [prompt.id for prompt in spec.prompts]
        return {str(prompts.index(p)): token(spec.choices, order, c) for p, c in (response or {}).items()}

    def grade(self, spec: MatchingSpec, response: dict[str, str] | None) -> Grade:
        if not response:
            return Grade(0.0)
        key = spec.key
        right = sum(1 for prompt_id, choice in response.items() if key.get(prompt_id) == choice)
        return Grade(right / len(spec.prompts))

    def review(self, spec: MatchingSpec, order: Sequence[str], response: dict[str, str] | None, lang: str) -> dict:
        choices, key, response = by_id(spec.choices), spec.key, response or {}
        return {
            "rows": [
                {
                    "prompt": pick(prompt.text, lang),
                    "given": pick(choices[response[prompt.id]].text, lang) if prompt.id in response else None,
                    "correct": pick(choices[key[prompt.id]].text, lang),
                    "right": response.get(prompt.id) == key[prompt.id],
                }
                for prompt in spec.prompts
            ],
            "choices": [pick(choice.text, lang) for choice in in_order(spec.choices, order)],
        }
