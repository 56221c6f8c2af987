"""What a single sign-on login decides from the ID token's claims: the role, whether the address may be linked to
an existing account, and the name and language of a new one.

Plain data in, plain data out: the claims are the validated ID token's payload (a dict), a provider's settings
the dict from OIDC_PROVIDERS. The web layer (course/auth/sso.py) does the talking to the provider, the account
layer (course/auth/sso_accounts.py) the writing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Lowest to highest: a person with several role values gets the highest one. Equal to course.models.ROLES (a
# web test keeps the two in step).
ROLE_ORDER = ("learner", "manager", "trainer", "admin")
DEFAULT_SCOPE = "openid email profile"
NAME_MAX_LENGTH = 120  # the users.display_name column


class SignInRefused(Exception):  # noqa: N818 - a refusal the person is shown, not a programming error
    """The sign-in cannot go on. `reason` names why (the audit log keeps it, the page explains it), `detail`
    adds what an operator needs (never shown); `account_id` or `email` name the account concerned, if any."""

    def __init__(
        self, reason: str, detail: str | None = None, *, account_id: int | None = None, email: str | None = None
    ) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.account_id = account_id
        self.email = email


def claim_values(claims: Mapping[str, object], path: str) -> list[str] | None:
    """The values at a dotted claim path ("roles", "realm_access.roles") as strings, or None when the claim is
    missing. A claim whose own name has dots ("https://kam.example/roles", as Auth0 wants) is found as it is.
    Providers send a role as a string or a list of strings; other types are ignored."""
    value: object = claims
    if path in claims:
        value = claims[path]
    else:
        for part in path.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else [value]
    return [item for item in items if isinstance(item, str)]


def mapped_role(values: Iterable[str], roles: Mapping[str, str]) -> str | None:
    """The highest course role the claim values map to through `roles`, or None when none maps."""
    ranks = [ROLE_ORDER.index(roles[value]) for value in values if roles.get(value) in ROLE_ORDER]
    return ROLE_ORDER[max(ranks)] if ranks else None


def login_role(claims: Mapping[str, object], provider: Mapping[str, object], current_role: str | None) -> str | None:
    """The role the account has after this login (`current_role` None: a new account), or None to refuse it.

    With a `role_claim` the provider decides at every login: the claim's values through `roles`, else
    `default_role`, else no entry. Without one the provider only names the first role of a new account.
    """
    default_role = provider.get("default_role") or None
    role_claim = provider.get("role_claim")
    if not role_claim:
        return current_role or str(default_role or "learner")
    roles = provider.get("roles")
    role = mapped_role(claim_values(claims, str(role_claim)) or [], roles if isinstance(roles, Mapping) else {})
    return role or (str(default_role) if default_role else None)


def login_groups(claims: Mapping[str, object], provider: Mapping[str, object]) -> list[str] | None:
    """The group names the account is in through this provider after this login, or None when the provider has
    no `group_claim` (its memberships are then left alone). A missing claim means no groups (providers leave an
    empty list out). With a `groups` mapping only the values it names count, as the group names it gives; without
    one each value is a group name."""
    group_claim = provider.get("group_claim")
    if not group_claim:
        return None
    values = claim_values(claims, str(group_claim)) or []
    mapping = provider.get("groups")
    if isinstance(mapping, Mapping):
        return [str(mapping[value]) for value in values if value in mapping]
    return [value for value in values if value.strip()]


def email_verified(claims: Mapping[str, object]) -> bool:
    """Whether the provider vouches for the address. Some providers send the boolean as the string "true"."""
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def email_address(claims: Mapping[str, object]) -> str | None:
    """The token's address, normalised, or None when it has none usable."""
    value = claims.get("email")
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    return email if at and local and domain and len(email) <= 254 and not any(c.isspace() for c in email) else None


def display_name(claims: Mapping[str, object], email: str) -> str:
    """The name a new account shows: `name`, else given and family name, else the address's local part."""
    name = _text(claims.get("name"))
    if not name:
        name = " ".join(part for part in (_text(claims.get("given_name")), _text(claims.get("family_name"))) if part)
    if not name:
        name = email.partition("@")[0]
    return name[:NAME_MAX_LENGTH].strip()


def language(claims: Mapping[str, object], supported: Iterable[str], fallback: str) -> str:
    """The interface language from the `locale` claim ("de", "de-DE", "en_GB") if supported, else `fallback`."""
    value = claims.get("locale")
    if isinstance(value, str):
        primary = value.replace("_", "-").split("-")[0].strip().lower()
        if primary in supported:
            return primary
    return fallback


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""
