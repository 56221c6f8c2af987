"""Registering LTI platforms (the admin pages and `flask lti platforms`), what the tool publishes for platforms (its
key set and configuration), and the frame settings (EMBEDDING, FRAME_ANCESTORS)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from course.config import InsecureConfigError
from course.extensions import db
from course.lti import keys
from course.models import LtiPlatform
from tests.admin_helpers import EN
from tests.lti_platform import tool_apps
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in

FORM = {
    "name": "Moodle",
    "issuer": "https://moodle.example.org",
    "client_id": "abc123",
    "deployment_ids": "1\n2, 2",
    "auth_login_url": "https://moodle.example.org/mod/lti/auth.php",
    "auth_token_url": "https://moodle.example.org/mod/lti/token.php",
    "auth_audience": "",
    "key_set_url": "https://moodle.example.org/mod/lti/certs.php",
}
CLI_ADD = [
    "lti", "platforms", "add", "--name", "Canvas", "--issuer", "https://canvas.instructure.com",
    "--client-id", "10000000000001", "--deployment-id", "d1", "--deployment-id", "d2",
    "--login-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "--token-url", "https://sso.canvaslms.com/login/oauth2/token",
    "--jwks-url", "https://sso.canvaslms.com/api/lti/security/jwks",
]  # fmt: skip


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    return tool_apps(faster_apps(make_app, monkeypatch), tmp_path_factory)


@pytest.fixture
def admin(client, make_user):
    return sign_in(client, make_user(role="admin").id)


def platform_rows(app) -> list[LtiPlatform]:
    with app.app_context():
        rows = list(db.session.scalars(select(LtiPlatform)))
        db.session.expunge_all()
        return rows


def test_an_admin_registers_edits_and_deactivates_a_platform(app, admin):
    page = admin.get("/admin/lti", headers=EN).get_data(as_text=True)
    assert "http://127.0.0.1:5000/lti/login" in page and "http://127.0.0.1:5000/lti/jwks.json" in page
    response = admin.post("/admin/lti/new", data=FORM)
    assert response.status_code == 303
    [row] = platform_rows(app)
    assert (row.issuer, row.client_id, row.deployment_ids, row.auth_audience, row.active) == (
        "https://moodle.example.org",
        "abc123",
        ["1", "2"],
        None,
        True,
    )
    assert "frame-ancestors 'self' https://moodle.example.org" in admin.get("/").headers["Content-Security-Policy"]
    assert admin.get(f"/admin/lti/{row.id}").status_code == 200
    edited = {**FORM, "name": "Moodle (Sales)", "deployment_ids": "7"}
    assert admin.post(f"/admin/lti/{row.id}", data=edited).status_code == 303
    assert platform_rows(app)[0].deployment_ids == ["7"]
    assert admin.post(f"/admin/lti/{row.id}/active").status_code == 303
    assert platform_rows(app)[0].active is False
    assert "frame-ancestors 'none'" in admin.get("/").headers["Content-Security-Policy"]
    assert admin.post(f"/admin/lti/{row.id}/active").status_code == 303
    assert platform_rows(app)[0].active is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issuer": "moodle.example.org"}, "https://"),
        ({"key_set_url": "javascript:alert(1)"}, "https://"),
        ({"deployment_ids": " , "}, "deployment id"),
        ({"client_id": ""}, "client id"),
        ({"name": "x" * 101}, "100"),
        ({"auth_audience": "ftp://x"}, "https://"),
    ],
)
def test_a_wrong_registration_is_refused_with_a_message(app, admin, change, message):
    response = admin.post("/admin/lti/new", data={**FORM, **change}, headers=EN)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert platform_rows(app) == []


def test_the_same_issuer_and_client_id_cannot_be_registered_twice(app, admin):
    assert admin.post("/admin/lti/new", data=FORM).status_code == 303
    response = admin.post("/admin/lti/new", data=FORM, headers=EN)
    assert response.status_code == 400 and "registered already" in response.get_data(as_text=True)
    assert len(platform_rows(app)) == 1


def test_the_cli_adds_lists_edits_and_removes_platforms(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=CLI_ADD)
    assert result.exit_code == 0, result.output
    assert "Canvas" in runner.invoke(args=["lti", "platforms", "list"]).output
    result = runner.invoke(args=["lti", "platforms", "edit", "Canvas", "--deployment-id", "d3", "--inactive"])
    assert result.exit_code == 0, result.output
    [row] = platform_rows(app)
    assert (row.deployment_ids, row.active, row.client_id) == (["d3"], False, "10000000000001")
    assert runner.invoke(args=CLI_ADD).exit_code == 1  # the same issuer and client id
    bad = runner.invoke(args=[*CLI_ADD[:-1], "not-a-url"])
    assert bad.exit_code == 1 and "key_set_url" in bad.output
    assert runner.invoke(args=["lti", "platforms", "remove", "999"]).exit_code == 1
    assert runner.invoke(args=["lti", "platforms", "remove", str(row.id), "--yes"]).exit_code == 0
    assert platform_rows(app) == []


def test_the_tool_publishes_its_key_set_and_configuration(app, client):
    key_set = client.get("/lti/jwks.json").get_json()
    [key] = key_set["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and "d" not in key
    with app.app_context():
        assert key["kid"] == keys.key_id()
    config = client.get("/lti/config.json").get_json()
    assert config["initiate_login_uri"] == "http://127.0.0.1:5000/lti/login"
    assert config["redirect_uris"] == ["http://127.0.0.1:5000/lti/launch"]
    assert config["jwks_uri"] == "http://127.0.0.1:5000/lti/jwks.json"
    tool = config["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert {message["type"] for message in tool["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


def test_without_embedding_the_session_cookie_stays_lax(app):
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not app.config.get("SESSION_COOKIE_PARTITIONED")


def test_with_embedding_the_session_cookie_works_in_a_frame(make_app, make_user):
    app = make_app(EMBEDDING=True, PUBLIC_URL="https://kurs.example.org", TRUSTED_HOSTS=["localhost"])
    client = app.test_client()
    user = make_user()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": "correct horse battery"}, base_url="https://localhost"
    )
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie


@pytest.mark.parametrize(
    "settings",
    [
        {"EMBEDDING": True},  # PUBLIC_URL is http in tests
        {"EMBEDDING": True, "PUBLIC_URL": "https://kurs.example.org", "SESSION_COOKIE_SECURE": False},
        {"FRAME_ANCESTORS": ["lms.example.org"]},
        {"FRAME_ANCESTORS": ["https://lms.example.org/course/1"]},
        {"FRAME_ANCESTORS": "https://lms.example.org, *"},
    ],
)
def test_wrong_frame_settings_stop_the_start(make_app, settings):
    with pytest.raises(InsecureConfigError):
        make_app(**settings)


def test_frame_ancestors_from_the_configuration(make_app):
    app = make_app(FRAME_ANCESTORS="https://lms.example.org, https://scorm.example.org:8443/")
    headers = app.test_client().get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://lms.example.org https://scorm.example.org:8443" in csp
    assert "X-Frame-Options" not in headers
