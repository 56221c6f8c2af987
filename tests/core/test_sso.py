"""The single sign-on decisions from an ID token's claims: role, linking, name, language, address."""

from __future__ import annotations

import pytest

from course.core.sso import (
    claim_values,
    display_name,
    email_address,
    email_verified,
    language,
    login_role,
    mapped_role,
)

ROLES = {"kam-learner": "learner", "kam-trainer": "trainer", "kam-admin": "admin", "broken": "superuser"}
WITH_CLAIM = {"role_claim": "realm_access.roles", "roles": ROLES}


@pytest.mark.parametrize(
    ("claims", "path", "values"),
    [
        ({"roles": ["a", "b"]}, "roles", ["a", "b"]),
        ({"roles": "a"}, "roles", ["a"]),
        ({"roles": []}, "roles", []),
        ({"roles": ["a", 3, None, {"x": 1}]}, "roles", ["a"]),
        ({"realm_access": {"roles": ["a"]}}, "realm_access.roles", ["a"]),
        ({"realm_access": {"other": ["a"]}}, "realm_access.roles", None),
        ({"realm_access": ["roles"]}, "realm_access.roles", None),
        ({"realm_access": "roles"}, "realm_access.roles", None),
        ({"roles": None}, "roles", None),
        ({}, "roles", None),
        ({"https://example.org/roles": ["a"]}, "https://example.org/roles", ["a"]),  # a name with dots
    ],
)
def test_claim_values_follow_a_dotted_path(claims: dict, path: str, values: list[str] | None) -> None:
    assert claim_values(claims, path) == values


@pytest.mark.parametrize(
    ("values", "role"),
    [
        (["kam-learner"], "learner"),
        (["kam-learner", "kam-admin", "kam-trainer"], "admin"),
        (["kam-trainer", "offline_access"], "trainer"),
        (["offline_access"], None),
        (["broken"], None),  # a mapping to no course role is ignored
        ([], None),
    ],
)
def test_the_highest_mapped_role_wins(values: list[str], role: str | None) -> None:
    assert mapped_role(values, ROLES) == role


@pytest.mark.parametrize(
    ("provider", "claims", "current", "role"),
    [
        # With a role claim the provider decides at every login, upwards and downwards.
        (WITH_CLAIM, {"realm_access": {"roles": ["kam-admin"]}}, None, "admin"),
        (WITH_CLAIM, {"realm_access": {"roles": ["kam-learner"]}}, "admin", "learner"),
        (WITH_CLAIM, {"realm_access": {"roles": "kam-trainer"}}, "learner", "trainer"),
        # Missing or unmapped: the default role, else no entry.
        (WITH_CLAIM, {}, None, None),
        (WITH_CLAIM, {}, "trainer", None),
        (WITH_CLAIM, {"realm_access": {"roles": ["other"]}}, "trainer", None),
        ({**WITH_CLAIM, "default_role": "learner"}, {}, "trainer", "learner"),
        ({**WITH_CLAIM, "default_role": "learner"}, {"realm_access": {"roles": ["x"]}}, None, "learner"),
        # Without a role claim the provider names only a new account's role.
        ({}, {"roles": ["kam-admin"]}, None, "learner"),
        ({"default_role": "trainer"}, {}, None, "trainer"),
        ({"default_role": "trainer"}, {}, "admin", "admin"),
        ({"roles": ROLES}, {}, "learner", "learner"),
    ],
)
def test_login_role(provider: dict, claims: dict, current: str | None, role: str | None) -> None:
    assert login_role(claims, provider, current_role=current) == role


@pytest.mark.parametrize(
    ("value", "verified"),
    [(True, True), ("true", True), ("True", True), (False, False), ("false", False), (1, False), (None, False)],
)
def test_only_a_true_email_verified_claim_vouches_for_the_address(value: object, verified: bool) -> None:
    claims = {"email": "a@example.org"} if value is None else {"email": "a@example.org", "email_verified": value}
    assert email_verified(claims) is verified


@pytest.mark.parametrize(
    ("value", "email"),
    [
        ("Ana@Example.ORG ", "ana@example.org"),
        ("ana@example.org", "ana@example.org"),
        ("", None),
        ("ana", None),
        ("@example.org", None),
        ("ana@", None),
        ("an a@example.org", None),
        ("a" * 250 + "@example.org", None),
        (["ana@example.org"], None),
        (None, None),
    ],
)
def test_email_address(value: object, email: str | None) -> None:
    assert email_address({"email": value}) == email


@pytest.mark.parametrize(
    ("claims", "name"),
    [
        ({"name": "  Grete   Sommer "}, "Grete Sommer"),
        ({"name": "", "given_name": "Lena", "family_name": "Vogt"}, "Lena Vogt"),
        ({"given_name": "Lena"}, "Lena"),
        ({"family_name": "Vogt"}, "Vogt"),
        ({"name": 42}, "grete.sommer"),
        ({}, "grete.sommer"),
        ({"name": "x" * 300}, "x" * 120),
    ],
)
def test_display_name(claims: dict, name: str) -> None:
    assert display_name(claims, "grete.sommer@example.org") == name


@pytest.mark.parametrize(
    ("locale", "result"),
    [
        ("de", "de"),
        ("de-AT", "de"),
        ("en_GB", "en"),
        ("EN", "en"),
        ("fr-FR", "de"),
        ("", "de"),
        (None, "de"),
        (7, "de"),
    ],
)
def test_language_from_the_locale_claim(locale: object, result: str) -> None:
    assert language({"locale": locale}, ("de", "en"), fallback="de") == result
