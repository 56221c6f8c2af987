"""The account page: name and language, a new password (this browser stays logged in, every other session ends),
a new email address (confirmed by a link to it, announced to the old one)."""

from __future__ import annotations

import html
import random
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from course.extensions import db
from course.models import AccountToken, AuditEntry, OutboxMessage, SsoIdentity, User, utcnow
from tests.conftest import PASSWORD
from tests.jobs import run_jobs
from tests.quiz_helpers import client_for, faster_apps
from tests.web import test_form_fuzz as fuzz


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


EN = {"Accept-Language": "en"}
NEW_PASSWORD = "lantern oyster piano velvet"
CONTROL = "Please remove invisible control characters."
PROVIDER = {"issuer": "https://sso.example.org", "client_id": "c", "client_secret": "s", "name": "Example SSO"}


def field_errors(page: str) -> dict[str, list[str]]:
    found = re.findall(r'<ul class="field__errors" id="([\w-]+)-error">(.*?)</ul>', page, re.S)
    return {name: [html.unescape(text) for text in re.findall(r"<li>(.*?)</li>", items, re.S)] for name, items in found}


def text_of(response) -> str:  # noqa: ANN001 - a test response
    return html.unescape(response.get_data(as_text=True))


def stored(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
        db.session.expunge_all()
        return rows


def logged_in(client: FlaskClient) -> bool:
    status = client.get("/account").status_code
    assert status in (200, 302)
    return status == 200


def log_in(client: FlaskClient, email: str, password: str = PASSWORD, remember: bool = False) -> None:
    data = {"email": email, "password": password, **({"remember": "y"} if remember else {})}
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302, text_of(response)


# --- Profile ---------------------------------------------------------------------------------------------------


def test_the_page_shows_the_address_the_role_and_how_the_account_signs_in(make_app, make_user) -> None:
    app = make_app(OIDC_PROVIDERS={"company": PROVIDER})
    with_password = make_user(email="pw@example.org", locale="en")
    page = text_of(client_for(app, with_password).get("/account"))
    assert "pw@example.org" in page and "<dd>Learner</dd>" in page
    assert "Email address and password" in page
    for endpoint in ("/account/password", "/account/email", "/account/export", "/account/delete"):
        assert f'href="{endpoint}"' in page

    by_sso = make_user(role="trainer", password=None, locale="en")
    with app.app_context():
        db.session.add(SsoIdentity(user_id=by_sso.id, provider="company", subject="s-1"))
        db.session.commit()
    page = text_of(client_for(app, by_sso).get("/account"))
    assert "<dd>Trainer</dd>" in page and "Single sign-on with Example SSO" in page

    invited = make_user(role="admin", password=None, locale="en")
    page = text_of(client_for(app, invited).get("/account"))
    assert "<dd>Administrator</dd>" in page and "No password set yet" in page


def test_saving_the_name_and_language_answers_in_the_new_language(app, client, make_user, login_as) -> None:
    user = make_user(locale="en", display_name="Erika Muster")
    login_as(user)
    form = client.get("/account").get_data(as_text=True)
    assert 'value="Erika Muster"' in form and '<option selected value="en">English</option>' in form

    response = client.post("/account", data={"display_name": "  Erika Mustermann ", "locale": "de"})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = text_of(client.get("/account"))
    assert '<html lang="de">' in page and "Ihr Konto" in page
    assert "Ihr Profil ist gespeichert." in page
    saved = stored(app, user.id)
    assert (saved.display_name, saved.locale) == ("Erika Mustermann", "de")
    (entry,) = audit(app, "profile_changed")
    assert entry.detail == {"fields": ["display_name", "locale"]} and entry.actor_id == user.id

    client.post("/account", data={"display_name": "Erika Mustermann", "locale": "de"})
    assert "Nichts geändert." in text_of(client.get("/account"))
    assert len(audit(app, "profile_changed")) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": "", "locale": "en"}, "display_name", "Please enter your name."),
        ({"display_name": "x" * 121, "locale": "en"}, "display_name", "At most 120 characters, please."),
        ({"display_name": "Eve\u202eil", "locale": "en"}, "display_name", CONTROL),
        ({"display_name": "Eve\x00il", "locale": "en"}, "display_name", CONTROL),
        ({"display_name": "Eve", "locale": "fr"}, "locale", "Please choose one of the languages offered."),
    ],
)
def test_bad_profile_input_is_shown_at_its_field_and_nothing_is_saved(
    app, client, make_user, login_as, data: dict, field: str, message: str
) -> None:
    user = make_user(locale="en", display_name="Erika Muster")
    login_as(user)
    response = client.post("/account", data=data, headers=EN)
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True))[field] == [message]
    assert stored(app, user.id).display_name == "Erika Muster"
    assert audit(app, "profile_changed") == []


