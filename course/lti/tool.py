"""pylti1p3 joined to this app: registrations from the lti_platforms table, login state and nonces in the
lti_state table (shared by every server; a nonce is deleted when used, so a replayed id_token is refused), and a
launch that says *why* it refused a message (course.core.lti.LaunchRefused) instead of a bare exception.

The library checks state, nonce, registration, deployment and the message's claims; we add what it leaves out:
only RSA signatures (never "none" or a MAC keyed with a public key), the audience (with `azp` when there are
several), a required expiry, a timeout and status check on the platform's key set (kept five minutes, fetched
again at once for a key id it lacks), and inactive platforms.
"""

from __future__ import annotations

import logging
import time
import typing as t
from datetime import timedelta

import jwt
import requests
from flask import current_app
from pylti1p3.contrib.flask import FlaskCookieService, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import delete, select

from course import embedding
from course.core import caching
from course.core.lti import (
    AGS_ENDPOINT,
    CONTEXT,
    CUSTOM,
    DEEP_LINKING_LAUNCH,
    DEEP_LINKING_SETTINGS,
    DEPLOYMENT_ID,
    MESSAGE_TYPE,
    NRPS,
    RESOURCE_LINK,
    LaunchRefused,
    is_http_url,
)
from course.extensions import db
from course.lti import keys
from course.models import LtiPlatform, LtiState, utcnow

log = logging.getLogger(__name__)

SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512")  # LTI 1.3 asks for RS256; never "none" or HS*
STATE_LIFETIME_SECONDS = 600  # a login's state and nonce: the platform answers within seconds
LAUNCH_DATA_SECONDS = 3600  # a deep-linking launch kept for the instructor's choice
KEY_SET_SECONDS = 300  # a platform's key set is kept this long (a kid it lacks fetches it again at once)
_key_sets: caching.Cache[dict] = caching.cache("lti.platform-key-sets", 64)  # per key set URL and 5 minutes


class ToolRegistration(Registration):
    """A platform's registration with the tool's own key; the key id is the one /lti/jwks.json publishes."""

    def __init__(self, platform: LtiPlatform) -> None:
        super().__init__()
        self.platform_id = platform.id
        self.set_issuer(platform.issuer)
        self.set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url)
        self.set_auth_token_url(platform.auth_token_url)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)
        self.set_key_set_url(platform.key_set_url)
        self.set_tool_private_key(keys.private_key_pem())
        self.set_tool_public_key(keys.public_key_pem())

    def get_kid(self) -> str:
        return keys.key_id()

    def get_jwks(self) -> list[t.Mapping[str, t.Any]]:
        return keys.jwks()["keys"]


def platforms_for(issuer: str, client_id: str | None) -> list[LtiPlatform]:
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    return list(db.session.scalars(query.order_by(LtiPlatform.id)))


