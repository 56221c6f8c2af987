"""The question-type registry: each type is one module that parses its key, reads answers and grades.

A type offers pure operations only. How a type is drawn as a form field lives in the web layer
(`course.quiz.fields`), which checks at start-up that every type here has a field builder.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from course.core.errors import CourseError
from course.core.quiz.model import Grade, Text
from course.core.quiz.parsing import Fields
from course.core.text.yamldoc import LineDict


class UnknownQuestionType(CourseError):
    pass


class QuestionType:
    """Base class: subclasses set `name` and implement the five operations."""

    name: str = ""
    #: extra keys this type allows in a question mapping, besides the common ones
    keys: frozenset[str] = frozenset()
    #: a trainer grades it (an essay): `grade` gives nothing, the attempt waits for the trainer's mark
    graded_by_trainer: bool = False

    def parse(self, fields: Fields, data: LineDict) -> Any:
        """The type's frozen spec from a question mapping; report problems to `fields`, return None if unusable."""
        raise NotImplementedError

    def shuffled(self, spec: Any) -> tuple[str, ...]:
        """Ids whose display order is shuffled per attempt (options, choices, items); () if none."""
        return ()

    def public(self, spec: Any, order: Sequence[str], lang: str) -> dict:
        """What the learner sees before answering: never the key. Tokens are display positions."""
        raise NotImplementedError

    def read(self, spec: Any, order: Sequence[str], value: object, lang: str) -> Any:
        """Turn a submitted value (API shape) into a stored response in the key's own ids; AnswerError if bad.

        Returns None for "not answered".
        """
        raise NotImplementedError

    def value(self, spec: Any, order: Sequence[str], response: Any) -> object:
        """The inverse of `read`: a stored response as the form or API value, to show a saved answer again."""
        raise NotImplementedError

    def grade(self, spec: Any, response: Any) -> Grade:
        raise NotImplementedError

    def review(self, spec: Any, order: Sequence[str], response: Any, lang: str) -> dict:
        """The learner's answer beside the right one, for the review page and the result JSON."""
        raise NotImplementedError

    def shown_text(self, spec: Any, text: Text) -> Text:
        """The question's text as pages show it (a type whose fields sit inside the text shows gaps there)."""
        return text

    def secrets(self, spec: Any, lang: str) -> Iterator[str]:
        """Strings that would give the key away if they reached the browser early (for the leak test)."""
        return iter(())


_REGISTRY: dict[str, QuestionType] = {}


def register(kind: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: add a question type; a second type with the same name is a programming error."""
    if not kind.name:
        raise ValueError(f"{kind.__name__} has no name")
    if kind.name in _REGISTRY:
        raise ValueError(f"question type {kind.name!r} is already registered")
    _REGISTRY[kind.name] = kind()
    return kind


def unregister(name: str) -> None:
    """For tests that add a type and must restore the registry."""
    _REGISTRY.pop(name, None)


def question_type(name: str) -> QuestionType:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownQuestionType(f"unknown question type {name!r} (known: {', '.join(sorted(_REGISTRY))})") from None


def type_names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def _load_builtin_types() -> None:
    from course.core.quiz.types import (  # noqa: F401 - registers on import
        blanks,
        essay,
        matching,
        multiple,
        numeric,
        ordering,
        shorttext,
        single,
        truefalse,
    )


_load_builtin_types()