def test_the_account_pages_need_a_login(client) -> None:
    for url in ("/account", "/account/password", "/account/email", "/account/export", "/account/delete"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), url


# --- Password --------------------------------------------------------------------------------------------------


def change_password(client: FlaskClient, current: str = PASSWORD, new: str = NEW_PASSWORD, confirm: str | None = None):
    data = {"current": current, "password": new, "confirm": new if confirm is None else confirm}
    return client.post("/account/password", data=data, headers=EN)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("wrong password here", NEW_PASSWORD, None, "current", "This is not your current password."),
        ("", NEW_PASSWORD, None, "current", "Please enter your current password."),
        (PASSWORD, "short one", None, "password", "Use at least 15 characters."),
        (PASSWORD, "wilhelmina zwackelmann", None, "password", "This password is made of your name"),
        (PASSWORD, "password1234567890", None, "password", "This password, or one very like it, is on the lists"),
        (PASSWORD, NEW_PASSWORD, "lantern oyster piano", "confirm", "The passwords do not match."),
        (PASSWORD, PASSWORD, None, "password", "The new password is the same as the current one."),
    ],
)
def test_a_refused_password_change_says_why_at_the_field_and_changes_nothing(
    app, client, make_user, login_as, mailbox, current: str, new: str, confirm: str | None, field: str, message: str
) -> None:
    user = make_user(locale="en", display_name="Wilhelmina Zwackelmann", email="wzw@example.org")
    login_as(user)
    response = change_password(client, current, new, confirm)
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True))[field]
    assert len(errors) == 1 and errors[0].startswith(message), errors
    assert stored(app, user.id).password_hash == user.password_hash
    assert logged_in(client) and mailbox.to(user.email) == [] and audit(app, "password_changed") == []


def test_changing_the_password_keeps_this_browser_and_ends_every_other_session(app, make_user, mailbox) -> None:
    user = make_user(locale="en")
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, user.email, remember=True)
    log_in(elsewhere, user.email)
    remembered = app.test_client()  # another device that kept only a copy of the old "stay logged in" cookie
    remembered.set_cookie("remember_token", here.get_cookie("remember_token").value)
    assert logged_in(remembered)

    response = change_password(here)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "everywhere else you have been logged out" in text_of(here.get("/account", headers=EN))
    assert not logged_in(elsewhere) and not logged_in(remembered)
    assert here.get_cookie("remember_token").value != remembered.get_cookie("remember_token").value

    other = app.test_client()
    assert other.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    log_in(other, user.email, NEW_PASSWORD)
    notice = mailbox.last_to(user.email)
    assert notice.subject == "Your password for KAM course was changed"
    (entry,) = audit(app, "password_changed")
    assert entry.actor_id == entry.target_user_id == user.id


def test_an_account_without_a_password_gets_no_form(make_app, make_user) -> None:
    app = make_app(OIDC_PROVIDERS={"company": PROVIDER})
    invited = make_user(password=None, locale="en")
    client = client_for(app, invited)
    page = text_of(client.get("/account/password"))
    assert "Your account has no password." in page and "Forgot your password?" in page
    assert 'name="current"' not in page
    assert change_password(client).status_code == 403

    sso_only = make_app(OIDC_PROVIDERS={"company": PROVIDER}, PASSWORD_LOGIN=False)
    learner = make_user(locale="en")
    page = text_of(client_for(sso_only, learner).get("/account/password"))
    assert "Passwords are not used on this site" in page and 'name="current"' not in page


