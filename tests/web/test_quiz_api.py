"""The quiz JSON API under /api/v1: its OpenAPI document, the whole flow, and every refusal storing nothing."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask

from course.models import QuizAttempt
from tests.quiz_helpers import (
    COURSE,
    MANDATE,
    answer_count,
    attempt_key,
    client_for,
    count,
    faster_apps,
    quiz_folder,
    right_answers,
    snapshot,
)

API = "/api/v1"
QUIZ_API = f"{API}/courses/{COURSE}/quizzes/{MANDATE}"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


@pytest.fixture
def learner(client, login_as, make_user):
    """The test client, logged in as a learner who reads English."""
    return login_as(make_user(locale="en"))


def start(client) -> dict:
    response = client.post(f"{QUIZ_API}/attempts")
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def resolve(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def followed(document: dict, node: dict) -> dict:
    """`node`, or what it refers to when it is a $ref to a shared component (a response or a parameter)."""
    return resolve(document, node["$ref"]) if "$ref" in node else node


def response_schema(document: dict, path: str, method: str, status: int) -> dict:
    """The JSON schema the document gives for a response of `path` and `method` with `status`."""
    described = followed(document, document["paths"][path][method]["responses"][str(status)])
    return described["content"]["application/json"]["schema"]


def conforms(document: dict, schema: dict, value: object, where: str = "$") -> list[str]:
    """The ways `value` breaks `schema` (the subset of JSON Schema the API document uses)."""
    if "$ref" in schema:
        return conforms(document, resolve(document, schema["$ref"]), value, where)
    problems = []
    for part in schema.get("allOf", []):
        problems += conforms(document, part, value, where)
    if "oneOf" in schema and sum(not conforms(document, s, value, where) for s in schema["oneOf"]) != 1:
        problems.append(f"{where}: matches not exactly one of oneOf")
    types = schema.get("type")
    if types is not None:
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
        }
        if not any(checks[t](value) for t in ([types] if isinstance(types, str) else types)):
            return [*problems, f"{where}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        problems += [f"{where}: missing {key}" for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if key in schema.get("properties", {}):
                problems += conforms(document, schema["properties"][key], item, f"{where}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += conforms(document, schema["additionalProperties"], item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += conforms(document, schema["items"], item, f"{where}[{index}]")
    return problems


def assert_documented(client, path: str, method: str, response) -> None:
    """The response has the shape the OpenAPI document gives for its path, method and status."""
    document = client.get(f"{API}/openapi.json").get_json()
    schema = response_schema(document, path, method, response.status_code)
    assert conforms(document, schema, response.get_json()) == []


# --- The OpenAPI document --------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # reads no database
def test_openapi_document_is_3_1_and_describes_every_api_route(app, client) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": API}]

    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(f"{API}/") and rule.rule != f"{API}/openapi.json":  # the document itself
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API))
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert described == routes

    for path, item in document["paths"].items():
        parameters = [followed(document, p) for p in item.get("parameters", [])]
        declared = {p["name"] for p in parameters if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_ref_in_the_openapi_document_resolves(client) -> None:
    document = client.get(f"{API}/openapi.json").get_json()
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(document))
    assert refs
    for ref in refs:
        assert isinstance(resolve(document, ref), dict), ref
    schemes = set(document["components"]["securitySchemes"])
    assert {name for requirement in document["security"] for name in requirement} <= schemes


# --- The whole flow --------------------------------------------------------------------------------------------


def test_start_check_submit_and_result_over_json(app, learner) -> None:
    client = learner
    response = client.post(f"{QUIZ_API}/attempts")
    assert response.status_code == 201
    assert_documented(client, "/courses/{course_id}/quizzes/{quiz_id}/attempts", "post", response)
    attempt = response.get_json()
    assert (attempt["number"], attempt["status"], attempt["quiz_id"]) == (1, "open", MANDATE)
    assert len(attempt["questions"]) == 7
    assert all("result" not in question and question["checked"] is False for question in attempt["questions"])
    resumed = client.post(f"{QUIZ_API}/attempts")
    assert resumed.status_code == 200 and resumed.get_json() == attempt
    fetched = client.get(f"{API}/attempts/{attempt['id']}")
    assert fetched.get_json() == attempt
    assert_documented(client, "/attempts/{attempt_id}", "get", fetched)

    key = attempt_key(app, attempt["id"])
    single = key.of_type("single")
    check = client.post(f"{API}/attempts/{attempt['id']}/questions/{single}/check", json={"answer": key.right(single)})
    assert check.status_code == 200
    assert_documented(client, "/attempts/{attempt_id}/questions/{question_id}/check", "post", check)
    checked = check.get_json()
    assert (checked["id"], checked["checked"], checked["answer"]) == (single, True, key.right(single))
    assert (checked["result"]["verdict"], checked["result"]["mark"], checked["result"]["feedback"]) == ("right", 1, [])
    assert checked["result"]["explanation"].startswith("The mandate describes <em>how</em> Julia works")
    options = checked["result"]["review"]["options"]
    assert [(o["chosen"], o["correct"]) for o in options].count((True, True)) == 1 and len(options) == 4
    assert checked["result"]["lesson"]["url"] == f"/courses/{COURSE}/lessons/kam-mandate#what-the-mandate-is"
    others = [q for q in client.get(f"{API}/attempts/{attempt['id']}").get_json()["questions"] if q["id"] != single]
    assert len(others) == 6 and all("result" not in question for question in others)

    submitted = client.post(f"{API}/attempts/{attempt['id']}/submit", json={"answers": key.right_answers()})
    assert submitted.status_code == 200
    assert_documented(client, "/attempts/{attempt_id}/submit", "post", submitted)
    result = submitted.get_json()
    assert (result["status"], result["score"], result["max_score"]) == ("submitted", 8.0, 8.0)
    assert (result["percent"], result["passed"]) == (100.0, True)
    assert all(question["result"]["verdict"] == "right" for question in result["questions"])
    fetched_result = client.get(f"{API}/attempts/{attempt['id']}/result")
    assert fetched_result.status_code == 200 and fetched_result.get_json() == result
    assert_documented(client, "/attempts/{attempt_id}/result", "get", fetched_result)
    info = client.get(QUIZ_API)
    assert_documented(client, "/courses/{course_id}/quizzes/{quiz_id}", "get", info)
    assert (info.get_json()["best_percent"], info.get_json()["passed"]) == (100.0, True)
    assert [a["status"] for a in info.get_json()["attempts"]] == ["submitted"]


def test_a_wrongly_checked_answer_shows_its_feedback_and_stays_wrong_at_submit(app, learner) -> None:
    attempt = start(learner)
    key = attempt_key(app, attempt["id"])
    single = key.of_type("single")
    wrong = key.wrong(single)
    check = learner.post(f"{API}/attempts/{attempt['id']}/questions/{single}/check", json={"answer": wrong})
    chosen = next(o for o in key.questions[single]["options"] if key.tokens(single)[o["id"]] == wrong)
    assert check.get_json()["result"]["verdict"] == "wrong"
    assert check.get_json()["result"]["feedback"] == [chosen["feedback"]["en"]]

    result = learner.post(f"{API}/attempts/{attempt['id']}/submit", json={"answers": key.right_answers()}).get_json()
    assert (result["score"], result["percent"], result["passed"]) == (7.0, 87.5, True)  # 7 of 8 points
    assert {q["id"]: q["result"]["verdict"] for q in result["questions"]} == {
        question_id: "wrong" if question_id == single else "right" for question_id in key.question_ids
    }


def test_saved_answers_are_graded_at_submit(app, learner) -> None:
    attempt = start(learner)
    answers = right_answers(app, attempt["id"])
    saved = learner.post(f"{API}/attempts/{attempt['id']}/answers", json={"answers": answers})
    assert saved.status_code == 200
    assert_documented(learner, "/attempts/{attempt_id}/answers", "post", saved)
    assert {q["id"]: q["answer"] for q in saved.get_json()["questions"]} == answers
    assert all("result" not in question for question in saved.get_json()["questions"])
    result = learner.post(f"{API}/attempts/{attempt['id']}/submit", json={"answers": {}}).get_json()
    assert (result["percent"], result["passed"], result["score"]) == (100.0, True, 8.0)


def test_numbers_are_read_in_the_learners_language(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="de"))
    attempt = start(client)
    numeric = attempt_key(app, attempt["id"]).of_type("numeric")
    saved = client.post(f"{API}/attempts/{attempt['id']}/answers", json={"answers": {numeric: "100.000 €"}})
    assert saved.status_code == 200
    result = client.post(f"{API}/attempts/{attempt['id']}/questions/{numeric}/check", json={"answer": "100.000"})
    assert result.get_json()["result"]["verdict"] == "right"


# --- Refusals --------------------------------------------------------------------------------------------------


def test_api_requires_login(app, client) -> None:
    requests = [
        ("GET", QUIZ_API, None),
        ("POST", f"{QUIZ_API}/attempts", None),
        ("GET", f"{API}/attempts/1", None),
        ("POST", f"{API}/attempts/1/answers", {"answers": {}}),
        ("POST", f"{API}/attempts/1/questions/pay-depends-on/check", {"answer": "0"}),
        ("POST", f"{API}/attempts/1/submit", {"answers": {}}),
        ("GET", f"{API}/attempts/1/result", None),
    ]
    for method, url, body in requests:
        response = client.open(url, method=method, json=body, headers={"Accept-Language": "en"})
        assert response.status_code == 401, url
        assert response.get_json() == {"error": "unauthenticated", "message": "Log in first."}
    assert count(app, QuizAttempt) == 0
    assert client.get(f"{API}/session").get_json()["authenticated"] is False


def test_another_learners_attempt_is_404_and_nothing_of_it_leaks(app, learner, make_user) -> None:
    attempt = start(learner)
    key = attempt_key(app, attempt["id"])
    text = key.of_type("shorttext")
    learner.post(f"{API}/attempts/{attempt['id']}/answers", json={"answers": {text: "owner-private-draft"}})
    stranger = client_for(app, make_user(locale="en"))
    before = snapshot(app)
    base = f"{API}/attempts/{attempt['id']}"
    responses = [
        stranger.get(base),
        stranger.post(f"{base}/answers", json={"answers": {text: "stranger"}}),
        stranger.post(f"{base}/questions/{text}/check", json={"answer": "stranger"}),
        stranger.post(f"{base}/submit", json={"answers": key.right_answers(), "allow_unanswered": True}),
        stranger.get(f"{base}/result"),
    ]
    for response in responses:
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"
        assert "owner-private-draft" not in response.get_data(as_text=True)
    assert snapshot(app) == before
    assert stranger.get(QUIZ_API).get_json()["attempts"] == []


def test_a_checked_answer_is_locked_and_a_submitted_attempt_is_closed(app, learner) -> None:
    attempt = start(learner)
    key = attempt_key(app, attempt["id"])
    single, other = key.of_type("single"), key.of_type("truefalse")
    base = f"{API}/attempts/{attempt['id']}"
    assert learner.post(f"{base}/questions/{single}/check", json={"answer": key.right(single)}).status_code == 200

    def refused(url: str, body: dict, code: str) -> None:
        before = snapshot(app)
        response = learner.post(url, json=body)
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["error"] == code
        assert snapshot(app) == before

    refused(f"{base}/questions/{single}/check", {"answer": key.wrong(single)}, "answer_locked")
    assert learner.get(base).get_json()["questions"][key.number(single) - 1]["answer"] == key.right(single)
    learner.post(f"{base}/submit", json={"answers": key.right_answers()})
    refused(f"{base}/questions/{other}/check", {"answer": key.right(other)}, "attempt_closed")
    refused(f"{base}/answers", {"answers": {other: key.wrong(other)}}, "attempt_closed")
    refused(f"{base}/submit", {"answers": key.wrong_answers()}, "attempt_closed")


def test_result_of_an_open_attempt_is_409(learner) -> None:
    attempt = start(learner)
    response = learner.get(f"{API}/attempts/{attempt['id']}/result")
    assert response.status_code == 409 and response.get_json()["error"] == "not_submitted"


def _unknown_questions(key):
    return "submit", {"answers": {"no-such-question": "0", key.question_ids[0]: None}}


def _invalid_answers(key):
    answers = key.right_answers() | {"mandate-bonus-total": "abc", "pay-depends-on": "99", "fourth-question": 7}
    return "submit", {"answers": answers}


def _unanswered_with_a_non_boolean_allowance(key):
    return "submit", {"answers": key.right_answers(), "allow_unanswered": "yes"}


def _answers_not_an_object(key):
    return "answers", {"answers": ["0", "1"]}


def _check_without_an_answer(key):
    return "check", {"reply": "0"}


def _check_of_a_question_not_in_the_attempt(key):
    return "check:no-such-question", {"answer": "0"}


def _duplicate_field(key):
    return "submit", '{"answers": {}, "answers": {"pay-depends-on": "0"}}'


def _duplicate_answer(key):
    return "answers", '{"answers": {"pay-depends-on": "0", "pay-depends-on": "1"}}'


def _malformed_json(key):
    return "answers", '{"answers": {'


def _json_array(key):
    return "submit", "[]"


def _form_instead_of_json(key):
    return "submit", None


REFUSALS = [  # (request, status, error code, the questions concerned or the message)
    (_unknown_questions, 422, "unknown_questions", ["no-such-question"]),
    (
        _invalid_answers,
        422,
        "invalid_answers",
        {
            "mandate-bonus-total": "That is not a number.",
            "pay-depends-on": "That choice is not one of the options shown.",
            "fourth-question": "Type your answer as text.",
        },
    ),
    (_unanswered_with_a_non_boolean_allowance, 422, "invalid_body", "allow_unanswered must be true or false."),
    (_answers_not_an_object, 422, "invalid_body", "answers must be an object: question id → answer."),
    (_check_without_an_answer, 422, "invalid_body", 'Send the answer as {"answer": …}.'),
    (_check_of_a_question_not_in_the_attempt, 404, "not_found", "This attempt has no question no-such-question."),
    (_duplicate_field, 400, "duplicate_field", "The field answers was sent twice."),
    (_duplicate_answer, 400, "duplicate_field", "The field pay-depends-on was sent twice."),
    (_malformed_json, 400, "invalid_body", "The body is not valid JSON."),
    (_json_array, 400, "invalid_body", "Send a JSON object with Content-Type: application/json."),
    (_form_instead_of_json, 415, "invalid_body", "Send a JSON object with Content-Type: application/json."),
]


@pytest.mark.parametrize(("request_", "status", "code", "detail"), REFUSALS, ids=[r[0].__name__[1:] for r in REFUSALS])
def test_refused_requests_say_why_and_store_nothing(app, learner, request_, status: int, code: str, detail) -> None:
    attempt = start(learner)
    key = attempt_key(app, attempt["id"])
    target, body = request_(key)
    endpoint, _, question = target.partition(":")
    url = {
        "submit": f"{API}/attempts/{attempt['id']}/submit",
        "answers": f"{API}/attempts/{attempt['id']}/answers",
        "check": f"{API}/attempts/{attempt['id']}/questions/{question or 'pay-depends-on'}/check",
    }[endpoint]
    before, document = snapshot(app), learner.get(f"{API}/attempts/{attempt['id']}").get_json()

    if body is None:
        response = learner.post(url, data={"answers": "0"})
    elif isinstance(body, str):
        response = learner.post(url, data=body, content_type="application/json")
    else:
        response = learner.post(url, json=body)

    assert response.status_code == status
    error = response.get_json()
    assert error["error"] == code
    if isinstance(detail, str):
        assert error["message"] == detail
    else:
        assert error["questions"] == detail
    assert snapshot(app) == before and answer_count(app) == 0
    assert learner.get(f"{API}/attempts/{attempt['id']}").get_json() == document


def test_submit_with_unanswered_questions_needs_allow_unanswered(app, learner) -> None:
    attempt = start(learner)
    key = attempt_key(app, attempt["id"])
    answered = {"pay-depends-on": key.right("pay-depends-on")}
    url = f"{API}/attempts/{attempt['id']}/submit"
    before = snapshot(app)
    response = learner.post(url, json={"answers": answered})
    assert response.status_code == 422
    assert response.get_json() == {
        "error": "unanswered",
        "message": "Some questions have no answer. Answer them, or send allow_unanswered: true (they score 0).",
        "questions": [question_id for question_id in key.question_ids if question_id not in answered],
    }
    assert snapshot(app) == before and answer_count(app) == 0

    result = learner.post(url, json={"answers": answered, "allow_unanswered": True})
    assert result.status_code == 200
    assert (result.get_json()["score"], result.get_json()["passed"]) == (1.0, False)


def test_start_past_max_attempts_is_409(make_app, make_user, tmp_path) -> None:
    limited = make_app(QUIZ_DIR=str(quiz_folder(tmp_path, max_attempts=1)))
    client = client_for(limited, make_user(locale="en"))
    attempt = start(client)
    client.post(f"{API}/attempts/{attempt['id']}/submit", json={"answers": {}, "allow_unanswered": True})
    before = snapshot(limited)
    response = client.post(f"{QUIZ_API}/attempts")
    assert response.status_code == 409
    assert response.get_json() == {"error": "attempt_refused", "message": "No attempts left: this quiz allows 1."}
    assert snapshot(limited) == before and count(limited, QuizAttempt) == 1
    assert client.get(QUIZ_API).get_json()["attempts_left"] == 0


def test_api_posts_need_the_csrf_token_from_the_session_endpoint(make_app, make_user) -> None:
    protected: Flask = make_app(WTF_CSRF_ENABLED=True)
    client = client_for(protected, make_user(locale="en"))
    refused = client.post(f"{QUIZ_API}/attempts")
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "bad_request" and refused.get_json()["message"]
    assert count(protected, QuizAttempt) == 0

    session = client.get(f"{API}/session").get_json()
    assert session["authenticated"] is True and session["language"] == "en"
    token = {"X-CSRFToken": session["csrf_token"]}
    created = client.post(f"{QUIZ_API}/attempts", headers=token)
    assert created.status_code == 201
    attempt_id = created.get_json()["id"]
    submit = f"{API}/attempts/{attempt_id}/submit"
    assert client.post(submit, json={"answers": {}, "allow_unanswered": True}).status_code == 400
    assert client.post(submit, json={"answers": {}, "allow_unanswered": True}, headers=token).status_code == 200


# --- Crafted input that once caused a server error ---------------------------------------------------------------


def test_deeply_nested_json_is_refused_as_invalid(app, learner) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # what a client sees, not the test client's traceback
    attempt = start(learner)
    before = snapshot(app)
    body = '{"answers": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = learner.post(f"{API}/attempts/{attempt['id']}/answers", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_body"
    assert snapshot(app) == before


def test_attempt_ids_past_the_database_range_are_404_over_json(app, learner) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for attempt_id in (2**31, 2**63):
        assert learner.get(f"{API}/attempts/{attempt_id}").status_code == 404, attempt_id
        assert learner.get(f"{API}/attempts/{attempt_id}/result").status_code == 404, attempt_id
        response = learner.post(f"{API}/attempts/{attempt_id}/submit", json={"answers": {}})
        assert response.status_code == 404, attempt_id


def test_checking_an_unanswered_question_is_422_and_locks_nothing(app, learner) -> None:
    attempt = start(learner)
    single = attempt_key(app, attempt["id"]).of_type("single")
    before = snapshot(app)
    response = learner.post(f"{API}/attempts/{attempt['id']}/questions/{single}/check", json={"answer": None})
    assert response.status_code == 422
    assert response.get_json()["questions"] == {single: "Answer the question before you check it."}
    assert snapshot(app) == before
