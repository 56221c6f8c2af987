"""Groups from a single sign-on group claim, against the real provider process (oidc-provider-mock): at each login
the account's memberships from that provider follow the claim; memberships made by an admin stay."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from course.auth import sso_client
from course.config import InsecureConfigError
from course.core import sso as core_sso
from course.extensions import db
from course.groups import operations as groups
from course.models import Group, GroupMembership, User
from tests.web import test_sso
from tests.web.test_sso import account, entries, person, sso_login

oidc_provider = test_sso.oidc_provider  # the fixtures of the single sign-on tests
sso_app = test_sso.sso_app


def group_names(app: Flask, email: str) -> dict[str, tuple[str, str]]:
    """group name → (role in the group, source) of the account."""
    with app.app_context():
        rows = db.session.execute(
            select(Group.name, GroupMembership.role_in_group, GroupMembership.source)
            .join(GroupMembership, GroupMembership.group_id == Group.id)
            .join(User, User.id == GroupMembership.user_id)
            .where(User.email == email)
        ).all()
        return {name: (role, source) for name, role, source in rows}


def test_the_claim_puts_a_new_account_in_its_groups_and_follows_it_at_each_login(sso_app, oidc_provider) -> None:
    app = sso_app({"group_claim": "groups"})
    sub = person(oidc_provider, groups=["KAM team DACH", "Pricing"])
    email = f"{sub}@example.org"
    assert sso_login(app.test_client(), oidc_provider, sub).status_code == 302
    assert group_names(app, email) == {
        "KAM team DACH": ("member", "sso:mock"),
        "Pricing": ("member", "sso:mock"),
    }
    created = entries(app, "group_created")
    assert [entry.detail for entry in created] == [
        {"group": "KAM team DACH", "source": "sso:mock"},
        {"group": "Pricing", "source": "sso:mock"},
    ]
    assert all(entry.actor_id is None for entry in created)

    oidc_provider.set_user(sub, email=email, email_verified=True, groups=["pricing", "Nordics"])
    sso_login(app.test_client(), oidc_provider, sub)
    assert group_names(app, email) == {"Pricing": ("member", "sso:mock"), "Nordics": ("member", "sso:mock")}
    [removed] = entries(app, "group_member_removed")
    assert removed.detail == {"group": "KAM team DACH", "source": "sso:mock"}
    with app.app_context():
        assert groups.find_group("KAM team DACH") is not None  # an emptied group stays

    oidc_provider.set_user(sub, email=email, email_verified=True)  # no claim at all: in no group
    sso_login(app.test_client(), oidc_provider, sub)
    assert group_names(app, email) == {}


def test_memberships_an_admin_made_are_left_alone(sso_app, oidc_provider) -> None:
    app = sso_app({"group_claim": "groups"})
    sub = person(oidc_provider, groups=["Team"])
    email = f"{sub}@example.org"
    sso_login(app.test_client(), oidc_provider, sub)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        manual = groups.create_group("Managers")
        groups.add_member(manual, user, "manager")
        db.session.commit()
    oidc_provider.set_user(sub, email=email, email_verified=True, groups=["Managers"])
    sso_login(app.test_client(), oidc_provider, sub)
    assert group_names(app, email) == {"Managers": ("manager", "manual")}


def test_a_mapping_names_the_groups_and_ignores_other_values(sso_app, oidc_provider) -> None:
    app = sso_app(
        {"group_claim": "realm_access.groups", "groups": {"/kam/dach": "KAM team DACH", "/kam/nordics": "Nordics"}}
    )
    sub = person(oidc_provider, realm_access={"groups": ["/kam/dach", "/it/admins"]})
    sso_login(app.test_client(), oidc_provider, sub)
    assert group_names(app, f"{sub}@example.org") == {"KAM team DACH": ("member", "sso:mock")}
    with app.app_context():
        assert db.session.scalar(select(Group).where(Group.name == "/it/admins")) is None


def test_without_a_group_claim_setting_memberships_are_untouched(sso_app, oidc_provider) -> None:
    app = sso_app()
    sub = person(oidc_provider, groups=["Team"])
    sso_login(app.test_client(), oidc_provider, sub)
    assert account(app, f"{sub}@example.org") is not None
    assert group_names(app, f"{sub}@example.org") == {}


def test_login_groups_reads_the_claim() -> None:
    provider = {"group_claim": "groups"}
    assert core_sso.login_groups({"groups": ["A", " ", "B"]}, provider) == ["A", "B"]
    assert core_sso.login_groups({"groups": "A"}, provider) == ["A"]
    assert core_sso.login_groups({}, provider) == []
    assert core_sso.login_groups({"groups": ["A"]}, {}) is None
    assert core_sso.login_groups({"groups": ["x", "y"]}, {**provider, "groups": {"x": "X"}}) == ["X"]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"group_claim": ""}, "group_claim must be a claim name"),
        ({"group_claim": ["groups"]}, "group_claim must be a claim name"),
        ({"group_claim": "groups", "groups": ["A"]}, "groups must map claim values to group names"),
        ({"group_claim": "groups", "groups": {"a": ""}}, "groups must map claim values to group names"),
        ({"group_claim": "groups", "groups": {"a": "x" * 81}}, "of at most 80 characters"),
        ({"groups": {"a": "A"}}, "groups needs a group_claim"),
        ({"roles": {"kam-boss": "manager"}}, None),
        ({"default_role": "manager"}, None),
    ],
)
def test_group_settings_are_checked_at_start(make_app, oidc_provider, settings: dict, problem: str | None) -> None:
    if problem is None:
        make_app(OIDC_PROVIDERS={"mock": oidc_provider.settings(**settings)})
        return
    with pytest.raises(InsecureConfigError, match=problem):
        make_app(OIDC_PROVIDERS={"mock": oidc_provider.settings(**settings)})
    assert sso_client.provider_problem(oidc_provider.settings(**settings), plain_http_allowed=True)


def test_the_manager_role_ranks_between_learner_and_trainer(sso_app, oidc_provider) -> None:
    roles = {"kam-manager": "manager", "kam-trainer": "trainer"}
    assert core_sso.mapped_role(["kam-manager"], roles) == "manager"
    assert core_sso.mapped_role(["kam-manager", "kam-trainer"], roles) == "trainer"
    app = sso_app({"role_claim": "roles", "roles": {"kam-manager": "manager"}})
    sub = person(oidc_provider, roles=["kam-manager"])
    sso_login(app.test_client(), oidc_provider, sub)
    assert account(app, f"{sub}@example.org").role == "manager"
