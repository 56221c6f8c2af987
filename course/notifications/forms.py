"""The notification pages' forms: mail preferences (one checkbox per kind the person may choose) and the buttons
that only need the CSRF token (mark read, retry a mail)."""

from __future__ import annotations

from collections.abc import Collection

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField

from course.core import notifications as rules
from course.notifications.messages import KIND_LABELS

CHECKED = "y"  # what a ticked checkbox sends


class ButtonForm(FlaskForm):
    """A POST that needs nothing but the CSRF token."""


class PreferencesForm(FlaskForm):
    """One checkbox per kind; `for_role` builds the form for the kinds a role may choose."""

    @classmethod
    def for_role(cls, role: str, **kwargs: object) -> PreferencesForm:
        fields = {kind.name: BooleanField(KIND_LABELS[kind.name]) for kind in rules.kinds_for(role)}
        return type("PreferencesFormFor" + role.title(), (cls,), fields)(**kwargs)

    def kind_fields(self) -> list[BooleanField]:
        return [self[kind.name] for kind in rules.KINDS.values() if kind.name in self]

    def choices(self) -> dict[str, bool]:
        return {field.name: bool(field.data) for field in self.kind_fields()}


def unexpected_fields(submitted: MultiDict, kinds: Collection[str]) -> list[str]:
    """Names the form does not have, or a checkbox sent twice or with another value than a ticked box sends: a
    form changed by hand. The page refuses it whole rather than guess."""
    allowed = {"csrf_token", *kinds}
    wrong = [name for name in submitted if name not in allowed]
    wrong += [name for name in kinds if submitted.getlist(name) not in ([], [CHECKED])]
    return sorted(set(wrong))
