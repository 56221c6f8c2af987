"""An LTI 1.3 platform (an LMS) for the tests, written from the 1EdTech specifications, message by message:

- LTI Core 1.3 §5.1 / OIDC third-party login: the login initiation (iss, login_hint, target_link_uri,
  lti_message_hint, client_id, lti_deployment_id), then the authentication request the tool redirects to, checked
  parameter by parameter (scope openid, response_type id_token, response_mode form_post, prompt none, the
  registered redirect_uri, state, nonce, the hints echoed);
- the id_token: RS256 with the platform's own key (its kid in the header), and the claims of a resource link launch
  (LTI Core §5.3, §5.4) or a deep-linking request (Deep Linking 2.0 §4.4), with AGS and NRPS claims;
- the deep-linking response (Deep Linking 2.0 §4.5): the tool's JWT verified against the tool's published key set.

The platform's key set is served over HTTP from a thread, as the tool fetches it; `jwks_status` makes it fail.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from flask import Flask, Response, jsonify, request
from flask.testing import FlaskClient
from jwcrypto import jwk
from werkzeug.serving import make_server

from course.extensions import db
from course.lti import operations
from tests.sso_provider import free_port

TOOL_URL = "http://127.0.0.1:5000"  # the tool's PUBLIC_URL in tests
LAUNCH_URL = f"{TOOL_URL}/lti/launch"
CLIENT_ID = "kam-course-tool"
DEPLOYMENT_ID = "deployment-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
STUDENT = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


def _auto_post(url: str, fields: dict[str, str]) -> str:
    """A page that posts `fields` to `url` at once, as a platform sends LTI messages through the browser."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return (
        f'<!doctype html><form id="post" method="post" action="{html.escape(url)}">{inputs}</form>'
        "<script>document.getElementById('post').submit()</script>"
    )


def registration_problem(body: object) -> str | None:
    """What is wrong with a tool's registration request (Dynamic Registration 1.0 §3.5.2), or None."""
    if not isinstance(body, dict):
        return "not a JSON object"
    expected = {
        "application_type": "web",
        "response_types": ["id_token"],
        "token_endpoint_auth_method": "private_key_jwt",
    }
    for name, value in expected.items():
        if body.get(name) != value:
            return f"{name} must be {value!r}"
    if not {"implicit", "client_credentials"} <= set(body.get("grant_types") or []):
        return "grant_types must include implicit and client_credentials"
    for name in ("initiate_login_uri", "jwks_uri", "client_name"):
        if not isinstance(body.get(name), str) or not body[name]:
            return f"{name} missing"
    if not body.get("redirect_uris"):
        return "redirect_uris missing"
    tool = body.get(TOOL_CONFIGURATION)
    if not isinstance(tool, dict) or not tool.get("domain") or not tool.get("target_link_uri"):
        return "the LTI tool configuration needs domain and target_link_uri"
    if any(not isinstance(message, dict) or "type" not in message for message in tool.get("messages", [])):
        return "each message needs a type"
    return None


def new_key() -> tuple[jwk.JWK, str]:
    key = jwk.JWK.generate(kty="RSA", size=2048)
    return key, key.thumbprint()


