"""Rosters from an LMS (LTI Names and Role Provisioning Services) against a platform that follows the specification
(tests/lti_platform_services.py): a sync adds the LMS course's members to its group (learners as members, teachers
as trainers, accounts made for people never seen), removes those who left or became inactive, and never touches a
membership an admin made. A platform that fails changes nothing and says why, on the admin page and in the job."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from course.auth import operations as accounts
from course.extensions import db
from course.groups import operations as groups
from course.lti import roster, services
from course.models import Group, GroupMembership, LtiContext, SsoIdentity, User
from tests.lti_platform_services import ALL_SCOPES, ServicePlatform, ready, register, running_platform, tool_apps
from tests.sessions import sign_in

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


@pytest.fixture(scope="module")
def platform() -> ServicePlatform:
    with running_platform() as running:
        yield running


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lti-key") / "tool-key.pem"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch, key_file: Path):
    return tool_apps(make_app, monkeypatch, key_file)


@pytest.fixture
def app(make_app, platform: ServicePlatform) -> Flask:
    return ready(make_app(), platform)


def context_id(app: Flask, platform: ServicePlatform, **options: object) -> int:
    register(app, platform, **options)
    with app.app_context():
        return db.session.scalar(select(LtiContext.id))


def sync(app: Flask, context: int) -> roster.SyncReport:
    with app.app_context():
        report = roster.sync(db.session.get(LtiContext, context))
        db.session.commit()
        return report


def group_members(app: Flask, context: int) -> dict[str, tuple[str, str]]:
    """email → (role in the group, source)."""
    with app.app_context():
        group_id = db.session.get(LtiContext, context).group_id
        rows = db.session.execute(
            select(User.email, GroupMembership.role_in_group, GroupMembership.source)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(GroupMembership.group_id == group_id)
        )
        return {email: (role, source) for email, role, source in rows}


def test_a_sync_fills_the_group_over_several_pages_and_a_second_sync_follows_the_lms(app, platform) -> None:
    context = context_id(app, platform)
    platform.page_size = 2
    platform.add_member("s-anna", LEARNER, email="anna@example.org", name="Anna Berg", locale="de-DE")
    platform.add_member("s-ben", LEARNER, email="ben@example.org", given_name="Ben", family_name="Cruz")
    platform.add_member("s-cleo", INSTRUCTOR, email="cleo@example.org", name="Cleo Dorn")
    platform.add_member("s-dana", ASSISTANT, "Learner")  # no address: a placeholder that no mail reaches
    platform.add_member("s-eve", LEARNER, email="eve@example.org", status="Inactive")

    report = sync(app, context)
    assert (report.added, report.created, report.removed) == (4, 4, 0)
    members = group_members(app, context)
    source = members["anna@example.org"][1]
    assert source.startswith("lti:")
    assert members["anna@example.org"] == ("member", source) and members["cleo@example.org"] == ("trainer", source)
    assert "eve@example.org" not in members  # inactive in the LMS course
    with app.app_context():
        anna = accounts.find_user("anna@example.org")
        assert (anna.display_name, anna.role, anna.locale, anna.password_hash) == ("Anna Berg", "learner", "de", None)
        assert accounts.find_user("ben@example.org").display_name == "Ben Cruz"
        assert accounts.find_user("cleo@example.org").role == "trainer"
        identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.subject == "s-dana"))
        dana = db.session.get(User, identity.user_id).email
        assert dana.endswith("@lti.invalid") and identity.provider == source
        assert db.session.get(LtiContext, context).synced_at is not None
        group = db.session.get(Group, db.session.get(LtiContext, context).group_id)
        assert group.name == "Vergütung 101 (Test LMS)"
        admin_made = accounts.create_user("frank@example.org", None, "Frank")  # an admin adds Frank by hand
        groups.add_member(group, admin_made, "member")
        db.session.commit()

    platform.members = [m for m in platform.members if m["user_id"] != "s-ben"]  # Ben left the LMS course
    platform.members[0]["status"] = "Deleted"  # Anna's membership was deleted
    platform.members[1]["roles"] = [LEARNER]  # Cleo is a learner now
    report = sync(app, context)
    assert (report.added, report.removed, report.changed, report.created) == (0, 2, 1, 0)
    members = group_members(app, context)
    assert set(members) == {"cleo@example.org", dana, "frank@example.org"}
    assert members["cleo@example.org"][0] == "member" and members["frank@example.org"] == ("member", "manual")
    assert platform.refusals == []


def test_an_address_of_an_account_from_elsewhere_gets_its_own_account_as_at_a_launch(app, platform, make_user) -> None:
    existing = make_user(email="gina@example.org")
    context = context_id(app, platform)
    platform.add_member("s-gina", LEARNER, email="Gina@Example.org", name="Gina Hart")
    report = sync(app, context)
    assert (report.added, report.created, report.not_added) == (1, 1, [])
    with app.app_context():
        assert db.session.scalar(select(SsoIdentity).where(SsoIdentity.user_id == existing.id)) is None
        identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.subject == "s-gina"))
        made = db.session.get(User, identity.user_id)
        assert made.id != existing.id and made.email.endswith("@lti.invalid") and made.display_name == "Gina Hart"
    assert set(group_members(app, context)) == {made.email}


@pytest.mark.parametrize(
    ("switch", "error"),
    [
        ({"service_mode": "500"}, "answered HTTP 500"),
        ({"service_mode": "hang", "hang_seconds": 1.5}, "did not answer within 0.5 s"),
        ({"foreign_next": True}, "pointed the next page at another site"),
        ({"garbage_members": True}, "member 1 has no user_id"),
        ({"token_mode": "401"}, "refused the token request: HTTP 401 invalid_client"),
    ],
)
def test_a_failing_platform_changes_nothing_and_says_why(app, platform, switch: dict, error: str) -> None:
    context = context_id(app, platform)
    for number in range(3):
        platform.add_member(f"s-{number}", LEARNER, email=f"p{number}@example.org")
    for name, value in switch.items():
        setattr(platform, name, value)
    app.config["LTI_SERVICE_TIMEOUT_SECONDS"] = 0.5  # short patience for the hang; the others answer at once
    with app.app_context(), pytest.raises(services.ServiceError, match=error):
        roster.sync(db.session.get(LtiContext, context))
    with app.app_context():
        db.session.rollback()
        assert db.session.scalar(select(User.id).where(User.email.like("p%@example.org"))) is None
        assert db.session.get(LtiContext, context).synced_at is None


def test_a_context_without_the_roster_scope_is_refused_before_asking(app, platform) -> None:
    context = context_id(app, platform, scopes=tuple(s for s in ALL_SCOPES if "nrps" not in s))
    with app.app_context(), pytest.raises(services.ServiceError, match="did not grant .*contextmembership"):
        roster.sync(db.session.get(LtiContext, context))
    assert platform.token_requests == 0


# --- The admin page and the job ---------------------------------------------------------------------------------------


def test_the_admin_page_lists_the_lms_courses_and_syncs_one(app, platform, make_user) -> None:
    context = context_id(app, platform)
    platform.add_member("s-hal", LEARNER, email="hal@example.org")
    client = sign_in(app.test_client(), make_user(role="admin").id)
    page = client.get("/admin/lti/contexts", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Vergütung 101" in page and "Test LMS" in page and "Sync roster now" in page
    response = client.post(f"/admin/lti/contexts/{context}/sync", headers={"Accept-Language": "en"})
    assert response.status_code == 302
    page = client.get("/admin/lti/contexts", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Added: 1, removed: 0, with another role: 0, new accounts: 1." in page
    assert "Vergütung 101 (Test LMS)</a> (1)" in page

    platform.service_mode = "500"
    client.post(f"/admin/lti/contexts/{context}/sync", headers={"Accept-Language": "en"})
    page = client.get("/admin/lti/contexts", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "could not be synced" in page and "answered HTTP 500" in page
    assert client.post("/admin/lti/contexts/999999/sync").status_code == 404


def test_the_job_syncs_every_roster_and_exits_1_when_one_fails(app, platform) -> None:
    context = context_id(app, platform)
    platform.add_member("s-ida", LEARNER, email="ida@example.org")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lti-services", "sync-rosters"])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "1 of 1 roster(s) synced." in result.output
    platform.service_mode = "500"
    result = runner.invoke(args=["lti-services", "sync-rosters", "--context", str(context)])
    assert result.exit_code == 1 and "not synced: GET" in result.output and "HTTP 500" in result.output
    result = runner.invoke(args=["lti-services", "sync-rosters", "--context", "999999"])
    assert result.exit_code == 2 and "no LMS course (LTI context) 999999" in result.output
