"""Site-wide behaviour: language switch, health check, security headers, no 500s."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from course.app import create_app
from course.extensions import db
from course.models import User

FIRST = "/courses/kam-pay/lessons/kams-are-not-salespeople"


def test_language_defaults_to_the_browser_and_the_choice_is_remembered(client) -> None:
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    response = client.post("/language", data={"lang": "de", "next": FIRST}, headers={"Accept-Language": "en"})
    assert response.status_code == 302 and response.headers["Location"] == FIRST
    page = client.get(FIRST, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="de">' in page and "Key-Account-Manager sind keine Verkäufer" in page


def test_language_choice_is_stored_on_the_account(app, client, login_as, make_user) -> None:
    user = make_user(locale="de")
    login_as(user)
    client.post("/language", data={"lang": "en", "next": "/"})
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_language_saved_before_login_is_kept_on_the_account(app, client, make_user) -> None:
    make_user(email="kam@example.org")
    client.post("/language", data={"lang": "en", "next": "/"})
    client.post("/auth/login", data={"email": "kam@example.org", "password": "correct horse battery"})
    with app.app_context():
        assert db.session.scalar(select(User.locale)) == "en"


@pytest.mark.parametrize("data", [{"lang": "fr", "next": "/"}, {"lang": "en", "next": "https://evil.example/"}, {}])
def test_language_switch_ignores_bad_values_and_foreign_redirects(client, data: dict) -> None:
    response = client.post("/language", data=data, headers={"Accept-Language": "de"})
    assert response.status_code == 302
    assert response.headers["Location"] == data.get("next", "/").replace("https://evil.example/", "/")
    assert '<html lang="fr">' not in client.get("/").get_data(as_text=True)


def test_healthz_checks_the_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'no.sqlite3'}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


@pytest.mark.parametrize("url", ["/", FIRST, "/auth/login", "/no/such/page"])
def test_security_headers_on_every_page(client, url: str) -> None:
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style_and_no_external_resources(client) -> None:
    for url in ("/", FIRST, "/auth/login", "/auth/register"):
        page = client.get(url).get_data(as_text=True)
        # Scripts only as empty tags loading the app's own files (the course path, knowledge checks) under their
        # content-hashed names (course/assets.py), never inline.
        assert len(re.findall(r"<script\b", page)) == len(
            re.findall(r'<script src="/static/js/[\w-]+\.[0-9a-f]{16}\.js" defer></script>', page)
        )
        assert "style=" not in page and "<style" not in page
        # Nothing is loaded from elsewhere (the Open Graph tags name the page's own public address, loading nothing).
        assert not re.search(r"""(?:src|href|action)=["']?(?:https?:)?//""", page)


def test_static_stylesheet_is_served(client) -> None:
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200 and "prefers-color-scheme: dark" in response.get_data(as_text=True)


def test_method_not_allowed_and_oversized_bodies_are_friendly(client) -> None:
    assert client.delete("/").status_code == 405
    response = client.post("/auth/login", data={"email": "x" * (3 * 1024 * 1024)}, headers={"Accept-Language": "en"})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_unexpected_error_is_a_friendly_500_that_rolls_back(make_app, backend) -> None:
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("unexpected")

    response = app.test_client().get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
