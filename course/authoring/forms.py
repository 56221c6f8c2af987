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
    Optional,
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


MAX_TITLE = 200  # as the catalog allows
MAX_SUMMARY = 2000
MAX_OBJECTIVES = 8
MAX_OBJECTIVE = 1000


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").replace("\r", "\n").split("\n") if line.strip()]


def _objectives(form: FlaskForm, field: TextAreaField) -> None:
    objectives = _lines(field.data)
    if not objectives:
        raise ValidationError(_l("Enter at least one learning objective."))
    if len(objectives) > MAX_OBJECTIVES:
        raise ValidationError(_l("At most %(max)d learning objectives, one per line.", max=MAX_OBJECTIVES))
    if any(len(objective) > MAX_OBJECTIVE for objective in objectives):
        raise ValidationError(_l("Each objective has at most %(max)d characters.", max=MAX_OBJECTIVE))


class LessonFieldsForm(FlaskForm):
    """A lesson as form fields: its front matter one field each, its body as Markdown text."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=MAX_TITLE), _no_control_characters],
        filters=[strip],
    )
    minutes = WholeNumberField(
        _l("Reading time in minutes"),
        validators=[
            InputRequired(_l("Enter the reading time in whole minutes.")),
            NumberRange(min=1, max=120, message=_l("Enter a whole number of minutes from 1 to 120.")),
        ],
    )
    objectives = TextAreaField(
        _l("Learning objectives"), validators=[_objectives, _no_control_characters], filters=[_newlines]
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[DataRequired(_l("Enter a short summary.")), Length(max=MAX_SUMMARY), _no_control_characters],
        filters=[strip, _newlines],
    )
    quiz = SelectField(_l("Quiz after this lesson"), choices=[], validate_choice=True)
    body = TextAreaField(
        _l("Lesson text"),
        validators=[
            _sent,
            Length(max=MAX_FILE_CHARS, message=_l("The text is too long (at most %(max)d characters).")),
            _no_control_characters,
        ],
        filters=[_newlines],
    )
    base = HiddenField(validators=[_base_number])

    @property
    def objective_list(self) -> list[str]:
        return _lines(self.objectives.data)

    @property
    def base_number(self) -> int:
        return int(self.base.data)


class AddLessonForm(FlaskForm):
    """A whole new lesson: a title per course language, an id, and where it goes in the course."""

    lesson_id = StringField(
        _l("Lesson id"),
        validators=[
            Length(max=MAX_ID),
            Regexp(
                r"^$|" + ID_PATTERN.pattern,
                message=_l("Use lowercase letters, digits and single hyphens, e.g. customer-visits."),
            ),
        ],
        filters=[strip],
    )
    position = SelectField(_l("Place in the course"), choices=[])

    @classmethod
    def for_course(cls, languages: tuple[str, ...], names: dict[str, str], **kwargs: object) -> AddLessonForm:
        """The form with one title field per course language (the first one required)."""

        class Form(cls):
            pass

        for number, lang in enumerate(languages):
            rules = [Length(max=MAX_TITLE), _no_control_characters]
            rules.insert(0, DataRequired(_l("Enter a title.")) if number == 0 else Optional())
            setattr(
                Form,
                f"title_{lang}",
                StringField(
                    _l("Title (%(language)s)", language=names.get(lang, lang)), validators=rules, filters=[strip]
                ),
            )
        form = Form(**kwargs)
        form.languages = languages
        return form

    def title(self, lang: str) -> str:
        return self[f"title_{lang}"].data or ""


class TokenForm(FlaskForm):
    """No fields: a button's form checks only its CSRF token."""