class ToolConf(ToolConfAbstract):
    """Registrations read from lti_platforms. An issuer may have several client ids (one per registration of the
    tool in that LMS), so lookups always go by issuer and client id; only active platforms count."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None) -> LtiPlatform | None:
        """The active platform for this issuer and client id; without a client id (login initiation may leave it
        out) only when the issuer has exactly one."""
        found = [platform for platform in platforms_for(iss, client_id) if platform.active]
        return found[0] if len(found) == 1 or (client_id and found) else None

    def find_registration_by_issuer(self, iss: str, *args: object, **kwargs: object) -> Registration | None:
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(
        self, iss: str, client_id: str | None, *args: object, **kwargs: object
    ) -> Registration | None:
        platform = self.platform(iss, client_id)
        return ToolRegistration(platform) if platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: object, **kwargs: object
    ) -> Deployment | None:
        platform = self.platform(iss, client_id)
        if platform is None or deployment_id not in (platform.deployment_ids or []):
            return None
        return Deployment().set_deployment_id(deployment_id)


class StateStorage(LaunchDataStorage):
    """Login states, nonces and launch data in lti_state, so the server that answers the launch need not be the
    one that answered the login. Keys are random (a uuid or 64 hex digits), so no per-browser session id is
    needed: the state cookie still ties a launch to the browser that started the login."""

    def get_session_cookie_name(self) -> None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> t.Any:
        row = db.session.get(LtiState, self._prepare_key(key))
        if row is None or row.expires_at <= utcnow():
            return None
        return row.value.get("v")

    def set_value(self, key: str, value: t.Any, exp: int | None = None) -> None:
        expires = utcnow() + timedelta(seconds=exp or LAUNCH_DATA_SECONDS)
        db.session.merge(LtiState(key=self._prepare_key(key), value={"v": value}, expires_at=expires))
        db.session.flush()

    def check_value(self, key: str) -> bool:
        """Used by pylti1p3 only for nonces: take the nonce (one guarded DELETE, so two servers given the same
        id_token cannot both accept it)."""
        taken = db.session.execute(
            delete(LtiState).where(LtiState.key == self._prepare_key(key), LtiState.expires_at > utcnow())
        )
        return taken.rowcount == 1


def purge_expired_state() -> None:
    db.session.execute(delete(LtiState).where(LtiState.expires_at <= utcnow()))


class CookieService(FlaskCookieService):
    """The login's state cookie, with the attributes a cookie needs to come back with the platform's cross-site
    form post: SameSite=None; Secure (and Partitioned, so it also works where third-party cookies are blocked
    but partitioned ones are not), whenever the site runs on https."""

    def update_response(self, response: t.Any) -> None:
        for key, data in self._cookie_data_to_set.items():
            response.set_cookie(key, data["value"], max_age=data["exp"], path="/", httponly=True, **_cross_site())


def _cross_site() -> dict[str, t.Any]:
    if not embedding.https_site():
        return {}
    return {"secure": True, "samesite": "None", "partitioned": True}


def flask_request() -> FlaskRequest:
    return FlaskRequest(request_is_secure=embedding.https_site())


def _timeout() -> float:
    return float(current_app.config["LTI_TIMEOUT_SECONDS"])


class OIDCLogin(FlaskOIDCLogin):
    """The third-party login initiation: checks the issuer (and client id) and redirects to the platform."""

    def __init__(self) -> None:
        flask = flask_request()
        cookies = CookieService(flask)
        storage = StateStorage()
        super().__init__(flask, ToolConf(), cookie_service=cookies, launch_data_storage=storage)
        self.set_launch_data_storage(storage).set_launch_data_lifetime(STATE_LIFETIME_SECONDS)

    def redirect_response(self, launch_url: str) -> t.Any:
        """The redirect to the platform's login URL; raises LaunchRefused."""
        iss = self._get_request_param("iss")
        if not iss or not self._get_request_param("login_hint"):
            raise LaunchRefused("malformed", "login initiation without iss or login_hint")
        conf = ToolConf()
        client_id = self._get_request_param("client_id")
        if conf.platform(iss, client_id) is None:
            detail = f"iss={iss} client_id={client_id}"
            if not platforms_for(iss, None):
                raise LaunchRefused("unknown_issuer", detail)
            raise LaunchRefused("inactive_platform" if platforms_for(iss, client_id) else "unknown_client", detail)
        try:
            return self.redirect(launch_url)
        except OIDCException as error:
            raise LaunchRefused("unknown_issuer", str(error)) from None


