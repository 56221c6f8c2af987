"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from functools import cache


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Error"), "Malformed JSON, a field sent twice, or a CSRF token missing"),
    "401": _json(_ref("Error"), "Not logged in"),
    "404": _json(_ref("Error"), "No such course, quiz or attempt (someone else's attempt looks missing too)"),
    "409": _json(_ref("Error"), "Not possible now: attempt already submitted, answer locked, limit or cooldown"),
    "413": _json(_ref("Error"), "Body too large"),
    "415": _json(_ref("Error"), "Not JSON"),
    "422": _json(_ref("Error"), "Answers that cannot be read, unknown questions or unanswered questions"),
}

_ANSWER = {
    "description": (
        "Depends on the question type. single: an option id; multiple: a list of option ids; truefalse: "
        "true or false; matching: an object prompt id → choice id; ordering: the item ids first to last; "
        'numeric: a number or a string in the learner\'s language ("6.000,5" in German); shorttext: a string. '
        "Option, choice, prompt and item ids are the ones this attempt shows; null means unanswered."
    ),
    "oneOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "null"},
    ],
}


def _attempt_with(properties: dict) -> dict:
    """An attempt summary with its quiz, its questions and `properties`."""
    return {
        "allOf": [
            _ref("AttemptSummary"),
            {
                "type": "object",
                "properties": {
                    "course_id": {"type": "string"},
                    "quiz_id": {"type": "string"},
                    "pass_percent": {"type": "integer"},
                    "questions": {"type": "array", "items": _ref("Question")},
                    **properties,
                },
            },
        ]
    }


