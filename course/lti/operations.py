"""LTI writes: registered platforms, and what a launch leaves behind (the account, the context's group, the link
and who launched it, which the grade and roster services of course/lti/services.py build on); the caller commits.

A person is known by (platform, `sub`), stored as an SsoIdentity with provider "lti:<platform id>". An email claim
names a new account's address only when no account has it yet: an LMS vouches for its own users, not for ours, so
a launch never joins an existing account by address (that would hand the account to whoever the LMS says owns the
address). Without a usable address the account gets a placeholder no mail can reach (course/core/lti.py).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from course import embedding
from course.audit import operations as audit
from course.auth import operations as accounts
from course.core import lti
from course.core.lti import LaunchRefused
from course.extensions import db, savepoint
from course.groups import operations as groups
from course.i18n import LANGUAGES
from course.models import (
    Group,
    LtiContext,
    LtiLaunch,
    LtiPlatform,
    LtiResourceLink,
    LtiState,
    SsoIdentity,
    User,
    utcnow,
)

REFUSAL_PREFIX = "refusal:"
REGISTRATION_PREFIX = "registration:"
REGISTRATION_LINK_LIFETIME = timedelta(days=7)
REFUSALS_KEPT_FOR = timedelta(days=30)
REFUSALS_SHOWN = 20
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


class PlatformTakenError(Exception):
    """Another platform has this issuer and client id."""


def provider_key(platform: LtiPlatform) -> str:
    """The SsoIdentity provider and group membership source of this platform's people."""
    return f"lti:{platform.id}"


# --- platforms ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformSettings:
    name: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None = None


def platforms() -> list[LtiPlatform]:
    return list(db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.name, LtiPlatform.id)))


def _audit(action: str, platform: LtiPlatform, **detail: object) -> None:
    label = f"{platform.name} ({platform.issuer}, {platform.client_id})"[:254]
    audit.record(action, target_label=label, platform=platform.id, **detail)


def add_platform(settings: PlatformSettings, *, registered: bool = False) -> LtiPlatform:
    """A new active platform (`registered`: by the LMS itself, LTI Dynamic Registration); raises
    PlatformTakenError."""
    platform = LtiPlatform(active=True)
    _apply(platform, settings)
    try:
        with savepoint():
            db.session.add(platform)
            db.session.flush()
    except IntegrityError:
        raise PlatformTakenError(settings.issuer) from None
    _audit("lti_platform_added", platform, dynamic_registration=registered)
    embedding.forget_origins()
    return platform


def edit_platform(platform: LtiPlatform, settings: PlatformSettings) -> None:
    """Change a platform's settings; raises PlatformTakenError."""
    before = platform_settings(platform)
    _apply(platform, settings)
    try:
        with savepoint():
            db.session.flush()
    except IntegrityError:
        raise PlatformTakenError(settings.issuer) from None
    changed = sorted(name for name in vars(settings) if getattr(settings, name) != getattr(before, name))
    if changed:
        _audit("lti_platform_changed", platform, changed=changed)
    embedding.forget_origins()


def _apply(platform: LtiPlatform, settings: PlatformSettings) -> None:
    platform.name = settings.name
    platform.issuer = settings.issuer
    platform.client_id = settings.client_id
    platform.deployment_ids = list(settings.deployment_ids)
    platform.auth_login_url = settings.auth_login_url
    platform.auth_token_url = settings.auth_token_url
    platform.auth_audience = settings.auth_audience or None
    platform.key_set_url = settings.key_set_url


def set_active(platform: LtiPlatform, active: bool) -> None:
    """An inactive platform's launches are refused and it may no longer frame the site; its people keep their
    accounts and results."""
    if platform.active != active:
        _audit("lti_platform_activated" if active else "lti_platform_deactivated", platform)
    platform.active = active
    embedding.forget_origins()


def remove_platform(platform: LtiPlatform) -> None:
    """Delete the platform with its contexts, links and launches (the groups and accounts stay)."""
    _audit("lti_platform_removed", platform)
    db.session.delete(platform)
    embedding.forget_origins()


def platform_settings(platform: LtiPlatform) -> PlatformSettings:
    return PlatformSettings(
        name=platform.name,
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=list(platform.deployment_ids or []),
        auth_login_url=platform.auth_login_url,
        auth_token_url=platform.auth_token_url,
        key_set_url=platform.key_set_url,
        auth_audience=platform.auth_audience,
    )


