"""axe-core on the account pages the journeys pass only briefly or not at all: the pages behind mailed links
(invitation, address confirmation, email change, a dead link), the registration page when accounts are by
invitation or closed, the imprint, and the admin's confirmation before deleting an account — in German and
English, light and dark."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
from flask import Flask
from playwright.sync_api import Page

from course.auth import operations as accounts
from course.extensions import db
from course.models import User

from .conftest import LiveServer
from .helpers import Learner, PageFactory, log_in
from .test_accessibility import blocking_violations, fail_on

PASSWORD = "lantern orchid velvet compass"


def account(app: Flask, role: str = "learner", password: str | None = PASSWORD) -> Learner:
    person = Learner(name="Paula Prüfer", email=f"{role}-{uuid4().hex[:12]}@example.org", password=password or "")
    with app.app_context():
        accounts.create_user(person.email, password, person.name, role=role, locale="de", email_verified=True)
        db.session.commit()
    return person


def token_for(app: Flask, email: str, purpose: str, new_email: str | None = None) -> str:
    with app.app_context():
        token = accounts.issue_token(accounts.find_user(email), purpose, new_email=new_email)
        db.session.commit()
        return token


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return db.session.query(User.id).filter_by(email=email).scalar()


@pytest.fixture
def registration_mode(live_server: LiveServer) -> Iterator[None]:
    """Lets a test switch the live server's registration mode; the mode is put back afterwards."""
    before = live_server.app.config["REGISTRATION_MODE"]
    yield
    live_server.app.config["REGISTRATION_MODE"] = before


def visit(page: Page, path: str, findings: dict[str, list[dict]], what: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, f"GET {path} -> {response and response.status}"
    findings[what] = blocking_violations(page)


@pytest.mark.parametrize(("locale", "scheme"), [("de-DE", "light"), ("en-GB", "dark")])
def test_the_pages_behind_mailed_links_and_the_closed_registration(
    new_page: PageFactory, live_server: LiveServer, registration_mode: None, locale: str, scheme: str
) -> None:
    app = live_server.app
    findings: dict[str, list[dict]] = {}
    page = new_page(locale=locale, color_scheme=scheme)
    invited = account(app, password=None)
    visit(page, f"/auth/invitation/{token_for(app, invited.email, 'invite')}", findings, "the invitation")
    page.get_by_role("button").last.click()  # sent empty: the errors at the fields
    findings["the invitation with errors"] = blocking_violations(page)
    unconfirmed = account(app)
    visit(page, f"/auth/confirm/{token_for(app, unconfirmed.email, 'verify')}", findings, "address confirmation")
    visit(page, "/auth/password/reset/" + "x" * 43, findings, "a dead link", status=400)
    visit(page, "/imprint", findings, "the imprint")
    for mode in ("invite", "closed"):
        app.config["REGISTRATION_MODE"] = mode
        visit(page, "/auth/register", findings, f"registration ({mode})")

    mover = account(app)
    log_in(page, mover)
    token = token_for(app, mover.email, "email", new_email=f"new-{uuid4().hex[:8]}@example.org")
    visit(page, f"/account/email/{token}", findings, "the email change's confirmation")
    fail_on({f"{what} ({locale}, {scheme})": found for what, found in findings.items()})


def test_the_admins_confirmation_before_deleting_an_account(new_page: PageFactory, live_server: LiveServer) -> None:
    app = live_server.app
    findings: dict[str, list[dict]] = {}
    learner = account(app)
    page = new_page(locale="de-DE")
    log_in(page, account(app, role="admin"))
    visit(page, f"/admin/users/{user_id(app, learner.email)}/delete", findings, "delete an account (de)")
    page.get_by_role("button").last.click()  # not confirmed: the error at the field
    findings["delete an account, not confirmed"] = blocking_violations(page)
    fail_on(findings)
