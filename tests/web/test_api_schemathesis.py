"""Schemathesis against /api/v1/openapi.json, in process, as a logged-in learner (issue #13, item 4).

Every phase the command line runs (examples, coverage, fuzzing, stateful) with every check: no 5xx, every
response in the documented status codes, content types and schemas, 405 with `Allow`, 401 without the login,
schema-invalid requests refused. Bounded by a number of examples per operation and a fixed seed, not by time.

One allowance, and why: the document describes the shape of a request, not every rule of the domain. A plan
whose weights do not add up to 100, or an answer naming an option the attempt does not show, fits the schema
and is still refused with 422 and the reason (documented as the operations' 422). So `positive_data_acceptance`
accepts a 422, only on the operations that carry a plan or answers.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from course.api.openapi import openapi_document
from course.core.sandbox import SCENARIOS, recommended_plan
from course.core.sandbox.evaluation import plan_data
from tests.quiz_helpers import COURSE, MANDATE, client_for, faster_apps

MAX_EXAMPLES = 75
DOMAIN_RULES = (  # operations whose 422 carries rules the schema cannot state (see the module docstring)
    "POST /attempts/{attempt_id}/answers",
    "POST /attempts/{attempt_id}/questions/{question_id}/check",
    "POST /attempts/{attempt_id}/submit",
    "POST /sandbox/evaluate",
    "POST /courses/{course_id}/sandbox/designs",
    "POST /sandbox/designs/{design_id}/versions",
)


@pytest.fixture
def app(make_app, monkeypatch: pytest.MonkeyPatch) -> Flask:
    app = faster_apps(make_app, monkeypatch)(PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=True)
    app.test_client().get("/")  # the first request imports the bundled course
    return app


def _config(cookie: str, token: str, ids: dict[str, object]) -> SchemathesisConfig:
    allowances = "\n".join(
        f'[[operations]]\ninclude-name = "{name}"\nchecks.positive_data_acceptance.expected-statuses = '
        '["2xx", "401", "403", "404", "409", "422"]\n'
        for name in DOMAIN_RULES
    )
    config = SchemathesisConfig.from_str(
        f"""
seed = 13
# The WSGI transport hands over the bytes as sent and decodes no Content-Encoding, as a browser would: ask for
# them uncompressed (compression itself: tests/web/test_static_assets.py)
headers = {{ "Accept-Encoding" = "identity" }}
[generation]
max-examples = {MAX_EXAMPLES}
deterministic = true
# the document says text holds no NUL (refused with 400 invalid_text, tests/web/test_bad_input.py)
allow-x00 = false
[auth.openapi.session]
api_key = "{cookie}"
[auth.openapi.csrf]
api_key = "{token}"
# schemathesis 4.32.5 fails its own probe for this check on WSGI apps (it passes `max_redirects` to werkzeug);
# test_every_operation_needs_the_login below checks the same promise
[checks.ignored_auth]
enabled = false
{allowances}"""
    )
    # real ids, so that examples reach past the 404 of an unknown attempt or design
    config.projects.default.update(parameters={f"path.{name}": value for name, value in ids.items()})
    return config


def run_schemathesis(app: Flask, learner) -> tuple[int, list[str]]:
    """Cases run, and one line per failed check or error."""
    token = learner.get("/api/v1/session").get_json()["csrf_token"]
    headers = {"X-CSRFToken": token}
    attempt = learner.post(f"/api/v1/courses/{COURSE}/quizzes/{MANDATE}/attempts", headers=headers).get_json()
    plan = plan_data(recommended_plan("defend"))
    design = learner.post(
        f"/api/v1/courses/{COURSE}/sandbox/designs", json={"scenario": "defend", "plan": plan}, headers=headers
    ).get_json()
    ids = {"course_id": COURSE, "quiz_id": MANDATE, "attempt_id": attempt["id"], "design_id": design["id"]}
    cookie = learner.get_cookie("session").value
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config(cookie, token, ids))
    schema = schema.exclude(tag="hr")  # the token API: tests/web/test_api_hr_schemathesis.py, with a token
    return problems_of(schema)


def problems_of(schema) -> tuple[int, list[str]]:  # noqa: ANN001 - a schemathesis schema
    """Run every phase on `schema`: the cases run, and one line per failed check or error."""
    cases, problems = 0, []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is not None:
                        interaction = event.recorder.interactions.get(case_id)
                        request = (
                            f"{interaction.request.method} {interaction.request.uri} {interaction.request.body!r:.300}"
                            f" -> {interaction.response.status_code} {interaction.response.content[:300]!r}"
                            if interaction and interaction.response
                            else ""
                        )
                        problems.append(
                            f"{event.recorder.label}: {check.name}: {check.failure_info.failure.title}"
                            f" ({request})\n{check.failure_info.failure.message[:600]}"
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            problems.append(
                f"error: {getattr(event, 'label', '')} {event.info.format()[-1500:]}"
                if isinstance(event, events.NonFatalError)
                else f"fatal: {event.exception}"
            )
    return cases, problems


def test_the_api_keeps_every_promise_of_its_openapi_document(app: Flask, make_user) -> None:
    learner = client_for(app, make_user(locale="en"))
    cases, problems = run_schemathesis(app, learner)
    assert not problems, "\n\n".join(problems)
    assert cases > 2_000  # every phase ran (a run that reaches nothing past a 401 has far fewer)


def test_every_operation_needs_the_login_except_the_open_ones(app: Flask) -> None:
    """What schemathesis' ignored_auth check would do: each operation without a session is 401, as documented."""
    document = openapi_document()
    ids = {
        "course_id": COURSE,
        "quiz_id": MANDATE,
        "attempt_id": "1",
        "design_id": "1",
        "number": "1",
        "question_id": "q1",
        "group_id": "1",
        "user_id": "1",
    }
    anonymous = app.test_client()
    for path, item in document["paths"].items():
        url = "/api/v1" + path.format(**ids)
        for method, operation in item.items():
            if method == "parameters":
                continue
            response = anonymous.open(url, method=method.upper(), json={} if method == "post" else None)
            if operation.get("security") == []:
                assert response.status_code == 200, (method, path)
            else:
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.get_json()["error"] == "unauthenticated"
                assert "401" in operation["responses"]


def test_the_documented_scenario_ids_are_the_cores() -> None:
    documented = openapi_document()["components"]["schemas"]["ScenarioId"]["enum"]
    assert documented == list(SCENARIOS)
