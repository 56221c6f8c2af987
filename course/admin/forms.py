"""The admin's forms: invite one person, upload a CSV of people, change an account, filter the audit log."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, Form, HiddenField, SelectField, StringField
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, ValidationError

from course.admin.labels import ROLE_LABELS
from course.core.user_import import EMAIL_MAX, NAME_MAX
from course.forms import no_control_characters, strip
from course.i18n import LANGUAGE_NAMES, LANGUAGES
from course.models import ROLES

CSV_EXTENSIONS = ("csv", "txt")


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role, ROLE_LABELS[role]) for role in ROLES]


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Please enter the email address.")),
            Length(max=EMAIL_MAX, message=_l("At most %(max)d characters, please.")),
            Email(message=_l("This does not look like an email address."), check_deliverability=False),
        ],
        filters=[strip],
    )
    display_name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Please enter the person's name.")),
            Length(max=NAME_MAX, message=_l("At most %(max)d characters, please.")),
            no_control_characters,
        ],
        filters=[strip],
    )
    role = SelectField(
        _l("Role"),
        choices=role_choices,
        default="learner",
        validate_choice=True,
    )
    language = SelectField(
        _l("Language of the invitation"),
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(CSV_EXTENSIONS, _l("Upload a .csv or .txt file.")),
        ],
        render_kw={"accept": ".csv,.txt,text/csv,text/plain"},
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices, validators=[DataRequired(_l("Choose a role."))])


class ActiveForm(FlaskForm):
    """Deactivate ("0") or reactivate ("1"): the button sends which, so a stale page cannot flip it back."""

    active = HiddenField(validators=[AnyOf(("0", "1"), message=_l("Choose deactivate or reactivate."))])


class ConfirmForm(FlaskForm):
    """A POST that needs nothing but the CSRF token (send a link)."""


class DeleteForm(FlaskForm):
    confirm = HiddenField(validators=[AnyOf(("yes",), message=_l("Confirm the deletion."))])


class DayField(DateField):
    """A date as YYYY-MM-DD (what a date picker sends), with our own message for anything else."""

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = date.fromisoformat(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a date as YYYY-MM-DD, for example 2026-03-31.")) from None


def _not_before_start(form: Form, field: DayField) -> None:
    if field.data and form.start.data and field.data < form.start.data:
        raise ValidationError(_l("The end date is before the start date."))


class AuditFilterForm(Form):
    """The audit log's filter, read from the query string (a GET form: no CSRF token, nothing changes)."""

    action = SelectField(_l("Action"), validate_choice=False)
    person = StringField(
        _l("Person (email contains)"),
        validators=[Optional(), Length(max=120, message=_l("At most %(max)d characters, please."))],
        filters=[strip],
    )
    start = DayField(_l("From"), validators=[Optional()])
    end = DayField(_l("To"), validators=[Optional(), _not_before_start])
