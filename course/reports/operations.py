"""The group reports' queries: one group's members in one course, and which reports an account may open.

A report costs a fixed number of queries whatever the group's size: the group, its assignment, and one query for
every member's row. That row is the progress table's (course/analytics/operations.py `learner_table`, so the
status is the same completion rule in SQL) joined to the group's members, their first certificate and their mean
best quiz result. Nothing is cached: the numbers are as of the request.

A member's course counts as *completed* at the issue of their first certificate for it (a revoked one included:
the learner did complete then). A member who met the completion rule but has not claimed the certificate yet
counts as completed at their last recorded progress in the course (the latest lesson, quiz result or sandbox
result), the moment the rule was met at the latest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, func, select

from course.analytics.operations import LearnerFilter, learner_table
from course.core import completion, reports
from course.core.catalog import Course
from course.core.errors import N_, NotFound
from course.extensions import db
from course.groups.operations import groups_in_view, may_see_group
from course.models import Certificate, CourseAssignment, Group, GroupMembership, QuizResult, User
from course.publishing.cache import catalog

MAX_ID = 2**31 - 1
DONE = (completion.CERTIFIED, completion.COMPLETED)


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    name: str
    email: str
    status: str  # a completion status (course/core/completion.py)
    lessons: int
    quizzes_passed: int
    quiz_percent: float | None  # the mean of the member's best result per quiz taken
    sandbox: float | None  # the best sandbox score
    completed_at: datetime | None
    joined_at: datetime | None


@dataclass(frozen=True)
class Report:
    group: Group
    course: Course
    assignment: CourseAssignment | None
    members: list[MemberRow]
    now: datetime
    headline: reports.Headline = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "headline", reports.headline([m.completed_at for m in self.members], self.due_at, self.now)
        )

    @property
    def due_at(self) -> datetime | None:
        return self.assignment.due_at if self.assignment else None

    def standing(self, member: MemberRow) -> str:
        return reports.classify(member.completed_at, self.due_at, self.now)

    def start(self) -> datetime:
        """Where the completion chart begins: the assignment's start (or the moment it was made), else the
        group's first activity (the first member joining, or the first completion)."""
        if self.assignment is not None:
            return self.assignment.starts_at or self.assignment.created_at
        moments = [m.joined_at for m in self.members if m.joined_at] + [
            m.completed_at for m in self.members if m.completed_at
        ]
        return min(moments, default=self.now)

    def weeks(self) -> list[reports.Week]:
        return reports.weekly_completions(
            [m.completed_at for m in self.members if m.completed_at], self.start(), self.now
        )

    def quiz_bins(self) -> tuple[int, ...]:
        return reports.histogram(m.quiz_percent for m in self.members)

    def sandbox_bins(self) -> tuple[int, ...]:
        return reports.histogram(m.sandbox for m in self.members)

    def new_since(self, since: datetime) -> int:
        return sum(1 for m in self.members if m.completed_at is not None and m.completed_at > since)


def group_in_view(user: User, group_id: int) -> Group:
    """The group, if the account may see it; an unknown group and another's group look the same (404)."""
    group = db.session.get(Group, group_id) if 0 < group_id <= MAX_ID else None
    if group is None or not may_see_group(user, group.id):
        raise NotFound(N_("There is no such group."))
    return group


def assignment_of(group: Group, course: Course) -> CourseAssignment | None:
    return db.session.scalar(
        select(CourseAssignment).where(CourseAssignment.group_id == group.id, CourseAssignment.course_id == course.id)
    )


