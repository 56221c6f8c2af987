"""JSON API v1 for quizzes: the same operations as the pages, for scripts and other clients.

Authentication is the browser session (log in through the site); every POST carries the CSRF token in
the `X-CSRFToken` header, which `GET /api/v1/session` returns. The login is checked before the token, so a
client that is not logged in hears 401 as the OpenAPI document says, not a CSRF 400. Answer keys appear only
in results.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course.api.openapi import openapi_document
from course.assignments.operations import visible_course
from course.core.catalog import Course
from course.core.errors import CourseError
from course.core.quiz import AttemptRefused, Quiz, read_answers
from course.extensions import csrf, db
from course.forms import shown_name, unstorable
from course.i18n import current_language
from course.models import QuizAttempt
from course.quiz import operations
from course.quiz.presenting import QuestionView, question_views, translated
from course.security import csrf_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked in require_login, after the login: see the module docstring


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.details = status, error, message, details


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return jsonify(error=error.error, message=error.message, **error.details), error.status


@bp.before_request
def require_login():
    if request.endpoint not in {"api.openapi", "api.session"} and not current_user.is_authenticated:
        raise ApiError(401, "unauthenticated", _("Log in first."))
    config = current_app.config
    if config["WTF_CSRF_ENABLED"] and request.method in config["WTF_CSRF_METHODS"]:
        csrf.protect()  # a CSRFError: the app's 400 (course/errors.py)
    return None


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/session")
def session():
    user = current_user._get_current_object()
    return jsonify(
        authenticated=user.is_authenticated,
        user={"name": user.display_name, "role": user.role} if user.is_authenticated else None,
        csrf_token=csrf_token(),
        language=current_language(),
    )


@bp.get("/courses/<course_id>/quizzes/<quiz_id>")
def quiz_info(course_id: str, quiz_id: str):
    course = visible_course(course_id)
    quiz = course.quiz(quiz_id)
    standing = operations.standing(current_user, course, quiz)
    return jsonify(
        id=quiz.id,
        course_id=course.id,
        title=quiz.title(current_language()),
        questions_per_attempt=quiz.questions_per_attempt,
        pass_percent=quiz.pass_percent,
        max_attempts=quiz.max_attempts,
        cooldown_minutes=quiz.cooldown_minutes,
        best_percent=standing.best_percent,
        passed=standing.passed,
        attempts_left=standing.attempts_left,
        next_attempt_at=standing.ready_at.isoformat() if standing.ready_at else None,
        attempts=[_attempt_summary(attempt) for attempt in standing.attempts],
    )


@bp.post("/courses/<course_id>/quizzes/<quiz_id>/attempts")
def start_attempt(course_id: str, quiz_id: str):
    course = visible_course(course_id)
    quiz = course.quiz(quiz_id)
    try:
        attempt, created = operations.start_attempt(current_user, course, quiz)
    except AttemptRefused as error:
        raise ApiError(409, "attempt_refused", translated(error)) from None
    db.session.commit()
    return _attempt_document(attempt, course, quiz), 201 if created else 200


@bp.get("/attempts/<int:attempt_id>")
def get_attempt(attempt_id: int):
    attempt, course, quiz = _context(attempt_id)
    return _attempt_document(attempt, course, quiz)


@bp.post("/attempts/<int:attempt_id>/answers")
def save_answers(attempt_id: int):
    """Save answers without grading them (e.g. while the learner works)."""
    attempt, course, quiz = _context(attempt_id, for_update=True)
    responses = _read_answers(attempt, quiz, _body().get("answers"))
    _do(operations.save_responses, attempt, quiz, responses)
    db.session.commit()
    return _attempt_document(attempt, course, quiz)


@bp.post("/attempts/<int:attempt_id>/questions/<question_id>/check")
def check_question(attempt_id: int, question_id: str):
    """Grade one question now and lock its answer; returns its feedback and the right answer."""
    attempt, course, quiz = _context(attempt_id, for_update=True)
    body = _body()
    if "answer" not in body:
        raise ApiError(422, "invalid_body", _('Send the answer as {"answer": …}.'))
    if question_id not in {slot.question_id for slot in operations.layout_of(attempt)}:
        raise ApiError(404, "not_found", _("This attempt has no question %(id)s.", id=question_id))
    responses = _read_answers(attempt, quiz, {question_id: body["answer"]})
    if responses[question_id] is None:
        raise ApiError(
            422,
            "invalid_answers",
            _("Some answers cannot be read."),
            questions={question_id: _("Answer the question before you check it.")},
        )
    _do(operations.check_question, attempt, quiz, question_id, responses[question_id])
    db.session.commit()
    view = next(v for v in question_views(attempt, course, quiz, current_language()) if v.question_id == question_id)
    return jsonify(_question_document(view))


@bp.post("/attempts/<int:attempt_id>/submit")
def submit(attempt_id: int):
    attempt, course, quiz = _context(attempt_id, for_update=True)
    body = _body()
    responses = _read_answers(attempt, quiz, body.get("answers", {}))
    allow_unanswered = body.get("allow_unanswered", False)
    if not isinstance(allow_unanswered, bool):
        raise ApiError(422, "invalid_body", _("allow_unanswered must be true or false."))
    _do(operations.require_open, attempt)
    numbers = operations.unanswered(attempt, quiz, responses)
    if numbers and not allow_unanswered:
        layout = operations.layout_of(attempt)
        unanswered = [layout[number - 1].question_id for number in numbers]
        raise ApiError(
            422,
            "unanswered",
            _("Some questions have no answer. Answer them, or send allow_unanswered: true (they score 0)."),
            questions=unanswered,
        )
    operations.submit_attempt(attempt, quiz, responses)
    db.session.commit()
    return _result_document(attempt, course, quiz)


@bp.get("/attempts/<int:attempt_id>/result")
def result(attempt_id: int):
    attempt, course, quiz = _context(attempt_id)
    if attempt.status == "open":
        raise ApiError(409, "not_submitted", _("This attempt has not been submitted yet."))
    return _result_document(attempt, course, quiz)


def _context(attempt_id: int, *, for_update: bool = False) -> tuple[QuizAttempt, Course, Quiz]:
    attempt = operations.own_attempt(attempt_id, current_user, for_update=for_update)
    course = visible_course(attempt.course_id)
    return attempt, course, operations.quiz_of(attempt, course)


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _value in pairs]
    if len(set(keys)) != len(keys):
        raise _DuplicateKey(next(key for key in keys if keys.count(key) > 1))
    return dict(pairs)


def _body() -> dict:
    """The JSON object sent; a field sent twice is refused rather than silently taking the last one."""
    if not request.is_json:
        raise ApiError(415, "invalid_body", _("Send a JSON object with Content-Type: application/json."))
    try:
        body = json.loads(request.get_data(cache=True), object_pairs_hook=_unique_keys)
    except _DuplicateKey as error:
        raise ApiError(400, "duplicate_field", _("The field %(name)s was sent twice.", name=str(error))) from None
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ApiError(400, "invalid_body", _("The body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", _("Send a JSON object with Content-Type: application/json."))
    field = _unstorable_field(body)
    if field is not None:
        raise ApiError(
            400,
            "invalid_text",
            _("The field %(name)s contains a character that cannot be stored (a zero byte).", name=field),
            field=field,
        )
    return body


def _unstorable_field(body: dict) -> str | None:
    """The path (`answers.q1`, `plan.components[0].metric`) of the first key or text the database cannot store.

    Iterative: a body nested as deep as the JSON parser allows must not exhaust the stack here."""
    pending: list[tuple[str, object]] = [("", body)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and unstorable(value):
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                inner = f"{path}.{key}" if path else key
                if unstorable(key):
                    return shown_name(inner)
                pending.append((inner, item))
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None


def _read_answers(attempt: QuizAttempt, quiz: Quiz, answers: object) -> dict[str, object]:
    """Validate every answer before anything is stored: all or nothing, with a reason per question."""
    if not isinstance(answers, dict):
        raise ApiError(422, "invalid_body", _("answers must be an object: question id → answer."))
    layout = operations.layout_of(attempt)
    known = {slot.question_id for slot in layout}
    unknown = sorted(str(key) for key in answers if key not in known)
    if unknown:
        raise ApiError(422, "unknown_questions", _("This attempt has no such questions."), questions=unknown)
    responses, errors = read_answers(quiz, layout, answers, current_language())
    if errors:
        raise ApiError(
            422,
            "invalid_answers",
            _("Some answers cannot be read."),
            questions={question_id: translated(error) for question_id, error in errors.items()},
        )
    return responses


def _do(operation, *args: object) -> object:  # noqa: ANN001 - an operations function
    try:
        return operation(*args)
    except (operations.AttemptClosed, operations.AnswerLocked) as error:
        db.session.rollback()
        code = "attempt_closed" if isinstance(error, operations.AttemptClosed) else "answer_locked"
        raise ApiError(409, code, translated(error)) from None
    except CourseError:
        db.session.rollback()
        raise


def _attempt_summary(attempt: QuizAttempt) -> dict:
    return {
        "id": attempt.id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at.isoformat(),
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "percent": attempt.percent,
        "passed": attempt.passed,
        "url": url_for("api.get_attempt", attempt_id=attempt.id),
    }


def _question_document(view: QuestionView) -> dict:
    document = {
        "id": view.question_id,
        "number": view.number,
        "type": view.type,
        "points": view.points,
        "text": view.text,
        **view.public,
        "answer": view.value,
        "checked": view.checked,
    }
    if view.revealed:
        document["result"] = {
            "verdict": view.verdict,
            "mark": view.mark,
            "feedback": view.feedback,
            "explanation": view.explanation,
            "review": view.review,
            "lesson": {"url": view.lesson_url, "title": view.lesson_title} if view.lesson_url else None,
        }
    return document


def _attempt_document(attempt: QuizAttempt, course: Course, quiz: Quiz):
    views = question_views(attempt, course, quiz, current_language())
    return jsonify(
        **_attempt_summary(attempt),
        course_id=course.id,
        quiz_id=quiz.id,
        title=quiz.title(current_language()),
        pass_percent=quiz.pass_percent,
        questions=[_question_document(view) for view in views],
    )


def _result_document(attempt: QuizAttempt, course: Course, quiz: Quiz):
    views = question_views(attempt, course, quiz, current_language(), reveal=True)
    return jsonify(
        **_attempt_summary(attempt),
        course_id=course.id,
        quiz_id=quiz.id,
        score=attempt.score,
        max_score=attempt.max_score,
        pass_percent=quiz.pass_percent,
        questions=[_question_document(view) for view in views],
    )
