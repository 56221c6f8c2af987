"""Inviting one person: an account without a password, the invitation mail in the person's language, the audit
entry; a taken address or a refused mail leaves no account behind."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from course.extensions import db
from course.models import AccountToken, User
from tests.admin_helpers import DE, EN, admin_client, entries, stored
from tests.quiz_helpers import faster_apps

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
    assert "The invitation has been sent to lena.neu@example.org." in page
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


def test_a_refused_mail_creates_no_account(app, admin, mailbox) -> None:
    client, _admin = admin
    mailbox.refuse.add("lena.neu@example.org")
    before = user_count(app)
    response = client.post("/admin/users/invite", data=FORM, headers=EN)
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "The invitation could not be sent: the mail server refused it. No account has been created" in html
    assert 'value="Lena Neu"' in html  # nothing typed is lost
    assert user_count(app) == before
    assert stored(app, "lena.neu@example.org") is None
    with app.app_context():
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0
    assert entries(app) == []


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
