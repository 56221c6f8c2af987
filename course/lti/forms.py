"""The LTI forms: a platform's registration (admins), the content an instructor places in the LMS (deep linking)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, Form, RadioField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from course.core import lti
from course.forms import no_control_characters, strip
from course.lti.operations import PlatformSettings

URL_MAX = 2000


def http_url(form: Form, field: Field) -> None:
    if field.data and not lti.is_http_url(field.data):
        raise ValidationError(_l("Please enter an address starting with https://."))


def deployment_ids(form: Form, field: Field) -> None:
    ids = lti.parse_deployment_ids(field.data or "")
    if not ids:
        raise ValidationError(_l("Please enter at least one deployment id."))
    if any(len(value) > 255 for value in ids):
        raise ValidationError(_l("A deployment id has at most 255 characters."))


def _url_field(label: object, required: bool = True) -> URLField:
    validators = [DataRequired(_l("Please enter the address."))] if required else [Optional()]
    return URLField(
        label,
        validators=[*validators, Length(max=URL_MAX, message=_l("At most %(max)d characters, please.")), http_url],
        filters=[strip],
    )


class PlatformForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Please enter a name, e.g. the LMS's name.")),
            Length(max=100, message=_l("At most %(max)d characters, please.")),
            no_control_characters,
        ],
        filters=[strip],
    )
    issuer = _url_field(_l("Issuer (iss)"))
    client_id = StringField(
        _l("Client id"),
        validators=[
            DataRequired(_l("Please enter the client id the LMS gave the tool.")),
            Length(max=255, message=_l("At most %(max)d characters, please.")),
            no_control_characters,
        ],
        filters=[strip],
    )
    deployment_ids = TextAreaField(_l("Deployment ids (one per line)"), validators=[deployment_ids])
    auth_login_url = _url_field(_l("Authentication request URL (OIDC auth)"))
    auth_token_url = _url_field(_l("Access token URL"))
    auth_audience = _url_field(_l("Token audience (only if the LMS names one)"), required=False)
    key_set_url = _url_field(_l("Public keyset URL (JWKS)"))

    def settings(self) -> PlatformSettings:
        return PlatformSettings(
            name=self.name.data,
            issuer=self.issuer.data,
            client_id=self.client_id.data,
            deployment_ids=lti.parse_deployment_ids(self.deployment_ids.data or ""),
            auth_login_url=self.auth_login_url.data,
            auth_token_url=self.auth_token_url.data,
            key_set_url=self.key_set_url.data,
            auth_audience=self.auth_audience.data or None,
        )

    def fill(self, settings: PlatformSettings) -> None:
        for name in ("name", "issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url"):
            getattr(self, name).data = getattr(settings, name)
        self.auth_audience.data = settings.auth_audience or ""
        self.deployment_ids.data = "\n".join(settings.deployment_ids)


class ToggleForm(FlaskForm):
    """Deactivate or reactivate a platform: nothing but the CSRF token."""


class DeepLinkForm(FlaskForm):
    target = RadioField(
        _l("What to place in your course"),
        validators=[DataRequired(_l("Please choose what to place."))],
        validate_choice=True,
    )

    @classmethod
    def with_choices(cls, targets: list[tuple[str, str]]) -> DeepLinkForm:
        form = cls()
        form.target.choices = targets
        return form
