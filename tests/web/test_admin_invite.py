"""Inviting one person: an account without a password, the invitation mail in the person's language, the audit
entry; a taken address or a refused mail leaves no account behind."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from course.extensions import db
from course.models import AccountToken, OutboxMessage, User
from tests.admin_helpers import DE, EN, admin_client, entries, stored
from tests.jobs import run_jobs
from tests.quiz_helpers import faster_apps
from tests.web.account_links import link_path

FORM = {"email": " Lena.Neu@Example.org ", "display_name": "Lena Neu", "role": "trainer", "language": "en"}


@pytest.fixture
def app(make_app, monkeypatch: pytest.MonkeyPatch) -> Flask:
    return faster_apps(make_app, monkeypatch)()


@pytest.fixture
def admin(app: Flask, make_user):
    return admin_client(app, make_user)


def user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_the_form_offers_roles_and_languages_with_the_sites_language_chosen(app, admin) -> None:
    client, _admin = admin
    html = client.get("/admin/users/invite", headers=EN).get_data(as_text=True)
    assert '<option selected value="de">Deutsch</option>' in html
    for role in ("Learner", "Trainer", "Administrator"):
        assert f">{role}</option>" in html


def test_an_invitation_creates_an_account_without_a_password_and_mails_the_link(app, admin, mailbox) -> None:
    client, ada = admin
    response = client.post("/admin/users/invite", data=FORM, headers=EN)
    assert response.status_code == 303
    user = stored(app, "lena.neu@example.org")
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert (user.password_hash, user.role, user.locale, user.email_verified) == (None, "trainer", "en", False)
    mail = mailbox.last_to("lena.neu@example.org")
    assert mail.subject == "Ada Admin invites you to KAM course"
    assert "Hello Lena Neu," in mail.text
    assert "Ada Admin has invited you to KAM course" in mail.text
    (link,) = [link for link in mail.links if "/auth/invitation/" in link]
    assert link in mail.html
    (entry,) = entries(app, "invited")
    assert (entry.actor_id, entry.target_user_id, entry.detail) == (ada.id, user.id, {"role": "trainer"})
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "The account is created and the invitation is being sent to lena.neu@example.org." in page
    assert "Invited" in page and "Send the invitation again" in page


def test_the_invitation_is_written_in_the_chosen_language(app, admin, mailbox) -> None:
    client, _admin = admin
    client.post("/admin/users/invite", data={**FORM, "language": "de"}, headers=EN)
    mail = mailbox.last_to("lena.neu@example.org")
    assert mail.subject == "Ada Admin lädt Sie zu KAM-Kurs ein"
    assert "Hallo Lena Neu," in mail.text and "Ada Admin" in mail.html
    assert any("/auth/invitation/" in link for link in mail.links)


def test_an_address_with_an_account_is_refused_at_the_field(app, admin, make_user, mailbox) -> None:
    client, _admin = admin
    make_user(email="lena.neu@example.org")
    before = user_count(app)
    response = client.post("/admin/users/invite", data=FORM, headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This address already has an account." in html and 'id="email-error"' in html
    assert user_count(app) == before
    assert mailbox.to("lena.neu@example.org") == []
    assert entries(app, "invited") == []


def test_the_invitation_goes_out_after_the_page_has_answered(app, admin, mailbox) -> None:
    client, _admin = admin
    assert client.post("/admin/users/invite", data=FORM, headers=EN).status_code == 303
    assert mailbox.received == []
    assert run_jobs(app) == 1
    assert [mail.recipients for mail in mailbox.received] == [("lena.neu@example.org",)]


def test_a_refused_invitation_keeps_the_account_and_the_admin_sees_the_mail(app, admin, mailbox) -> None:
    """The account exists whatever the mail server says; the refused mail shows on the account's page and at
    /admin/mail, and once the address is fixed on the server side, trying again sends a working link."""
    client, _admin = admin
    mailbox.refuse.add("lena.neu@example.org")
    response = client.post("/admin/users/invite", data=FORM, headers=EN)
    assert response.status_code == 303
    user = stored(app, "lena.neu@example.org")
    assert mailbox.mails == []
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Mails not sent yet" in page and "Invitation" in page and "refused it for good" in page
    outbox_page = client.get("/admin/mail", headers=EN).get_data(as_text=True)
    assert "lena.neu@example.org" in outbox_page and "550" in outbox_page
    with app.app_context():
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0  # no link nobody received
        message_id = db.session.scalar(select(OutboxMessage.id))
    mailbox.refuse.clear()
    client.post(f"/admin/outbox/{message_id}/retry?channel=mail")
    link = link_path(mailbox.last_to("lena.neu@example.org"), "/auth/invitation/")
    assert app.test_client().get(link, headers=EN).status_code == 200
    assert "Mails not sent yet" not in client.get(f"/admin/users/{user.id}", headers=EN).get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "Please enter the email address."),
        ("email", "not-an-address", "This does not look like an email address."),
        ("email", "a" * 250 + "@example.org", "At most 254 characters, please."),
        ("display_name", "", "Please enter the person's name."),
        ("display_name", "x" * 121, "At most 120 characters, please."),
        ("display_name", "Lena\u202eNeu", "Please remove invisible control characters."),
        ("role", "king", "Not a valid choice."),
        ("language", "fr", "Not a valid choice."),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_created(
    app, admin, field: str, value: str, message: str
) -> None:
    client, _admin = admin
    before = user_count(app)
    response = client.post("/admin/users/invite", data={**FORM, field: value}, headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert user_count(app) == before


def test_the_form_is_german_for_a_german_admin(app, make_user) -> None:
    client, _admin = admin_client(app, make_user, locale="de")
    response = client.post("/admin/users/invite", data={**FORM, "email": "nope"}, headers=DE)
    html = response.get_data(as_text=True)
    assert "Jemanden einladen" in html
    assert "Das sieht nicht wie eine E-Mail-Adresse aus." in html
