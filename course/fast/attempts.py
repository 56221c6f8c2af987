"""Closing a quiz attempt with one UPDATE built once, and the new values set on the loaded row as committed.

The plain way (`quiz/operations.close_attempt`) is an ORM UPDATE that also brings the session's copy up to
date; SQLAlchemy's ORM bulk-update machinery costs about 0.5 ms per call, more than a third of a whole submission
(bench/fast_paths.py, "quiz submissions"). Both close only a still open attempt, so a second tab's submit
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from course.extensions import db
from course.models import QuizAttempt

CLOSED_FIELDS = ("status", "submitted_at", "score", "max_score", "percent", "passed", "answers")
_ATTEMPTS = QuizAttempt.__table__
CLOSE = (  # a still open attempt, with the new values of CLOSED_FIELDS
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"), _ATTEMPTS.c.status == "open")
    .values({name: bindparam(f"new_{name}") for name in CLOSED_FIELDS})
)


def close_attempt(attempt: QuizAttempt, values: Mapping[str, object]) -> bool:
    """Close `attempt` with `values` (exactly CLOSED_FIELDS) if it is still open; False if it was not."""
    if values.keys() != set(CLOSED_FIELDS):
        # A field the statement does not write would be marked as stored below while the row never got it.
        raise ValueError(f"closing an attempt writes exactly {', '.join(CLOSED_FIELDS)}, not {', '.join(values)}")
    done = db.session.execute(CLOSE, {"attempt_id": attempt.id, **{f"new_{k}": v for k, v in values.items()}})
    if done.rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(attempt, key, value)  # what the row now holds: no reload, no second UPDATE at commit
    return True
