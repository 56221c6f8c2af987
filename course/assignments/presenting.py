"""A learner's due date as the home page and the course overview show it."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_date

from course.assignments.operations import Due
from course.core.assignments import days_left, is_overdue, local_day
from course.models import utcnow


@dataclass(frozen=True)
class DueView:
    """Plain data for a template (and a page shell's key): the due day in the reader's language, and where the
    learner stands."""

    day: str
    days_left: int
    overdue: bool
    completed: bool


def due_view(due: Due, completed: bool) -> DueView:
    now = utcnow()
    return DueView(
        day=format_date(local_day(due.due_at, due.time_zone), format="long"),
        days_left=days_left(due.due_at, due.time_zone, now),
        overdue=is_overdue(due.due_at, now),
        completed=completed,
    )
