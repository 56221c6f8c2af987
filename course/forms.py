"""Form helpers every area's forms share, so a field is cleaned and checked the same way on every page."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form
from wtforms.validators import ValidationError


def no_control_characters(form: Form, field: Field) -> None:
    """Refuse invisible control and format characters in one-line text: they cannot be seen, so they cannot be
    checked by whoever reads the text later (a name on a certificate, a revocation reason)."""
    if field.data and any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in field.data):
        raise ValidationError(_l("Please remove invisible control characters."))


def strip(value: str | None) -> str | None:
    """A field filter: surrounding spaces are never meant (a pasted email, a name typed with a trailing space)."""
    return value.strip() if isinstance(value, str) else value
