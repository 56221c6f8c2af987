"""An LMS's LTI Advantage service endpoints for the grade and roster tests, in a thread over real HTTP, following the
1EdTech specifications message by message:

- the token endpoint (Security Framework 1.0, 4.1; RFC 7523): a client-credentials grant whose client assertion it
  VERIFIES against the tool's public key set with PyJWT (not the library the tool signs with): RS256 signature by
  the key the `kid` names, iss = sub = the client id, aud = the token URL, exp in the future and not too far,
  a jti never seen before; anything else gets 401 {"error": "invalid_client"}, a scope it never granted 400
  {"error": "invalid_scope"}. Tokens are opaque, expire, and carry their scopes.
- Assignment and Grade Services 2.0: the line items container (GET with resource_link_id / resource_id / tag
  filters and paging, POST to create), and each line item's scores endpoint, which checks the bearer token's
  scope, the media type and the body (userId of a member, timestamp with offset and sub-second precision, the
  progress values, scoreGiven ≥ 0 with scoreMaximum > 0) and records the score in a gradebook, keeping the newest
  by timestamp (3.4.8: an older score never replaces a newer one).
- Names and Role Provisioning Services 2.0: the membership container with paging through Link rel="next".

Switches for the negative tests: `token_mode` / `service_mode` "ok", "500", "401" or "hang" (answer after
`hang_seconds`), `foreign_next` (a next page on another site), `garbage_members`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import jwt
import pytest
from flask import Flask, jsonify, request
from sqlalchemy import func, select
from werkzeug.serving import make_server

from course.core import lti_services as spec
from course.extensions import db
from course.lti import keys
from course.models import LtiContext, LtiLaunch, LtiPlatform, LtiResourceLink, User
from tests.quiz_helpers import faster_apps

CLIENT_ID = "kam-course-tool"
CONTEXT_ID = "course-101"
ALL_SCOPES = (spec.AGS_LINEITEM, spec.AGS_LINEITEM_READONLY, spec.AGS_SCORE, spec.NRPS_MEMBERSHIPS)
ASSERTION_MAX_LIFETIME = 3600


@dataclass
class ServicePlatform:
    """The platform; `reset()` before each test. `tool_jwks` is the tool's published key set."""

    port: int = 0
    tool_jwks: dict = field(default_factory=dict)

    def reset(self) -> None:
        self.token_mode = "ok"
        self.service_mode = "ok"
        self.hang_seconds = 3.0
        self.token_lifetime = 3600
        self.page_size = 2
        self.foreign_next = False
        self.garbage_members = False
        self.granted = set(ALL_SCOPES)
        self.jtis: set[str] = set()
        self.tokens: dict[str, tuple[frozenset[str], float]] = {}
        self.token_requests = 0
        self.refusals: list[str] = []  # why the token endpoint refused, one entry per refusal
        self.line_items: dict[str, dict] = {}  # id (URL) → line item
        self.gradebook: dict[str, dict[str, dict]] = {}  # line item id → userId → the last score body
        self.score_posts: list[dict] = []
        self.members: list[dict] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.base}/token"

    @property
    def lineitems_url(self) -> str:
        return f"{self.base}/contexts/{CONTEXT_ID}/lineitems"

    @property
    def memberships_url(self) -> str:
        return f"{self.base}/contexts/{CONTEXT_ID}/memberships"

    def add_line_item(self, label: str, resource_link_id: str | None = None, **extra: object) -> str:
        item_id = f"{self.lineitems_url}/{len(self.line_items) + 1}"
        self.line_items[item_id] = {"id": item_id, "label": label, "scoreMaximum": 100, **extra}
        if resource_link_id:
            self.line_items[item_id]["resourceLinkId"] = resource_link_id
        return item_id

    def add_member(self, user_id: str, *roles: str, status: str = "Active", **claims: str) -> None:
        self.members.append({"user_id": user_id, "roles": list(roles), "status": status, **claims})

    def scores(self, item_id: str) -> dict[str, dict]:
        return self.gradebook.get(item_id, {})

    # --- the HTTP side ---------------------------------------------------------------------------------------------

    def app(self) -> Flask:
        app = Flask("lti_service_platform")

        def switched(mode: str):  # noqa: ANN202 - an answer or None
            if mode == "hang":
                time.sleep(self.hang_seconds)
            if mode == "500":
                return "<html>Internal Server Error</html>", 500, {"Content-Type": "text/html"}
            if mode == "401":
                return jsonify({"error": "invalid_client"}), 401
            return None

        @app.post("/token")
        def token():
            self.token_requests += 1
            if (answer := switched(self.token_mode)) is not None:
                return answer
            refusal = self._check_assertion(request.form)
            if refusal:
                self.refusals.append(refusal)
                return jsonify({"error": "invalid_client", "error_description": refusal}), 401
            scopes = frozenset(request.form.get("scope", "").split())
            if not scopes or not scopes <= self.granted:
                return jsonify({"error": "invalid_scope"}), 400
            value = secrets.token_urlsafe(24)
            self.tokens[value] = (scopes, time.time() + self.token_lifetime)
            return jsonify(
                {
                    "access_token": value,
                    "token_type": "Bearer",
                    "expires_in": self.token_lifetime,
                    "scope": " ".join(sorted(scopes)),
                }
            )

        def bearer(*any_of: str):  # noqa: ANN202 - an error answer or None
            header = request.headers.get("Authorization", "")
            held = self.tokens.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
            if held is None or held[1] < time.time():
                return jsonify({"error": "invalid_token"}), 401
            if not held[0] & set(any_of):
                return jsonify({"error": "insufficient_scope"}), 403
            return switched(self.service_mode)

        @app.get(f"/contexts/{CONTEXT_ID}/lineitems")
        def line_items():
            if (refused := bearer(spec.AGS_LINEITEM, spec.AGS_LINEITEM_READONLY)) is not None:
                return refused
            if spec.LINEITEMS_TYPE not in request.headers.get("Accept", ""):
                return jsonify({"error": "not acceptable"}), 406
            wanted = {
                "resourceLinkId": request.args.get("resource_link_id"),
                "resourceId": request.args.get("resource_id"),
                "tag": request.args.get("tag"),
            }
            items = [
                item
                for item in self.line_items.values()
                if all(value is None or item.get(name) == value for name, value in wanted.items())
            ]
            return self._page(items, request.args, lambda page: page, spec.LINEITEMS_TYPE)

        @app.post(f"/contexts/{CONTEXT_ID}/lineitems")
        def create_line_item():
            if (refused := bearer(spec.AGS_LINEITEM)) is not None:
                return refused
            if request.mimetype != spec.LINEITEM_TYPE:
                return jsonify({"error": f"expected {spec.LINEITEM_TYPE}"}), 415
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not str(body.get("label", "")).strip():
                return jsonify({"error": "a line item needs a label"}), 400
            maximum = body.get("scoreMaximum")
            if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
                return jsonify({"error": "scoreMaximum must be a number above 0"}), 400
            item_id = self.add_line_item(**{k: v for k, v in body.items() if k not in ("id", "scoreMaximum")})
            self.line_items[item_id]["scoreMaximum"] = maximum
            return jsonify(self.line_items[item_id]), 201, {"Content-Type": spec.LINEITEM_TYPE}

        @app.post(f"/contexts/{CONTEXT_ID}/lineitems/<int:number>/scores")
        def post_score(number: int):
            if (refused := bearer(spec.AGS_SCORE)) is not None:
                return refused
            item_id = f"{self.lineitems_url}/{number}"
            if item_id not in self.line_items:
                return jsonify({"error": "no such line item"}), 404
            if request.mimetype != spec.SCORE_TYPE:
                return jsonify({"error": f"expected {spec.SCORE_TYPE}"}), 415
            body = request.get_json(silent=True)
            problem = self._score_problem(body)
            if problem:
                return jsonify({"error": problem}), 400
            self.score_posts.append({"line_item": item_id, **body})
            book = self.gradebook.setdefault(item_id, {})
            kept = book.get(body["userId"])
            if kept is None or _moment(kept["timestamp"]) <= _moment(body["timestamp"]):
                book[body["userId"]] = body
            return "", 204

        @app.get(f"/contexts/{CONTEXT_ID}/memberships")
        def memberships():
            if (refused := bearer(spec.NRPS_MEMBERSHIPS)) is not None:
                return refused
            if spec.MEMBERSHIPS_TYPE not in request.headers.get("Accept", ""):
                return jsonify({"error": "not acceptable"}), 406
            if self.garbage_members:
                return jsonify({"id": self.memberships_url, "members": [{"roles": ["Learner"]}]})
            return self._page(
                self.members,
                request.args,
                lambda page: {"id": self.memberships_url, "context": {"id": CONTEXT_ID}, "members": page},
                spec.MEMBERSHIPS_TYPE,
            )

        return app

    def _page(self, items: list, args, wrap, media_type: str):  # noqa: ANN001, ANN202
        """One page of `items` with a Link rel="next" header when more follow."""
        start = int(args.get("from", 0))
        page = items[start : start + self.page_size]
        headers = {"Content-Type": media_type}
        if start + self.page_size < len(items):
            query = {**args.to_dict(), "from": start + self.page_size}
            base = "http://localhost:1" if self.foreign_next else f"{self.base}{request.path}"
            headers["Link"] = f'<{base}?{urlencode(query)}>; rel="next"'
        return jsonify(wrap(page)), 200, headers

    def _check_assertion(self, form) -> str | None:  # noqa: ANN001
        """Why the client assertion is refused (RFC 7523, 3), or None."""
        if form.get("grant_type") != "client_credentials":
            return "grant_type"
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return "client_assertion_type"
        assertion = form.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return "not a JWT"
        if header.get("alg") != "RS256":
            return f"alg {header.get('alg')}"
        key = next((k for k in self.tool_jwks.get("keys", ()) if k.get("kid") == header.get("kid")), None)
        if key is None:
            return "unknown kid"
        try:
            claims = jwt.decode(
                assertion,
                jwt.PyJWK(key).key,
                algorithms=["RS256"],
                audience=self.token_url,
                issuer=CLIENT_ID,
                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as error:
            return f"{error.__class__.__name__}: {error}"
        if claims["sub"] != CLIENT_ID:
            return "sub"
        if claims["exp"] - time.time() > ASSERTION_MAX_LIFETIME:
            return "lives too long"
        if claims["jti"] in self.jtis:
            return "jti reused"
        self.jtis.add(claims["jti"])
        return None

    def _score_problem(self, body: object) -> str | None:
        """What is wrong with a score body by AGS 2.0 (3.4), or None."""
        if not isinstance(body, dict):
            return "not a JSON object"
        if not isinstance(body.get("userId"), str) or not body["userId"]:
            return "userId"
        if body["userId"] not in {member["user_id"] for member in self.members}:
            return "userId is not a member of the context"
        if body.get("activityProgress") not in spec.ACTIVITY_PROGRESS:
            return "activityProgress"
        if body.get("gradingProgress") not in spec.GRADING_PROGRESS:
            return "gradingProgress"
        stamp = body.get("timestamp")
        if not isinstance(stamp, str) or "." not in stamp:
            return "timestamp needs sub-second precision"
        try:
            if _moment(stamp).tzinfo is None:
                return "timestamp needs an offset"
        except ValueError:
            return "timestamp is not ISO 8601"
        if "scoreGiven" in body:
            given, maximum = body["scoreGiven"], body.get("scoreMaximum")
            for value in (given, maximum):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    return "scoreGiven and scoreMaximum must be numbers"
            if given < 0 or maximum <= 0:
                return "scoreGiven must be ≥ 0 and scoreMaximum > 0"
        return None


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@contextmanager
def running_platform() -> Iterator[ServicePlatform]:
    """The platform on a loopback port in a thread, shut down on the way out."""
    platform = ServicePlatform()
    platform.reset()
    server = make_server("127.0.0.1", 0, platform.app(), threaded=True)
    platform.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, name="lti-service-platform", daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- The tool's side of the tests: apps that talk to the platform, and the rows a launch leaves -------------------

QUIZ_TARGET = "quiz:kam-pay/kam-mandate-quiz"
SUBJECT = "lms-user-7f3a"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def tool_apps(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch, key_file: Path) -> Callable[..., Flask]:
    """`make_app` for the service tests: shared catalogs and templates (faster_apps), one tool key for the module
    (a 2048-bit key per test would cost more than the test). The tests of a hanging platform shorten the timeout."""
    faster = faster_apps(make_app, monkeypatch)

    def build(**overrides: object) -> Flask:
        return faster(LTI_KEY_FILE=str(key_file), **overrides)

    return build


def ready(app: Flask, platform: ServicePlatform) -> Flask:
    """A fresh platform that knows the app's published key set."""
    platform.reset()
    with app.app_context():
        platform.tool_jwks = keys.jwks()
    return app


def register(
    app: Flask,
    platform: ServicePlatform,
    target: str = QUIZ_TARGET,
    *,
    line_item: bool = True,
    scopes: tuple[str, ...] = ALL_SCOPES,
    token_url: str | None = None,
) -> int:
    """A registered platform, its LMS course and a link to `target`, as a launch leaves them; the link's id."""
    with app.app_context():
        row = db.session.scalar(select(LtiPlatform).where(LtiPlatform.client_id == CLIENT_ID))
        if row is None:
            row = LtiPlatform(
                name="Test LMS",
                issuer=platform.base,
                client_id=CLIENT_ID,
                deployment_ids=["deployment-1"],
                auth_login_url=f"{platform.base}/auth",
                auth_token_url=token_url or platform.token_url,
                key_set_url=f"{platform.base}/jwks",
            )
            db.session.add(row)
            db.session.flush()
            db.session.add(
                LtiContext(
                    platform_id=row.id,
                    context_id=CONTEXT_ID,
                    title="Vergütung 101",
                    lineitems_url=platform.lineitems_url,
                    memberships_url=platform.memberships_url,
                    service_scopes=list(scopes),
                )
            )
            db.session.flush()
        context = db.session.scalar(select(LtiContext).where(LtiContext.platform_id == row.id))
        number = db.session.scalar(select(func.count()).select_from(LtiResourceLink)) + 1
        link = LtiResourceLink(
            platform_id=row.id,
            context_row_id=context.id,
            resource_link_id=f"resource-link-{number}",
            deployment_id="deployment-1",
            title=f"Link {number}",
            target=target,
            lineitem_url=platform.add_line_item(f"Link {number}", f"resource-link-{number}") if line_item else None,
        )
        db.session.add(link)
        db.session.commit()
        return link.id


def launch(app: Flask, platform: ServicePlatform, link_id: int, user: User, subject: str = SUBJECT) -> None:
    """The learner came through the link (and is a member of the LMS course)."""
    with app.app_context():
        db.session.add(LtiLaunch(link_id=link_id, user_id=user.id, subject=subject))
        db.session.commit()
    if all(member["user_id"] != subject for member in platform.members):
        platform.add_member(subject, LEARNER_ROLE)
