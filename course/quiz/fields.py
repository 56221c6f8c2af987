"""How each question type appears in the HTML form and how its form fields become an answer value.

The value has the shape the JSON API accepts, so the core reads both the same way. Templates draw each
type with the macro of the same name in `quiz/fields.html`.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.datastructures import MultiDict

from course.core.errors import N_
from course.core.quiz import AnswerError, type_names
from course.forms import whole_number

FormReader = Callable[[MultiDict, str], object]


def _one(form: MultiDict, name: str) -> str | None:
    values = form.getlist(name)
    if len(values) > 1:
        raise AnswerError(N_("The answer was sent more than once."))
    return values[0] if values else None


def _many(form: MultiDict, name: str) -> list[str]:
    return form.getlist(name)


def _per_key(form: MultiDict, name: str) -> dict[str, str]:
    """Fields named `<name>.<token>`, one value each."""
    prefix = f"{name}."
    result = {}
    for key in form:
        if key.startswith(prefix):
            result[key[len(prefix) :]] = _one(form, key) or ""
    return result


def _positions(form: MultiDict, name: str) -> list[str] | None:
    """Ordering without JavaScript: each item gets a position number; the value is the items first to last."""
    positions = _per_key(form, name)
    if not any(value.strip() for value in positions.values()):
        return None
    numbers = {token: whole_number(value.strip()) for token, value in positions.items()}
    if any(number is None for number in numbers.values()):
        raise AnswerError(N_("Give every item a position."))
    by_position = {number: token for token, number in numbers.items()}
    if len(by_position) != len(positions) or set(by_position) != set(range(1, len(positions) + 1)):
        raise AnswerError(N_("Give every item a different position."))
    return [by_position[number] for number in sorted(by_position)]


FORM_READERS: dict[str, FormReader] = {
    "single": _one,
    "multiple": _many,
    "truefalse": _one,
    "matching": _per_key,
    "ordering": _positions,
    "numeric": _one,
    "shorttext": _one,
    "blanks": _per_key,
    "essay": _one,
}


def check_field_builders() -> None:
    """Every question type of the core must be drawable as a form field; fail at start-up if one is not."""
    missing = set(type_names()) - set(FORM_READERS)
    if missing:
        raise RuntimeError(f"question types without a form field: {', '.join(sorted(missing))}")


def read_form_value(form: MultiDict, question_type: str, name: str) -> object:
    return FORM_READERS[question_type](form, name)
