from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

MAX_TYPED_NAME = 400  # the core refuses names over 120 characters with a clear message; this only caps the post


class NameForm(FlaskForm):
    """The learner confirms the name printed and signed on the certificate (the core checks it)."""

    name = StringField(_l("Your name as it should appear on the certificate"), validators=[Length(max=MAX_TYPED_NAME)])
