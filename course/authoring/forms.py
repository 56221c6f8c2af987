"""Forms of the studio: the file editor, new lesson and quiz files, restoring an old revision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
    StopValidation,
    ValidationError,
)

from course.core.text.slug import ID_PATTERN
from course.forms import MAX_INT, WholeNumberField, strip, whole_number

MAX_FILE_CHARS = 200_000  # far above any lesson; the request size limit caps the post anyway
MAX_ID = 80
MAX_REVISION = MAX_INT  # the column is a 32-bit integer on PostgreSQL


def _newlines(value: str | None) -> str | None:
    """Browsers send a textarea's lines with CRLF; files keep LF, so an unchanged file stays byte-identical."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _sent(form: FlaskForm, field: TextAreaField) -> None:
    """An empty text is text; a post without the field at all is not an edit."""
    if not field.raw_data:
        raise StopValidation(_l("No text was sent: reload the page."))


def _no_control_characters(form: FlaskForm, field: TextAreaField) -> None:
    """Tabs and line breaks are text; other control characters (NUL above all) cannot be stored or shown."""
    if field.data and any(ord(ch) < 32 and ch not in "\t\n" for ch in field.data):
        raise ValidationError(_l("The text contains invisible control characters: please remove them."))


def _base_number(form: FlaskForm, field: HiddenField) -> None:
    if whole_number(field.data, 1, MAX_REVISION) is None:
        raise ValidationError(_l("This form is out of date: reload the page (your text is kept below)."))


class EditForm(FlaskForm):
    """One file's text and the revision it was edited from (`base`), so a stale save is caught."""

    text = TextAreaField(
        _l("File text"),
        validators=[
            _sent,
            Length(max=MAX_FILE_CHARS, message=_l("The file is too long (at most %(max)d characters).")),
            _no_control_characters,
        ],
        filters=[_newlines],
    )
    base = HiddenField(validators=[_base_number])

    @property
    def base_number(self) -> int:
        return int(self.base.data)


_ID_RULES = [
    DataRequired(_l("Enter an id.")),
    Length(max=MAX_ID),
    Regexp(ID_PATTERN, message=_l("Use lowercase letters, digits and single hyphens, e.g. customer-visits.")),
]


class NewLessonForm(FlaskForm):
    lesson_id = StringField(_l("Lesson id"), validators=_ID_RULES, filters=[strip])
    lang = SelectField(_l("Language"), choices=[])


class NewQuizForm(FlaskForm):
    quiz_id = StringField(_l("Quiz id"), validators=_ID_RULES, filters=[strip])


class RestoreForm(FlaskForm):
    """Restore revision `number` as a new draft, made from the newest revision the history page showed."""

    number = WholeNumberField(validators=[InputRequired(), NumberRange(min=1, max=MAX_REVISION)])
    base = WholeNumberField(validators=[InputRequired(), NumberRange(min=1, max=MAX_REVISION)])
