"""Form helpers every area's forms share, so a field is cleaned and checked the same way on every page.

Two rules hold for every request, whatever its view does with it (they are checked here, once):
- No text may hold a NUL character (PostgreSQL cannot store one) or an unpaired surrogate (it has no UTF-8
  form): `refuse_unstorable_text` answers 400 naming the field before any view runs. A view whose form shows
  such text back with its own message (the studio editor) names those fields with `shows_back_text`.
- A whole number is read with `whole_number`, which bounds its digits and its range: Python refuses to convert
  integers over 4,300 digits, and the database columns hold 32 bits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from typing import TypeVar

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from wtforms import Field, Form, IntegerField
from wtforms.validators import ValidationError

MAX_INT = 2**31 - 1  # a 32-bit integer column on PostgreSQL
_MAX_DIGITS = len(str(MAX_INT))
_SHOWN_BACK = "course_shown_back_fields"

View = TypeVar("View", bound=Callable)


def no_control_characters(form: Form, field: Field) -> None:
    """Refuse invisible control and format characters in one-line text: they cannot be seen, so they cannot be
    checked by whoever reads the text later (a name on a certificate, a revocation reason)."""
    if field.data and any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in field.data):
        raise ValidationError(_l("Please remove invisible control characters."))


def strip(value: str | None) -> str | None:
    """A field filter: surrounding spaces are never meant (a pasted email, a name typed with a trailing space)."""
    return value.strip() if isinstance(value, str) else value


# --- Whole numbers ---------------------------------------------------------------------------------------------


def whole_number(text: object, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    """`text` as a whole number from `minimum` to `maximum`, or None if it is not one.

    Only ASCII digits (an optional minus when `minimum` is negative); the length is checked before `int()`, so
    no input reaches Python's digit limit."""
    if not isinstance(text, str):
        return None
    digits = text[1:] if text.startswith("-") and minimum < 0 else text
    if not digits or len(digits) > _MAX_DIGITS + 1 or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


class WholeNumberField(IntegerField):
    """An IntegerField read with `whole_number` (default range 0 to MAX_INT; narrow it with NumberRange)."""

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist:
            return
        self.data = whole_number(valuelist[0].strip() if isinstance(valuelist[0], str) else valuelist[0])
        if self.data is None:
            raise ValueError(_l("Please enter a whole number."))


# --- Text no field may hold ------------------------------------------------------------------------------------


class UnstorableText(BadRequest):
    """A request field holds a character no field may hold; `field` names it for the error page."""

    def __init__(self, field: str) -> None:
        super().__init__()
        self.field = field


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> bool:
    """NUL, or a lone surrogate (which JSON escapes can carry, and which has no UTF-8 form)."""
    return _UNSTORABLE.search(text) is not None


def shown_name(name: str) -> str:
    """A field name fit to show and store: unstorable characters written as escapes (\\u0000)."""
    return "".join(f"\\u{ord(ch):04x}" if unstorable(ch) else ch for ch in name)


def unstorable_field(fields: MultiDict, skip: Collection[str] = frozenset()) -> str | None:
    """The name of the first field whose name or value is unstorable (values of `skip` fields not checked)."""
    for name, value in fields.items(multi=True):
        if unstorable(name):
            return shown_name(name)
        if name not in skip and isinstance(value, str) and unstorable(value):
            return name
    return None


def shows_back_text(*fields: str) -> Callable[[View], View]:
    """Mark a view whose form refuses NUL in these fields itself and shows the text back, so nothing typed is
    lost; every other field of the request is still checked by `refuse_unstorable_text`."""

    def mark(view: View) -> View:
        setattr(view, _SHOWN_BACK, frozenset(fields))
        return view

    return mark


def refuse_unstorable_text() -> None:
    """before_request: 400 naming the first query or form field that holds a NUL (werkzeug keeps invalid UTF-8
    percent-escaped, so form and query text holds no surrogates; JSON bodies are checked by the API)."""
    if request.query_string:
        name = unstorable_field(request.args)
        if name is not None:
            raise UnstorableText(name)
    if request.method != "GET" and request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        view = current_app.view_functions.get(request.endpoint or "")
        name = unstorable_field(request.form, getattr(view, _SHOWN_BACK, frozenset()))
        if name is not None:
            raise UnstorableText(name)


def init_app(app: Flask) -> None:
    app.before_request(refuse_unstorable_text)
