"""Ordering: put the items in the right order; each pair in the right relative order earns a share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from course.core.errors import N_
from course.core.quiz.model import AnswerError, Grade, pick
from course.core.quiz.parsing import Choice, Fields
from course.core.quiz.types import QuestionType, register
from course.core.quiz.types._common import by_id, choice_ids, in_order, is_blank, public_choices, token
from course.core.text.yamldoc import LineDict


@dataclass(frozen=True)
class OrderingSpec:
    items: tuple[Choice, ...]  # in the right order


def pairs_in_order(key: Sequence[str], given: Sequence[str]) -> float:
    """The share of item pairs that `given` puts in the same relative order as `key`."""
    rank = {item: index for index, item in enumerate(key)}
    pairs = list(combinations(given, 2))
    if not pairs:
        return 1.0
    return sum(1 for first, second in pairs if rank[first] < rank[second]) / len(pairs)


@register
class Ordering(QuestionType):
    name = "ordering"
    keys = frozenset({"items"})

    def parse(self, fields: Fields, data: LineDict) -> OrderingSpec | None:
        items = fields.choices(data, "items", "item")
        if len(items) < 2:
            return None
        return OrderingSpec(tuple(item for item, _ in items))

    def shuffled(self, spec: OrderingSpec) -> tuple[str, ...]:
        return tuple(item.id for item in spec.items)

    def public(self, spec: OrderingSpec, order: Sequence[str], lang: str) -> dict:
        return {"items": public_choices(spec.items, order, lang)}

    def read(self, spec: OrderingSpec, order: Sequence[str], value: object, lang: str) -> list[str] | None:
        if is_blank(value):
            return None
        if not isinstance(value, list):
            raise AnswerError(N_("Give every item a position."))
        ids = choice_ids(spec.items, order, value)
        if sorted(ids) != sorted(item.id for item in spec.items):
            raise AnswerError(N_("Give every item a different position."))
        return ids

    def value(self, spec: OrderingSpec, order: Sequence[str], response: list[str] | None) -> list[str]:
        return [token(spec.items, order, item_id) for item_id in response or ()]

    def grade(self, spec: OrderingSpec, response: list[str] | None) -> Grade:
        if not response:
            return Grade(0.0)
        return Grade(pairs_in_order([item.id for item in spec.items], response))

    def review(self, spec: OrderingSpec, order: Sequence[str], response: list[str] | None, lang: str) -> dict:
        items = by_id(spec.items)
        return {
            "given": [pick(items[i].text, lang) for i in response] if response else None,
            "correct": [pick(item.text, lang) for item in spec.items],
            "shown": [pick(item.text, lang) for item in in_order(spec.items, order)],
        }
