"""Forms of the certificate pages; the name rules themselves are the core's (`validate_name`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from course.forms import no_control_characters, strip

MAX_TYPED_NAME = 400  # the core refuses names over 120 characters with a clear message; this only caps the post


class NameForm(FlaskForm):
    """The learner confirms the name printed and signed on the certificate (the core checks it)."""

    name = StringField(_l("Your name as it should appear on the certificate"), validators=[Length(max=MAX_TYPED_NAME)])


class ReasonForm(FlaskForm):
    """Why a trainer revokes a certificate: shown on its public verification page."""

    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give a reason: the verification page shows it.")),
            Length(max=500),
            no_control_characters,
        ],
        filters=[strip],
    )


class ReissueForm(FlaskForm):
    """Re-issue with the name corrected (blank keeps the name)."""

    name = StringField(_l("Corrected name (optional)"), validators=[Length(max=MAX_TYPED_NAME)])