class Platform:
    """One LMS: issuer, the tool's client id and deployment there, its RSA key, its endpoints."""

    def __init__(self, port: int, tool_url: str = TOOL_URL) -> None:
        self.tool_url = tool_url
        self.base = f"http://127.0.0.1:{port}"
        self.issuer = f"{self.base}/lms"
        self.key, self.kid = new_key()
        self.jwks_status = 200
        self.jwks_hits = 0
        self.registration_token = "registration-token-" + secrets.token_hex(8)
        self.registrations: list[dict[str, Any]] = []  # the tool configurations the tool registered
        self.browser_initiation: dict[str, str] = {}  # the last login the browser pages started
        self.browser_subject = "browser-learner"

    @property
    def auth_login_url(self) -> str:
        return f"{self.base}/lms/auth"

    @property
    def key_set_url(self) -> str:
        return f"{self.base}/lms/jwks.json"

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """The registration an admin enters in the tool."""
        return {
            "name": "Test LMS",
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "deployment_ids": [DEPLOYMENT_ID],
            "auth_login_url": self.auth_login_url,
            "auth_token_url": f"{self.base}/lms/token",
            "key_set_url": self.key_set_url,
            **overrides,
        }

    def app(self) -> Flask:
        app = Flask("lti-test-platform")

        @app.get("/lms/jwks.json")
        def jwks() -> Response:
            self.jwks_hits += 1
            if self.jwks_status != 200:
                return Response("down for maintenance", status=self.jwks_status)
            public = self.key.export_public(as_dict=True)
            return jsonify({"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]})

        @app.get("/lms/course")
        def course_page() -> str:
            """The LMS's course page: the tool's link opened in an iframe, as LMSs embed tools."""
            frame = '<iframe src="/lms/open" title="KAM course" width="1000" height="700"></iframe>'
            return f"<!doctype html><title>LMS</title><h1>LMS course</h1>{frame}"

        @app.get("/lms/open")
        def open_tool() -> str:
            """Inside the frame: the login initiation, a form the browser posts to the tool at once."""
            self.browser_initiation = self.login_initiation(target_link_uri=f"{self.tool_url}/lti/launch")
            return _auto_post(f"{self.tool_url}/lti/login", self.browser_initiation)

        @app.get("/lms/auth")
        def authenticate() -> str:
            """The authentication request's answer: the id_token form-posted to the redirect_uri."""
            params = self.authorize(request.url, self.browser_initiation)
            token = self.sign(self.claims(params["nonce"], sub=self.browser_subject))
            return _auto_post(params["redirect_uri"], {"id_token": token, "state": params["state"]})

        @app.get("/lms/.well-known/openid-configuration")
        def openid_configuration() -> Response:
            return jsonify(self.openid_configuration())

        @app.post("/lms/register")
        def register() -> Response:
            if request.headers.get("Authorization") != f"Bearer {self.registration_token}":
                return jsonify(error="invalid_token"), 401
            problem = registration_problem(request.get_json(silent=True))
            if problem:
                return jsonify(error="invalid_client_metadata", error_description=problem), 400
            self.registrations.append(request.get_json())
            tool = request.get_json()[TOOL_CONFIGURATION]
            return jsonify(
                {
                    **request.get_json(),
                    "client_id": f"registered-{len(self.registrations)}",
                    TOOL_CONFIGURATION: {**tool, "deployment_id": "deployment-dyn"},
                }
            )

        return app

    def openid_configuration(self) -> dict[str, Any]:
        """The platform's OpenID configuration (Dynamic Registration 1.0 §3.4)."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.auth_login_url,
            "token_endpoint": f"{self.base}/lms/token",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": self.key_set_url,
            "registration_endpoint": f"{self.base}/lms/register",
            "scopes_supported": ["openid", *AGS_SCOPES],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "testlms",
                "version": "1.0",
                "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
            },
        }

    # --- messages -----------------------------------------------------------------------------------------------

    def login_initiation(self, target_link_uri: str | None = None, **extra: str) -> dict[str, str]:
        """The third-party initiated login's parameters (LTI Core §5.1.1, OIDC third-party login)."""
        return {
            "iss": self.issuer,
            "login_hint": "user-hint-" + secrets.token_hex(4),
            "target_link_uri": target_link_uri or f"{self.tool_url}/lti/launch",
            "lti_message_hint": "message-hint-" + secrets.token_hex(4),
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT_ID,
            **extra,
        }

    def authorize(self, location: str, initiation: dict[str, str]) -> dict[str, str]:
        """Check the tool's authentication request (OIDC Core 3.1.2.1 as profiled by LTI Core §5.1.1.2) and
        return its parameters; raises AssertionError on any departure from the specification."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.auth_login_url, location
        params = {name: values[0] for name, values in parse_qs(parts.query).items()}
        assert params["scope"] == "openid"
        assert params["response_type"] == "id_token"
        assert params["response_mode"] == "form_post"
        assert params["prompt"] == "none"
        assert params["client_id"] == CLIENT_ID
        assert params["redirect_uri"] == f"{self.tool_url}/lti/launch"
        assert params["login_hint"] == initiation["login_hint"]
        assert params["lti_message_hint"] == initiation["lti_message_hint"]
        assert len(params["state"]) >= 16 and len(params["nonce"]) >= 16
        return params

    def claims(self, nonce: str, sub: str = "learner-1", **overrides: Any) -> dict[str, Any]:
        """A resource link launch's id_token claims (LTI Core §5.3 required, §5.4 optional, AGS, NRPS)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": [CLIENT_ID],
            "azp": CLIENT_ID,
            "sub": sub,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "name": "Kim Kunde",
            "given_name": "Kim",
            "family_name": "Kunde",
            "email": f"{sub}@lms.example.org",
            "locale": "de-DE",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": DEPLOYMENT_ID,
            CLAIM + "target_link_uri": LAUNCH_URL,
            CLAIM + "resource_link": {"id": "link-1", "title": "KAM pay: lesson 1", "description": "Read this"},
            CLAIM + "roles": [LEARNER, STUDENT],
            CLAIM + "context": {
                "id": "course-101",
                "label": "SALES101",
                "title": "Sales 101",
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            CLAIM + "tool_platform": {"guid": "lms-guid-1", "name": "Test LMS", "product_family_code": "test"},
            CLAIM + "launch_presentation": {"document_target": "iframe", "locale": "de-DE"},
            CLAIM + "custom": {"target": "lesson:kam-pay/kams-are-not-salespeople"},
            AGS_CLAIM: {
                "scope": AGS_SCOPES,
                "lineitems": f"{self.base}/lms/courses/101/lineitems",
                "lineitem": f"{self.base}/lms/courses/101/lineitems/1",
            },
            NRPS_CLAIM: {
                "context_memberships_url": f"{self.base}/lms/courses/101/memberships",
                "service_versions": ["2.0"],
            },
        }
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def deep_linking_claims(self, nonce: str, sub: str = "teacher-1", **overrides: Any) -> dict[str, Any]:
        """A deep-linking request (Deep Linking 2.0 §4.4): no resource link, the settings claim instead."""
        claims = self.claims(nonce, sub=sub, **{CLAIM + "resource_link": None, CLAIM + "custom": None})
        claims[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
        claims[CLAIM + "roles"] = [INSTRUCTOR]
        claims[DL_CLAIM + "deep_linking_settings"] = {
            "deep_link_return_url": f"{self.base}/lms/deep-link-return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": False,
            "data": "opaque-platform-data-" + secrets.token_hex(4),
        }
        claims.update(overrides)
        return claims

    def sign(self, claims: dict[str, Any], key: jwk.JWK | None = None, kid: str | None = None) -> str:
        pem = (key or self.key).export_to_pem(private_key=True, password=None)
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid or self.kid})

    def unsigned(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, None, algorithm="none", headers={"kid": self.kid})

    def verify_deep_linking_response(self, token: str, tool_jwks: dict[str, Any], request_claims: dict) -> dict:
        """The tool's LtiDeepLinkingResponse (Deep Linking 2.0 §4.5), verified with the tool's published key."""
        kid = jwt.get_unverified_header(token)["kid"]
        key = next(item for item in tool_jwks["keys"] if item["kid"] == kid)
        claims = jwt.decode(
            token,
            jwt.PyJWK(key).key,
            algorithms=["RS256"],
            audience=self.issuer,
            issuer=CLIENT_ID,
            options={"require": ["exp", "iat", "nonce"]},
        )
        assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
        assert claims[CLAIM + "version"] == "1.3.0"
        assert claims[CLAIM + "deployment_id"] == request_claims[CLAIM + "deployment_id"]
        settings = request_claims[DL_CLAIM + "deep_linking_settings"]
        assert claims[DL_CLAIM + "data"] == settings["data"]
        for item in claims[DL_CLAIM + "content_items"]:
            assert item["type"] in settings["accept_types"]
        return claims


def tool_apps(make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Flask]:
    """`make_app` with one tool key for the whole run: an RSA key per test would cost more than most tests."""
    key_file = str(tmp_path_factory.getbasetemp() / "lti-tool-key.pem")

    def build(**overrides: object) -> Flask:
        return make_app(**{"LTI_KEY_FILE": key_file, **overrides})

    return build


def register(app: Flask, platform: Platform) -> int:
    """Register the platform in the tool, as an admin would; its id."""
    platform.jwks_status = 200
    with app.app_context():
        row = operations.add_platform(operations.PlatformSettings(**platform.settings()))
        db.session.commit()
        return row.id


def start_login(client: FlaskClient, platform: Platform, **extra: str) -> dict[str, str]:
    """Login initiation (a cross-site POST from the LMS), the cookie check (the first time in this browser), the
    redirect to the platform."""
    initiation = platform.login_initiation(**extra)
    redirect = client.post("/lti/login", data=initiation)
    if redirect.status_code == 303:
        redirect = client.get(redirect.headers["Location"])
    assert redirect.status_code == 302, redirect.get_data(as_text=True)
    return platform.authorize(redirect.headers["Location"], initiation)


def launch(
    client: FlaskClient,
    platform: Platform,
    sign: Callable[[dict[str, Any]], str] | None = None,
    deep_linking: bool = False,
    **overrides: Any,
):
    """A whole launch; returns the tool's answer to the id_token's form post, the token and the claims."""
    auth = start_login(client, platform)
    make = platform.deep_linking_claims if deep_linking else platform.claims
    claims = make(auth["nonce"], **overrides)
    token = (sign or platform.sign)(claims)
    return client.post("/lti/launch", data={"id_token": token, "state": auth["state"]}), token, auth, claims


@contextmanager
def running_platform(tool_url: str = TOOL_URL) -> Iterator[Platform]:
    """A platform whose key set and pages are served on a free loopback port until the block ends."""
    port = free_port()
    platform = Platform(port, tool_url)
    server = make_server("127.0.0.1", port, platform.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="lti-test-platform", daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        thread.join()


def unique_sub() -> str:
    return "user-" + uuid.uuid4().hex[:12]
