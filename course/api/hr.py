"""The token API for HR systems under /api/v1: users, groups and their members, assignments, progress and
certificates, read with a scoped API token (course/api/tokens.py); group members can be added and removed.

A token is the site's, not a person's: the scoped views of trainers and managers do not apply, every learner is
readable. Erased accounts appear only as their id and `erased: true`, never with what they were called. Lists are
ordered by a stable key and paged with an opaque `cursor`: each page has `next`, the absolute URL of the following
page (on PUBLIC_URL), or null on the last. Progress is the trainers' progress table (course/analytics/operations.py)
and the completion rule of course/core/completion.py, not a second calculation.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select

from course.analytics.operations import LearnerFilter, learner_table
from course.api import tokens
from course.api.views import ApiError, _body
from course.certificates.documents import verify_url
from course.core import completion
from course.core.assignments import has_started
from course.core.catalog import Course
from course.core.errors import NotFound
from course.extensions import csrf, db, login_manager
from course.forms import whole_number
from course.groups import operations as groups
from course.models import (
    GROUP_ROLES,
    ROLES,
    Certificate,
    CourseAssignment,
    Group,
    GroupMembership,
    LessonProgress,
    QuizResult,
    SandboxResult,
    SsoIdentity,
    User,
    utcnow,
)
from course.publishing.cache import catalog
from course.urls import external_url

bp = Blueprint("hr", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, never cookies: see course/api/tokens.py

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_ID = 2**31 - 1
USER_STATUSES = ("active", "deactivated", "erased")
CERTIFICATE_STATUSES = ("issued", "revoked")


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return jsonify(error=error.error, message=error.message, **error.details), error.status


@bp.errorhandler(tokens.TokenRefused)
def token_refused(error: tokens.TokenRefused):
    return tokens.refusal_response(error)


@bp.errorhandler(NotFound)
def not_found(error: NotFound):
    return jsonify(error="not_found", message=_("There is no such course.")), 404


@bp.before_request
def no_session_login():
    """The request acts for its token, never for the account of a session cookie it may carry: Flask-Login is told
    the user is a visitor before anything (the language choice, for one) asks it to read the cookie."""
    g._login_user = login_manager.anonymous_user()


@bp.after_request
def no_cookies(response):  # noqa: ANN001, ANN201 - a Flask response
    """A token request gets no cookie, whatever else touched the session on the way."""
    response.headers.pop("Set-Cookie", None)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Reading the query string ----------------------------------------------------------------------------------------


def _invalid(name: str, message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", message, parameter=name)


def _limit() -> int:
    limit = whole_number(request.args.get("limit", str(DEFAULT_LIMIT)), 1, MAX_LIMIT)
    if limit is None:
        raise _invalid("limit", _("limit must be a whole number from 1 to %(max)d.", max=MAX_LIMIT))
    return limit


def _id_argument(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    value = whole_number(raw, 1, MAX_ID)
    if value is None:
        raise _invalid(name, _("%(name)s must be a positive whole number.", name=name))
    return value


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is not None and raw not in allowed:
        raise _invalid(name, _("%(name)s must be one of: %(allowed)s.", name=name, allowed=", ".join(allowed)))
    return raw


def _since() -> datetime | None:
    raw = request.args.get("updated_since")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)  # documented: a moment without a zone is UTC
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved past the calendar by its zone
        raise _invalid("updated_since", _("updated_since must be a date and time like 2026-01-31T12:00:00Z.")) from None


def _course() -> Course | None:
    course_id = request.args.get("course")
    if course_id is None:
        return None
    try:
        return catalog().course(course_id)
    except NotFound:
        raise _invalid("course", _("There is no course %(id)s.", id=course_id[:64])) from None


def _cursor() -> str | None:
    raw = request.args.get("cursor")
    if raw is None:
        return None
    try:
        return base64.urlsafe_b64decode(raw.encode("ascii") + b"==").decode("utf-8")
    except (ValueError, UnicodeError, binascii.Error):
        raise _invalid("cursor", _("This cursor is not valid: use the next link of the previous page.")) from None


def _id_cursor() -> int:
    """The last id of the previous page (0 for the first page)."""
    raw = _cursor()
    if raw is None:
        return 0
    after = whole_number(raw, 1, MAX_ID)
    if after is None:
        raise _invalid("cursor", _("This cursor is not valid: use the next link of the previous page."))
    return after


def _page(items: list[dict], last_key: str | None, **path: object):  # noqa: ANN202 - a JSON response
    """A page of items with the absolute URL of the next one (same filters), or null after the last."""
    next_url = None
    if last_key is not None:
        cursor = base64.urlsafe_b64encode(last_key.encode()).decode().rstrip("=")
        values = {**request.args.to_dict(), **path, "cursor": cursor}  # the path's ids win over look-alike arguments
        next_url = external_url(request.endpoint, **values)
    return jsonify(items=items, next=next_url)


def _moment(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


# --- Who the token is ------------------------------------------------------------------------------------------------


@bp.get("/token")
@tokens.token_required(None)
def token_info():
    token = g.api_token
    return jsonify(
        name=token.name,
        prefix=token.prefix,
        scopes=token.scopes,
        created_at=_moment(token.created_at),
        expires_at=_moment(token.expires_at),
    )


# --- Users -----------------------------------------------------------------------------------------------------------


def _erased(user: User) -> dict:
    return {"id": user.id, "erased": True, "erased_at": _moment(user.deleted_at)}


def _user_documents(users: list[User]) -> list[dict]:
    """The users as the API shows them, with their groups and single sign-on identities (two queries)."""
    ids = [user.id for user in users if user.deleted_at is None]
    memberships: dict[int, list[dict]] = {}
    identities: dict[int, list[dict]] = {}
    if ids:
        for row, name in db.session.execute(
            select(GroupMembership, Group.name)
            .join(Group, Group.id == GroupMembership.group_id)
            .where(GroupMembership.user_id.in_(ids))
            .order_by(GroupMembership.group_id)
        ):
            memberships.setdefault(row.user_id, []).append(
                {"id": row.group_id, "name": name, "role_in_group": row.role_in_group}
            )
        for identity in db.session.scalars(
            select(SsoIdentity).where(SsoIdentity.user_id.in_(ids)).order_by(SsoIdentity.id)
        ):
            identities.setdefault(identity.user_id, []).append(
                {"provider": identity.provider, "subject": identity.subject}
            )
    documents = []
    for user in users:
        if user.deleted_at is not None:
            documents.append(_erased(user))
            continue
        documents.append(
            {
                "id": user.id,
                "erased": False,
                "email": user.email,
                "name": user.display_name,
                "role": user.role,
                "active": user.active,
                "language": user.locale,
                "created_at": _moment(user.created_at),
                "last_login_at": _moment(user.last_login_at),
                "groups": memberships.get(user.id, []),
                "identities": identities.get(user.id, []),
            }
        )
    return documents


@bp.get("/users")
@tokens.token_required("users:read")
def users():
    limit, after = _limit(), _id_cursor()
    group, role, status = _id_argument("group"), _choice("role", ROLES), _choice("status", USER_STATUSES)
    email = request.args.get("email")
    statement = select(User).where(User.id > after).order_by(User.id).limit(limit + 1)
    if group is not None:
        statement = statement.where(
            User.id.in_(select(GroupMembership.user_id).where(GroupMembership.group_id == group))
        )
    if role is not None:
        statement = statement.where(User.role == role)
    if status == "erased":
        statement = statement.where(User.deleted_at.is_not(None))
    elif status is not None:
        statement = statement.where(User.deleted_at.is_(None), User.active.is_(status == "active"))
    if email is not None:
        statement = statement.where(func.lower(User.email) == email.strip().lower(), User.deleted_at.is_(None))
    rows = list(db.session.scalars(statement))
    more = len(rows) > limit
    rows = rows[:limit]
    return _page(_user_documents(rows), str(rows[-1].id) if more else None)


@bp.get("/users/<int:user_id>")
@tokens.token_required("users:read")
def user(user_id: int):
    found = db.session.get(User, user_id) if user_id <= MAX_ID else None
    if found is None:
        raise ApiError(404, "not_found", _("There is no such account."))
    return jsonify(_user_documents([found])[0])


# --- Groups ----------------------------------------------------------------------------------------------------------


def _group_document(group: Group, counts: dict[str, int]) -> dict:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "created_at": _moment(group.created_at),
        "members": {role: counts.get(role, 0) for role in GROUP_ROLES},
    }


def _counts(group_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    if group_ids:
        for group_id, role, number in db.session.execute(
            select(GroupMembership.group_id, GroupMembership.role_in_group, func.count())
            .where(GroupMembership.group_id.in_(group_ids))
            .group_by(GroupMembership.group_id, GroupMembership.role_in_group)
        ):
            counts.setdefault(group_id, {})[role] = number
    return counts


def _group_or_404(group_id: int) -> Group:
    group = db.session.get(Group, group_id) if group_id <= MAX_ID else None
    if group is None:
        raise ApiError(404, "not_found", _("There is no such group."))
    return group


@bp.get("/groups")
@tokens.token_required("users:read")
def groups_list():
    limit, after = _limit(), _id_cursor()
    rows = list(db.session.scalars(select(Group).where(Group.id > after).order_by(Group.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    counts = _counts([group.id for group in rows])
    items = [_group_document(group, counts.get(group.id, {})) for group in rows]
    return _page(items, str(rows[-1].id) if more else None)


@bp.get("/groups/<int:group_id>")
@tokens.token_required("users:read")
def group(group_id: int):
    found = _group_or_404(group_id)
    return jsonify(_group_document(found, _counts([found.id]).get(found.id, {})))


def _member_document(row: GroupMembership, user: User) -> dict:
    return {
        "user_id": user.id,
        "email": user.email,
        "name": user.display_name,
        "role_in_group": row.role_in_group,
        "source": row.source,
        "since": _moment(row.created_at),
    }


@bp.get("/groups/<int:group_id>/members")
@tokens.token_required("users:read")
def group_members(group_id: int):
    found = _group_or_404(group_id)
    limit, after = _limit(), _id_cursor()
    rows = db.session.execute(
        select(GroupMembership, User)
        .join(User, User.id == GroupMembership.user_id)
        .where(GroupMembership.group_id == found.id, User.id > after, User.deleted_at.is_(None))
        .order_by(User.id)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_member_document(row, member) for row, member in rows]
    return _page(items, str(rows[-1][1].id) if more else None, group_id=found.id)


@bp.post("/groups/<int:group_id>/members")
@tokens.token_required("users:write")
def add_group_member(group_id: int):
    found = _group_or_404(group_id)
    body = _body()
    account = _account_in(body)
    role = body.get("role_in_group", "member")
    if role not in GROUP_ROLES:
        raise ApiError(422, "invalid_body", _("role_in_group must be one of: %(roles)s.", roles=", ".join(GROUP_ROLES)))
    try:
        row = groups.add_member(found, account, role, source=f"api:{g.api_token.prefix}", actor=None)
    except groups.AlreadyMemberError:
        db.session.rollback()
        raise ApiError(409, "already_member", _("This account is in the group already.")) from None
    db.session.commit()
    return jsonify(_member_document(row, account)), 201


def _account_in(body: dict) -> User:
    """The account the body names by `user_id` or by `email`: one of them, of a live account."""
    if ("user_id" in body) == ("email" in body):
        raise ApiError(422, "invalid_body", _("Name the account by user_id or by email (one of them)."))
    user_id, email = body.get("user_id"), body.get("email")
    if "user_id" in body:
        if isinstance(user_id, bool) or not isinstance(user_id, int) or not 1 <= user_id <= MAX_ID:
            raise ApiError(422, "invalid_body", _("user_id must be a positive whole number."))
        account = db.session.get(User, user_id)
    else:
        if not isinstance(email, str):
            raise ApiError(422, "invalid_body", _("email must be a text."))
        account = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if account is None or account.deleted_at is not None:
        raise ApiError(422, "unknown_account", _("There is no such account."))
    return account


@bp.delete("/groups/<int:group_id>/members/<int:user_id>")
@tokens.token_required("users:write")
def remove_group_member(group_id: int, user_id: int):
    found = _group_or_404(group_id)
    row = groups.membership(found, user_id) if user_id <= MAX_ID else None
    if row is None:
        raise ApiError(404, "not_found", _("This account is not in the group."))
    groups.remove_member(found, row, db.session.get(User, user_id), actor=None)
    db.session.commit()
    return "", 204


# --- Assignments -----------------------------------------------------------------------------------------------------


@bp.get("/assignments")
@tokens.token_required("users:read")
def assignments():
    limit, after, course, group_id, since = _limit(), _id_cursor(), _course(), _id_argument("group"), _since()
    statement = (
        select(CourseAssignment, Group.name)
        .join(Group, Group.id == CourseAssignment.group_id)
        .where(CourseAssignment.id > after)
        .order_by(CourseAssignment.id)
        .limit(limit + 1)
    )
    if course is not None:
        statement = statement.where(CourseAssignment.course_id == course.id)
    if group_id is not None:
        statement = statement.where(CourseAssignment.group_id == group_id)
    if since is not None:
        statement = statement.where(CourseAssignment.updated_at >= since)
    rows = db.session.execute(statement).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "id": row.id,
            "course_id": row.course_id,
            "group": {"id": row.group_id, "name": name},
            "starts_at": _moment(row.starts_at),
            "due_at": _moment(row.due_at),
            "time_zone": row.time_zone,
            "created_at": _moment(row.created_at),
            "updated_at": _moment(row.updated_at),
        }
        for row, name in rows
    ]
    return _page(items, str(rows[-1][0].id) if more else None)


# --- Progress --------------------------------------------------------------------------------------------------------


def _progress_cursor(courses: list[Course]) -> tuple[int, int]:
    """(index of the course in `courses`, last user id) where the previous page ended."""
    raw = _cursor()
    if raw is None:
        return 0, 0
    course_id, _sep, user_id = raw.rpartition("/")
    index = next((i for i, course in enumerate(courses) if course.id == course_id), None)
    after = whole_number(user_id, 0, MAX_ID)
    if index is None or after is None:
        raise _invalid("cursor", _("This cursor is not valid: use the next link of the previous page."))
    return index, after


def _progress_rows(
    course: Course, after: int, limit: int, wanted: LearnerFilter, learners: Select | None, since: datetime | None
) -> list:
    statement = learner_table(course, wanted, learners)
    table = statement.selected_columns
    statement = statement.where(table.user_id > after)
    if since is not None:
        statement = statement.where(
            or_(table.lessons_at >= since, table.quizzes_at >= since, table.sandbox_at >= since)
        )
    return db.session.execute(statement.order_by(table.user_id).limit(limit)).all()


def _details(course: Course, user_ids: list[int]) -> dict[int, dict]:
    """What the completion rule needs per learner (three queries for the page), and when each step was done."""
    rule = course.requirements
    found: dict[int, dict] = {uid: {"lessons": {}, "quizzes": {}, "sandbox": None} for uid in user_ids}
    for uid, lesson_id, at in db.session.execute(
        select(LessonProgress.user_id, LessonProgress.lesson_id, LessonProgress.completed_at).where(
            LessonProgress.course_id == course.id, LessonProgress.user_id.in_(user_ids)
        )
    ):
        found[uid]["lessons"][lesson_id] = at
    for uid, quiz_id, at in db.session.execute(
        select(QuizResult.user_id, QuizResult.quiz_id, QuizResult.updated_at).where(
            QuizResult.course_id == course.id, QuizResult.user_id.in_(user_ids), QuizResult.passed.is_(True)
        )
    ):
        found[uid]["quizzes"][quiz_id] = at
    for result in db.session.scalars(
        select(SandboxResult).where(SandboxResult.course_id == course.id, SandboxResult.user_id.in_(user_ids))
    ):
        found[result.user_id]["sandbox"] = result
    for details in found.values():
        result = details["sandbox"]
        standing = result.standing if result is not None else None
        details["progress"] = completion.progress(rule, details["lessons"], details["quizzes"], standing)
    return found


def _dues(course: Course, user_ids: list[int], now: datetime) -> dict[int, datetime]:
    """Each learner's earliest due date in the course among their groups' started assignments (as
    course/assignments/operations.py `reach`: members only, not those who look after the group)."""
    dues: dict[int, datetime] = {}
    for uid, due_at, starts_at in db.session.execute(
        select(GroupMembership.user_id, CourseAssignment.due_at, CourseAssignment.starts_at)
        .join(CourseAssignment, CourseAssignment.group_id == GroupMembership.group_id)
        .where(
            CourseAssignment.course_id == course.id,
            GroupMembership.user_id.in_(user_ids),
            GroupMembership.role_in_group.not_in(groups.WATCHING_ROLES),
        )
    ):
        if has_started(starts_at, now) and (uid not in dues or due_at < dues[uid]):
            dues[uid] = due_at
    return dues


def _completed_at(course: Course, details: dict) -> datetime | None:
    """When the last step the rule asks for was done, as far as stored (a quiz retaken after passing moves it)."""
    rule = course.requirements
    moments = [details["lessons"][lesson] for lesson in rule.lesson_ids if lesson in details["lessons"]]
    moments += [details["quizzes"][quiz] for quiz in rule.required_quizzes if quiz in details["quizzes"]]
    if rule.sandbox is not None and details["sandbox"] is not None:
        moments.append(details["sandbox"].updated_at)
    return max(moments, default=None)


def _progress_documents(course: Course, rows: list, now: datetime) -> list[dict]:
    rule = course.requirements
    user_ids = [row.user_id for row in rows]
    details = _details(course, user_ids)
    dues = _dues(course, user_ids, now)
    items = []
    for row in rows:
        progress: completion.Progress = details[row.user_id]["progress"]
        complete = completion.complete(rule, progress)
        due_at = dues.get(row.user_id)
        finished = complete or row.certificate is not None
        moments = [moment for moment in (row.lessons_at, row.quizzes_at, row.sandbox_at) if moment is not None]
        items.append(
            {
                "user_id": row.user_id,
                "email": row.email,
                "course_id": course.id,
                "status": row.status,
                "lessons_done": len(completion.lessons_done(rule, progress)),
                "lessons_total": len(rule.lesson_ids),
                "quizzes_passed": len(completion.quizzes_passed(rule, progress)),
                "quizzes_required": len(rule.required_quizzes),
                "sandbox_score": row.sandbox,
                "sandbox_required": rule.sandbox,
                "percent": completion.percent(rule, progress),
                "completed": complete,
                "completed_at": _moment(_completed_at(course, details[row.user_id])) if complete else None,
                "certificate": (
                    {"id": row.certificate, "verify_url": verify_url(row.certificate)} if row.certificate else None
                ),
                "due_at": _moment(due_at),
                "overdue": due_at is not None and due_at < now and not finished,
                "last_activity_at": _moment(max(moments, default=None)),
            }
        )
    return items


@bp.get("/progress")
@tokens.token_required("progress:read")
def progress():
    """One item per learner and course, course by course in the catalog's order, then by user id."""
    limit, only, group_id, user_id = _limit(), _course(), _id_argument("group"), _id_argument("user")
    status, since = _choice("status", completion.STATUSES), _since()
    courses = [only] if only is not None else list(catalog().courses)
    index, after = _progress_cursor(courses)
    learners = None
    if group_id is not None:
        learners = select(GroupMembership.user_id).where(GroupMembership.group_id == group_id)
    if user_id is not None:
        only_user = select(User.id).where(User.id == user_id)
        learners = only_user if learners is None else only_user.where(User.id.in_(learners))
    wanted = LearnerFilter(status=status or "all")
    now = utcnow()
    items: list[dict] = []
    last: str | None = None
    while index < len(courses) and len(items) <= limit:
        course = courses[index]
        rows = _progress_rows(course, after, limit + 1 - len(items), wanted, learners, since)
        items += _progress_documents(course, rows, now)
        if len(items) > limit:
            break
        index, after = index + 1, 0
    if len(items) > limit:
        items = items[:limit]
        last = f"{items[-1]['course_id']}/{items[-1]['user_id']}"
    return _page(items, last)


