"""The quiz attempt page reads its attempt as a snapshot, with one precompiled query on the bare driver.

The plain way (`quiz/operations.own_attempt`) loads the ORM `QuizAttempt` through the session: SQLAlchemy's
execution layer, the identity map and the session's connection, given back at the end of the request, were more
than a third of the page (the WSGI app called with a prepared request on SQLite: 0.85 ms with them, 0.54 ms
without). The page only reads the attempt, so it gets the columns it shows
(its quiz and revision, number, status, layout and saved answers) as a frozen snapshot with the model's names:
`quiz/presenting` and `quiz/operations.quiz_of` read either. Requests that change an attempt load the row itself,
under its lock.

The page lane (course/fast/lane.py) reads the learner and the attempt in one statement (`learner_and_attempt`):
on PostgreSQL each read is a round trip, and a sync worker waits through it. In-process on PostgreSQL that took
the page from about 0.95 to 0.72 ms (docs/architecture.md, "Fast paths").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Text, bindparam, cast, select, true

from course.extensions import db
from course.fast.query import FastQuery
from course.fast.request_user import RequestUser, constant, request_user_of, request_user_query, session_params
from course.models import QuizAttempt, Webhook


@dataclass(frozen=True)
class AttemptSnapshot:
    """What the attempt page reads of one attempt, under the model's attribute names."""

    id: int
    user_id: int
    course_id: str
    quiz_id: str
    number: int
    revision_id: int
    status: str
    layout: list
    answers: dict
    # The answers as the database holds them, for a write that must find them unchanged (the page lane's read)
    answers_text: str | None = None


# The columns, in the snapshot's order (the stored text is only the lane's read)
_FIELDS = tuple(field.name for field in fields(AttemptSnapshot) if field.name != "answers_text")
_OWN_ATTEMPT = FastQuery(
    select(*(getattr(QuizAttempt, name) for name in _FIELDS)).where(
        QuizAttempt.id == bindparam("attempt_id"), QuizAttempt.user_id == bindparam("user_id")
    )
)


def _json(value: Any) -> Any:  # noqa: ANN401 - a JSON column's value
    """A JSON column as the driver gives it: text on SQLite, already decoded by psycopg on PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def own_attempt(attempt_id: int, user_id: int) -> AttemptSnapshot | None:
    """The user's own attempt, or None (someone else's is missing to them, as in the plain path)."""
    rows = _OWN_ATTEMPT.all(db.engine, attempt_id=attempt_id, user_id=user_id)
    if not rows:
        return None
    *plain, layout, answers = rows[0]
    return AttemptSnapshot(*plain, layout=_json(layout), answers=_json(answers) or {})


# The learner's snapshot query with the attempt as one more branch: (course, quiz, "attempt", then the rest).
_ATTEMPT_BRANCH = select(
    QuizAttempt.course_id,
    QuizAttempt.quiz_id,
    constant("attempt"),
    *(getattr(QuizAttempt, name).label(f"attempt_{name}") for name in ("number", "revision_id", "status", "layout")),
    cast(QuizAttempt.answers, Text).label("attempt_answers"),  # the stored text, which the submission compares
).where(QuizAttempt.id == bindparam("attempt_id"), QuizAttempt.user_id == bindparam("user_id"))
_LEARNER_AND_ATTEMPT = request_user_query(_ATTEMPT_BRANCH)
# For a submission, also each active webhook's events ("", the events' JSON, "webhook"): whether one wants to hear
# of the course the submission may complete, asked without a round trip of its own (course/fast/integrations.py).
_LEARNER_ATTEMPT_AND_WEBHOOKS = request_user_query(
    _ATTEMPT_BRANCH,
    select(constant(""), cast(Webhook.events, Text), constant("webhook")).where(Webhook.active.is_(true())),
)


def learner_and_attempt(
    user_id: int, token_hash: str, session_id: str, attempt_id: int, *, webhooks: bool = False
) -> tuple[RequestUser | None, AttemptSnapshot | None, list[list[str]] | None]:
    """What `request_user.load_request_user` and `own_attempt` would read, in one statement: the learner if the
    session is live, and their own attempt if there is one (None for someone else's, as in `own_attempt`); with
    `webhooks`, the events each active webhook chose, as `integrations.active_webhook_events` reads them (None
    without)."""
    query = _LEARNER_ATTEMPT_AND_WEBHOOKS if webhooks else _LEARNER_AND_ATTEMPT
    rows = query.all(db.engine, attempt_id=attempt_id, **session_params(user_id, token_hash))
    user = request_user_of(rows, session_id)
    chosen = [json.loads(row[6]) or [] for row in rows if row[7] == "webhook"] if webhooks else None
    found = next((row[5:] for row in rows if row[7] == "attempt"), None)
    if found is None:
        return user, None, chosen
    course_id, quiz_id, _kind, number, revision_id, status, layout, answers = found
    attempt = AttemptSnapshot(
        attempt_id,
        user_id,
        course_id,
        quiz_id,
        number,
        revision_id,
        status,
        _json(layout),
        json.loads(answers) or {},
        answers_text=answers,
    )
    return user, attempt, chosen