# --- dynamic registration links ------------------------------------------------------------------------------------


def _link_key(token: str) -> str:
    return REGISTRATION_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def create_registration_link(by: User) -> str:
    """A secret for one dynamic registration within REGISTRATION_LINK_LIFETIME; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        LtiState(key=_link_key(token), value={"by": by.id}, expires_at=utcnow() + REGISTRATION_LINK_LIFETIME)
    )
    return token


def registration_link_valid(token: str) -> bool:
    row = db.session.get(LtiState, _link_key(token)) if len(token) <= 100 else None
    return row is not None and row.expires_at > utcnow()


def take_registration_link(token: str) -> bool:
    """Use the link up (one guarded DELETE: two registrations at once cannot both use it)."""
    taken = db.session.execute(delete(LtiState).where(LtiState.key == _link_key(token), LtiState.expires_at > utcnow()))
    return taken.rowcount == 1


# --- refusals, kept for the admins ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    at: datetime
    reason: str
    detail: str
    issuer: str
    platform_id: int | None


def record_refusal(refusal: LaunchRefused, issuer: str | None, platform_id: int | None) -> None:
    """Keep a refused launch for the admin page for REFUSALS_KEPT_FOR (in lti_state, purged with the rest)."""
    now = utcnow()
    db.session.add(
        LtiState(
            key=f"{REFUSAL_PREFIX}{now.isoformat()}:{secrets.token_hex(4)}",
            value={
                "reason": refusal.reason,
                "detail": refusal.detail[:1000],
                "issuer": (issuer or "")[:500],
                "platform_id": platform_id,
                "at": now.isoformat(),
            },
            expires_at=now + REFUSALS_KEPT_FOR,
        )
    )


def recent_refusals(limit: int = REFUSALS_SHOWN) -> list[Refusal]:
    rows = db.session.scalars(
        select(LtiState)
        .where(LtiState.key.startswith(REFUSAL_PREFIX), LtiState.expires_at > utcnow())
        .order_by(LtiState.key.desc())
        .limit(limit)
    )
    return [
        Refusal(
            at=datetime.fromisoformat(row.value["at"]),
            reason=str(row.value.get("reason", "")),
            detail=str(row.value.get("detail", "")),
            issuer=str(row.value.get("issuer", "")),
            platform_id=row.value.get("platform_id"),
        )
        for row in rows
    ]


# --- launches -------------------------------------------------------------------------------------------------------


def sign_in(platform: LtiPlatform, claims: Mapping[str, Any], language: str) -> User:
    """The account of the launch's person, created on the first launch, its role brought up to date; raises
    LaunchRefused for a deactivated or deleted account."""
    key = provider_key(platform)
    subject = str(claims["sub"])
    if len(subject) > 255:  # the spec's limit; cutting it could make two people one
        raise LaunchRefused("missing_claims", "sub longer than 255 characters")
    identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.provider == key, SsoIdentity.subject == subject))
    if identity is not None:
        user = db.session.get(User, identity.user_id)
        if user is None or not user.active or user.deleted_at is not None:
            raise LaunchRefused("account_closed", f"account {identity.user_id}")
        role = lti.site_role(claims, user.role)
        if role != user.role:
            audit.record("role_changed", target=user, actor=None, provider=key, **{"from": user.role, "to": role})
            user.role = role
        identity.last_login_at = utcnow()
        return user
    email = lti.email_claim(claims)
    if email is None or accounts.find_user(email) is not None:
        email = lti.placeholder_email(platform.id, subject)
    try:
        user = accounts.create_user(
            email,
            None,
            lti.display_name(claims, platform.name),
            role=lti.site_role(claims, None),
            locale=_locale(claims, language),
        )
        with savepoint():  # the unique (provider, subject) decides between two first launches at once
            db.session.add(SsoIdentity(user_id=user.id, provider=key, subject=subject, last_login_at=utcnow()))
            db.session.flush()
    except (accounts.EmailTakenError, IntegrityError):
        raise LaunchRefused("state", "a launch at the same moment created the account") from None
    audit.record("registered", target=user, actor=user, provider=key)
    return user


def _locale(claims: Mapping[str, Any], language: str) -> str:
    wanted = claims.get("locale")
    if isinstance(wanted, str) and wanted[:2].lower() in LANGUAGES:
        return wanted[:2].lower()
    return language


def record_launch(
    platform: LtiPlatform, deployment_id: str, claims: Mapping[str, Any], user: User, target: str
) -> LtiResourceLink | None:
    """The context (with its group and service endpoints), the resource link and the person's launch of it."""
    context = _context(platform, claims, user)
    link_claim = claims.get(lti.RESOURCE_LINK)
    if not isinstance(link_claim, Mapping) or not link_claim.get("id"):
        return None
    ags = claims.get(lti.AGS_ENDPOINT) if isinstance(claims.get(lti.AGS_ENDPOINT), Mapping) else {}
    link = _get_or_add(
        select(LtiResourceLink).where(
            LtiResourceLink.platform_id == platform.id, LtiResourceLink.resource_link_id == str(link_claim["id"])
        ),
        lambda: LtiResourceLink(
            platform_id=platform.id,
            resource_link_id=str(link_claim["id"])[:255],
            deployment_id=deployment_id[:255],
            target=target,
        ),
    )
    link.deployment_id = deployment_id[:255]
    link.context_row_id = context.id if context else None
    link.title = str(link_claim.get("title") or "")[: lti.TITLE_MAX_LENGTH]
    link.target = target
    if isinstance(ags.get("lineitem"), str):  # without one, keep the line item the tool created or found before
        link.lineitem_url = ags["lineitem"]
    launch = _get_or_add(
        select(LtiLaunch).where(LtiLaunch.link_id == link.id, LtiLaunch.user_id == user.id),
        lambda: LtiLaunch(link_id=link.id, user_id=user.id, subject=str(claims["sub"])[:255]),
    )
    launch.last_at = utcnow()
    return link


