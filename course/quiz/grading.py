"""Trainers grade essays: the queue of submitted attempts that wait for them, and one attempt's grading page.

A trainer sees the attempts of the learners they look after (their groups; everyone for admins, and for trainers
on a site without groups). Marks and comments are saved for all of an attempt's essays at once; a grade given
meanwhile by someone else is a conflict, never overwritten (`operations.grading_state`).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField

from course.auth.access import staff_required
from course.core.errors import N_, NotFound
from course.core.quiz import AnswerError, Quiz, pick
from course.core.quiz.numbers import parse_number
from course.extensions import db
from course.groups import operations as groups
from course.i18n import current_language
from course.models import QuizAttempt, User
from course.notifications import operations as notifications
from course.publishing.cache import catalog
from course.quiz import operations
from course.quiz.presenting import translated
from course.quiz.views import bp

MAX_COMMENT = 4000


class GradingForm(FlaskForm):
    """CSRF and the grading state the page was drawn with; the marks and comments are read per essay."""

    base = HiddenField()


@bp.get("/grading")
@staff_required
def queue():
    waiting = operations.awaiting_trainer(groups.learners_in_view(current_user))
    learner_ids = {attempt.user_id for attempt in waiting}
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(learner_ids))).all())
    lang = current_language()
    rows = [
        {"attempt": attempt, "learner": names.get(attempt.user_id, "–"), "quiz": _quiz_title(attempt, lang)}
        for attempt in waiting
    ]
    return render_template("quiz/grading_queue.html", rows=rows)


def _quiz_title(attempt: QuizAttempt, lang: str) -> str:
    try:
        return catalog().course(attempt.course_id).quiz(attempt.quiz_id).title(lang)
    except NotFound:
        return attempt.quiz_id


def _grading_context(attempt_id: int, *, for_update: bool = False) -> tuple[QuizAttempt, Quiz, User]:
    """The attempt, its quiz revision and its learner; 404 for an attempt the trainer may not see."""
    attempt = operations.attempt_to_grade(attempt_id, for_update=for_update)
    if not groups.may_see_learner(current_user, attempt.user_id):
        raise NotFound(N_("There is no such attempt."))
    course = catalog().course(attempt.course_id)
    return attempt, operations.quiz_of(attempt, course), db.session.get(User, attempt.user_id)


@bp.route("/grading/<int:attempt_id>", methods=["GET", "POST"])
@staff_required
def grade(attempt_id: int):
    attempt, quiz, learner = _grading_context(attempt_id, for_update=request.method == "POST")
    essays = operations.graded_by_trainer(quiz, attempt)
    if not essays:
        raise NotFound(N_("There is no such attempt."))
    form = GradingForm()
    if request.method == "GET":
        form.base.data = operations.grading_state(attempt)
        return _page(attempt, quiz, learner, essays, form)
    if not form.validate_on_submit():
        return _page(attempt, quiz, learner, essays, form, status=400)
    marks, errors = _read_marks(quiz, essays)
    if errors:
        db.session.rollback()
        return _page(attempt, quiz, learner, essays, form, errors=errors, status=400)
    try:
        complete = operations.grade_essays(attempt, quiz, marks, current_user.id, form.base.data or "")
    except operations.GradingConflict as conflict:
        db.session.rollback()
        attempt, quiz, learner = _grading_context(attempt_id)
        form.base.data = operations.grading_state(attempt)  # the next save is made knowing the other grade
        return _page(attempt, quiz, learner, essays, form, conflict=translated(conflict), status=409)
    notifications.notify(
        [attempt.user_id],
        "essay_graded",
        f"graded:{attempt.id}:{operations.grading_state(attempt)}",
        {"course_id": attempt.course_id, "quiz_id": attempt.quiz_id, "attempt_id": attempt.id},
    )
    db.session.commit()
    flash(_("Graded: the learner's result counts now.") if complete else _("Saved."), "info")
    return redirect(url_for("quiz.queue"))


def _read_marks(quiz: Quiz, essays: list[str]) -> tuple[dict[str, operations.TrainerMark], dict[str, str]]:
    """Each essay's mark (0 to its points, in the trainer's way of writing numbers) and comment."""
    marks, errors = {}, {}
    lang = current_language()
    for question_id in essays:
        points = quiz.question(question_id).points
        text = (request.form.get(f"mark-{question_id}") or "").strip()
        comment = (request.form.get(f"comment-{question_id}") or "").replace("\r\n", "\n").strip()
        if len(comment) > MAX_COMMENT:
            errors[question_id] = _("Keep the comment to %(limit)d characters.", limit=MAX_COMMENT)
            continue
        try:
            mark = parse_number(text, lang) if text else None
        except AnswerError:
            mark = None
        if mark is None or not 0 <= mark <= points:
            errors[question_id] = _("Give a mark from 0 to %(points)s points.", points=f"{points:g}")
            continue
        marks[question_id] = operations.TrainerMark(mark, comment)
    return marks, errors


def _page(
    attempt: QuizAttempt,
    quiz: Quiz,
    learner: User,
    essays: list[str],
    form: GradingForm,
    *,
    errors: dict[str, str] | None = None,
    conflict: str | None = None,
    status: int = 200,
):
    lang = current_language()
    saved = operations.saved_answers(attempt)
    items = []
    for question_id in essays:
        question = quiz.question(question_id)
        answer = saved.get(question_id)
        items.append(
            {
                "id": question_id,
                "text": pick(question.text, lang),
                "rubric": pick(question.spec.rubric, lang) if question.spec.rubric else None,
                "points": question.points,
                "answer": answer.response if answer else None,
                "mark": answer.mark if answer and answer.graded_at else None,
                "comment": answer.comment if answer else None,
                "typed_mark": request.form.get(f"mark-{question_id}") if request.method == "POST" else None,
                "typed_comment": request.form.get(f"comment-{question_id}") if request.method == "POST" else None,
                "error": (errors or {}).get(question_id),
            }
        )
    return (
        render_template(
            "quiz/grade.html",
            attempt=attempt,
            quiz=quiz,
            learner=learner,
            items=items,
            form=form,
            conflict=conflict,
            max_comment=MAX_COMMENT,
        ),
        status,
    )
