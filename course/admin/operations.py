"""What user administration reads and writes: the account list, role and state changes, invitations, the log.

The list is computed in SQL (a count, the status counts and one page query), so it costs the same with ten
accounts as with ten thousand. Every change records an audit entry in the same transaction; the caller commits.
A change that would leave the site without an active admin is refused: the admin rows are locked first, so two
admins demoting each other at the same moment cannot both succeed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, not_, or_, select

from course.audit import operations as audit
from course.auth import mails
from course.auth import operations as accounts
from course.core import user_import
from course.extensions import db, lock_for_writing
from course.groups import operations as groups
from course.models import ROLES, AuditEntry, Group, SsoIdentity, User, group_key, utcnow

PAGE_SIZE = 50
MAX_QUERY = 120
STATUSES = ("active", "invited", "deactivated", "deleted")
SIGN_INS = ("password", "sso", "none")
LAST_LOGINS = ("never", "30", "90")  # never logged in; not for more than 30 / 90 days
SORTS = ("name", "email", "created", "last_login")
RECENT_ENTRIES = 20

Item = TypeVar("Item")


class LastAdminError(Exception):
    """The change would leave the site without an active admin."""


class AddressTakenError(Exception):
    """The file changed meaning between the check and the import: an address got an account (someone registered)
    or a group it names was deleted. `problem` says which, for the same list as the check's problems."""

    def __init__(self, problem: user_import.Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    total: int
    page: int
    pages: int
    size: int

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def _paged(statement: Select, ordered: Select, page: int, size: int = PAGE_SIZE) -> tuple[list, int, int, int]:
    """(rows, total, page, pages) of one page; a page past the end shows the last page."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / size))
    page = min(max(1, page), pages)
    rows = db.session.execute(ordered.limit(size).offset((page - 1) * size)).all()
    return rows, total, page, pages


# --- the account list ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserFilter:
    """What the account list shows. Unknown values fall back to the default, so an old link still shows a page."""

    query: str = ""
    role: str = ""  # "": every role
    status: str = ""  # "": every status but deleted
    sign_in: str = ""
    last_login: str = ""
    sort: str = "name"
    descending: bool = False

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> UserFilter:
        def pick(name: str, allowed: Sequence[str], default: str = "") -> str:
            value = args.get(name) or default
            return value if value in allowed else default

        return cls(
            query=(args.get("q") or "").strip()[:MAX_QUERY],
            role=pick("role", ROLES),
            status=pick("status", STATUSES),
            sign_in=pick("sign_in", SIGN_INS),
            last_login=pick("last_login", LAST_LOGINS),
            sort=pick("sort", SORTS, "name"),
            descending=args.get("dir") == "desc",
        )

    def params(self) -> dict[str, str]:
        """The query parameters that give this filter (defaults left out), for links that keep it."""
        values = {
            "q": self.query,
            "role": self.role,
            "status": self.status,
            "sign_in": self.sign_in,
            "last_login": self.last_login,
            "sort": self.sort if self.sort != "name" else "",
            "dir": "desc" if self.descending else "",
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    name: str
    role: str
    status: str
    has_password: bool
    has_sso: bool
    created_at: datetime
    last_login_at: datetime | None


def _has_sso() -> ColumnElement[bool]:
    return exists().where(SsoIdentity.user_id == User.id)


def _invited() -> ColumnElement[bool]:
    """Never able to log in yet: no password, no single sign-on identity, never logged in."""
    return and_(User.password_hash.is_(None), not_(_has_sso()), User.last_login_at.is_(None))


def _status() -> ColumnElement[str]:
    return case(
        (User.deleted_at.is_not(None), "deleted"),
        (User.active.is_(False), "deactivated"),
        (_invited(), "invited"),
        else_="active",
    )


def _status_filter(status: str) -> ColumnElement[bool]:
    live = User.deleted_at.is_(None)
    return {
        "": live,
        "deleted": User.deleted_at.is_not(None),
        "deactivated": and_(live, User.active.is_(False)),
        "invited": and_(live, User.active.is_(True), _invited()),
        "active": and_(live, User.active.is_(True), not_(_invited())),
    }[status]


def _user_table(wanted: UserFilter) -> Select:
    statement = select(
        User.id,
        User.email,
        User.display_name.label("name"),
        User.role,
        _status().label("status"),
        User.password_hash.is_not(None).label("has_password"),
        _has_sso().label("has_sso"),
        User.created_at,
        User.last_login_at,
    ).where(_status_filter(wanted.status))
    if wanted.query:
        needle = wanted.query.lower()
        statement = statement.where(
            or_(
                func.lower(User.display_name).contains(needle, autoescape=True),
                User.email.contains(needle, autoescape=True),  # stored in lower case
            )
        )
    if wanted.role:
        statement = statement.where(User.role == wanted.role)
    if wanted.sign_in == "password":
        statement = statement.where(User.password_hash.is_not(None))
    elif wanted.sign_in == "sso":
        statement = statement.where(_has_sso())
    elif wanted.sign_in == "none":
        statement = statement.where(User.password_hash.is_(None), not_(_has_sso()))
    if wanted.last_login == "never":
        statement = statement.where(User.last_login_at.is_(None))
    elif wanted.last_login:
        statement = statement.where(User.last_login_at < utcnow() - timedelta(days=int(wanted.last_login)))
    return statement


def _user_order(statement: Select, wanted: UserFilter) -> Select:
    keys: list = {
        "name": [func.lower(User.display_name)],
        "email": [User.email],
        "created": [User.created_at],
        "last_login": [User.last_login_at],
    }[wanted.sort]
    if wanted.descending:
        keys = [key.desc() for key in keys]
    if wanted.sort == "last_login":  # never logged in: at the end either way
        keys.insert(0, case((User.last_login_at.is_(None), 1), else_=0))
    return statement.order_by(*keys, User.id)


def user_page(wanted: UserFilter, page: int) -> Page[UserRow]:
    statement = _user_table(wanted)
    rows, total, page, pages = _paged(statement, _user_order(statement, wanted), page)
    return Page([_user_row(row) for row in rows], total, page, pages, PAGE_SIZE)


def _user_row(row) -> UserRow:  # noqa: ANN001 - a result row
    return UserRow(
        row.id,
        row.email,
        row.name,
        row.role,
        row.status,
        bool(row.has_password),
        bool(row.has_sso),
        row.created_at,
        row.last_login_at,
    )


def status_counts() -> dict[str, int]:
    """How many accounts have each status, in one query."""
    statuses = select(_status().label("status")).subquery()
    counts = dict(db.session.execute(select(statuses.c.status, func.count()).group_by(statuses.c.status)).all())
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def list_users(role: str | None = None, status: str | None = None) -> list[UserRow]:
    """Every account the filter selects, by email (for `flask users list`)."""
    wanted = UserFilter(role=role or "", status=status or "", sort="email")
    statement = _user_table(wanted)
    return [_user_row(row) for row in db.session.execute(_user_order(statement, wanted))]


# --- one account --------------------------------------------------------------------------------------------------


def status_of(user: User) -> str:
    if user.deleted_at is not None:
        return "deleted"
    if not user.active:
        return "deactivated"
    if is_invited(user):
        return "invited"
    return "active"


def is_invited(user: User) -> bool:
    """Invited and not yet arrived: no password, no single sign-on identity, never logged in."""
    if user.password_hash is not None or user.last_login_at is not None:
        return False
    return not db.session.scalar(select(exists().where(SsoIdentity.user_id == user.id)))


def identities(user: User) -> list[SsoIdentity]:
    return list(
        db.session.scalars(
            select(SsoIdentity).where(SsoIdentity.user_id == user.id).order_by(SsoIdentity.provider, SsoIdentity.id)
        )
    )


def recent_entries(user: User, limit: int = RECENT_ENTRIES) -> list[AuditEntry]:
    """The newest audit entries about the account or by it."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(or_(AuditEntry.target_user_id == user.id, AuditEntry.actor_id == user.id))
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )


