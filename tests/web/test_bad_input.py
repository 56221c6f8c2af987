"""Input no field may hold is refused with a 4xx that names the field, never a 500, on both databases.

Each case reproduces a server error reported on issue #13 (item 4): a NUL byte PostgreSQL cannot store, and
integers past the 4,300 digits Python converts. The API's conformance to its OpenAPI document (405 with
`Allow`, 401 before CSRF) is here too; tests/web/test_api_schemathesis.py and tests/web/test_form_fuzz.py
look for the cases nobody reported.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from course.extensions import db
from course.models import ContentRevision, SandboxComment, SandboxDesign
from tests.quiz_helpers import (
    COURSE,
    MANDATE,
    attempt_key,
    client_for,
    count,
    faster_apps,
    quiz_url,
    snapshot,
    start_attempt,
)

HUGE = "9" * 5_000  # past sys.get_int_max_str_digits(): int() refuses it
NUL = "a\x00b"
EN = {"Accept-Language": "en"}
LESSON = f"{COURSE}/kam-mandate.en.md"
QUIZ_PATH = f"quizzes/{COURSE}/{MANDATE}.yml"


@pytest.fixture
def app(make_app, monkeypatch: pytest.MonkeyPatch) -> Flask:
    app = faster_apps(make_app, monkeypatch)(PROPAGATE_EXCEPTIONS=False)  # what a client sees: no traceback
    app.test_client().get("/")  # the first request imports the bundled course
    return app


@pytest.fixture
def trainer(app: Flask, make_user) -> FlaskClient:
    client = client_for(app, make_user(role="trainer", locale="en"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def learner(app: Flask, make_user) -> FlaskClient:
    client = client_for(app, make_user(locale="en"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def design_of(learner: FlaskClient) -> int:
    response = learner.post(f"/courses/{COURSE}/sandbox/designs", data={"scenario": "defend", "example": "recommended"})
    assert response.status_code == 302
    return int(response.headers["Location"].split("?")[0].rstrip("/").split("/")[-1])


def refused_naming(response, field: str) -> None:
    """A 400 whose page (or JSON) names the field; no traceback."""
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert field in text and "Traceback" not in text


# --- NUL bytes (PostgreSQL cannot store them) ------------------------------------------------------------------


def test_a_nul_byte_in_the_login_email_is_refused_naming_the_field(app: Flask) -> None:
    response = app.test_client().post("/auth/login", data={"email": f"ada{NUL}@example.org", "password": "x" * 12})
    refused_naming(response, "email")


def test_a_nul_byte_in_the_learner_search_is_refused(trainer: FlaskClient) -> None:
    refused_naming(trainer.get(f"/studio/courses/{COURSE}/learners?q={NUL}"), "q")
    refused_naming(trainer.post(f"/studio/courses/{COURSE}/learners.csv", data={"q": NUL}), "q")


def test_a_nul_byte_in_a_comment_is_refused_and_nothing_is_saved(app: Flask, learner, trainer) -> None:
    design_id = design_of(learner)
    response = trainer.post(f"/sandbox/designs/{design_id}/comments", data={"body": f"Look {NUL}"})
    refused_naming(response, "body")
    assert count(app, SandboxComment) == 0


def test_a_nul_byte_in_a_field_name_is_refused_too(trainer: FlaskClient) -> None:
    assert trainer.get(f"/studio/courses/{COURSE}/learners?{NUL}=1").status_code == 400


def test_text_the_api_cannot_store_is_refused_naming_the_field(app: Flask, learner: FlaskClient) -> None:
    created = learner.post(f"/api/v1/courses/{COURSE}/sandbox/designs", json={"scenario": "defend", "name": "\ud800"})
    assert created.status_code == 400
    assert created.get_json()["error"] == "invalid_text" and created.get_json()["field"] == "name"
    attempt = learner.post(f"/api/v1/courses/{COURSE}/quizzes/{MANDATE}/attempts").get_json()
    before = snapshot(app)
    question = attempt["questions"][0]["id"]
    saved = learner.post(f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": {question: "x\x00"}})
    assert saved.status_code == 400 and saved.get_json()["field"] == f"answers.{question}"
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.scalar(select(SandboxDesign.id)) is None


# --- Integers past Python's 4,300-digit conversion limit -------------------------------------------------------


def test_a_huge_check_number_is_a_bad_request_and_nothing_is_saved(app: Flask, learner: FlaskClient) -> None:
    attempt_id = start_attempt(learner)
    before = snapshot(app)
    assert learner.post(f"/attempts/{attempt_id}", data={"check": HUGE}).status_code == 400
    assert snapshot(app) == before


def test_a_huge_ordering_position_is_explained_and_nothing_is_saved(app: Flask, learner: FlaskClient) -> None:
    attempt_id = start_attempt(learner)
    key = attempt_key(app, attempt_id)
    ordering = key.of_type("ordering")
    fields = key.form_data({ordering: key.right(ordering)})
    fields[next(iter(fields))] = HUGE
    before = snapshot(app)
    response = learner.post(f"/attempts/{attempt_id}", data=fields)
    assert response.status_code == 400
    assert "Give every item a position." in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_huge_base_revision_in_the_studio_editor_is_refused_keeping_the_text(app: Flask, trainer) -> None:
    with app.app_context():
        revisions = db.session.scalar(select(db.func.count()).select_from(ContentRevision))
    response = trainer.post(f"/studio/files/{LESSON}", data={"text": "kept", "base": HUGE, "action": "save"})
    assert response.status_code == 400
    assert "kept" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ContentRevision)) == revisions


def test_a_huge_comment_version_is_refused_and_nothing_is_saved(app: Flask, learner, trainer) -> None:
    design_id = design_of(learner)
    response = trainer.post(f"/sandbox/designs/{design_id}/comments", data={"body": "Fine", "version": HUGE})
    assert response.status_code in (302, 400)
    assert count(app, SandboxComment) == 0


def test_huge_numbers_on_the_try_page_are_refused_not_a_server_error(app: Flask, trainer: FlaskClient) -> None:
    url = f"/studio/files/{QUIZ_PATH}/try"
    page = trainer.get(url).get_data(as_text=True)
    ordering_fields = sorted({part.split('"')[0] for part in page.split('name="')[1:] if "." in part.split('"')[0]})
    assert ordering_fields
    assert trainer.post(url, data={ordering_fields[0]: HUGE}).status_code == 400
    for query in (f"revision={HUGE}", f"seed={HUGE}"):
        assert trainer.get(f"{url}?{query}").status_code == 404, query


@pytest.mark.parametrize(
    "url",
    [
        f"/studio/courses/{COURSE}/learners?page={HUGE}",
        f"/studio/courses/{COURSE}/learners?page=99999999999999999999",
        f"/studio/courses/{COURSE}/learners?page=-5",
        f"/studio/files/{LESSON}/diff?a={HUGE}&b=1",
        f"/studio/files/{LESSON}/diff?a=99999999999999999999&b=1",
    ],
)
def test_huge_numbers_in_studio_queries_are_not_a_server_error(trainer: FlaskClient, url: str) -> None:
    assert trainer.get(url).status_code < 500


def test_a_huge_attempt_id_in_the_path_is_not_found(learner: FlaskClient) -> None:
    assert learner.get(f"/attempts/{HUGE}").status_code == 404
    assert learner.get(f"/api/v1/attempts/{HUGE}").status_code == 404


# --- The API keeps the promises of its OpenAPI document --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("TRACE", "/api/v1/session"),
        ("DELETE", "/api/v1/attempts/1"),
        ("PUT", "/api/v1/sandbox/evaluate"),
        ("DELETE", f"/courses/{COURSE}/lessons/kam-mandate"),
    ],
)
def test_a_method_not_allowed_lists_the_allowed_ones(learner: FlaskClient, method: str, url: str) -> None:
    response = learner.open(url, method=method)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]


def test_an_anonymous_api_post_is_401_even_with_csrf_protection(make_app, make_user) -> None:
    protected: Flask = make_app(WTF_CSRF_ENABLED=True)
    anonymous = protected.test_client()
    for url in (f"/api/v1/courses/{COURSE}/quizzes/{MANDATE}/attempts", "/api/v1/sandbox/evaluate"):
        response = anonymous.post(url, json={})
        assert response.status_code == 401, url
        assert response.get_json()["error"] == "unauthenticated"
    learner = client_for(protected, make_user(locale="en"))
    refused = learner.post(f"/api/v1/courses/{COURSE}/quizzes/{MANDATE}/attempts")
    assert refused.status_code == 400 and refused.get_json()["error"] == "bad_request"  # no token: still refused
    token = learner.get("/api/v1/session").get_json()["csrf_token"]
    accepted = learner.post(f"/api/v1/courses/{COURSE}/quizzes/{MANDATE}/attempts", headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_the_quiz_page_still_works_after_all_that(learner: FlaskClient) -> None:
    assert learner.get(quiz_url()).status_code == 200


@pytest.mark.parametrize("fast_paths", [True, False])
def test_the_guard_covers_the_fast_paths_too(app: Flask, learner: FlaskClient, fast_paths: bool) -> None:
    app.config["FAST_PATHS"] = fast_paths
    lesson = f"/courses/{COURSE}/lessons/kam-mandate"
    assert learner.get(lesson).status_code == 200
    refused_naming(learner.get(f"{lesson}?from={NUL}"), "from")
    refused_naming(learner.post(f"{lesson}/complete", data={"note": NUL}), "note")
