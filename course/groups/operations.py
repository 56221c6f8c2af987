"""What groups read and write: the groups, their members (by hand, from a CSV file, from a single sign-on group
claim) and the groups of an account. Every change records an audit entry in the same transaction; the caller
commits. A name is unique whatever its case (`group_key`); the unique index decides between two admins creating
the same group at the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, delete, func, literal, select
from sqlalchemy.exc import IntegrityError

from course.audit import operations as audit
from course.core import group_import
from course.extensions import db, savepoint
from course.models import GROUP_ROLES, STAFF_ROLES, Group, GroupMembership, User, group_key

MANUAL = "manual"
CSV = "csv"


class GroupNameTakenError(Exception):
    """Another group has this name (case and spaces ignored)."""


class AlreadyMemberError(Exception):
    """The account is in the group already."""


class MemberAddedError(Exception):
    """An address of an import joined the group, or lost its account, between the check and the import."""

    def __init__(self, member: group_import.Member) -> None:
        super().__init__(member.email)
        self.member = member


def sso_source(provider: str) -> str:
    return f"sso:{provider}"


def clean_name(name: str) -> str:
    return " ".join(name.split())


# --- groups -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    id: int
    name: str
    description: str
    counts: dict[str, int]  # role in the group → members

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def group_rows() -> list[GroupRow]:
    """Every group by name, with its member counts per role in the group (two queries, whatever the size)."""
    groups = db.session.execute(select(Group.id, Group.name, Group.description).order_by(Group.name_key)).all()
    counts: dict[int, dict[str, int]] = {}
    for group_id, role, count in db.session.execute(
        select(GroupMembership.group_id, GroupMembership.role_in_group, func.count()).group_by(
            GroupMembership.group_id, GroupMembership.role_in_group
        )
    ):
        counts.setdefault(group_id, {})[role] = int(count)
    return [
        GroupRow(row.id, row.name, row.description, {role: counts.get(row.id, {}).get(role, 0) for role in GROUP_ROLES})
        for row in groups
    ]


def find_group(name: str) -> Group | None:
    return db.session.scalar(select(Group).where(Group.name_key == group_key(name)))


def create_group(name: str, description: str = "", *, by: User | None = None, source: str = MANUAL) -> Group:
    """A new group; raises GroupNameTakenError."""
    name = clean_name(name)
    if find_group(name) is not None:
        raise GroupNameTakenError(name)
    group = Group(name=name, name_key=group_key(name), description=description.strip(), created_by_id=by and by.id)
    try:
        with savepoint():
            db.session.add(group)
            db.session.flush()
    except IntegrityError:
        raise GroupNameTakenError(name) from None
    audit.record("group_created", target_label=name, actor=by, group=name, source=source)
    return group


def edit_group(group: Group, name: str, description: str) -> bool:
    """Rename the group and set its description; False if nothing changes. Raises GroupNameTakenError."""
    name = clean_name(name)
    description = description.strip()
    if name == group.name and description == group.description:
        return False
    if name != group.name:
        other = find_group(name)
        if other is not None and other.id != group.id:
            raise GroupNameTakenError(name)
        previous = group.name
        try:
            with savepoint():
                group.name = name
                group.name_key = group_key(name)
                db.session.flush()
        except IntegrityError:
            raise GroupNameTakenError(name) from None
        audit.record("group_renamed", target_label=name, group=name, **{"from": previous})
    group.description = description
    return True


def delete_group(group: Group) -> None:
    """Delete the group and its memberships (the accounts stay)."""
    members = member_count(group)
    audit.record("group_deleted", target_label=group.name, group=group.name, members=members)
    db.session.execute(delete(GroupMembership).where(GroupMembership.group_id == group.id))
    db.session.delete(group)


def member_count(group: Group) -> int:
    return db.session.scalar(select(func.count()).where(GroupMembership.group_id == group.id)) or 0


# --- members ------------------------------------------------------------------------------------------------------


def members(group: Group) -> list[tuple[GroupMembership, User]]:
    """The group's members with their accounts, by role in the group, then name."""
    order = {role: index for index, role in enumerate(("manager", "trainer", "member"))}
    rows = db.session.execute(
        select(GroupMembership, User)
        .join(User, User.id == GroupMembership.user_id)
        .where(GroupMembership.group_id == group.id)
        .order_by(func.lower(User.display_name), User.id)
    ).all()
    return sorted(((row[0], row[1]) for row in rows), key=lambda pair: order.get(pair[0].role_in_group, 9))


def membership(group: Group, user_id: int) -> GroupMembership | None:
    return db.session.scalar(
        select(GroupMembership).where(GroupMembership.group_id == group.id, GroupMembership.user_id == user_id)
    )


def groups_of(user: User) -> list[tuple[Group, GroupMembership]]:
    """The account's groups by name, with its membership in each."""
    rows = db.session.execute(
        select(Group, GroupMembership)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(GroupMembership.user_id == user.id)
        .order_by(Group.name_key)
    ).all()
    return [(row[0], row[1]) for row in rows]


def add_member(
    group: Group, user: User, role: str = "member", source: str = MANUAL, *, actor: object = audit._UNSET
) -> GroupMembership:
    """Put the account in the group; raises AlreadyMemberError (also when a parallel request just did)."""
    if role not in GROUP_ROLES:
        raise ValueError(f"unknown role in a group {role!r}")
    if membership(group, user.id) is not None:
        raise AlreadyMemberError(user.email)
    row = GroupMembership(group_id=group.id, user_id=user.id, role_in_group=role, source=source)
    try:
        with savepoint():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise AlreadyMemberError(user.email) from None
    audit.record("group_member_added", target=user, actor=actor, group=group.name, role=role, source=source)
    return row