def test_password_checks_are_rate_limited(make_app, make_user) -> None:
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = client_for(app, make_user(locale="en"))
    statuses = [change_password(client, current="wrong password here").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


# --- Email address ---------------------------------------------------------------------------------------------


def request_change(client: FlaskClient, email: str, password: str = PASSWORD):
    return client.post("/account/email", data={"email": email, "password": password}, headers=EN)


def confirm_link(mailbox, address: str) -> str:  # noqa: ANN001 - the mailbox fixture
    (link,) = [link for link in mailbox.last_to(address).links if "/account/email/" in link]
    return link.split("http://127.0.0.1:5000", 1)[1]


def test_a_new_address_is_confirmed_by_a_link_sent_to_it_and_the_old_address_is_told(
    app, client, make_user, login_as, mailbox
) -> None:
    user = make_user(locale="en", email="old@example.org", display_name="Erika Muster")
    login_as(user)
    response = request_change(client, " New@Example.org ")
    assert response.status_code == 200
    assert "We have sent a mail to new@example.org." in text_of(response)
    assert stored(app, user.id).email == "old@example.org"

    link_mail = mailbox.last_to("new@example.org")
    assert link_mail.subject == "Confirm your new email address for KAM course"
    assert "Your address changes only when you open this link and confirm" in link_mail.text
    assert "The link is valid for 2 days and works only once." in link_mail.text
    path = confirm_link(mailbox, "new@example.org")
    assert path in link_mail.html and "Confirm the new address" in link_mail.html
    notice = mailbox.last_to("old@example.org")
    assert notice.subject == "A change of your email address for KAM course was requested"
    assert "to new@example.org" in notice.text and "Hello Erika Muster," in notice.text
    assert "http://127.0.0.1:5000/account/password" in notice.text
    assert "new@example.org" in html.unescape(notice.html) and "Change your password" in notice.html

    opened = client_for(app, make_user())  # a phone, or a mail scanner: opening the link changes nothing
    page = opened.get(path, headers=EN)
    assert page.status_code == 200 and "new@example.org" in text_of(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert stored(app, user.id).email == "old@example.org"

    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    changed = stored(app, user.id)
    assert (changed.email, changed.email_verified) == ("new@example.org", True)
    (entry,) = audit(app, "email_changed")
    assert entry.detail == {"old": "old@example.org", "new": "new@example.org"}
    assert audit(app, "email_change_requested")[0].detail == {"new": "new@example.org"}
    assert client.post(path).status_code == 400  # used up
    log_in(app.test_client(), "new@example.org")


def test_the_mails_about_a_new_address_are_in_german_for_a_german_account(
    app, client, make_user, login_as, mailbox
) -> None:
    user = make_user(locale="de", email="alt@example.org", display_name="Erika Muster")
    login_as(user)
    request_change(client, "neu@example.org")
    link_mail = mailbox.last_to("neu@example.org")
    assert link_mail.subject == "Bestätigen Sie Ihre neue E-Mail-Adresse für KAM-Kurs"
    assert "Der Link ist 2 Tage lang gültig und funktioniert nur einmal." in link_mail.text
    assert "Neue Adresse bestätigen" in link_mail.html
    notice = mailbox.last_to("alt@example.org")
    assert notice.subject == "Eine Änderung Ihrer E-Mail-Adresse für KAM-Kurs wurde beantragt"
    assert "Hallo Erika Muster," in notice.text and "neu@example.org" in notice.text
    assert "Passwort ändern" in notice.html


def test_an_address_with_an_account_gets_the_same_answer_and_only_its_owner_is_told(
    app, client, make_user, login_as, mailbox
) -> None:
    make_user(email="taken@example.org", locale="de")
    user = make_user(locale="en", email="mine@example.org")
    login_as(user)
    response = request_change(client, "TAKEN@example.org")
    assert response.status_code == 200 and "We have sent a mail to taken@example.org." in text_of(response)
    told = mailbox.last_to("taken@example.org")
    assert told.subject == "Jemand möchte ein Konto bei KAM-Kurs auf diese Adresse umstellen"
    assert "Ein Konto mit dieser Adresse gibt es bereits" in told.text
    assert not any("/account/email/" in link for link in told.links)
    assert "Ein Konto mit dieser Adresse gibt es bereits" in told.html
    assert "http://127.0.0.1:5000/auth/login" in told.html
    with app.app_context():
        assert db.session.scalars(select(AccountToken).where(AccountToken.purpose == "email")).all() == []
    assert stored(app, user.id).email == "mine@example.org"


@pytest.mark.parametrize(
    ("email", "password", "field", "message"),
    [
        ("new@example.org", "wrong password here", "password", "This is not your current password."),
        ("new@example.org", "", "password", "Please enter your current password."),
        ("", PASSWORD, "email", "Please enter the new address."),
        ("not an address", PASSWORD, "email", "This does not look like an email address."),
        ("x" * 250 + "@example.org", PASSWORD, "email", "At most 254 characters, please."),
        ("Mine@Example.org", PASSWORD, "email", "This is your address already."),
    ],
)
def test_a_refused_address_change_says_why_at_the_field_and_sends_nothing(
    app, client, make_user, login_as, mailbox, email: str, password: str, field: str, message: str
) -> None:
    user = make_user(locale="en", email="mine@example.org")
    login_as(user)
    response = request_change(client, email, password)
    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True))[field]
    assert mailbox.mails == [] and audit(app, "email_change_requested") == []


