"""The account pages' forms: profile, new password, new address, deletion."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length

from course.auth.forms import RegisterForm, new_password
from course.core.passwords import MAX_LENGTH as MAX_PASSWORD
from course.forms import strip
from course.i18n import LANGUAGE_NAMES, LANGUAGES
from course.models import User


def _current_password() -> PasswordField:
    return PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password.")), Length(max=MAX_PASSWORD)],
    )


class ProfileForm(FlaskForm):
    display_name = RegisterForm.display_name  # the same rules as when registering
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        validate_choice=False,  # AnyOf below says it in the user's language
        validators=[AnyOf(LANGUAGES, message=_l("Please choose one of the languages offered."))],
    )


class PasswordForm(FlaskForm):
    """The current password, and a new one judged with the account's name and address."""

    current = _current_password()
    password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Please choose a new password.")), new_password]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Please repeat the new password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )

    def __init__(self, user: User, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.account = user

    def password_context(self) -> tuple[str, ...]:
        return (self.account.display_name, self.account.email)


class EmailForm(FlaskForm):
    email = EmailField(
        _l("New email address"),
        validators=[
            DataRequired(_l("Please enter the new address.")),
            Length(max=254, message=_l("At most %(max)d characters, please.")),
            Email(message=_l("This does not look like an email address."), check_deliverability=False),
        ],
        filters=[strip],
    )
    password = _current_password()


class DeleteWithPasswordForm(FlaskForm):
    password = _current_password()


class DeleteWithEmailForm(FlaskForm):
    """For an account without a password (single sign-on, or invited and never set one): typing the address
    shows the deletion is meant."""

    email = StringField(
        _l("Your email address"),
        validators=[DataRequired(_l("Please type your email address.")), Length(max=254)],
        filters=[strip],
    )
