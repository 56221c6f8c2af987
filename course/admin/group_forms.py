"""The forms of the group pages: a group's name and description, a member to add, a role in the group."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from course.admin.labels import GROUP_ROLE_LABELS
from course.core.user_import import EMAIL_MAX
from course.forms import no_control_characters, strip
from course.models import GROUP_NAME_MAX, GROUP_ROLES

DESCRIPTION_MAX = 1000


def group_role_choices() -> list[SelectChoice]:
    return [SelectChoice(role, GROUP_ROLE_LABELS[role]) for role in GROUP_ROLES]


class GroupForm(FlaskForm):
    name = StringField(
        _l("Name of the group"),
        validators=[
            DataRequired(_l("Please enter a name for the group.")),
            Length(max=GROUP_NAME_MAX, message=_l("At most %(max)d characters, please.")),
            no_control_characters,
        ],
        filters=[strip],
    )
    description = TextAreaField(
        _l("Description (optional)"),
        validators=[Length(max=DESCRIPTION_MAX, message=_l("At most %(max)d characters, please."))],
        filters=[strip],
    )


class MemberForm(FlaskForm):
    email = EmailField(
        _l("Email of the account"),
        validators=[
            DataRequired(_l("Please enter the email address.")),
            Length(max=EMAIL_MAX, message=_l("At most %(max)d characters, please.")),
            Email(message=_l("This does not look like an email address."), check_deliverability=False),
        ],
        filters=[strip],
    )
    role = SelectField(_l("Role in the group"), choices=group_role_choices, default="member", validate_choice=True)


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role in the group"), choices=group_role_choices, validate_choice=True)
