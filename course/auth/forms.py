"""The account forms: logging in and registering."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from course.forms import no_control_characters, strip

MAX_PASSWORD = 256


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(_l("Please enter your email address.")), Length(max=254)], filters=[strip]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please enter your password.")), Length(max=MAX_PASSWORD)]
    )
    remember = BooleanField(_l("Stay logged in on this device"))
    next = HiddenField()


class RegisterForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=120, message=_l("At most %(max)d characters, please.")),
            no_control_characters,
        ],
        filters=[strip],
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("At most %(max)d characters, please.")),
            Email(message=_l("This does not look like an email address."), check_deliverability=False),
        ],
        filters=[strip],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please choose a password."))])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[
            DataRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )

    def validate_password(self, field: PasswordField) -> None:
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(field.data) < minimum:
            raise ValidationError(_l("Use at least %(min)d characters.", min=minimum))
        if len(field.data) > MAX_PASSWORD:
            raise ValidationError(_l("Use at most %(max)d characters.", max=MAX_PASSWORD))