@cache
def openapi_document() -> dict:
    attempt_path = {"name": "attempt_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    quiz_params = [
        {"name": "course_id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "quiz_id", "in": "path", "required": True, "schema": {"type": "string"}},
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "KAM course API",
            "version": "1",
            "description": (
                "Quizzes over JSON. Log in through the site; the session cookie authenticates. Every POST sends "
                "the token from GET /session in the X-CSRFToken header. Texts are sanitised HTML in the "
                "session's language. Answer keys, feedback and explanations appear only for a checked question "
                "or a submitted attempt."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"session": [], "csrf": []}],
        "paths": {
            "/session": {
                "get": {
                    "summary": "Who is logged in, and the CSRF token for POST requests",
                    "security": [],
                    "responses": {"200": _json(_ref("Session"), "The session")},
                }
            },
            "/courses/{course_id}/quizzes/{quiz_id}": {
                "parameters": quiz_params,
                "get": {
                    "summary": "A quiz's rules and the learner's attempts",
                    "responses": {"200": _json(_ref("QuizInfo"), "The quiz"), **_ERRORS},
                },
            },
            "/courses/{course_id}/quizzes/{quiz_id}/attempts": {
                "parameters": quiz_params,
                "post": {
                    "summary": "Start an attempt, or resume the open one",
                    "responses": {
                        "201": _json(_ref("Attempt"), "A new attempt"),
                        "200": _json(_ref("Attempt"), "The open attempt, resumed"),
                        **_ERRORS,
                    },
                },
            },
            "/attempts/{attempt_id}": {
                "parameters": [attempt_path],
                "get": {
                    "summary": "An attempt's questions (no keys) and saved answers",
                    "responses": {"200": _json(_ref("Attempt"), "The attempt"), **_ERRORS},
                },
            },
            "/attempts/{attempt_id}/answers": {
                "parameters": [attempt_path],
                "post": {
                    "summary": "Save answers without grading them",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Answers")}}},
                    "responses": {"200": _json(_ref("Attempt"), "Saved"), **_ERRORS},
                },
            },
            "/attempts/{attempt_id}/questions/{question_id}/check": {
                "parameters": [
                    attempt_path,
                    {"name": "question_id", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
                "post": {
                    "summary": "Grade one question now; its answer is locked afterwards",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["answer"],
                                    "properties": {"answer": _ANSWER},
                                }
                            }
                        },
                    },
                    "responses": {"200": _json(_ref("Question"), "The question with its result"), **_ERRORS},
                },
            },
            "/attempts/{attempt_id}/submit": {
                "parameters": [attempt_path],
                "post": {
                    "summary": "Submit the attempt: every question is graded on the server",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Answers")}}},
                    "responses": {"200": _json(_ref("Result"), "The graded attempt"), **_ERRORS},
                },
            },
            "/attempts/{attempt_id}/result": {
                "parameters": [attempt_path],
                "get": {
                    "summary": "The graded result of a submitted attempt",
                    "responses": {"200": _json(_ref("Result"), "The graded attempt"), **_ERRORS},
                },
            },
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "questions": {
                            "description": "The questions concerned: a list of ids, or id → reason",
                            "oneOf": [
                                {"type": "array", "items": {"type": "string"}},
                                {"type": "object", "additionalProperties": {"type": "string"}},
                            ],
                        },
                    },
                },
                "Session": {
                    "type": "object",
                    "properties": {
                        "authenticated": {"type": "boolean"},
                        "user": {"type": ["object", "null"]},
                        "csrf_token": {"type": "string"},
                        "language": {"type": "string", "enum": ["de", "en"]},
                    },
                },
                "AttemptSummary": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "number": {"type": "integer"},
                        "status": {"type": "string", "enum": ["open", "submitted"]},
                        "started_at": {"type": "string", "format": "date-time"},
                        "submitted_at": {"type": ["string", "null"], "format": "date-time"},
                        "percent": {"type": ["number", "null"]},
                        "passed": {"type": ["boolean", "null"]},
                        "url": {"type": "string"},
                    },
                },
                "QuizInfo": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "course_id": {"type": "string"},
                        "title": {"type": "string"},
                        "questions_per_attempt": {"type": "integer"},
                        "pass_percent": {"type": "integer"},
                        "max_attempts": {"type": ["integer", "null"]},
                        "cooldown_minutes": {"type": "integer"},
                        "best_percent": {"type": ["number", "null"]},
                        "passed": {"type": "boolean"},
                        "attempts_left": {"type": ["integer", "null"]},
                        "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
                        "attempts": {"type": "array", "items": _ref("AttemptSummary")},
                    },
                },
                "Choice": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
                },
                "Question": {
                    "type": "object",
                    "required": ["id", "number", "type", "points", "text", "checked"],
                    "properties": {
                        "id": {"type": "string"},
                        "number": {"type": "integer"},
                        "type": {
                            "type": "string",
                            "enum": ["single", "multiple", "truefalse", "matching", "ordering", "numeric", "shorttext"],
                        },
                        "points": {"type": "number"},
                        "text": {"type": "string"},
                        "options": {"type": "array", "items": _ref("Choice")},
                        "prompts": {"type": "array", "items": _ref("Choice")},
                        "choices": {"type": "array", "items": _ref("Choice")},
                        "items": {"type": "array", "items": _ref("Choice")},
                        "unit": {"type": ["string", "null"]},
                        "answer": _ANSWER,
                        "checked": {"type": "boolean"},
                        "result": _ref("QuestionResult"),
                    },
                },
                "QuestionResult": {
                    "type": "object",
                    "properties": {
                        "verdict": {"type": "string", "enum": ["right", "partial", "wrong"]},
                        "mark": {"type": "number"},
                        "feedback": {"type": "array", "items": {"type": "string"}},
                        "explanation": {"type": "string"},
                        "review": {"type": "object", "description": "The learner's answer beside the right one"},
                        "lesson": {"type": ["object", "null"]},
                    },
                },
                "Attempt": _attempt_with({"title": {"type": "string"}}),
                "Result": _attempt_with({"score": {"type": "number"}, "max_score": {"type": "number"}}),
                "Answers": {
                    "type": "object",
                    "properties": {
                        "answers": {"type": "object", "additionalProperties": _ANSWER},
                        "allow_unanswered": {
                            "type": "boolean",
                            "description": "submit only: accept unanswered questions (they score 0)",
                        },
                    },
                },
            },
        },
    }
