"""Sessions end for real: logout, a new password and deactivation end them on every server; the CSRF token
rotates at login; the remember cookie lives as long as configured and dies with its session."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from course.extensions import db
from course.models import User, UserSession
from tests.conftest import PASSWORD
from tests.quiz_helpers import faster_apps


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


PRIVATE = "/api/v1/attempts/1"  # any page that needs a login: 401 without one, 404 with one


@pytest.fixture(params=[True, False], ids=["fast", "plain"])
def site(make_app, request) -> Flask:
    return make_app(FAST_PATHS=request.param)


def log_in(client: FlaskClient, email: str, remember: bool = False) -> None:
    data = {"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def copy_of(client: FlaskClient, site: Flask, *names: str) -> FlaskClient:
    """Another browser holding copies of these cookies of `client` (stolen, or a second tab)."""
    other = site.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def logged_in(client: FlaskClient) -> bool:
    status = client.get(PRIVATE).status_code
    assert status in (401, 404)
    return status == 404


def test_logout_ends_the_session_for_every_copy_of_the_cookie(site, make_user) -> None:
    user = make_user()
    browser = site.test_client()
    log_in(browser, user.email)
    stolen = copy_of(browser, site, "session")
    assert logged_in(stolen)
    browser.post("/auth/logout")
    assert not logged_in(browser)
    assert not logged_in(stolen)


def test_remember_cookie_alone_logs_in_until_logout_and_never_after(site, make_user) -> None:
    user = make_user()
    browser = site.test_client()
    log_in(browser, user.email, remember=True)
    remembered = copy_of(browser, site, "remember_token")
    assert logged_in(remembered)
    browser.post("/auth/logout")
    assert browser.get_cookie("remember_token") is None
    assert not logged_in(copy_of(remembered, site, "remember_token"))
    assert not logged_in(remembered)


def test_a_cookie_naming_only_the_user_id_is_not_a_login(site, make_user) -> None:
    user = make_user()
    forged = site.test_client()
    with forged.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert not logged_in(forged)
    with forged.session_transaction() as session:
        session["_user_id"] = f"{user.id}:made-up-token"
    assert not logged_in(forged)


def test_an_expired_session_is_not_a_login(site, make_user) -> None:
    user = make_user()
    browser = site.test_client()
    log_in(browser, user.email)
    with site.app_context():
        db.session.execute(update(UserSession).values(expires_epoch=int(time.time()) - 1))
        db.session.commit()
    assert not logged_in(browser)


def test_a_new_password_ends_every_session_of_that_account_only(site, make_user) -> None:
    user, other = make_user(), make_user()
    phone, laptop, colleague = site.test_client(), site.test_client(), site.test_client()
    log_in(phone, user.email)
    log_in(laptop, user.email, remember=True)
    log_in(colleague, other.email)
    result = site.test_cli_runner().invoke(
        args=["users", "set-password", user.email, "--password-stdin"], input="a brand new password\n"
    )
    assert result.exit_code == 0, result.output
    assert "ended" in result.output
    assert not logged_in(phone) and not logged_in(laptop)
    assert not logged_in(copy_of(laptop, site, "remember_token")) if laptop.get_cookie("remember_token") else True
    assert logged_in(colleague)
    fresh = site.test_client()
    response = fresh.post("/auth/login", data={"email": user.email, "password": "a brand new password"})
    assert response.status_code == 302


def test_set_password_refuses_a_short_password_and_an_unknown_account(site, make_user) -> None:
    user = make_user()
    runner = site.test_cli_runner()
    result = runner.invoke(args=["users", "set-password", user.email, "--password-stdin"], input="short\n")
    assert result.exit_code != 0 and "at least 15 characters" in result.output
    result = runner.invoke(args=["users", "set-password", "nobody@example.org", "--password-stdin"], input="x" * 12)
    assert result.exit_code != 0 and "no account" in result.output


def test_deactivation_ends_sessions_and_refuses_login_until_reactivated(site, make_user) -> None:
    user = make_user()
    browser = site.test_client()
    log_in(browser, user.email, remember=True)
    remembered = copy_of(browser, site, "remember_token")
    runner = site.test_cli_runner()
    result = runner.invoke(args=["users", "deactivate", user.email])
    assert result.exit_code == 0, result.output
    assert not logged_in(browser) and not logged_in(remembered)
    response = site.test_client().post(
        "/auth/login", data={"email": user.email, "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 403
    assert "This account has been deactivated" in response.get_data(as_text=True)
    assert runner.invoke(args=["users", "activate", user.email]).exit_code == 0
    log_in(site.test_client(), user.email)


def test_csrf_token_rotates_at_login_and_logout(make_app, make_user) -> None:
    site = make_app(WTF_CSRF_ENABLED=True)
    user = make_user()
    browser = site.test_client()
    before = token_on(browser, "/auth/login")
    response = browser.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302
    after = token_on(browser, "/")
    assert after != before
    # the token from before the login no longer posts anything
    assert browser.post("/auth/logout", data={"csrf_token": before}).status_code == 400
    assert browser.post("/auth/logout", data={"csrf_token": after}).status_code == 302
    assert token_on(browser, "/auth/login") not in (before, after)


def token_on(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, page
    return match.group(1)


@pytest.mark.parametrize(("setting", "expected"), [(None, timedelta(days=30)), (3600, timedelta(hours=1))])
def test_remember_cookie_lifetime_is_configurable_and_its_session_expires_with_it(
    make_app, make_user, setting: int | None, expected: timedelta
) -> None:
    site = make_app(**({"REMEMBER_COOKIE_DURATION": setting} if setting else {}))
    user = make_user()
    browser = site.test_client()
    started = int(time.time())
    log_in(browser, user.email, remember=True)
    cookie = browser.get_cookie("remember_token")
    assert cookie.expires is not None
    assert abs(cookie.expires.timestamp() - (started + expected.total_seconds())) < 120
    with site.app_context():
        expires = db.session.scalar(select(UserSession.expires_epoch))
    assert abs(expires - (started + expected.total_seconds())) < 120


def test_a_session_without_remember_me_expires_on_the_server(site, make_user) -> None:
    user = make_user()
    browser = site.test_client()
    started = int(time.time())
    log_in(browser, user.email)
    assert browser.get_cookie("remember_token") is None
    with site.app_context():
        expires = db.session.scalar(select(UserSession.expires_epoch))
    assert abs(expires - (started + 12 * 3600)) < 120


def test_the_database_keeps_only_a_hash_of_the_session_token(site, make_user) -> None:
    user = make_user()
    browser = site.test_client()
    log_in(browser, user.email)
    with browser.session_transaction() as session:
        token = session["_user_id"].partition(":")[2]
    with site.app_context():
        stored = db.session.scalars(select(UserSession.token_hash)).all()
        assert db.session.get(User, user.id).active
    assert len(token) >= 40 and stored and token not in stored
