"""Taking quizzes in the browser: quiz page, attempt (answer, check, submit) and review."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from course.assignments.operations import visible_course
from course.core.catalog import Course
from course.core.errors import CourseError
from course.core.quiz import AnswerError, AttemptRefused, Quiz, Slot, read_answers, whole_percent
from course.extensions import db
from course.forms import whole_number
from course.i18n import current_language
from course.learn.guide import sidebar_html
from course.models import CurrentUser, QuizAttempt
from course.pages import render_page
from course.quiz import operations
from course.quiz.fields import read_form_value
from course.quiz.presenting import navigator_html, question_html, question_views, questions_html, translated

bp = Blueprint("quiz", __name__)


@bp.app_template_filter("points")
def points(value: float | None) -> str:
    """Points and percentages as the learner's language writes them: 2, 1,5 / 1.5, 66,67 / 66.67."""
    return format_decimal(value or 0, format="#,##0.##")


@bp.app_template_filter("pass_mark")
def pass_mark(value: float) -> str:
    """A whole percentage, "75 %": the no-break space keeps the number and its sign on one line."""
    return f"{format_decimal(value, format='#,##0')}\u00a0%"


@bp.app_template_filter("score_percent")
def score_percent(attempt: QuizAttempt, pass_percent: int) -> str:
    """A submitted attempt's score as a whole percentage that agrees with its result (see `whole_percent`)."""
    shown = whole_percent(
        attempt.percent or 0.0,
        full_marks=(attempt.score or 0.0) >= (attempt.max_score or 0.0) > 0,
        passed=bool(attempt.passed),
        pass_percent=pass_percent,
    )
    return pass_mark(shown)


@bp.get("/courses/<course_id>/quizzes/<quiz_id>")
def show(course_id: str, quiz_id: str):
    course = visible_course(course_id)
    quiz = course.quiz(quiz_id)
    user = current_user._get_current_object()
    standing = operations.standing(user, course, quiz) if user.is_authenticated else None
    return render_template("quiz/show.html", course=course, quiz=quiz, standing=standing)


@bp.post("/courses/<course_id>/quizzes/<quiz_id>/attempts")
@login_required
def start(course_id: str, quiz_id: str):
    course = visible_course(course_id)
    quiz = course.quiz(quiz_id)
    try:
        attempt, _created = operations.start_attempt(current_user, course, quiz)
    except AttemptRefused as error:
        flash(translated(error), "error")
        return redirect(url_for("quiz.show", course_id=course_id, quiz_id=quiz_id))
    db.session.commit()
    return redirect(url_for("quiz.take", attempt_id=attempt.id))


def _attempt_context(attempt_id: int, *, for_update: bool = False) -> tuple[QuizAttempt, Course, Quiz]:
    return _with_quiz(operations.own_attempt(attempt_id, current_user, for_update=for_update))


def _with_quiz(attempt: operations.A) -> tuple[operations.A, Course, Quiz]:
    """The attempt with its course and the quiz revision it started on."""
    course = visible_course(attempt.course_id)
    return attempt, course, operations.quiz_of(attempt, course)


@bp.get("/attempts/<int:attempt_id>")
@login_required
def take(attempt_id: int):
    attempt, course, quiz = _with_quiz(operations.attempt_to_show(attempt_id, current_user))
    if attempt.status != "open":
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    return _take_page(attempt, course, quiz)


TAKE_TEMPLATE = "quiz/take.html"


def _take_page(
    attempt: operations.ShownAttempt,
    course: Course,
    quiz: Quiz,
    raw: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
):
    holes, context = take_page(
        attempt,
        course,
        quiz,
        current_user._get_current_object(),
        current_language(),
        raw=raw,
        errors=errors,
        confirm=request.args.get("confirm") == "1",
    )
    return render_page(TAKE_TEMPLATE, holes, per_path=False, **context), status


def take_page(
    attempt: operations.ShownAttempt,
    course: Course,
    quiz: Quiz,
    user: CurrentUser,
    lang: str,
    *,
    raw: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    confirm: bool = False,
) -> tuple[dict[str, Callable[[], str]], dict[str, object]]:
    """An attempt page's own holes and its context, for the view and for the page lane (course/fast/lane.py), which
    serves a learner's open attempt without Flask's request handling. `confirm`: the learner is asked to submit
    with questions unanswered."""
    views = question_views(attempt, course, quiz, lang, raw=raw, errors=errors)
    unanswered = tuple(view.number for view in views if not view.answered)
    confirm = confirm and bool(unanswered)
    # One shell for every attempt on this quiz revision with the same number and notices; what is the attempt's
    # own (its questions in their order with the answers, the navigator, where the form posts) fills holes.
    # `_external=False`: relative in the lane too, which builds URLs without a request.
    holes = {
        "course_path": lambda: sidebar_html(course, lang, ("quiz", quiz.id), True, user=user),
        "navigator": lambda: navigator_html(views, lang),
        "questions": lambda: questions_html(views, lang),
        "action": lambda: escape(url_for("quiz.answer", attempt_id=attempt.id, _external=False)),
    }
    context = {
        "course": course,
        "quiz": quiz,
        "number": attempt.number,
        "error_count": len(errors or {}),
        "confirm": confirm,
        "unanswered": unanswered if confirm else (),
        "lang": lang,
        "authenticated": True,
    }
    return holes, context