def test_an_address_the_mail_server_refuses_leaves_no_link_and_admins_see_the_mail(
    app, client, make_user, login_as, mailbox
) -> None:
    """The page answers at once (it cannot know what the server will say); the refused mail is kept for admins."""
    login_as(make_user(locale="en"))
    mailbox.refuse.add("nobody@example.org")
    response = request_change(client, "nobody@example.org")
    assert response.status_code == 200
    assert [mail.recipients for mail in mailbox.mails] == [("learner1@example.org",)]  # the notice only
    with app.app_context():
        assert db.session.scalars(select(AccountToken)).all() == []
        (refused,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))
        assert refused.payload["to"] == "nobody@example.org" and "550" in refused.last_error


def test_the_page_answers_before_the_mails_are_sent(app, client, make_user, login_as, mailbox) -> None:
    login_as(make_user(locale="en", email="old@example.org"))
    assert request_change(client, "new@example.org").status_code == 200
    assert mailbox.received == []
    run_jobs(app)
    assert sorted(mail.recipients for mail in mailbox.received) == [("new@example.org",), ("old@example.org",)]


def test_bad_expired_and_overtaken_links_change_nothing(app, client, make_user, login_as, mailbox) -> None:
    user = make_user(locale="en", email="old@example.org")
    login_as(user)
    request_change(client, "new@example.org")
    path = confirm_link(mailbox, "new@example.org")

    for bad in ("/account/email/" + "x" * 43, "/account/email/short", path + "x"):
        for method in ("GET", "POST"):
            response = client.open(bad, method=method, headers=EN)
            assert response.status_code == 400, (bad, method)
            assert "This link does not work" in text_of(response)

    make_user(email="new@example.org")  # someone registered the address meanwhile
    response = client.post(path, headers=EN)
    assert response.status_code == 409
    assert "new@example.org has been taken by another account in the meantime" in text_of(response)
    assert stored(app, user.id).email == "old@example.org" and audit(app, "email_changed") == []

    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    for method in ("GET", "POST"):
        response = client.open(path, method=method, headers=EN)
        assert response.status_code == 410 and "This link has expired" in text_of(response)


def test_an_account_without_a_password_cannot_change_its_address_here(app, make_user) -> None:
    client = client_for(app, make_user(password=None, locale="en", email="sso@example.org"))
    page = text_of(client.get("/account/email"))
    assert "Your address (sso@example.org) cannot be changed here" in page and 'name="email"' not in page
    assert request_change(client, "new@example.org").status_code == 403


def test_no_account_form_answers_hostile_values_with_a_server_error(make_app, make_user) -> None:
    """The form fuzzer of tests/web/test_form_fuzz.py, started on the account pages (CSRF on, real tokens)."""
    app = make_app(PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=True, LOGIN_RATE_LIMIT="1000 per minute")
    for user in (make_user(locale="en"), make_user(password=None, role="trainer", locale="de")):
        client = client_for(app, user)
        forms = fuzz.crawl(client, ["/account", "/account/delete", "/privacy", "/imprint"], set())
        actions = {form.action for form in forms}
        assert {"/account", "/account/export", "/account/delete"} <= actions, actions
        for form in forms:
            if form.action != "/account/export":  # no field to fuzz, and its answer is a ZIP, not a page
                fuzz.fuzz_form(client, form, random.Random(fuzz.SEED))
        with app.app_context():
            assert db.session.get(User, user.id).deleted_at is None