# --- Certificates ----------------------------------------------------------------------------------------------------


@bp.get("/certificates")
@tokens.token_required("certificates:read")
def certificates():
    limit, after, course, user_id = _limit(), _id_cursor(), _course(), _id_argument("user")
    status, since = _choice("status", CERTIFICATE_STATUSES), _since()
    statement = (
        select(Certificate, User)
        .outerjoin(User, User.id == Certificate.user_id)
        .where(Certificate.id > after)
        .order_by(Certificate.id)
        .limit(limit + 1)
    )
    if course is not None:
        statement = statement.where(Certificate.course_id == course.id)
    if user_id is not None:
        statement = statement.where(Certificate.user_id == user_id)
    if status is not None:
        revoked = Certificate.revoked_at.is_not(None)
        statement = statement.where(revoked if status == "revoked" else ~revoked)
    if since is not None:
        statement = statement.where(
            or_(
                Certificate.issued_at >= since,
                and_(Certificate.revoked_at.is_not(None), Certificate.revoked_at >= since),
            )
        )
    rows = db.session.execute(statement).all()
    more = len(rows) > limit
    rows = rows[:limit]
    replaced = _public_ids([row.replaced_by_id for row, _user in rows if row.replaced_by_id is not None])
    items = [_certificate_document(row, holder, replaced) for row, holder in rows]
    return _page(items, str(rows[-1][0].id) if more else None)


def _public_ids(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Certificate.id, Certificate.public_id).where(Certificate.id.in_(ids))).all())


def _certificate_document(row: Certificate, holder: User | None, replaced: dict[int, str]) -> dict:
    if holder is None:
        person = None
    elif holder.deleted_at is not None:
        person = _erased(holder)
    else:
        person = {"id": holder.id, "erased": False, "email": holder.email, "name": holder.display_name}
    return {
        "id": row.public_id,
        "course_id": row.course_id,
        "user": person,
        "status": "revoked" if row.revoked_at is not None else "issued",
        "issued_at": _moment(row.issued_at),
        "revoked_at": _moment(row.revoked_at),
        "revoked_reason": row.revoked_reason,
        "replaced_by": replaced.get(row.replaced_by_id) if row.replaced_by_id is not None else None,
        "verify_url": verify_url(row.public_id),
    }
