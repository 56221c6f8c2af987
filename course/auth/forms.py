"""The account forms: logging in, registering, and what the mailed links open (a new password, an invitation,
a confirmation)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from course.auth import operations
from course.core.passwords import MAX_LENGTH as MAX_PASSWORD
from course.core.passwords import PasswordProblem
from course.forms import no_control_characters, strip
from course.models import User


def password_refusal_message(problem: PasswordProblem) -> str:
    """Why a new password was refused, in words that say what to change."""
    messages = {
        "too_short": lambda: _("Use at least %(min)d characters.", min=problem.limit),
        "too_long": lambda: _("Use at most %(max)d characters.", max=problem.limit),
        "personal": lambda: _(
            "This password is made of your name, your email address or this site's name: whoever knows you"
            " could guess it."
        ),
        "common": lambda: _(
            "This password, or one very like it, is on the lists of common and leaked passwords that attackers"
            " try first."
        ),
        "repeats": lambda: _("Repeated characters or words (like “aaa” or “abcabc”) are easy to guess."),
        "sequence": lambda: _("Sequences like “abcd” or “4567” are easy to guess."),
        "keyboard": lambda: _("Rows of keys on the keyboard (like “qwertz”) are easy to guess."),
        "dates": lambda: _("Years and dates are easy to guess."),
        "words": lambda: _(
            "Common words and names on their own are easy to guess. Add a word or two that don't belong together."
        ),
        "guessable": lambda: _("This password is easy to guess. Add a word or two that don't belong together."),
    }
    return messages.get(problem.code, messages["guessable"])()


def new_password(form: FlaskForm, field: PasswordField) -> None:
    """Validator for every field that sets a password: the policy in course/core/passwords.py, judged with the
    words the form's `password_context()` gives (the account's name and address)."""
    context = form.password_context() if hasattr(form, "password_context") else ()
    problem = operations.password_refusal(field.data or "", *context)
    if problem is not None:
        raise ValidationError(password_refusal_message(problem))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(_l("Please enter your email address.")), Length(max=254)], filters=[strip]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please enter your password.")), Length(max=MAX_PASSWORD)]
    )
    remember = BooleanField(_l("Stay logged in on this device"))
    next = HiddenField()


def _display_name_field() -> StringField:
    return StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Please enter your name.")),
            Length(max=120, message=_l("At most %(max)d characters, please.")),
            no_control_characters,
        ],
        filters=[strip],
    )


def _email_field() -> EmailField:
    return EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("At most %(max)d characters, please.")),
            Email(message=_l("This does not look like an email address."), check_deliverability=False),
        ],
        filters=[strip],
    )


class RegisterForm(FlaskForm):
    display_name = _display_name_field()
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please choose a password.")), new_password])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[
            DataRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )

    def password_context(self) -> tuple[str, ...]:
        return (self.display_name.data or "", self.email.data or "")


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class NewPasswordForm(FlaskForm):
    """A new password chosen through a reset link, judged with the account's name and address."""

    password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Please choose a password.")), new_password]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )

    def __init__(self, user: User, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.user = user

    def password_context(self) -> tuple[str, ...]:
        return (self.user.display_name, self.user.email)


class AcceptInvitationForm(NewPasswordForm):
    """The invited person's first password, and their name as the inviter typed it, to correct if need be."""

    display_name = _display_name_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please choose a password.")), new_password])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[
            DataRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )

    def __init__(self, user: User, **kwargs: object) -> None:
        super().__init__(user, **kwargs)
        if not self.is_submitted():
            self.display_name.data = user.display_name

    def password_context(self) -> tuple[str, ...]:
        return (self.display_name.data or "", self.user.display_name, self.user.email)


class ConfirmForm(FlaskForm):
    """Only a button: a confirmation link is used by a POST, never by opening it (mail scanners open links)."""
