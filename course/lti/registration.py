"""LTI Dynamic Registration 1.0, which pylti1p3 does not implement: the LMS admin pastes a registration link an admin
made here (/admin/lti) into the LMS; the LMS opens it with its OpenID configuration's address and a registration
token; the tool reads the configuration, registers itself at the platform's registration endpoint with its own
configuration (/lti/config.json) and keeps the client id and deployment id it gets back as a new platform.

The link is the trust anchor: a one-time secret from an admin, valid for REGISTRATION_LINK_LIFETIME, so nobody else
can make the tool register with (or fetch from) an address of their choosing.
"""

from __future__ import annotations

from flask import current_app

from course.core import lti
from course.core.lti import RegistrationRefused
from course.lti import operations
from course.models import LtiPlatform


def register(token: str, configuration_url: str, registration_token: str | None, tool: dict) -> LtiPlatform:
    """Register the tool at the platform and keep the platform (the caller commits); raises RegistrationRefused."""
    if not operations.registration_link_valid(token):
        raise RegistrationRefused("link", "unknown, used or expired registration link")
    if not lti.is_http_url(configuration_url):
        raise RegistrationRefused("platform", f"openid_configuration {configuration_url[:200]!r} is not a URL")
    configuration = lti.platform_configuration(_json("GET", configuration_url))
    headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
    client_id, deployment_id = lti.registered_client(
        _json("POST", configuration.registration_endpoint, json=tool, headers=headers)
    )
    settings = operations.PlatformSettings(
        name=lti.registered_platform_name(configuration),
        issuer=configuration.issuer,
        client_id=client_id,
        deployment_ids=[deployment_id] if deployment_id else [],
        auth_login_url=configuration.authorization_endpoint,
        auth_token_url=configuration.token_endpoint,
        key_set_url=configuration.jwks_uri,
    )
    try:
        platform = operations.add_platform(settings, registered=True)
    except operations.PlatformTakenError:
        raise RegistrationRefused("taken", f"{configuration.issuer} {client_id}") from None
    if not operations.take_registration_link(token):
        raise RegistrationRefused("link", "the link was used at the same moment")
    return platform


def _json(method: str, url: str, **kwargs: object) -> object:
    import requests  # HTTP for the integrations: loaded by the process that sends, not by every worker

    try:
        response = requests.request(method, url, timeout=float(current_app.config["LTI_TIMEOUT_SECONDS"]), **kwargs)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as error:
        raise RegistrationRefused("platform", f"{method} {url}: {error}") from None
