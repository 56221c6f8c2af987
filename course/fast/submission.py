"""A learner's quiz submission, graded and written by the page lane without Flask's request handling or the ORM.

Through Flask a submission took about 4.2 ms in-process on SQLite, and on SQLite it held the database's one
write lock for most of that: it takes the lock before it reads the attempt (`own_attempt(…, for_update=True)`),
so that no other request changes the answers it merges into. Two workers could barely overlap.

Here the lane reads the learner and the attempt in one statement without a lock (course/fast/attempt_page.py),
reads the form and grades with the view's own functions, and then writes in one short transaction: the UPDATE
that closes the attempt requires it still open and its stored answers unchanged since the read (their text,
compared by the database), then the best result and the statistics rows, with the statements the ORM path runs.
If another tab saved, checked or submitted in between, the UPDATE changes nothing, the transaction is rolled back,
and Flask serves the request under its lock as always.

`submit` answers only a plain, complete submission: the form has `submit` and no `check`, every answer reads
without an error, every question is answered or the learner confirmed, no essay waits for a trainer, and no
integration (LMS, LRS, webhook) wants to hear of the attempt or of the course it completes. Anything else is
Flask's, with nothing written.
"""

from __future__ import annotations

from sqlalchemy import Text, bindparam, cast
from werkzeug.datastructures import MultiDict

from course import events
from course.core.quiz import Quiz
from course.extensions import db
from course.fast.attempt_page import AttemptSnapshot
from course.fast.attempts import CLOSE
from course.models import QuizAttempt
from course.quiz.operations import (
    ANSWER_ROWS,
    SubmittedAttempt,
    answer_row_values,
    best_result_upsert,
    best_result_values,
    graded_submission,
    layout_of,
    submitted_event,
    unanswered,
)
from course.quiz.views import read_form

# The attempt's UPDATE on submission, only while its answers are still the text the lane read.
_CLOSE_UNCHANGED = CLOSE.where(cast(QuizAttempt.__table__.c.answers, Text) == bindparam("answers_text", type_=Text))


class _Changed(Exception):  # noqa: N818 - not an error: Flask serves the request
    """Another request changed the attempt after the lane read it."""


def submit(attempt: AttemptSnapshot, quiz: Quiz, form: MultiDict, lang: str) -> bool:
    """Submit the learner's open `attempt` as `quiz.views.answer` would for this form; False, with nothing
    written, for a request Flask must answer."""
    if attempt.answers_text is None or "submit" not in form or "check" in form:
        return False
    _raw, responses, errors = read_form(form, quiz, layout_of(attempt), lang)
    if errors or (unanswered(attempt, quiz, responses) and form.get("confirm") != "1"):
        return False  # Flask shows the messages, or asks about the unanswered questions
    submission = graded_submission(attempt, quiz, responses)
    if submission.pending:
        return False
    closed = submission.closed
    submitted = SubmittedAttempt(
        attempt.id,
        attempt.user_id,
        attempt.course_id,
        attempt.quiz_id,
        attempt.number,
        **{name: closed[name] for name in ("submitted_at", "score", "max_score", "percent", "passed", "answers")},
    )
    told = events.wanted(submitted_event(submitted, quiz, submission.layout, submission.answers))
    if told or (
        submitted.passed
        and events.wanted(events.CourseCompleted(attempt.user_id, attempt.course_id, submitted.submitted_at))
    ):
        return False  # Flask tells them, in the same transaction as the submission
    try:
        with db.engine.begin() as connection:
            new = {f"new_{name}": value for name, value in closed.items()}
            done = connection.execute(
                _CLOSE_UNCHANGED, {"attempt_id": attempt.id, "answers_text": attempt.answers_text, **new}
            )
            if done.rowcount != 1:
                raise _Changed
            connection.execute(best_result_upsert(connection.dialect.name), best_result_values(submitted))
            rows = answer_row_values(submitted)
            if rows:  # an empty parameter list would insert one row of defaults
                connection.execute(ANSWER_ROWS, rows)
    except _Changed:
        return False
    return True