def remove_member(group: Group, row: GroupMembership, user: User, *, actor: object = audit._UNSET) -> None:
    audit.record("group_member_removed", target=user, actor=actor, group=group.name, source=row.source)
    db.session.delete(row)


def change_member_role(group: Group, row: GroupMembership, user: User, role: str) -> bool:
    """Give the member another role in the group; False if it has that one already."""
    if role not in GROUP_ROLES:
        raise ValueError(f"unknown role in a group {role!r}")
    if role == row.role_in_group:
        return False
    audit.record(
        "group_member_role_changed",
        target=user,
        group=group.name,
        source=row.source,
        **{"from": row.role_in_group, "to": role},
    )
    row.role_in_group = role
    return True


# --- members from a CSV file --------------------------------------------------------------------------------------


def _accounts_by_email(emails: Iterable[str]) -> dict[str, User]:
    wanted = sorted(set(emails))
    found: dict[str, User] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for user in db.session.scalars(select(User).where(User.email.in_(chunk), User.deleted_at.is_(None))):
            found[user.email] = user
    return found


def check_member_import(group: Group, parsed: group_import.ParsedMembers) -> group_import.ParsedMembers:
    """The parsed file with a problem for every address without an account and every one in the group already."""
    accounts = _accounts_by_email(member.email for member in parsed.members)
    in_group = set(
        db.session.scalars(
            select(User.email)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(GroupMembership.group_id == group.id)
        )
    )
    return group_import.with_known(parsed, accounts, in_group)


def import_members(group: Group, people: Sequence[group_import.Member]) -> list[User]:
    """Add every member of a checked file (source csv); the caller commits. Raises MemberAddedError when an
    address changed since the check (then roll back: nothing of the file is kept)."""
    accounts = _accounts_by_email(member.email for member in people)
    added = []
    for member in people:
        user = accounts.get(member.email)
        if user is None:
            raise MemberAddedError(member)
        try:
            add_member(group, user, member.role, CSV)
        except AlreadyMemberError:
            raise MemberAddedError(member) from None
        added.append(user)
    return added


# --- members from a single sign-on group claim ----------------------------------------------------------------------


def sync_sso_groups(user: User, provider: str, names: Iterable[str]) -> None:
    """Make the account's memberships from this provider match the group names its claim lists now: join the
    groups it names (created when unknown), leave the ones it no longer names. Memberships from elsewhere (an admin,
    a file, another provider) stay as they are; a group the account is in already by hand is left alone."""
    source = sso_source(provider)
    wanted: dict[str, str] = {}
    for name in names:
        cleaned = clean_name(name)[: Group.name.type.length]
        if cleaned:
            wanted.setdefault(group_key(cleaned), cleaned)
    current = {group.name_key: (group, row) for group, row in groups_of(user)}
    for key, (group, row) in current.items():
        if row.source == source and key not in wanted:
            remove_member(group, row, user, actor=None)
    for key, name in wanted.items():
        if key in current:
            continue
        group = find_group(name)
        if group is None:
            try:
                group = create_group(name, by=None, source=source)
            except GroupNameTakenError:  # created at the same moment by another login
                group = find_group(name)
                if group is None:
                    continue
        try:
            add_member(group, user, "member", source, actor=None)
        except AlreadyMemberError:
            continue


# --- who sees whom --------------------------------------------------------------------------------------------------

WATCHING_ROLES = ("trainer", "manager")  # the parts in a group that see its members' progress
READER_ROLES = ("manager", *STAFF_ROLES)  # the accounts that read learners' progress (managers only read)


def watched_group_ids(user: User) -> Select:
    """The ids of the groups the account looks after as a trainer or manager (a subquery)."""
    return select(GroupMembership.group_id).where(
        GroupMembership.user_id == user.id, GroupMembership.role_in_group.in_(WATCHING_ROLES)
    )


def site_has_groups() -> bool:
    return db.session.scalar(select(Group.id).limit(1)) is not None


def learners_in_view(user: User) -> Select | None:
    """The ids of the learners whose progress, designs, certificates and answers the account may see (a subquery),
    or None for everyone: admins see everyone, and so do trainers on a site that has no groups at all (a small
    team need not set groups up). Otherwise trainers and managers see the members of the groups they look after,
    and nobody else."""
    if user.role == "admin" or (user.role == "trainer" and not site_has_groups()):
        return None
    return select(GroupMembership.user_id).where(
        GroupMembership.group_id.in_(watched_group_ids(user)), GroupMembership.role_in_group == "member"
    )


def looks_after_no_group(user: User) -> bool:
    """Whether the account's view is limited to groups but it looks after none yet: its pages are empty, and say
    why, instead of failing."""
    if learners_in_view(user) is None:
        return False
    return not db.session.scalar(select(watched_group_ids(user).exists()))


def may_see_learner(user: User, learner_id: int) -> bool:
    scope = learners_in_view(user)
    if scope is None:
        return True
    return db.session.scalar(select(literal(True)).where(literal(learner_id).in_(scope))) is not None


def may_see_group(user: User, group_id: int) -> bool:
    """Admins see every group; trainers and managers the groups they look after."""
    if user.role == "admin":
        return True
    return db.session.scalar(select(literal(True)).where(literal(group_id).in_(watched_group_ids(user)))) is not None


def groups_in_view(user: User) -> list[Group]:
    """The groups the account may pick in reports and assignments, by name."""
    statement = select(Group).order_by(Group.name_key)
    if user.role != "admin":
        statement = statement.where(Group.id.in_(watched_group_ids(user)))
    return list(db.session.scalars(statement))
