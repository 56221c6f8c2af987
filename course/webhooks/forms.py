"""The forms of the admins' integration pages: a webhook (name, address, events, on/off), an API token (name,
scopes, how long it lasts), and buttons that only carry the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from course.core import webhooks
from course.forms import WholeNumberField, no_control_characters, strip

NAME_MAX = 100
MAX_DAYS = 3650

EVENT_LABELS = {
    "certificate.issued": _l("A certificate was issued"),
    "certificate.revoked": _l("A certificate was revoked"),
    "course.completed": _l("A learner completed a course"),
    "learner.overdue": _l("A learner is overdue with an assigned course"),
}
SCOPE_LABELS = {
    "users:read": _l("Read accounts, groups and assignments"),
    "progress:read": _l("Read progress"),
    "certificates:read": _l("Read certificates"),
    "users:write": _l("Manage group members (add and remove)"),
}


def field_name(value: str) -> str:
    """A form field's name for an event or scope id (ids hold dots and colons)."""
    return "x_" + value.replace(".", "_").replace(":", "_")


class ButtonForm(FlaskForm):
    """A POST that needs nothing but the CSRF token."""


def _name_field() -> StringField:
    return StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Please enter a name.")),
            Length(max=NAME_MAX, message=_l("At most %(max)d characters, please.")),
            no_control_characters,
        ],
        filters=[strip],
    )


class _Choices(FlaskForm):
    """One checkbox per choice (CHOICES: id → label), read back as the list of ticked ids."""

    CHOICES: dict = {}

    def choice_fields(self) -> list[BooleanField]:
        return [self[field_name(value)] for value in self.CHOICES]

    def chosen(self) -> list[str]:
        return [value for value in self.CHOICES if self[field_name(value)].data]


class WebhookForm(_Choices):
    CHOICES = EVENT_LABELS
    name = _name_field()
    url = StringField(
        _l("Address (URL)"),
        validators=[
            DataRequired(_l("Please enter the receiver's address.")),
            Length(max=webhooks.MAX_URL, message=_l("At most %(max)d characters, please.")),
            no_control_characters,
        ],
        filters=[strip],
    )
    active = BooleanField(_l("Active: send deliveries"), default=True)

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001 - WTForms' signature
        valid = super().validate(extra_validators)
        if valid and not self.chosen():
            self.form_errors.append(_l("Choose at least one event."))
            return False
        return valid


class TokenForm(_Choices):
    CHOICES = SCOPE_LABELS
    name = _name_field()
    days = WholeNumberField(
        _l("Valid for (days)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_DAYS, message=_l("Enter a number from %(min)d to %(max)d.")),
        ],
    )

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001 - WTForms' signature
        valid = super().validate(extra_validators)
        if valid and not self.chosen():
            self.form_errors.append(_l("Choose at least one permission."))
            return False
        return valid


# One checkbox per event and scope (tests/web/test_webhooks.py checks every core id has a label here).
for _form, _labels in ((WebhookForm, EVENT_LABELS), (TokenForm, SCOPE_LABELS)):
    for _value, _label in _labels.items():
        setattr(_form, field_name(_value), BooleanField(_label))