class MessageLaunch(FlaskMessageLaunch):
    """A launch (resource link or deep-linking request) checked step by step; each failure names its reason."""

    def __init__(self) -> None:
        flask = flask_request()
        super().__init__(flask, ToolConf(), cookie_service=CookieService(flask), launch_data_storage=StateStorage())
        self.set_launch_data_lifetime(LAUNCH_DATA_SECONDS)
        self.platform: LtiPlatform | None = None
        self._fresh_key_set = False

    @classmethod
    def restored(cls, launch_id: str) -> MessageLaunch:
        """A deep-linking launch kept by `validate` (raises LaunchRefused when it expired or never was)."""
        launch = cls()
        data = launch.get_session_service().get_launch_data(launch_id)
        if not data:
            raise LaunchRefused("state", f"no launch data for {launch_id}")
        launch.set_launch_id(launch_id).set_auto_validation(enable=False).set_jwt({"body": data}).set_restored()
        launch.validate_registration()
        return launch

    def validate(self) -> MessageLaunch:
        if self._restored:
            raise LtiException("Can't validate restored launch")
        if not self._get_request_param("id_token"):
            raise LaunchRefused("malformed", "no id_token")
        self._validated = True
        try:
            for reason, step in (
                ("state", self.validate_state),
                ("malformed", self.validate_jwt_format),
                ("replay", self.validate_nonce),
                (None, self.validate_registration),
                (None, self.validate_jwt_signature),
                ("unknown_deployment", self.validate_deployment),
                ("missing_claims", self.validate_message),
                ("state", self.save_launch_data),
            ):
                try:
                    step()
                except LtiException as error:
                    message = str(error)
                    if reason == "missing_claims" and message in ("Unrecognized message type", "Validator conflict"):
                        reason = "unsupported_message"
                    raise LaunchRefused(reason or "malformed", message) from None
        except Exception:
            self._validated = False
            raise
        return self

    def validate_jwt_format(self) -> MessageLaunch:
        """The library's decoding, then the claims' shapes it takes for granted (a list where it expects an object
        would otherwise end in an AttributeError)."""
        super().validate_jwt_format()
        header, body = self._jwt.get("header"), self._jwt.get("body")
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchRefused("malformed", "the JWT's header or payload is not a JSON object")
        for name in ("iss", "sub", "nonce", DEPLOYMENT_ID, MESSAGE_TYPE):
            if not isinstance(body.get(name), str) or not body[name]:
                raise LaunchRefused("missing_claims", f"{name} missing or not a string")
        for name in (RESOURCE_LINK, CONTEXT, CUSTOM, DEEP_LINKING_SETTINGS, AGS_ENDPOINT, NRPS):
            if name in body and not isinstance(body[name], dict):
                raise LaunchRefused("missing_claims", f"{name} is not an object")
        if body[MESSAGE_TYPE] == DEEP_LINKING_LAUNCH:
            settings = body.get(DEEP_LINKING_SETTINGS) or {}
            if not isinstance(settings.get("deep_link_return_url"), str) or not is_http_url(
                settings["deep_link_return_url"]
            ):
                raise LaunchRefused("missing_claims", "deep_link_return_url missing or not an http(s) URL")
        return self

    @property
    def claimed_issuer(self) -> str | None:
        """The issuer the message names, checked or not (for the log of a refusal)."""
        body = self._jwt.get("body") if isinstance(self._jwt, dict) else None
        iss = body.get("iss") if isinstance(body, dict) else None
        return iss[:500] if isinstance(iss, str) else None

    def validate_registration(self) -> MessageLaunch:
        body = self._get_jwt_body()
        iss, client_id = body.get("iss"), self.get_client_id()
        if not isinstance(iss, str) or not iss or not body.get("aud"):
            raise LaunchRefused("missing_claims", "no iss or aud")
        known = platforms_for(iss, None)
        if not known:
            raise LaunchRefused("unknown_issuer", iss)
        matching = [platform for platform in known if client_id and platform.client_id == client_id]
        if not matching:
            raise LaunchRefused("wrong_audience", f"aud={body.get('aud')!r} for {iss}")
        if not matching[0].active:
            raise LaunchRefused("inactive_platform", f"{iss} {client_id}")
        self.platform = matching[0]
        self._registration = ToolRegistration(self.platform)
        return self

    def get_client_id(self) -> str | None:
        """Our client id among the token's audiences: with several, `azp` names it (OpenID Connect Core 3.1.3.7)."""
        aud = self._get_jwt_body().get("aud")
        if isinstance(aud, str):
            return aud
        if isinstance(aud, list) and aud:
            azp = self._get_jwt_body().get("azp")
            if len(aud) == 1:
                return aud[0] if isinstance(aud[0], str) else None
            return azp if isinstance(azp, str) and azp in aud else None
        return None

    def validate_jwt_signature(self) -> MessageLaunch:
        header = self._jwt.get("header", {})
        if header.get("alg") not in SIGNING_ALGORITHMS:
            raise LaunchRefused("bad_signature", f"algorithm {header.get('alg')!r}")
        try:
            public_key, algorithm = self.get_public_key()
        except LtiException as error:
            raise LaunchRefused("bad_signature", str(error)) from None
        try:
            jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=[algorithm],
                audience=self._registration.get_client_id(),
                issuer=self._registration.get_issuer(),
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError as error:
            raise LaunchRefused("expired", str(error)) from None
        except jwt.MissingRequiredClaimError as error:
            raise LaunchRefused("missing_claims", str(error)) from None
        except jwt.InvalidTokenError as error:
            raise LaunchRefused("bad_signature", str(error)) from None
        return self

    def get_public_key(self) -> tuple[str, str]:
        """The platform's key for this token; a kid the kept key set lacks fetches the set again once (the
        platform may have rotated its keys since)."""
        try:
            return super().get_public_key()
        except LtiException:
            if self._fresh_key_set:
                raise
            self._fresh_key_set = True
            self._registration.set_key_set(None)
            return super().get_public_key()

    def fetch_public_key(self, key_set_url: str) -> t.Any:
        """The platform's key set, kept for KEY_SET_SECONDS per process; fetched within LTI_TIMEOUT_SECONDS. A
        platform that does not answer with one refuses the launch (jwks_unreachable), whatever went wrong."""
        kept_as = (key_set_url, int(time.monotonic() // KEY_SET_SECONDS))
        kept = None if self._fresh_key_set else _key_sets.get(kept_as)
        if kept is not None:
            return kept
        try:
            response = self._requests_session.get(key_set_url, timeout=_timeout())
            response.raise_for_status()
            key_set = response.json()
        except (requests.RequestException, ValueError) as error:
            raise LaunchRefused("jwks_unreachable", f"{key_set_url}: {error}") from None
        if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
            raise LaunchRefused("jwks_unreachable", f"{key_set_url} did not answer with a JWK set")
        return _key_sets.put(kept_as, key_set)

    @property
    def claims(self) -> dict[str, t.Any]:
        return dict(self.get_launch_data())

    def deployment_id(self) -> str:
        return self._get_deployment_id()
