"""API tokens: made by admins and shown once, stored hashed, scoped, revocable, expiring; refusals say why (401
with the RFC 6750 challenge, 403 for a missing scope), in the log and on the admins' page; a token request never
uses the session cookie and needs no CSRF token."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from course.api import tokens
from course.core import api_tokens as rules
from course.extensions import db
from course.groups import operations as groups
from course.models import ApiToken, AuditEntry, utcnow
from tests.hr_helpers import bearer, make_token
from tests.quiz_helpers import client_for, faster_apps

TOKEN = re.compile(r'<code id="new-token">([^<]+)</code>')
CHALLENGE = 'Bearer realm="KAM course API"'


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def token_row(app: Flask, plain: str) -> ApiToken:
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.prefix == rules.prefix_of(plain)))
        db.session.expunge(row)
        return row


# --- The format ------------------------------------------------------------------------------------------------------


def test_a_token_names_its_prefix_and_only_its_hash_is_stored(app: Flask) -> None:
    plain = make_token(app, "progress:read")
    assert re.fullmatch(r"kamc_[a-z0-9]{8}_[0-9a-f]{64}", plain)
    row = token_row(app, plain)
    assert plain.split("_")[1] == row.prefix
    assert row.token_hash == rules.digest(plain) != plain
    assert plain.split("_")[2] not in {row.token_hash, row.prefix, row.name}


@pytest.mark.parametrize(
    "text", ["", "kamc_abc", "kamc_abcdefgh_short", "Kamc_abcdefgh_" + "a" * 64, "x" * 500, "kamc_abcdefgh_" + "ä" * 30]
)
def test_text_that_is_no_token_has_no_prefix(text: str) -> None:
    assert rules.prefix_of(text) is None


# --- Refusals --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "error", "message"),
    [
        ({}, "unauthenticated", "Send an API token: Authorization: Bearer <token>."),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthenticated", "Send an API token"),
        ({"Authorization": "Bearer "}, "unauthenticated", "Send an API token"),
        ({"Authorization": "Bearer kamc_nothing"}, "invalid_token", "This API token is not valid."),
        ({"Authorization": "Bearer kamc_abcdefgh_" + "0" * 64}, "invalid_token", "This API token is not valid."),
    ],
)
def test_a_missing_or_unknown_token_is_401_with_the_challenge(client, headers, error: str, message: str) -> None:
    response = client.get("/api/v1/progress", headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 401
    assert response.get_json()["error"] == error and message in response.get_json()["message"]
    expected = CHALLENGE if error == "unauthenticated" else f'{CHALLENGE}, error="invalid_token"'
    assert response.headers["WWW-Authenticate"] == expected


def test_a_revoked_token_is_refused_and_the_admins_see_when(app: Flask, client, make_user, caplog) -> None:
    plain = make_token(app, "progress:read", name="Old HR sync")
    assert client.get("/api/v1/progress", headers=bearer(plain)).status_code == 200
    admin = client_for(app, make_user(role="admin", locale="en"))
    row = token_row(app, plain)
    assert admin.post(f"/admin/api-tokens/{row.id}/revoke").status_code == 302

    with caplog.at_level(logging.WARNING):
        response = client.get("/api/v1/progress", headers={**bearer(plain), "Accept-Language": "en"})
    assert response.status_code == 401
    assert response.get_json() == {
        "error": "invalid_token",
        "message": "This API token was revoked. Ask an administrator for a new one.",
    }
    assert "revoked token Old HR sync (kamc_" in caplog.text
    row = token_row(app, plain)
    assert row.last_refusal == "revoked" and row.last_refused_at is not None
    page = admin.get("/admin/api-tokens", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Last refused (revoked)" in page and "Revoked" in page


def test_an_expired_token_is_refused(app: Flask, client) -> None:
    plain = make_token(app, "progress:read", expires_at=utcnow() - timedelta(seconds=1))
    response = client.get("/api/v1/progress", headers={**bearer(plain), "Accept-Language": "en"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "This API token has expired. Ask an administrator for a new one."
    assert token_row(app, plain).last_refusal == "expired"


def test_a_token_without_the_scope_is_403_and_names_the_scope(app: Flask, client) -> None:
    plain = make_token(app, "certificates:read")
    response = client.get("/api/v1/progress", headers={**bearer(plain), "Accept-Language": "en"})
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"
    assert "progress:read" in response.get_json()["message"]
    assert response.headers["WWW-Authenticate"] == f'{CHALLENGE}, error="insufficient_scope", scope="progress:read"'
    assert client.get("/api/v1/certificates", headers=bearer(plain)).status_code == 200
    assert token_row(app, plain).last_refusal == "scope"  # the admins' page says so


def test_the_token_endpoint_tells_a_script_what_its_token_may_do(app: Flask, client) -> None:
    plain = make_token(app, "users:read", "progress:read", name="HR sync")
    document = client.get("/api/v1/token", headers=bearer(plain)).get_json()
    assert document["name"] == "HR sync" and document["scopes"] == ["users:read", "progress:read"]
    assert document["prefix"] == rules.prefix_of(plain) and document["expires_at"] is None


# --- No session, no CSRF ---------------------------------------------------------------------------------------------


def test_a_logged_in_admins_session_does_not_open_the_token_api(app: Flask, make_user) -> None:
    admin = client_for(app, make_user(role="admin", locale="de"))
    response = admin.get("/api/v1/users", headers={"Accept-Language": "en"})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthenticated"
    assert response.get_json()["message"].startswith("Send an API token")  # not the session's account's German
    plain = make_token(app, "certificates:read")
    for path in ("/api/v1/certificates", "/api/v1/progress"):  # allowed, refused: the session is left alone
        response = admin.get(path, headers={**bearer(plain), "Accept-Language": "en"})
        assert "Set-Cookie" not in response.headers, path
    assert response.get_json()["message"].startswith("This API token may not do this")


def test_token_requests_get_no_cookie_and_need_no_csrf_token(make_app, make_user) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    learner = make_user()
    plain = make_token(app, "users:read", "users:write")
    client = app.test_client()
    group = client.get("/api/v1/groups", headers=bearer(plain))
    assert group.status_code == 200 and "Set-Cookie" not in group.headers
    assert group.headers["Cache-Control"] == "no-store"
    with app.test_request_context():
        group_id = groups.create_group("HR").id
        db.session.commit()
    added = client.post(f"/api/v1/groups/{group_id}/members", json={"user_id": learner.id}, headers=bearer(plain))
    assert added.status_code == 201 and "Set-Cookie" not in added.headers
    assert client.get_cookie("session") is None


# --- Last use --------------------------------------------------------------------------------------------------------


def test_last_use_is_written_at_most_once_a_minute(app: Flask, client, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = make_token(app, "progress:read")
    start = utcnow().replace(microsecond=0)
    moments = iter([start, start + timedelta(seconds=30), start + timedelta(seconds=61)])
    seen = []
    for moment in moments:
        monkeypatch.setattr(tokens, "utcnow", lambda moment=moment: moment)
        assert client.get("/api/v1/progress", headers=bearer(plain)).status_code == 200
        seen.append(token_row(app, plain).last_used_at)
    assert seen == [start, start, start + timedelta(seconds=61)]


# --- The admins' page ------------------------------------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_audited(app: Flask, client, make_user) -> None:
    admin = client_for(app, make_user(role="admin", locale="en"))
    page = admin.post(
        "/admin/api-tokens",
        data={"name": "HR sync", "x_progress_read": "y", "days": "30"},
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    plain = html.unescape(TOKEN.search(page.get_data(as_text=True)).group(1))
    assert client.get("/api/v1/progress", headers=bearer(plain)).status_code == 200
    listing = admin.get("/admin/api-tokens").get_data(as_text=True)
    assert plain not in listing and f"kamc_{rules.prefix_of(plain)}_…" in listing
    row = token_row(app, plain)
    assert row.scopes == ["progress:read"]
    assert timedelta(days=29, hours=23) < row.expires_at - row.created_at <= timedelta(days=30, seconds=5)
    with app.app_context():
        actions = [entry.action for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert "api_token_created" in actions


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "x_progress_read": "y"}, "Please enter a name."),
        ({"name": "HR"}, "Choose at least one permission."),
        ({"name": "HR", "x_progress_read": "y", "days": "0"}, "Enter a number from 1 to 3650."),
        ({"name": "HR", "x_progress_read": "y", "days": "soon"}, "Please enter a whole number."),
    ],
)
def test_a_bad_token_form_says_why_and_makes_nothing(app: Flask, make_user, data: dict, message: str) -> None:
    admin = client_for(app, make_user(role="admin", locale="en"))
    response = admin.post("/admin/api-tokens", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_revoking_twice_changes_nothing_more(app: Flask, make_user) -> None:
    plain = make_token(app, "progress:read")
    admin = client_for(app, make_user(role="admin"))
    row = token_row(app, plain)
    admin.post(f"/admin/api-tokens/{row.id}/revoke")
    first = token_row(app, plain).revoked_at
    admin.post(f"/admin/api-tokens/{row.id}/revoke")
    assert token_row(app, plain).revoked_at == first
    with app.app_context():
        revoked = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token_revoked")).all()
    assert len(revoked) == 1