def _get_or_add(query: Any, make: Any) -> Any:
    """The row the query finds, else a new one (flushed); a parallel launch that added it first wins."""
    row = db.session.scalar(query)
    if row is not None:
        return row
    try:
        with savepoint():
            row = make()
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        row = db.session.scalar(query)
        if row is None:
            raise LaunchRefused("state", "a launch at the same moment failed") from None
    return row


def _context(platform: LtiPlatform, claims: Mapping[str, Any], user: User) -> LtiContext | None:
    claim = claims.get(lti.CONTEXT)
    if not isinstance(claim, Mapping) or not claim.get("id"):
        return None
    context_id = str(claim["id"])[:255]
    context = _get_or_add(
        select(LtiContext).where(LtiContext.platform_id == platform.id, LtiContext.context_id == context_id),
        lambda: LtiContext(platform_id=platform.id, context_id=context_id),
    )
    context.title = lti.context_title(claims)
    ags = claims.get(lti.AGS_ENDPOINT)
    nrps = claims.get(lti.NRPS)
    scopes: list[str] = []
    if isinstance(ags, Mapping):
        context.lineitems_url = ags.get("lineitems") if isinstance(ags.get("lineitems"), str) else None
        scopes += [scope for scope in ags.get("scope") or [] if isinstance(scope, str)]
    if isinstance(nrps, Mapping) and isinstance(nrps.get("context_memberships_url"), str):
        context.memberships_url = nrps["context_memberships_url"]
        scopes.append(NRPS_SCOPE)
    context.service_scopes = scopes
    group = db.session.get(Group, context.group_id) if context.group_id else None
    if group is None:
        group = _new_group(lti.context_group_name(platform.name, claims, context_id, Group.name.type.length))
        context.group_id = group.id
    _join(group, user, lti.group_role(claims), provider_key(platform))
    return context


def _new_group(name: str) -> Group:
    """A group for a context; a name another group has already gets a number."""
    for number in range(1, 100):
        candidate = name if number == 1 else f"{name[: Group.name.type.length - 6]} ({number})"
        try:
            return groups.create_group(candidate, by=None, source="lti")
        except groups.GroupNameTakenError:
            continue
    raise LaunchRefused("state", f"no free group name for {name!r}")


def _join(group: Group, user: User, role: str, source: str) -> None:
    row = groups.membership(group, user.id)
    if row is None:
        try:
            groups.add_member(group, user, role, source, actor=None)
        except groups.AlreadyMemberError:
            return
    elif row.source == source and row.role_in_group != role:
        groups.change_member_role(group, row, user, role)


def take_launch_data(launch_id: str) -> None:
    """A deep-linking launch answered: its data cannot answer twice (pylti1p3's launch ids carry its key prefix)."""
    db.session.execute(delete(LtiState).where(LtiState.key == launch_id))
