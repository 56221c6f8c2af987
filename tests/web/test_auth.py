"""Register, log in, log out: validation at each field, one generic login error, rate limit, CSRF."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from course.auth import operations as accounts
from course.extensions import db
from course.models import User
from tests.conftest import PASSWORD
from tests.quiz_helpers import faster_apps


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


GOOD = {
    "display_name": "Ana Ćosić",
    "email": "ana@example.org",
    "password": "a long password",
    "confirm": "a long password",
}


def test_register_creates_a_learner_logs_in_and_remembers_language(app, client) -> None:
    response = client.post("/auth/register", data=GOOD, headers={"Accept-Language": "en"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with app.app_context():
        user = db.session.scalar(select(User))
    assert (user.email, user.display_name, user.role, user.locale) == ("ana@example.org", "Ana Ćosić", "learner", "en")
    page = client.get("/").get_data(as_text=True)
    assert "Ana Ćosić" in page and "Log out" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "", "Please enter your name."),
        ("display_name", "x" * 121, "At most 120 characters, please."),
        ("display_name", "Bad\u0000Name", "Please remove invisible control characters."),
        ("email", "", "Please enter your email address."),
        ("email", "not-an-email", "This does not look like an email address."),
        ("password", "short", "Use at least 15 characters."),
        ("password", "p" * 300, "Use at most 256 characters."),
        ("confirm", "something else", "The passwords do not match."),
    ],
)
def test_register_shows_each_error_at_its_field_and_keeps_input(
    app, client, field: str, value: str, message: str
) -> None:
    data = {**GOOD, field: value}
    if field == "password":
        data["confirm"] = value
    response = client.post("/auth/register", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error_block = re.search(rf'id="{field}-error">(.*?)</ul>', page, re.S)
    assert error_block and message in error_block.group(1)
    if field != "email":
        assert 'value="ana@example.org"' in page  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_register_errors_are_translated(client) -> None:
    response = client.post("/auth/register", data={**GOOD, "email": ""}, headers={"Accept-Language": "de"})
    assert "Bitte geben Sie Ihre E-Mail-Adresse ein." in response.get_data(as_text=True)


def test_register_with_an_address_that_exists_in_any_case_tells_only_its_owner(app, client, make_user, mailbox) -> None:
    """The page does not say the address has an account (tests/web/test_registration_modes.py); the mail does."""
    make_user(email="ana@example.org", locale="en")
    response = client.post(
        "/auth/register", data={**GOOD, "email": "ANA@example.org"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check your mail" in page and "already" not in page
    assert mailbox.last_to("ana@example.org").subject == "You already have an account at KAM course"
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_login_and_logout(client, make_user) -> None:
    make_user(email="kam@example.org")
    response = client.post("/auth/login", data={"email": "KAM@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "Test Learner" in client.get("/").get_data(as_text=True)
    assert client.post("/auth/logout").status_code == 302
    assert "Test Learner" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("email", ["kam@example.org", "nobody@example.org"])
def test_failed_login_has_one_generic_message(client, make_user, email: str) -> None:
    make_user(email="kam@example.org")
    response = client.post(
        "/auth/login", data={"email": email, "password": "wrong password"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Invalid email or password." in page
    assert f'value="{email}"' in page


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/courses/kam-pay/lessons/kam-mandate", "/courses/kam-pay/lessons/kam-mandate"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_login_redirects_only_within_the_site(client, make_user, target: str, expected: str) -> None:
    make_user(email="kam@example.org")
    response = client.post("/auth/login", data={"email": "kam@example.org", "password": PASSWORD, "next": target})
    assert response.headers["Location"] == expected


def test_login_is_rate_limited(make_app, make_user) -> None:
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [
        client.post(
            "/auth/login", data={"email": "x@example.org", "password": "wrong"}, headers={"Accept-Language": "en"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    assert "Too many attempts" in client.post("/auth/login", data={}, headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_forms_require_a_csrf_token(make_app) -> None:
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/auth/register", data=GOOD, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    page = client.get("/auth/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/auth/register", data={**GOOD, "csrf_token": token}).status_code == 302


def test_logout_requires_post(client, login_as, make_user) -> None:
    login_as(make_user())
    assert client.get("/auth/logout").status_code == 405


def test_session_cookie_is_httponly_samesite_and_secure(client, make_user) -> None:
    make_user(email="kam@example.org")
    response = client.post("/auth/login", data={"email": "kam@example.org", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_logged_in_user_is_sent_away_from_login_and_register(client, login_as, make_user) -> None:
    login_as(make_user())
    assert client.get("/auth/login").status_code == 302
    assert client.get("/auth/register").status_code == 302


def test_set_locale_changes_only_the_account_and_leaves_the_commit_to_the_view(app, make_user) -> None:
    user = make_user(locale="de")
    with app.app_context():
        accounts.set_locale(user.id, "en")
        assert db.session.get(User, user.id).locale == "en"
        db.session.rollback()  # not committed by the operation
        assert db.session.get(User, user.id).locale == "de"
        accounts.set_locale(10**6, "en")  # an account deleted meanwhile: nothing to change, no error
