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


_SANDBOX_ERRORS = {
    **_ERRORS,
    "404": _json(_ref("Error"), "No such course, design or version (someone else's design looks missing too)"),
    "422": _json(
        _ref("Error"),
        "invalid_plan: the request has invalid fields; `problems` lists every one and nothing was simulated or saved",
    ),
}
del _SANDBOX_ERRORS["409"]

_NUMBER = {"type": "number"}
_CHANCE = {"type": "number", "minimum": 0, "maximum": 1}


def _body_of(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


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
    course_path = {"name": "course_id", "in": "path", "required": True, "schema": {"type": "string"}}
    design_path = {"name": "design_id", "in": "path", "required": True, "schema": {"type": "integer"}}
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
                "Quizzes and the bonus-plan sandbox over JSON. Log in through the site; the session cookie "
                "authenticates. Every POST sends the token from GET /session in the X-CSRFToken header. Texts are "
                "sanitised HTML in the session's language. Answer keys, feedback and explanations appear only for "
                "a checked question or a submitted attempt. The sandbox evaluates a plan in a scenario draw "
                "without storing anything (POST /sandbox/evaluate), or keeps it as a version of one of the "
                "learner's saved designs; trainers and admins may read every design. An invalid plan is answered "
                "422 with every problem at its field (plan fields are prefixed with `plan.`, e.g. "
                "`plan.components[1].cap_pct`) and is never simulated or saved."
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
            "/sandbox/evaluate": {
                "post": {
                    "summary": "Simulate and grade a plan in a scenario draw; nothing is stored",
                    "requestBody": _body_of(_ref("EvaluateRequest")),
                    "responses": {"200": _json(_ref("Evaluation"), "The evaluation"), **_SANDBOX_ERRORS},
                }
            },
            "/courses/{course_id}/sandbox/designs": {
                "parameters": [course_path],
                "get": {
                    "summary": "The learner's own saved designs in the course, newest first",
                    "responses": {"200": _json(_ref("DesignList"), "The designs"), **_SANDBOX_ERRORS},
                },
                "post": {
                    "summary": "Start a design (its own draw of the scenario); with a plan, save it as version 1",
                    "requestBody": _body_of(_ref("DesignRequest")),
                    "responses": {"201": _json(_ref("CreatedDesign"), "The new design"), **_SANDBOX_ERRORS},
                },
            },
            "/sandbox/designs/{design_id}": {
                "parameters": [design_path],
                "get": {
                    "summary": "A design with its versions and trainers' comments (owner, trainers and admins)",
                    "responses": {"200": _json(_ref("DesignDetail"), "The design"), **_SANDBOX_ERRORS},
                },
            },
            "/sandbox/designs/{design_id}/versions": {
                "parameters": [design_path],
                "post": {
                    "summary": "Evaluate a plan with the course's current rubric weights and save it (owner only)",
                    "requestBody": _body_of(_ref("VersionRequest")),
                    "responses": {"201": _json(_ref("Version"), "The saved version"), **_SANDBOX_ERRORS},
                },
            },
            "/sandbox/designs/{design_id}/versions/{number}": {
                "parameters": [
                    design_path,
                    {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "get": {
                    "summary": "A saved version, evaluated with the rubric weights it was graded with",
                    "responses": {"200": _json(_ref("Version"), "The version"), **_SANDBOX_ERRORS},
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
                        "problems": {
                            "description": "invalid_plan: every problem of the request, each at its field",
                            "type": "array",
                            "items": _ref("Problem"),
                        },
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {
                        "field": {
                            "type": "string",
                            "description": (
                                "A request field: scenario, seed, course, name, plan, or a plan field prefixed "
                                "with plan. (plan.ttc, plan.components[1].cap_pct, plan.gates[0].applies_to[0])"
                            ),
                        },
                        "message": {"type": "string", "description": "What is wrong, in the session's language"},
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
                **SANDBOX_SCHEMAS,
            },
        },
    }


_PLAN = {
    "type": "object",
    "description": (
        "A bonus plan. Numbers may also be sent as text, with a decimal comma. Percentages of components are "
        "of target attainment (100 = on target); weights add up to 100."
    ),
    "required": ["ttc", "base_salary"],
    "properties": {
        "ttc": {"type": ["number", "string"], "description": "Target total cash per year"},
        "base_salary": {"type": ["number", "string"]},
        "currency": {"type": "string", "description": "Three-letter code, default EUR"},
        "components": {
            "type": "array",
            "maxItems": 6,
            "items": {
                "type": "object",
                "required": ["metric", "weight_pct"],
                "properties": {
                    "metric": {"type": "string"},
                    "weight_pct": {"type": ["number", "string"]},
                    "period": {"type": "string", "enum": ["quarter", "half", "year", "multi_year"]},
                    "credit": {"type": "string", "enum": ["individual", "team", "split"]},
                    "team_share_pct": {"type": ["number", "string"]},
                    "threshold_pct": {"type": ["number", "string", "null"]},
                    "target_pct": {"type": ["number", "string"]},
                    "cap_pct": {"type": ["number", "string", "null"]},
                    "mandate_questions": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "gates": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "condition": {"type": "string"},
                    "applies_to": {"type": "array", "items": {"type": "integer"}},
                },
            },
        },
        "clawback": {
            "type": ["object", "null"],
            "properties": {
                "trigger": {"type": "string"},
                "window_months": {"type": ["integer", "number"]},
                "share_pct": {"type": ["number", "string"]},
            },
        },
        "deferral": {
            "type": ["object", "null"],
            "properties": {"pct": {"type": ["number", "string"]}, "years": {"type": ["integer", "number"]}},
        },
        "indirect_rewards": {"type": "array", "items": {"type": "string"}},
    },
}

_SIMULATION = {
    "type": "object",
    "required": ["selling_effort", "relationship_effort", "retention", "company_value", "plan_cost", "pay"],
    "properties": {
        "selling_effort": _NUMBER,
        "relationship_effort": _NUMBER,
        "relationship_share": _CHANCE,
        "retention": {
            "type": "array",
            "items": _CHANCE,
            "description": "Chance the customer is still buying after 1, 2 and 3 years",
        },
        "company_value": {"type": "number", "description": "Expected value over three years, minus the plan's cost"},
        "plan_cost": {"type": "number", "description": "Expected yearly pay, base included"},
        "pay": {
            "type": "object",
            "description": "The KAM's yearly total pay in the plan's currency",
            "properties": {
                "mean": _NUMBER,
                "sd": _NUMBER,
                "percentiles": {
                    "type": "object",
                    "description": 'Percentile ("5", "25", "50", "75", "95") → pay',
                    "additionalProperties": _NUMBER,
                },
                "gate_pays": {"type": ["number", "null"], "description": "Chance the gate pays; null without one"},
                "thresholds_met": {
                    "type": "array",
                    "description": "Per component: chance its threshold is reached; null without one",
                    "items": {"type": ["number", "null"]},
                },
            },
        },
        "solver": {"type": "string", "enum": ["closed_form", "numeric"]},
    },
}

_DESIGN_PROPERTIES = {
    "id": {"type": "integer"},
    "course_id": {"type": "string"},
    "name": {"type": "string"},
    "scenario": {"type": "string", "description": "The scenario id"},
    "seed": {"type": "integer", "description": "The design's draw of the scenario, kept for every version"},
    "latest_version": {"type": "integer", "description": "0 before the first version"},
    "best_score": {"type": ["number", "null"]},
    "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"},
    "url": {"type": "string"},
}
_DESIGN_REQUIRED = ["id", "name", "scenario", "seed", "latest_version", "best_score", "created_at", "url"]

SANDBOX_SCHEMAS = {
    "Plan": _PLAN,
    "Simulation": _SIMULATION,
    "EvaluateRequest": {
        "type": "object",
        "required": ["scenario", "plan"],
        "properties": {
            "scenario": {"type": "string", "description": "A scenario id, e.g. defend"},
            "seed": {
                "type": "integer",
                "minimum": 0,
                "maximum": 2**31 - 1,
                "description": "The draw of the scenario's numbers (default 0); the same seed gives the same draw",
            },
            "course": {
                "type": "string",
                "description": "A course id: grade with its current rubric weights and link its lessons",
            },
            "plan": _ref("Plan"),
        },
    },
    "Criterion": {
        "type": "object",
        "required": ["id", "title", "verdict", "points", "max_points", "feedback", "lesson"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "verdict": {"type": "string", "enum": ["pass", "partial", "fail"]},
            "points": _NUMBER,
            "max_points": _NUMBER,
            "feedback": {"type": "string"},
            "lesson": {
                "type": "object",
                "properties": {
                    "lesson_id": {"type": "string"},
                    "anchor": {"type": "string"},
                    "url": {
                        "type": ["string", "null"],
                        "description": "The lesson section; null when no course was given",
                    },
                },
            },
        },
    },
    "Evaluation": {
        "type": "object",
        "required": ["scenario", "seed", "parameters", "score", "passed", "pass_score", "criteria", "result"],
        "properties": {
            "scenario": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "title": {"type": "string"}},
            },
            "seed": {"type": "integer"},
            "parameters": {
                "type": "object",
                "description": "The draw's numbers a designer needs",
                "properties": {
                    "budget_ttc": _NUMBER,
                    "p0": _CHANCE,
                    "target_retention": _CHANCE,
                    "team_dependence": _CHANCE,
                },
            },
            "score": _NUMBER,
            "passed": {"type": "boolean"},
            "pass_score": _NUMBER,
            "criteria": {"type": "array", "items": _ref("Criterion")},
            "result": _ref("Simulation"),
            "benchmark": {
                "type": "object",
                "description": "The best plan of the scenario's design space, for comparison",
                "properties": {"plan": _ref("Plan"), "result": _ref("Simulation")},
            },
            "salesperson": {
                "type": "object",
                "description": "The plain salesperson plan at the scenario's budget",
                "properties": {"result": _ref("Simulation")},
            },
        },
    },
    "Design": {"type": "object", "required": _DESIGN_REQUIRED, "properties": _DESIGN_PROPERTIES},
    "DesignList": {
        "type": "object",
        "properties": {"designs": {"type": "array", "items": _ref("Design")}},
    },
    "DesignRequest": {
        "type": "object",
        "required": ["scenario"],
        "properties": {
            "scenario": {"type": "string"},
            "name": {
                "type": "string",
                "maxLength": 120,
                "description": "Default: the scenario's title and a number; no control characters",
            },
            "plan": {"description": "If sent, saved as version 1 (an invalid plan saves nothing)", **_PLAN},
        },
    },
    "CreatedDesign": {
        "type": "object",
        "required": [*_DESIGN_REQUIRED, "version"],
        "properties": {
            **_DESIGN_PROPERTIES,
            "version": {"oneOf": [_ref("Version"), {"type": "null"}]},
        },
    },
    "DesignDetail": {
        "type": "object",
        "required": [*_DESIGN_REQUIRED, "versions", "comments"],
        "properties": {
            **_DESIGN_PROPERTIES,
            "versions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "number": {"type": "integer"},
                        "score": _NUMBER,
                        "passed": {"type": "boolean"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "url": {"type": "string"},
                    },
                },
            },
            "comments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "author": {"type": ["string", "null"]},
                        "body": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "version": {"type": ["integer", "null"], "description": "The version commented on, if any"},
                    },
                },
            },
        },
    },
    "VersionRequest": {"type": "object", "required": ["plan"], "properties": {"plan": _ref("Plan")}},
    "Version": {
        "type": "object",
        "required": ["number", "plan", "score", "passed", "weights_version", "created_at", "evaluation"],
        "properties": {
            "number": {"type": "integer"},
            "plan": _ref("Plan"),
            "score": _NUMBER,
            "passed": {"type": "boolean"},
            "weights_version": {
                "type": ["integer", "null"],
                "description": "The course's rubric weights it was graded with; null: the default weights",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string"},
            "evaluation": _ref("Evaluation"),
        },
    },
}
