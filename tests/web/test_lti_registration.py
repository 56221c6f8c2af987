"""LTI Dynamic Registration: an admin makes a one-time link, the LMS opens it with its OpenID configuration, the tool
registers itself at the platform (checked by the test platform against the specification) and keeps the platform;
the registered platform then launches like one entered by hand."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from course.extensions import db
from course.lti import operations
from course.models import LtiPlatform
from tests.lti_platform import Platform, running_platform, tool_apps
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with running_platform() as running:
        yield running


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    return tool_apps(faster_apps(make_app, monkeypatch), tmp_path_factory)


@pytest.fixture
def link(app, make_user) -> str:
    """A registration link's path, made by an admin on the platforms page."""
    admin = sign_in(app.test_client(), make_user(role="admin").id)
    page = admin.post("/admin/lti/registration-link").get_data(as_text=True)
    url = page.split("<code>http://127.0.0.1:5000/lti/register/")[1].split("</code>")[0]
    return f"/lti/register/{url}"


def opened(client, link: str, platform: Platform, **changes: str):
    params = {
        "openid_configuration": f"{platform.issuer}/.well-known/openid-configuration",
        "registration_token": platform.registration_token,
        **changes,
    }
    return client.get(f"{link}?{urlencode(params)}")


def platforms(app) -> list[LtiPlatform]:
    with app.app_context():
        rows = list(db.session.scalars(select(LtiPlatform)))
        db.session.expunge_all()
        return rows


def test_an_lms_registers_the_tool_with_a_link(app, client, platform, link):
    response = opened(client, link, platform)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "data-lti-close" in response.get_data(as_text=True)
    assert f"frame-ancestors 'self' {platform.base}" in response.headers["Content-Security-Policy"]
    [row] = platforms(app)
    assert (row.issuer, row.client_id, row.deployment_ids, row.key_set_url, row.active) == (
        platform.issuer,
        f"registered-{len(platform.registrations)}",
        ["deployment-dyn"],
        platform.key_set_url,
        True,
    )
    assert row.name == "testlms (127.0.0.1)"
    sent = platform.registrations[-1]
    assert sent["initiate_login_uri"] == "http://127.0.0.1:5000/lti/login"
    assert sent["jwks_uri"] == "http://127.0.0.1:5000/lti/jwks.json"
    again = opened(app.test_client(), link, platform)
    assert again.status_code == 404  # the link works once
    assert len(platforms(app)) == 1


def test_an_unknown_link_registers_nothing_and_fetches_nothing(app, client, platform):
    before = len(platform.registrations)
    response = opened(client, "/lti/register/no-such-link", platform)
    assert response.status_code == 404
    assert 'data-lti-registration-refusal="link"' in response.get_data(as_text=True)
    assert platforms(app) == [] and len(platform.registrations) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"registration_token": "wrong"},
        {"openid_configuration": "not a url"},
        {"openid_configuration": "http://127.0.0.1:1/nothing-listens-here"},
    ],
)
def test_a_failed_registration_keeps_nothing_and_the_link(app, client, platform, link, changes):
    response = opened(client, link, platform, **changes)
    assert response.status_code == 502
    assert platforms(app) == []
    with app.app_context():
        assert operations.registration_link_valid(link.rsplit("/", 1)[1])


def test_only_admins_make_registration_links(app, client, make_user):
    sign_in(client, make_user(role="trainer").id)
    assert client.post("/admin/lti/registration-link").status_code == 403
