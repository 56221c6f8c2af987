"""Assigning courses to groups with a due date, and who may see a course that is only for the groups it is assigned
to. Every change is in the audit log with the dates before and after; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from course import fast
from course.audit import operations as audit
from course.core.assignments import Schedule, has_started, local_day
from course.core.catalog import Course
from course.core.errors import NotFound
from course.extensions import db, savepoint
from course.fast import assignments as fast_assignments
from course.forms import MAX_INT
from course.groups import operations as groups
from course.models import CourseAssignment, CurrentUser, Group, GroupMembership, User, utcnow
from course.publishing.cache import catalog

ASSIGNED = "assigned"


class EmptyGroupError(Exception):
    """A course cannot be assigned to a group without members: nobody would be told or see it."""


# --- who may do what ------------------------------------------------------------------------------------------------


def may_assign(user: CurrentUser, group_id: int) -> bool:
    """Admins assign to any group, trainers to the groups they look after; managers and learners to none."""
    if user.role == "admin":
        return True
    return user.role == "trainer" and groups.may_see_group(user, group_id)


def assignable_groups(user: CurrentUser) -> list[Group]:
    return groups.groups_in_view(user) if user.role in ("admin", "trainer") else []


def may_see_course(user: CurrentUser | AnonymousUserMixin, course: Course) -> bool:
    """An open course is for everyone (and costs no query). An assigned one is for the members of a group it is
    assigned to (from its start on), for the trainers and managers who look after such a group, and for admins."""
    if course.access != ASSIGNED:
        return True
    if not user.is_authenticated:
        return False
    if user.role == "admin":
        return True
    statement = (
        select(CourseAssignment.id)
        .join(GroupMembership, GroupMembership.group_id == CourseAssignment.group_id)
        .where(
            CourseAssignment.course_id == course.id,
            GroupMembership.user_id == user.id,
            or_(
                GroupMembership.role_in_group.in_(groups.WATCHING_ROLES),
                CourseAssignment.starts_at.is_(None),
                CourseAssignment.starts_at <= utcnow(),
            ),
        )
        .limit(1)
    )
    return db.session.scalar(statement) is not None


def visible(course: Course, user: CurrentUser | AnonymousUserMixin | None = None) -> Course:
    """The course if the user may see it; otherwise NotFound, exactly as for a course that does not exist."""
    if course.access != ASSIGNED:
        return course
    if not may_see_course(user if user is not None else current_user._get_current_object(), course):
        raise NotFound(f"no course {course.id!r}")
    return course


def visible_course(course_id: str) -> Course:
    """The published course the URL names, if the current user may see it (NotFound otherwise)."""
    return visible(catalog().course(course_id))


# --- what a learner is asked to do ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A course a learner is assigned through one of their groups: the earliest due date among those groups."""

    course_id: str
    due_at: datetime
    time_zone: str


@dataclass(frozen=True)
class Reach:
    """What the user's groups open up: the assigned courses they may see, and the due dates they are given."""

    visible: frozenset[str]
    dues: dict[str, Due]


def reach(user: CurrentUser) -> Reach:
    """The assigned courses open to the user and their own due dates, in one query."""
    now = utcnow()
    seen: set[str] = set()
    dues: dict[str, Due] = {}
    if fast.enabled():
        rows = fast_assignments.reach_rows(user.id)
    else:
        rows = db.session.execute(fast_assignments.REACH, {"user_id": user.id}).all()
    for course_id, starts_at, due_at, time_zone, role_in_group in rows:
        if role_in_group in groups.WATCHING_ROLES:
            seen.add(course_id)
        elif has_started(starts_at, now):
            seen.add(course_id)
            dues.setdefault(course_id, Due(course_id, due_at, time_zone))
    return Reach(visible=frozenset(seen), dues=dues)


def home_courses(
    user: CurrentUser | AnonymousUserMixin, courses: Sequence[Course]
) -> tuple[list[Course], dict[str, Due]]:
    """The courses the home page lists for the user, those with a due date first (soonest first), and the due
    dates (open courses may be assigned with a due date too). Visitors cost no query."""
    if not user.is_authenticated:
        return [course for course in courses if course.access != ASSIGNED], {}
    found = reach(user)
    shown = [
        course for course in courses if course.access != ASSIGNED or user.role == "admin" or course.id in found.visible
    ]
    dues = {course.id: found.dues[course.id] for course in shown if course.id in found.dues}
    first = sorted((course for course in shown if course.id in dues), key=lambda course: dues[course.id].due_at)
    return first + [course for course in shown if course.id not in dues], dues


def due_of(user: CurrentUser | AnonymousUserMixin, course: Course) -> Due | None:
    """The user's due date in the course (open or assigned-only), None for anyone it is not assigned to."""
    if not user.is_authenticated:
        return None
    return reach(user).dues.get(course.id)


