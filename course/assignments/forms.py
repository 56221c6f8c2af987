"""The assignment forms: a group (when assigning), a due date, an optional start date and a time zone.

The group and the zone are checked by the view and the core (`make_schedule`), not by WTForms' choice check, so
a tampered value gets the same clear message next to its field as a mistake would."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, InputRequired, Optional

from course.admin.forms import DayField
from course.core.assignments import time_zones
from course.models import Group


class ScheduleForm(FlaskForm):
    """The dates of an assignment, given as days in a time zone (the site's zone unless chosen)."""

    due = DayField(_l("Due date"), validators=[InputRequired(_l("Please enter the due date."))])
    starts = DayField(_l("Start date (optional)"), validators=[Optional()])
    time_zone = SelectField(_l("Time zone"), validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = list(time_zones())
        if not self.time_zone.data:
            self.time_zone.data = current_app.config["TIME_ZONE"]


class AssignForm(ScheduleForm):
    """Assign the course to one of the groups the user may assign to."""

    group = SelectField(_l("Group"), validate_choice=False)

    def __init__(self, groups: list[Group], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.group.choices = [("", _l("Choose a group"))] + [(str(group.id), group.name) for group in groups]

    def chosen_group(self, groups: list[Group]) -> Group | None:
        return next((group for group in groups if str(group.id) == self.group.data), None)


class RemoveForm(FlaskForm):
    confirm = HiddenField(validators=[AnyOf(("yes",), message=_l("Confirm the removal."))])