def _is_active_admin(user: User) -> bool:
    return user.role == "admin" and user.active and user.deleted_at is None


def _refuse_last_admin(user: User) -> None:
    """Raise LastAdminError unless another active admin remains when `user` stops being one.

    Locks the admin rows (PostgreSQL) or the database (SQLite) until the commit, so the check still holds then.
    """
    if not _is_active_admin(user):
        return
    lock_for_writing()
    admins = db.session.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True), User.deleted_at.is_(None)).with_for_update()
    ).all()
    if not set(admins) - {user.id}:
        raise LastAdminError()


def change_role(user: User, role: str) -> bool:
    """Give the account another role; False if it has that role already. Raises LastAdminError."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role == user.role:
        return False
    if role != "admin":
        _refuse_last_admin(user)
    previous = user.role
    user.role = role
    audit.record("role_changed", target=user, **{"from": previous, "to": role})
    return True


def change_active(user: User, active: bool) -> bool:
    """Deactivate (its sessions end at once) or reactivate the account; False if nothing changes."""
    if user.active == active:
        return False
    if not active:
        _refuse_last_admin(user)
    accounts.set_active(user, active)
    audit.record("reactivated" if active else "deactivated", target=user)
    return True


def check_deletable(user: User) -> None:
    """Raise LastAdminError if deleting the account would leave the site without an active admin."""
    _refuse_last_admin(user)


# --- invitations --------------------------------------------------------------------------------------------------


def invite(email: str, name: str, role: str, locale: str, source: str | None = None) -> User:
    """An account without a password, waiting for its owner to set one through the invitation; the caller queues
    the invitation (course/auth/mails.py) and commits both together. Raises accounts.EmailTakenError."""
    user = accounts.create_user(email, None, name, role, locale, email_verified=False)
    audit.record("invited", target=user, role=role, source=source)
    return user


def mail_link(user: User, inviter_name: str) -> str:
    """Mail an invited account its invitation again, any other account a password-reset link; "invite" or "reset".
    The mail is queued and sent by a job once the caller has committed."""
    if is_invited(user):
        mails.send_invitation(user, inviter_name)
        audit.record("invited", target=user, role=user.role, resent=True)
        return "invite"
    mails.send_password_reset(user)
    audit.record("password_reset_requested", target=user, mail="reset")
    return "reset"


def taken_addresses(emails: Iterable[str]) -> set[str]:
    """Which of these (normalised) addresses already have an account."""
    wanted = sorted(set(emails))
    taken: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        taken.update(db.session.scalars(select(User.email).where(User.email.in_(chunk))))
    return taken


def check_import(parsed: user_import.ParsedImport) -> user_import.ParsedImport:
    """The parsed file with a problem for every address that already has an account and every group it names that
    does not exist."""
    checked = user_import.with_taken(parsed, taken_addresses(person.email for person in parsed.people))
    named = {name for person in parsed.people for name in person.groups}
    existing = set(db.session.scalars(select(Group.name_key).where(Group.name_key.in_({group_key(n) for n in named}))))
    return user_import.with_unknown_groups(checked, {name for name in named if group_key(name) not in existing})


def import_people(people: Sequence[user_import.Person]) -> list[User]:
    """Create every account of a checked file (audit source csv); the caller commits, then sends the invitations.
    Raises AddressTakenError if an address got an account since the check."""
    users = []
    for person in people:
        try:
            user = invite(person.email, person.name, person.role, person.language, source="csv")
        except accounts.EmailTakenError:
            raise AddressTakenError(user_import.taken_problem(person)) from None
        for name in person.groups:
            group = groups.find_group(name)
            if group is None:  # deleted since the check: refuse the file as a whole, like a taken address
                unknown = user_import.with_unknown_groups(user_import.ParsedImport((person,)), {name})
                raise AddressTakenError(unknown.problems[0])
            groups.add_member(group, user, "member", groups.CSV)
        users.append(user)
    return users


# --- the audit log ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    person: str = ""
    start: date | None = None
    end: date | None = None  # inclusive

    def params(self) -> dict[str, str]:
        values = {
            "action": self.action,
            "person": self.person,
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
        }
        return {name: value for name, value in values.items() if value}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _audit_statement(wanted: AuditFilter) -> Select:
    statement = select(AuditEntry)
    if wanted.action:
        statement = statement.where(AuditEntry.action == wanted.action)
    if wanted.person:
        needle = wanted.person.lower()
        statement = statement.where(
            or_(
                func.lower(AuditEntry.actor_label).contains(needle, autoescape=True),
                func.lower(AuditEntry.target_label).contains(needle, autoescape=True),
            )
        )
    if wanted.start:
        statement = statement.where(AuditEntry.created_at >= _day_start(wanted.start))
    if wanted.end and wanted.end < date.max:
        statement = statement.where(AuditEntry.created_at < _day_start(wanted.end + timedelta(days=1)))
    return statement


def _newest_first(statement: Select) -> Select:
    return statement.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def audit_page(wanted: AuditFilter, page: int) -> Page[AuditEntry]:
    statement = _audit_statement(wanted)
    rows, total, page, pages = _paged(statement, _newest_first(statement), page)
    return Page([row[0] for row in rows], total, page, pages, PAGE_SIZE)


def audit_entries(wanted: AuditFilter) -> Iterator[AuditEntry]:
    """Every entry the filter selects, newest first, fetched in batches (for the streamed CSV)."""
    statement = _newest_first(_audit_statement(wanted)).execution_options(yield_per=500)
    yield from db.session.scalars(statement)