# --- assigning ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentRow:
    assignment: CourseAssignment
    group: Group
    members: int
    assigned_by: str


def assignment_rows(course_id: str, user: CurrentUser) -> list[AssignmentRow]:
    """The course's assignments to the groups the user may assign to, by group name, with member counts."""
    members = (
        select(func.count())
        .where(GroupMembership.group_id == CourseAssignment.group_id, GroupMembership.role_in_group == "member")
        .scalar_subquery()
    )
    statement = (
        select(CourseAssignment, Group, members, User.display_name)
        .join(Group, Group.id == CourseAssignment.group_id)
        .outerjoin(User, User.id == CourseAssignment.assigned_by_id)
        .where(CourseAssignment.course_id == course_id)
        .order_by(Group.name_key)
    )
    if user.role != "admin":
        statement = statement.where(CourseAssignment.group_id.in_(groups.watched_group_ids(user)))
    return [AssignmentRow(a, g, count or 0, name or "") for a, g, count, name in db.session.execute(statement)]


def find_assignment(course_id: str, assignment_id: int) -> CourseAssignment | None:
    if not 0 < assignment_id <= MAX_INT:  # a path number the column cannot hold names nothing
        return None
    assignment = db.session.get(CourseAssignment, assignment_id)
    return assignment if assignment is not None and assignment.course_id == course_id else None


def learner_count(group: Group) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(GroupMembership.group_id == group.id, GroupMembership.role_in_group == "member")
        )
        or 0
    )


def assign(course_id: str, group: Group, schedule: Schedule, *, by: CurrentUser) -> tuple[CourseAssignment, bool]:
    """Assign the course to the group; assigning it again changes the dates of the existing assignment.
    Returns the assignment and whether it is new. Raises EmptyGroupError."""
    if learner_count(group) == 0:
        raise EmptyGroupError(group.name)
    existing = _existing(course_id, group.id)
    if existing is not None:
        change(existing, schedule, by=by)
        return existing, False
    now = utcnow()
    assignment = CourseAssignment(
        course_id=course_id,
        group_id=group.id,
        starts_at=schedule.starts_at,
        due_at=schedule.due_at,
        time_zone=schedule.time_zone,
        assigned_by_id=by.id,
        created_at=now,
        updated_at=now,
    )
    try:
        with savepoint():
            db.session.add(assignment)
            db.session.flush()
    except IntegrityError:  # assigned by someone else in the same moment: change theirs
        existing = _existing(course_id, group.id)
        if existing is None:
            raise
        change(existing, schedule, by=by)
        return existing, False
    audit.record(
        "assignment_created", target_label=_label(course_id, group), course=course_id, group=group.name,
        **_dates(assignment),
    )  # fmt: skip
    return assignment, True


def change(assignment: CourseAssignment, schedule: Schedule, *, by: CurrentUser) -> bool:
    """New dates for an assignment; False (and no audit entry) if nothing changes."""
    if (assignment.starts_at, assignment.due_at, assignment.time_zone) == (
        schedule.starts_at,
        schedule.due_at,
        schedule.time_zone,
    ):
        return False
    before = _dates(assignment)
    assignment.starts_at = schedule.starts_at
    assignment.due_at = schedule.due_at
    assignment.time_zone = schedule.time_zone
    assignment.assigned_by_id = by.id
    assignment.updated_at = utcnow()
    db.session.flush()
    after = _dates(assignment)
    audit.record(
        "assignment_changed",
        target_label=_label(assignment.course_id, assignment.group),
        course=assignment.course_id,
        group=assignment.group.name,
        **after,
        **{f"previous_{key}": value for key, value in before.items()},
    )
    return True


def unassign(assignment: CourseAssignment) -> None:
    audit.record(
        "assignment_removed",
        target_label=_label(assignment.course_id, assignment.group),
        course=assignment.course_id,
        group=assignment.group.name,
        **_dates(assignment),
    )
    db.session.delete(assignment)


def _existing(course_id: str, group_id: int) -> CourseAssignment | None:
    return db.session.scalar(
        select(CourseAssignment).where(CourseAssignment.course_id == course_id, CourseAssignment.group_id == group_id)
    )


def _label(course_id: str, group: Group) -> str:
    return f"{course_id} → {group.name}"


def _dates(assignment: CourseAssignment) -> dict[str, str | None]:
    """The days as the trainer gave them, for the audit log."""
    zone = assignment.time_zone
    return {
        "due": local_day(assignment.due_at, zone).isoformat(),
        "starts": local_day(assignment.starts_at, zone).isoformat() if assignment.starts_at else None,
        "time_zone": zone,
    }
