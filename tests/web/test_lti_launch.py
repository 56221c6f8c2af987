"""LTI 1.3 launches against the test platform (tests/lti_platform.py), message by message: the login initiation,
the authentication request, the signed id_token, and everything the tool must refuse (with a clear page, a line in
the log and on the admins' page, and nothing created)."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from course.extensions import db
from course.lti import operations
from course.models import (
    Group,
    GroupMembership,
    LtiContext,
    LtiLaunch,
    LtiPlatform,
    LtiResourceLink,
    SsoIdentity,
    User,
)
from tests.lti_platform import (
    CLAIM,
    CLIENT_ID,
    INSTRUCTOR,
    LAUNCH_URL,
    Platform,
    launch,
    new_key,
    register,
    running_platform,
    start_login,
    tool_apps,
    unique_sub,
)
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in

LESSON = "/courses/kam-pay/lessons/kams-are-not-salespeople"
COUNTED = (User, SsoIdentity, Group, GroupMembership, LtiContext, LtiResourceLink, LtiLaunch)


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with running_platform() as running:
        yield running


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    return tool_apps(faster_apps(make_app, monkeypatch), tmp_path_factory)


@pytest.fixture
def registered(app: Flask, platform: Platform) -> int:
    return register(app, platform)


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


# --- the happy path -------------------------------------------------------------------------------------------------


def test_first_launch_creates_the_account_group_and_link_and_opens_the_lesson(app, client, platform, registered):
    response, *_ = launch(client, platform, sub="kim")
    assert response.status_code == 303
    assert response.headers["Location"] == LESSON
    page = client.get(LESSON)
    assert page.status_code == 200 and "Kim Kunde" in page.get_data(as_text=True)
    with app.app_context():
        identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.provider == f"lti:{registered}"))
        user = db.session.get(User, identity.user_id)
        assert (identity.subject, user.email, user.role, user.locale) == ("kim", "kim@lms.example.org", "learner", "de")
        assert user.password_hash is None
        context = db.session.scalar(select(LtiContext))
        assert context.context_id == "course-101" and context.title == "Sales 101"
        assert context.lineitems_url.endswith("/courses/101/lineitems")
        assert context.memberships_url.endswith("/courses/101/memberships")
        assert operations.NRPS_SCOPE in context.service_scopes
        assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in context.service_scopes
        group = db.session.get(Group, context.group_id)
        assert group.name == "Sales 101 (Test LMS)"
        membership = db.session.scalar(select(GroupMembership).where(GroupMembership.group_id == group.id))
        assert (membership.user_id, membership.role_in_group, membership.source) == (
            user.id,
            "member",
            f"lti:{registered}",
        )
        link = db.session.scalar(select(LtiResourceLink))
        assert link.resource_link_id == "link-1" and link.deployment_id == "deployment-1"
        assert link.target == "lesson:kam-pay/kams-are-not-salespeople"
        assert link.lineitem_url.endswith("/courses/101/lineitems/1")
        assert link.context_row_id == context.id
        row = db.session.scalar(select(LtiLaunch))
        assert (row.link_id, row.user_id, row.subject) == (link.id, user.id, "kim")


def test_a_second_launch_reuses_account_group_and_link(app, client, platform, registered):
    launch(client, platform, sub="kim")
    before = counts(app)
    other_browser = app.test_client()
    response, *_ = launch(other_browser, platform, sub="kim")
    assert response.status_code == 303
    assert counts(app) == before


def test_an_instructor_becomes_a_trainer_and_looks_after_the_group(app, client, platform, registered):
    launch(client, platform, sub="teacher", **{CLAIM + "roles": [INSTRUCTOR]})
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "teacher@lms.example.org"))
        assert user.role == "trainer"
        assert db.session.scalar(select(GroupMembership.role_in_group)) == "trainer"


def test_a_launch_never_demotes_an_admin_nor_makes_anyone_admin(app, client, platform, registered):
    launch(
        client,
        platform,
        sub="boss",
        **{CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"]},
    )
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@lms.example.org"))
        assert user.role == "trainer"
        user.role = "admin"
        db.session.commit()
    launch(app.test_client(), platform, sub="boss")  # now only a learner in the LMS
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "boss@lms.example.org")) == "admin"


def test_an_address_that_has_an_account_is_not_joined_to_it(app, client, platform, registered, make_user):
    owner = make_user(email="taken@lms.example.org")
    launch(client, platform, sub="taken")
    with app.app_context():
        identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.subject == "taken"))
        assert identity.user_id != owner.id
        email = db.session.get(User, identity.user_id).email
    assert email.endswith("@lti.invalid") and email.startswith(f"lti-{registered}-")


def test_a_launch_without_an_address_gets_a_placeholder_no_mail_can_reach(app, client, platform, registered):
    launch(client, platform, sub="anon", email=None, name=None, given_name=None, family_name=None)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email.endswith("@lti.invalid")))
        assert user.display_name == "Test LMS"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("quiz:kam-pay/kam-mandate-quiz", "/courses/kam-pay/quizzes/kam-mandate-quiz"),
        ("sandbox:kam-pay/defend", "/courses/kam-pay/sandbox/scenarios/defend"),
        ("sandbox:kam-pay", "/courses/kam-pay/sandbox"),
        ("course:kam-pay", "/courses/kam-pay"),
    ],
)
def test_the_link_opens_its_target(app, client, platform, registered, target: str, location: str):
    response, *_ = launch(client, platform, sub=unique_sub(), **{CLAIM + "custom": {"target": target}})
    assert response.headers["Location"] == location
    with app.app_context():
        assert db.session.scalar(select(LtiResourceLink.target)) == target


def test_the_target_may_come_from_the_launch_url(app, client, platform, registered):
    overrides = {
        CLAIM + "custom": None,
        CLAIM + "target_link_uri": f"{LAUNCH_URL}?target=quiz:kam-pay/kam-mandate-quiz",
    }
    response, *_ = launch(client, platform, sub=unique_sub(), **overrides)
    assert response.headers["Location"] == "/courses/kam-pay/quizzes/kam-mandate-quiz"


@pytest.mark.parametrize("target", ["lesson:kam-pay/no-such-lesson", "quiz:nope/x", "garbage", "sandbox:kam-pay/nope"])
def test_an_unknown_target_opens_the_course_with_a_note(app, client, platform, registered, target: str):
    response, *_ = launch(client, platform, sub=unique_sub(), **{CLAIM + "custom": {"target": target}})
    assert response.headers["Location"] == "/courses/kam-pay"
    assert "(nicht mehr)" in client.get("/courses/kam-pay").get_data(as_text=True)  # the LMS said locale de-DE


# --- refusals ---------------------------------------------------------------------------------------------------------


def _other_key_signature(platform: Platform) -> Callable[[dict[str, Any]], str]:
    key, _kid = new_key()
    return lambda claims: platform.sign(claims, key=key)


REFUSALS = [
    ("wrong issuer", {"iss": "https://evil.example.org"}, None, "unknown_issuer", 403),
    ("wrong audience", {"aud": ["someone-else"], "azp": "someone-else"}, None, "wrong_audience", 403),
    ("audiences without azp", {"aud": ["someone-else", CLIENT_ID], "azp": None}, None, "wrong_audience", 403),
    ("unknown deployment", {CLAIM + "deployment_id": "deployment-9"}, None, "unknown_deployment", 403),
    ("expired token", {"exp": 1_000_000, "iat": 999_000}, None, "expired", 400),
    ("no expiry", {"exp": None}, None, "missing_claims", 400),
    ("other key", {}, "other_key", "bad_signature", 403),
    ("unsigned", {}, "unsigned", "bad_signature", 403),
    ("no version", {CLAIM + "version": None}, None, "missing_claims", 400),
    ("old version", {CLAIM + "version": "1.1"}, None, "missing_claims", 400),
    ("no message type", {CLAIM + "message_type": None}, None, "missing_claims", 400),
    ("unknown message type", {CLAIM + "message_type": "LtiStartProctoring"}, None, "unsupported_message", 400),
    ("no roles", {CLAIM + "roles": None}, None, "missing_claims", 400),
    ("no subject", {"sub": None}, None, "missing_claims", 400),
    ("no resource link", {CLAIM + "resource_link": None}, None, "missing_claims", 400),
    ("resource link not an object", {CLAIM + "resource_link": "link-1"}, None, "missing_claims", 400),
    ("no deployment", {CLAIM + "deployment_id": None}, None, "missing_claims", 400),
]


@pytest.mark.parametrize(("case", "overrides", "signer", "reason", "status"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_launch_shows_a_clear_page_logs_and_creates_nothing(
    app, client, platform, registered, caplog, case, overrides, signer, reason, status
):
    before = counts(app)
    sign = (
        {"other_key": _other_key_signature, "unsigned": lambda platform: platform.unsigned}[signer](platform)
        if signer
        else None
    )
    with caplog.at_level(logging.WARNING, logger="course.lti.views"):
        response, *_ = launch(client, platform, sign=sign, **{"sub": unique_sub(), **overrides})
    assert response.status_code == status, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert f'data-lti-refusal="{reason}"' in page
    assert "Traceback" not in page and "Exception" not in page
    assert any(reason in record.getMessage() for record in caplog.records)
    assert counts(app) == before
    assert client.get("/api/v1/session").get_json().get("authenticated") is not True
    with app.app_context():
        assert [refusal.reason for refusal in operations.recent_refusals()] == [reason]


def test_a_replayed_id_token_is_refused(app, client, platform, registered):
    first, token, auth, _claims = launch(client, platform, sub=unique_sub())
    assert first.status_code == 303
    before = counts(app)
    again = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert again.status_code == 400 and 'data-lti-refusal="replay"' in again.get_data(as_text=True)
    elsewhere = app.test_client().post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert elsewhere.status_code == 400
    assert counts(app) == before


def test_a_state_from_another_browser_is_refused(app, client, platform, registered):
    auth = start_login(client, platform)
    token = platform.sign(platform.claims(auth["nonce"], sub=unique_sub()))
    response = app.test_client().post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert response.status_code == 400 and 'data-lti-refusal="state"' in response.get_data(as_text=True)


def test_a_nonce_the_tool_never_issued_is_refused(app, client, platform, registered):
    auth = start_login(client, platform)
    token = platform.sign(platform.claims("made-up-nonce-" + "x" * 20, sub=unique_sub()))
    response = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert response.status_code == 400 and 'data-lti-refusal="replay"' in response.get_data(as_text=True)


@pytest.mark.parametrize("id_token", ["", "not-a-jwt", "a.b.c", "W10.W10.x", "eyJhbGciOiJSUzI1NiJ9.bnVsbA.x"])
def test_garbage_instead_of_an_id_token_is_refused_without_an_error(app, client, platform, registered, id_token):
    auth = start_login(client, platform)
    response = client.post("/lti/launch", data={"id_token": id_token, "state": auth["state"]})
    assert response.status_code == 400


def test_a_platform_whose_key_set_is_unreachable_refuses_with_502(app, client, platform, registered, make_user):
    before = counts(app)
    platform.jwks_status = 503
    try:
        response, *_ = launch(client, platform, sub=unique_sub())
    finally:
        platform.jwks_status = 200
    assert response.status_code == 502
    assert 'data-lti-refusal="jwks_unreachable"' in response.get_data(as_text=True)
    assert counts(app) == before
    with app.app_context():
        assert "503" in operations.recent_refusals()[0].detail
    admin = sign_in(app.test_client(), make_user(role="admin").id)
    page = admin.get("/admin/lti").get_data(as_text=True)
    assert "jwks_unreachable" in page and platform.key_set_url in page


def test_a_key_set_url_nobody_answers_is_refused(app, client, platform, registered):
    from tests.sso_provider import free_port

    with app.app_context():
        row = db.session.get(LtiPlatform, registered)
        row.key_set_url = f"http://127.0.0.1:{free_port()}/jwks.json"
        db.session.commit()
    response, *_ = launch(client, platform, sub=unique_sub())
    assert response.status_code == 502


def test_a_deactivated_platform_is_refused_at_login_and_launch(app, client, platform, registered):
    auth = start_login(client, platform)
    with app.app_context():
        operations.set_active(db.session.get(LtiPlatform, registered), False)
        db.session.commit()
    token = platform.sign(platform.claims(auth["nonce"], sub=unique_sub()))
    response = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert response.status_code == 403 and 'data-lti-refusal="inactive_platform"' in response.get_data(as_text=True)
    login = client.post("/lti/login", data=platform.login_initiation(lti1p3_new_window="1"))
    assert login.status_code == 403


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"iss": "https://evil.example.org"}, "unknown_issuer"),
        ({"client_id": "someone-else"}, "unknown_client"),
        ({"target_link_uri": "https://evil.example.org/lti/launch"}, "wrong_target"),
        ({"target_link_uri": ""}, "wrong_target"),
        ({"login_hint": ""}, "malformed"),
    ],
)
def test_a_login_initiation_that_is_not_for_us_is_refused(app, client, platform, registered, change, reason):
    initiation = {**platform.login_initiation(lti1p3_new_window="1"), **change}
    response = client.post("/lti/login", data=initiation)
    assert response.status_code in (400, 403)
    assert f'data-lti-refusal="{reason}"' in response.get_data(as_text=True)


def test_a_deactivated_account_is_refused(app, client, platform, registered):
    launch(client, platform, sub="gone")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "gone@lms.example.org"))
        user.active = False
        db.session.commit()
    response, *_ = launch(app.test_client(), platform, sub="gone")
    assert response.status_code == 403 and 'data-lti-refusal="account_closed"' in response.get_data(as_text=True)


# --- frames and cookies ---------------------------------------------------------------------------------------------


def test_a_frame_that_keeps_no_cookies_offers_a_new_window(app, client, platform, registered):
    initiation = platform.login_initiation()
    probe = client.post("/lti/login", data=initiation)
    client.delete_cookie("lti_cookie_probe", path="/lti/login")
    page = client.get(probe.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'target="_blank"' in text and "lti1p3_new_window=1" in text
    link = re.search(r'href="([^"]*lti1p3_new_window=1[^"]*)"', text).group(1)
    again = client.get(html.unescape(link))
    assert again.status_code == 302
    platform.authorize(again.headers["Location"], initiation)


def test_active_platforms_may_frame_the_site(app, client, platform, registered):
    headers = client.get("/").headers
    assert f"frame-ancestors 'self' {platform.base}" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers
    with app.app_context():
        operations.set_active(db.session.get(LtiPlatform, registered), False)
        db.session.commit()
    headers = client.get("/").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"


def test_with_embedding_the_login_cookies_are_made_for_a_frame(make_app, platform):
    app = make_app(EMBEDDING=True, PUBLIC_URL="https://kurs.example.org", TRUSTED_HOSTS=["localhost"])
    register(app, platform)
    client = app.test_client()
    initiation = platform.login_initiation(target_link_uri="https://kurs.example.org/lti/launch")
    probe = client.post("/lti/login", data=initiation, base_url="https://localhost")
    [cookie] = probe.headers.getlist("Set-Cookie")
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie
    redirect = client.post("/lti/login", data={**initiation, "lti1p3_new_window": "1"}, base_url="https://localhost")
    assert redirect.status_code == 302
    [state] = [value for value in redirect.headers.getlist("Set-Cookie") if value.startswith("lti1p3-state-")]
    assert "SameSite=None" in state and "Secure" in state and "Partitioned" in state and "HttpOnly" in state


def test_the_key_set_is_kept_and_fetched_again_for_a_new_key(app, client, platform, registered):
    hits = platform.jwks_hits
    launch(client, platform, sub=unique_sub())
    launch(client, platform, sub=unique_sub())
    assert platform.jwks_hits == hits + 1
    old_key, old_kid = platform.key, platform.kid
    platform.key, platform.kid = new_key()  # the platform rotates its key
    try:
        response, *_ = launch(client, platform, sub=unique_sub())
    finally:
        platform.key, platform.kid = old_key, old_kid
    assert response.status_code == 303
    assert platform.jwks_hits == hits + 2
