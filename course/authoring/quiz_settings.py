"""A quiz's own settings as a form on its question list: titles and intros per course language, the pass mark,
attempts, the wait between attempts, shuffling and drawing questions from the pool.

The form rewrites only these keys of the quiz file; its questions and any other key stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from course.authoring.forms import _base_number
from course.authoring.question_forms import _all_or_none, _per_language, _text, _text_field
from course.forms import WholeNumberField

MAX_COOLDOWN = 60 * 24 * 30  # as the quiz loader allows
DEFAULTS = {"pass_percent": 70, "shuffle": True}


def _whole(label: object, low: int, high: int, message: object, required: bool = False) -> WholeNumberField:
    rules = [InputRequired(message) if required else Optional(), NumberRange(min=low, max=high, message=message)]
    return WholeNumberField(label, validators=rules)


class QuizSettingsForm(FlaskForm):
    """The fields every quiz has; `settings_form` adds a title and intro per course language."""

    base = HiddenField(validators=[_base_number])
    pass_percent = _whole(_l("Pass mark in percent"), 1, 100, _l("Enter a whole number from 1 to 100."), True)
    max_attempts = _whole(_l("Attempts per learner"), 1, 1000, _l("Enter a whole number from 1 to 1000, or nothing."))
    cooldown_minutes = _whole(
        _l("Wait between attempts, in minutes"),
        0,
        MAX_COOLDOWN,
        _l("Enter a whole number of minutes up to %(max)d, or nothing.", max=MAX_COOLDOWN),
    )
    shuffle = BooleanField(_l("Show the options of each question in a random order"))
    draw = _whole(
        _l("Questions per attempt"), 1, 1000, _l("Enter a whole number from 1 up to the number of questions.")
    )

    languages: tuple[str, ...] = ()
    pool: int = 0  # questions in the quiz

    def validate_draw(self, field: WholeNumberField) -> None:
        if field.data and field.data > self.pool:
            raise ValidationError(
                ngettext("The quiz has only %(num)d question.", "The quiz has only %(num)d questions.", self.pool)
            )

    def extra_errors(self) -> bool:
        """True if the intros are given in some languages but not all (checked after `validate`)."""
        return not _all_or_none(self, self.languages, ("intro",))


def settings_form(languages: Sequence[str], pool: int) -> type[QuizSettingsForm]:
    class Form(QuizSettingsForm):
        pass

    Form.languages, Form.pool = tuple(languages), pool
    for lang in languages:
        setattr(Form, f"title_{lang}", _text_field(_l("Title"), lang, True))
        setattr(Form, f"intro_{lang}", _text_field(_l("Introduction before the start"), lang, False))
    return Form


def settings_data(quiz: Mapping, languages: Sequence[str]) -> dict:
    """The quiz file's settings as the form's values (defaults where the file leaves a key out)."""
    data: dict = {}
    for lang in languages:
        data[f"title_{lang}"] = _text(quiz.get("title"), lang)
        data[f"intro_{lang}"] = _text(quiz.get("intro"), lang)
    for key in ("pass_percent", "max_attempts", "cooldown_minutes", "draw"):
        value = quiz.get(key, DEFAULTS.get(key))
        data[key] = value if isinstance(value, int) and not isinstance(value, bool) else None
    data["shuffle"] = quiz.get("shuffle", True) is not False
    return data


def settings_from(form: QuizSettingsForm, quiz: Mapping) -> dict[str, object]:
    """The keys the form sets; None removes a key. A default the file did not write stays unwritten."""
    languages = form.languages
    intro = _per_language(form, "intro", languages)
    wanted: dict[str, object] = {
        "title": _per_language(form, "title", languages),
        "intro": intro or None,
        "pass_percent": form.pass_percent.data,
        "max_attempts": form.max_attempts.data,
        "cooldown_minutes": form.cooldown_minutes.data or None,
        "shuffle": bool(form.shuffle.data),
        "draw": form.draw.data,
    }
    for key, default in DEFAULTS.items():
        if wanted[key] == default and key not in quiz:
            wanted[key] = None
    if "cooldown_minutes" in quiz and form.cooldown_minutes.data == 0:
        wanted["cooldown_minutes"] = 0
    return wanted
