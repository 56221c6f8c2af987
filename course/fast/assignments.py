"""A learner's assignments as the home page reads them, on the bare driver.

Every logged-in visit of `/` asks which assigned courses the learner may see and when each is due
(`assignments/operations.reach`). Through the session, building that SELECT on every call, loading the assignments
as ORM objects and the transaction around the read were about a third of the home page in-process (SQLite: the
page 1.5 → 0.6–0.8 ms with this and the home page's second, identical read gone). The columns come converted by
their types (`FastQuery(typed=True)`): dates aware and in UTC, as the model gives them. The plain path runs the same
statement through the session.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select

from course.extensions import db
from course.fast.query import FastQuery
from course.models import CourseAssignment, GroupMembership

# (course id, starts at, due at, time zone, the user's role in the group), soonest due first.
REACH = (
    select(
        CourseAssignment.course_id,
        CourseAssignment.starts_at,
        CourseAssignment.due_at,
        CourseAssignment.time_zone,
        GroupMembership.role_in_group,
    )
    .join(GroupMembership, GroupMembership.group_id == CourseAssignment.group_id)
    .where(GroupMembership.user_id == bindparam("user_id"))
    .order_by(CourseAssignment.due_at, CourseAssignment.id)
)
_REACH = FastQuery(REACH, typed=True)


def reach_rows(user_id: int) -> list[tuple]:
    """The rows of `REACH` for the user."""
    return _REACH.all(db.engine, user_id=user_id)
