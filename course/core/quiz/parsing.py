"""Reading quiz YAML into checked values; every problem is reported with its file and line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

from course.core.quiz.model import Text
from course.core.text.markdown import render_text
from course.core.text.problem import Problem
from course.core.text.slug import ID_PATTERN
from course.core.text.yamldoc import LineDict, LineList

MAX_TEXT = 4000


@dataclass(frozen=True)
class Choice:
    """An option, matching choice or ordering item: an id, its text and optional feedback."""

    id: str
    text: Text
    feedback: Text | None = None


class Fields:
    """Problem collector for one quiz file, with helpers that check a field and report where it is wrong."""

    def __init__(self, path: str, languages: Iterable[str]) -> None:
        self.path = path
        self.languages = tuple(languages)
        self.problems: list[Problem] = []

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def text(self, data: LineDict, key: str, *, required: bool = True, where: str = "") -> Text | None:
        """A per-language text, rendered and sanitised; None (and a problem if required) when absent."""
        label = f"{where}{key}"
        if key not in data:
            if required:
                self.add(data.line, f"missing {label}: give a text per language ({', '.join(self.languages)})")
            return None
        value = data[key]
        line = data.key_line(key)
        if not isinstance(value, dict):
            self.add(line, f"{label} must give one text per language, e.g. {{de: …, en: …}}")
            return None
        result = {}
        for lang in self.languages:
            item = value.get(lang)
            if isinstance(item, bool) or item is None:
                self.add(line, f"missing translation: {label} has no {lang!r} text")
            elif not isinstance(item, str | int | float) or not str(item).strip() or len(str(item)) > MAX_TEXT:
                self.add(line, f"{label} ({lang}) must be text of 1 to {MAX_TEXT} characters")
            else:
                result[lang] = render_text(str(item).strip())
        for lang in value:
            if lang not in self.languages:
                self.add(line, f"{label} has text for {lang!r}, which is not one of the course's languages")
        return MappingProxyType(result) if len(result) == len(self.languages) else None

    def ident(self, data: LineDict, key: str, what: str) -> str | None:
        value = data.get(key)
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.add(
                data.key_line(key) if key in data else data.line,
                f"{what} {key} must be lowercase letters, digits and single hyphens (got {value!r})",
            )
            return None
        return value

    def number(
        self, data: LineDict, key: str, *, default: float | None = None, minimum: float | None = None
    ) -> float | None:
        if key not in data:
            if default is None:
                self.add(data.line, f"missing {key}: give a number")
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # noqa: PLR0124 - NaN
            self.add(data.key_line(key), f"{key} must be a number (got {value!r})")
            return None
        if minimum is not None and value < minimum:
            self.add(data.key_line(key), f"{key} must be at least {minimum:g} (got {value:g})")
            return None
        return float(value)

    def boolean(self, data: LineDict, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(data.key_line(key), f"{key} must be true or false (got {value!r})")
            return default
        return value

    def mapping_list(self, data: LineDict, key: str, what: str, minimum: int = 1) -> list[tuple[int, LineDict]]:
        """The mappings of a list field with their lines; wrong items are reported and skipped."""
        value = data.get(key)
        if not isinstance(value, LineList) or len(value) < minimum:
            self.add(
                data.key_line(key) if key in data else data.line, f"{key} must be a list of at least {minimum} {what}"
            )
            return []
        items = []
        for index, item in enumerate(value):
            if isinstance(item, LineDict):
                items.append((value.item_line(index), item))
            else:
                self.add(value.item_line(index), f"each entry of {key} must be a mapping with id and text")
        return items

    def unknown_keys(self, data: LineDict, allowed: Iterable[str], what: str) -> None:
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                self.add(data.key_line(key), f"unknown field {key!r} in {what} (allowed: {', '.join(sorted(allowed))})")

    def choices(
        self, data: LineDict, key: str, what: str, *, extra: Iterable[str] = (), minimum: int = 2
    ) -> list[tuple[Choice, LineDict]]:
        """Options, choices or items: unique ids, a text per language, optional feedback."""
        result: list[tuple[Choice, LineDict]] = []
        seen: set[str] = set()
        for line, item in self.mapping_list(data, key, what, minimum):
            self.unknown_keys(item, {"id", "text", "feedback", *extra}, what)
            choice_id = self.ident(item, "id", what)
            if choice_id in seen:
                self.add(line, f"duplicate {what} id {choice_id!r}")
                choice_id = None
            text = self.text(item, "text", where=f"{what} ")
            feedback = self.text(item, "feedback", required=False, where=f"{what} ")
            if choice_id is None or text is None:
                continue
            seen.add(choice_id)
            result.append((Choice(choice_id, text, feedback), item))
        return result