def member_rows(group: Group, course: Course) -> list[MemberRow]:
    """Every learner member's progress in the course, by name: one query."""
    members = select(GroupMembership.user_id).where(
        GroupMembership.group_id == group.id, GroupMembership.role_in_group == "member"
    )
    progress = learner_table(course, LearnerFilter(), members).subquery("progress")
    first_certificate = (
        select(Certificate.user_id.label("user_id"), func.min(Certificate.issued_at).label("at"))
        .where(Certificate.course_id == course.id, Certificate.user_id.in_(members))
        .group_by(Certificate.user_id)
        .subquery("first_certificate")
    )
    quiz_ids = [quiz.id for quiz in course.quizzes] or [""]
    quiz_mean = (
        select(QuizResult.user_id.label("user_id"), func.avg(QuizResult.best_percent).label("percent"))
        .where(QuizResult.course_id == course.id, QuizResult.quiz_id.in_(quiz_ids), QuizResult.user_id.in_(members))
        .group_by(QuizResult.user_id)
        .subquery("quiz_mean")
    )
    statement = (
        select(progress, first_certificate.c.at.label("certified_at"), quiz_mean.c.percent, GroupMembership.created_at)
        .join(
            GroupMembership,
            and_(
                GroupMembership.user_id == progress.c.user_id,
                GroupMembership.group_id == group.id,
                GroupMembership.role_in_group == "member",
            ),
        )
        .outerjoin(first_certificate, first_certificate.c.user_id == progress.c.user_id)
        .outerjoin(quiz_mean, quiz_mean.c.user_id == progress.c.user_id)
        .order_by(func.lower(progress.c.name), progress.c.user_id)
    )
    return [_member(row) for row in db.session.execute(statement)]


def _member(row) -> MemberRow:  # noqa: ANN001 - a result row
    completed_at = None
    if row.status in DONE:
        moments = [_utc(moment) for moment in (row.lessons_at, row.quizzes_at, row.sandbox_at) if moment is not None]
        completed_at = _utc(row.certified_at) or max(moments, default=None)
    return MemberRow(
        user_id=row.user_id,
        name=row.name,
        email=row.email,
        status=row.status,
        lessons=int(row.lessons),
        quizzes_passed=int(row.quizzes_passed),
        quiz_percent=float(row.percent) if row.percent is not None else None,
        sandbox=row.sandbox,
        completed_at=completed_at,
        joined_at=_utc(row.created_at),
    )


def _utc(moment: datetime | None) -> datetime | None:
    """Aggregates (min, max) come back without the column type's conversion on SQLite: naive, meaning UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def report(group: Group, course: Course, now: datetime | None = None) -> Report:
    """The report of a group in a course as of `now`: three queries."""
    return Report(group, course, assignment_of(group, course), member_rows(group, course), now or datetime.now(UTC))


# --- which reports there are ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupReports:
    group: Group
    members: int
    courses: list[tuple[Course, CourseAssignment | None]]  # the assigned courses, or every course if none is


def reports_in_view(user: User) -> list[GroupReports]:
    """The groups the account may see, each with its courses: three queries."""
    groups = groups_in_view(user)
    return reports_for(groups)


def reports_for(groups: list[Group]) -> list[GroupReports]:
    """Each group with its member count and its courses: the ones assigned to it, or every course if none is."""
    if not groups:
        return []
    ids = [group.id for group in groups]
    counts = dict(
        db.session.execute(
            select(GroupMembership.group_id, func.count())
            .join(User, User.id == GroupMembership.user_id)
            .where(
                GroupMembership.group_id.in_(ids),
                GroupMembership.role_in_group == "member",
                User.role == "learner",
                User.deleted_at.is_(None),
            )
            .group_by(GroupMembership.group_id)
        ).all()
    )
    assigned: dict[int, dict[str, CourseAssignment]] = {}
    for assignment in db.session.scalars(select(CourseAssignment).where(CourseAssignment.group_id.in_(ids))):
        assigned.setdefault(assignment.group_id, {})[assignment.course_id] = assignment
    courses = catalog().courses
    result = []
    for group in groups:
        mine = assigned.get(group.id, {})
        listed = [(course, mine[course.id]) for course in courses if course.id in mine]
        result.append(GroupReports(group, counts.get(group.id, 0), listed or [(course, None) for course in courses]))
    return result
