"""Schemathesis against the token API's part of /api/v1/openapi.json (tag hr), in process, with a token that has
every scope: every phase, every check, as tests/web/test_api_schemathesis.py does for the session API (which skips
these operations). Real ids are given, so examples reach past a 404: a group with members, a learner.

Two allowances, and why: adding a member the group has already (409) or naming an account that does not exist
(422 unknown_account) fits the schema and is still refused, as documented; and a list's `cursor` not taken from a
`next` link, or a `course` the site does not have, fits the schema (any string) and is refused with 400
invalid_parameter naming the parameter.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig

from course.api.openapi import openapi_document
from course.extensions import db
from course.groups import operations as groups
from course.models import User
from tests.hr_helpers import make_token
from tests.quiz_helpers import faster_apps
from tests.web.test_api_schemathesis import problems_of

MAX_EXAMPLES = 30


@pytest.fixture
def app(make_app, monkeypatch: pytest.MonkeyPatch) -> Flask:
    app = faster_apps(make_app, monkeypatch)(PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=True)
    app.test_client().get("/")  # the first request imports the bundled course
    return app


LISTS = ("/users", "/groups", "/groups/{group_id}/members", "/assignments", "/progress", "/certificates")


def _lists() -> str:
    """A cursor not taken from a `next` link, or a course the site does not have, fits the schema (a string) and is
    refused with 400 invalid_parameter naming the parameter (see the module docstring)."""
    return "\n".join(
        f'[[operations]]\ninclude-name = "GET {path}"\n'
        'checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404"]\n'
        for path in LISTS
    )


def _config(token: str, ids: dict[str, object]) -> SchemathesisConfig:
    config = SchemathesisConfig.from_str(
        f"""
seed = 17
# uncompressed: the WSGI transport decodes no Content-Encoding (see test_api_schemathesis.py)
headers = {{ "Accept-Encoding" = "identity" }}
[generation]
max-examples = {MAX_EXAMPLES}
deterministic = true
allow-x00 = false
[auth.openapi.bearer]
bearer = "{token}"
# schemathesis 4.32.5 fails its own probe for this check on WSGI apps (see test_api_schemathesis.py); the test
# below checks the same promise
[checks.ignored_auth]
enabled = false
[[operations]]
include-name = "POST /groups/{{group_id}}/members"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
{_lists()}"""
    )
    config.projects.default.update(parameters={f"path.{name}": value for name, value in ids.items()})
    return config


def _setup(app: Flask, make_user) -> dict[str, object]:
    learner, other = make_user(), make_user()
    with app.test_request_context():
        group = groups.create_group("KAM team DACH")
        groups.add_member(group, db.session.get(User, learner.id), actor=None)
        db.session.commit()
        return {"group_id": group.id, "user_id": other.id}


def test_the_token_api_keeps_every_promise_of_its_openapi_document(app: Flask, make_user) -> None:
    ids = _setup(app, make_user)
    token = make_token(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config(token, ids)).include(tag="hr")
    cases, problems = problems_of(schema)
    assert not problems, "\n\n".join(problems)
    assert cases > 300  # every phase ran


def test_every_token_operation_refuses_a_request_without_a_token(app: Flask) -> None:
    """What schemathesis' ignored_auth check would do: 401 with the RFC 6750 challenge, as documented."""
    document = openapi_document()
    anonymous = app.test_client()
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or "hr" not in operation.get("tags", ()):
                continue
            url = "/api/v1" + path.format(group_id=1, user_id=1)
            response = anonymous.open(url, method=method.upper(), json={} if method == "post" else None)
            assert response.status_code == 401, (method, path)
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="KAM course API"'
            assert response.get_json()["error"] == "unauthenticated"
            assert operation["security"] == [{"bearer": []}] and "401" in operation["responses"]
            checked += 1
    assert checked == 11