@bp.post("/attempts/<int:attempt_id>")
@login_required
def answer(attempt_id: int):
    """One form for the whole attempt: `check` grades one question, `submit` the attempt, else save."""
    attempt, course, quiz = _attempt_context(attempt_id, for_update=True)
    if attempt.status != "open":
        flash(_("This attempt was already submitted; here is its review."), "info")
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    lang = current_language()
    slots = operations.layout_of(attempt)
    raw, responses, errors = _read_form(quiz, slots, lang)
    checked = _checked_slot(slots)
    if checked is not None and checked.question_id not in errors and responses.get(checked.question_id) is None:
        errors[checked.question_id] = _("Answer the question before you check it.")
    if errors:
        db.session.rollback()
        if checked is not None and _from_script() and set(errors) == {checked.question_id}:
            return _question_fragment(attempt, course, quiz, checked.question_id, raw=raw, errors=errors, status=400)
        # Another question's answer is unreadable: the whole page shows every message (the script reloads it).
        return _take_page(attempt, course, quiz, raw=raw, errors=errors, status=422 if _from_script() else 400)
    if checked is not None:
        operations.save_responses(attempt, quiz, {k: v for k, v in responses.items() if k != checked.question_id})
        try:
            operations.check_question(attempt, quiz, checked.question_id, responses.get(checked.question_id))
        except CourseError as error:
            flash(translated(error), "error")
        db.session.commit()
        position = [slot.question_id for slot in slots].index(checked.question_id) + 1
        if _from_script():
            return _question_fragment(attempt, course, quiz, checked.question_id)
        return redirect(url_for("quiz.take", attempt_id=attempt.id, _anchor=f"q{position}"))
    if "submit" in request.form:
        unanswered = operations.unanswered(attempt, quiz, responses)
        if unanswered and request.form.get("confirm") != "1":
            operations.save_responses(attempt, quiz, responses)
            db.session.commit()
            flash(
                _(
                    "Not answered yet: %(numbers)s. Answer them, or submit anyway: they score 0.",
                    numbers=", ".join(map(str, unanswered)),
                ),
                "warning",
            )
            return redirect(url_for("quiz.take", attempt_id=attempt.id, confirm=1, _anchor="submit"))
        operations.submit_attempt(attempt, quiz, responses)
        attempt_id = attempt.id  # read before the commit expires the row
        db.session.commit()
        return redirect(url_for("quiz.review", attempt_id=attempt_id))
    operations.save_responses(attempt, quiz, responses)
    db.session.commit()
    flash(_("Your answers are saved."), "info")
    return redirect(url_for("quiz.take", attempt_id=attempt.id))


def _checked_slot(slots: tuple[Slot, ...]) -> Slot | None:
    value = request.form.get("check")
    if value is None:
        return None
    number = whole_number(value, 1, len(slots))
    if number is None:
        abort(400)
    return slots[number - 1]


def _read_form(quiz: Quiz, slots: tuple[Slot, ...], lang: str) -> tuple[dict, dict, dict]:
    """Each question's form fields → (raw values to show again, stored responses, message per question)."""
    raw, responses, errors = read_form(request.form, quiz, slots, lang)
    return raw, responses, {question_id: translated(error) for question_id, error in errors.items()}


def read_form(
    form: MultiDict, quiz: Quiz, slots: tuple[Slot, ...], lang: str
) -> tuple[dict[str, object], dict[str, object], dict[str, AnswerError]]:
    """Each question's form fields → (raw values to show again, stored responses, error per question)."""
    raw, form_errors = {}, {}
    for number, slot in enumerate(slots, start=1):
        try:
            raw[slot.question_id] = read_form_value(form, quiz.question(slot.question_id).type, f"q{number}")
        except AnswerError as error:
            form_errors[slot.question_id] = error
    responses, errors = read_answers(quiz, slots, raw, lang)
    errors.update(form_errors)
    return raw, responses, errors


def _from_script() -> bool:
    """The page script checks a question in place and wants only that question back."""
    return request.headers.get("X-Requested-With") == "fetch"


def _question_fragment(
    attempt: QuizAttempt,
    course: Course,
    quiz: Quiz,
    question_id: str,
    raw: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
):
    """For the page script: just the checked question, drawn by the same macro as the full page."""
    lang = current_language()
    views = question_views(attempt, course, quiz, lang, raw=raw, errors=errors)
    view = next(view for view in views if view.question_id == question_id)
    return question_html(view, len(views), lang), status


@bp.get("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    attempt, course, quiz = _attempt_context(attempt_id)
    if attempt.status == "open":
        return redirect(url_for("quiz.take", attempt_id=attempt.id))
    standing = operations.standing(current_user, course, quiz)
    return render_template(
        "quiz/review.html",
        course=course,
        quiz=quiz,
        attempt=attempt,
        questions=question_views(attempt, course, quiz, current_language(), reveal=True),
        standing=standing,
    )
