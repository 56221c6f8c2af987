"""Rosters from an LMS: the members of an LMS course (Names and Role Provisioning Services) kept in the course's
group here, so trainers see their learners before each of them has launched the tool once.

A sync reads the whole membership list, then changes only what the roster put there (source "lti:<platform id>",
the same as a launch's memberships): members who joined are added (learners as members, teachers as trainers, by
the launch's rule in course/core/lti.py), members who left or became inactive are removed, and a changed role is
changed. Memberships an admin, a file or a sign-on claim made stay as they are. An unknown member gets the account
their first launch would make (no password; it signs in through the LMS); like a launch, a sync never joins an
existing account by address. A known member's role here is left to their own launches.
Each change is in the audit log (group_member_added/removed/role_changed with the source). The caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from course.audit import operations as audit
from course.auth import operations as accounts
from course.core import lti
from course.core import lti_services as spec
from course.core.sso import language
from course.extensions import db, savepoint
from course.groups import operations as groups
from course.i18n import LANGUAGES
from course.lti import services
from course.lti.operations import provider_key
from course.models import GROUP_NAME_MAX, Group, GroupMembership, LtiContext, LtiPlatform, SsoIdentity, User, utcnow

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    added: int = 0
    removed: int = 0
    changed: int = 0
    created: int = 0  # accounts made for members never seen before
    not_added: list[str] = field(default_factory=list)  # why a member was left out, one line each

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.removed} removed, {self.changed} changed role, {self.created} new account(s),"
            f" {len(self.not_added)} left out"
        )


class RosterUnavailable(Exception):
    """The context cannot be synced: its platform is inactive or gave no memberships service."""


def sync(context: LtiContext) -> SyncReport:
    """Bring the context's group in line with the LMS course's members. Raises services.ServiceError when the
    platform cannot be asked (nothing changes then) and RosterUnavailable."""
    platform = db.session.get(LtiPlatform, context.platform_id)
    if not platform.active:
        raise RosterUnavailable(f"platform {platform.name!r} is deactivated")
    if not context.memberships_url:
        raise RosterUnavailable("the platform gave this LMS course no memberships service (NRPS)")
    members = services.memberships(platform, context)
    report = SyncReport()
    group = _group_of(platform, context)
    wanted: dict[int, str] = {}
    for member, user in _accounts_for(platform, [m for m in members if m.active], report):
        if wanted.get(user.id) != "trainer":  # one account listed twice (two LMS ids): the higher part wins
            wanted[user.id] = lti.group_role(member.claims)
    rows = db.session.scalars(select(GroupMembership).where(GroupMembership.group_id == group.id)).all()
    ours = provider_key(platform)
    synced = {row.user_id: row.role_in_group for row in rows if row.source == ours}
    plan = spec.roster_plan(synced, [row.user_id for row in rows if row.source != ours], wanted)
    by_user = {row.user_id: row for row in rows}
    people = _users(set(plan.add) | set(plan.change) | set(plan.remove))
    for user_id, role in plan.add.items():
        try:
            groups.add_member(group, people[user_id], role, ours)
        except groups.AlreadyMemberError:  # a launch at the same moment added them
            continue
        report.added += 1
    for user_id, role in plan.change.items():
        report.changed += groups.change_member_role(group, by_user[user_id], people[user_id], role)
    for user_id in plan.remove:
        groups.remove_member(group, by_user[user_id], people[user_id])
        report.removed += 1
    context.synced_at = utcnow()
    log.info("Roster of LMS course %s (%s) synced: %s", context.id, platform.name, report)
    return report


def _users(ids: set[int]) -> dict[int, User]:
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(sorted(ids))))} if ids else {}


def _group_of(platform: LtiPlatform, context: LtiContext) -> Group:
    """The context's group; made as a launch makes it when it has none (an admin deleted it): named after the LMS
    course and the platform, with a number when another group has that name."""
    group = db.session.get(Group, context.group_id) if context.group_id is not None else None
    if group is not None:
        return group
    claims = {lti.CONTEXT: {"title": context.title}}
    name = lti.context_group_name(platform.name, claims, context.context_id, GROUP_NAME_MAX)
    for number in range(1, 100):
        candidate = name if number == 1 else f"{name[: GROUP_NAME_MAX - 6]} ({number})"
        try:
            group = groups.create_group(candidate, by=None, source="lti")
        except groups.GroupNameTakenError:
            continue
        context.group_id = group.id
        return group
    raise RosterUnavailable(f"no free group name for {name!r}")


def _accounts_for(
    platform: LtiPlatform, members: list[spec.Member], report: SyncReport
) -> Iterable[tuple[spec.Member, User]]:
    """Each member with their account here (found by the platform's id for them, or made); members who cannot have
    one are noted in the report."""
    key = provider_key(platform)
    known: dict[str, User] = {}
    subjects = sorted({member.subject for member in members})
    for start in range(0, len(subjects), 500):
        rows = db.session.execute(
            select(SsoIdentity.subject, User)
            .join(User, User.id == SsoIdentity.user_id)
            .where(SsoIdentity.provider == key, SsoIdentity.subject.in_(subjects[start : start + 500]))
        )
        known.update({subject: user for subject, user in rows})
    for member in members:
        user = known.get(member.subject)
        if user is None:
            user = _user_for(platform, member.subject, member.claims, report)
            if user is None:
                continue
            known[member.subject] = user
        if not user.active or user.deleted_at is not None:
            report.not_added.append(f"{member.subject}: the account {user.email} is closed")
            continue
        yield member, user


def _user_for(platform: LtiPlatform, subject: str, claims: dict, report: SyncReport) -> User | None:
    """A new account for a member never seen before, made exactly as their first launch would make it
    (course/lti/operations.py, `sign_in`): the LMS's address only when no account has it yet, else a placeholder,
    so a sync never joins an existing account by address. None (noted) when a launch made it at the same moment."""
    email = lti.email_claim(claims)
    if email is None or accounts.find_user(email) is not None:
        email = lti.placeholder_email(platform.id, subject)
    try:
        with savepoint():  # the account and its identity together, or neither
            user = accounts.create_user(
                email,
                None,
                lti.display_name(claims, platform.name),
                role=lti.site_role(claims, None),
                locale=language(claims, LANGUAGES, current_app.config["DEFAULT_LANGUAGE"]),
            )
            db.session.add(SsoIdentity(user_id=user.id, provider=provider_key(platform), subject=subject))
            db.session.flush()
    except (accounts.EmailTakenError, IntegrityError):
        report.not_added.append(f"{subject}: a launch made the account at the same moment; the next sync adds it")
        return None
    audit.record("registered", target=user, provider=provider_key(platform))
    report.created += 1
    return user


# --- Several contexts (the CLI and the admin page) -------------------------------------------------------------------


def syncable() -> list[LtiContext]:
    """The contexts with a memberships service, of active platforms."""
    return list(
        db.session.scalars(
            select(LtiContext)
            .join(LtiPlatform, LtiPlatform.id == LtiContext.platform_id)
            .where(LtiContext.memberships_url.is_not(None), LtiPlatform.active.is_(True))
            .order_by(LtiContext.id)
        )
    )
