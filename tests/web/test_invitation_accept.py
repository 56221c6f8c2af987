"""Accepting an invitation: the mail says who invited whom to what and until when; the link opens a welcome
form (name to correct, first password) and works once; a lost or expired one is replaced through "forgot
password"."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from course.auth import mails
from course.auth import operations as accounts
from course.extensions import db
from course.models import AccountToken, User
from tests.jobs import run_jobs

from .account_links import (
    NEW_PASSWORD,
    account,
    audit_entries,
    expire_tokens,
    field_errors,
    flashes,
    issue,
    link_path,
)

EN = {"Accept-Language": "en"}
INVITATION = "/auth/invitation/"


@pytest.fixture
def invite(app, mailbox):
    """Open an account without a password and send its invitation as an administrator would; its id."""

    def send(email: str = "ivo@example.org", name: str = "Ivo Invitd", locale: str | None = "en") -> int:
        with app.test_request_context():
            user = accounts.create_user(email, None, name, locale=locale)
            mails.send_invitation(user, "Bea Boss")
            db.session.commit()
            return user.id

    return send


def accept(client, path: str, name: str = "Ivo Invited", password: str = NEW_PASSWORD, confirm: str | None = None):
    data = {"display_name": name, "password": password, "confirm": password if confirm is None else confirm}
    return client.post(path, data=data, headers=EN)


def can_log_in(app, email: str, password: str) -> bool:
    return app.test_client().post("/auth/login", data={"email": email, "password": password}).status_code == 302


@pytest.mark.parametrize(
    ("lang", "subject", "texts"),
    [
        (
            "en",
            "Bea Boss invites you to KAM course",
            (
                "Hello Ivo Invitd,",
                "Bea Boss has invited you to KAM course",
                "KAM course has online courses with short lessons and quizzes",
                "The link is valid for 7 days and works only once.",
                "choose “Forgot your password?” on the login page",
                "If you did not expect this invitation, ignore this mail",
            ),
        ),
        (
            "de",
            "Bea Boss lädt Sie zu KAM-Kurs ein",
            (
                "Hallo Ivo Invitd,",
                "Bea Boss hat Sie zu KAM-Kurs eingeladen",
                "KAM-Kurs bietet Online-Kurse mit kurzen Lektionen und Quizzen",
                "Der Link ist 7 Tage lang gültig und funktioniert nur einmal.",
                "Wählen Sie auf der Anmeldeseite „Passwort vergessen?“",
                "Wenn Sie diese Einladung nicht erwartet haben, ignorieren Sie diese E-Mail",
            ),
        ),
    ],
)
def test_the_invitation_mail_says_who_what_and_until_when(
    app, invite, mailbox, lang: str, subject: str, texts: tuple
) -> None:
    invite(locale=lang)
    mail = mailbox.last_to("ivo@example.org")
    assert mail.subject.strip() == subject
    for text in texts:
        assert text in mail.text and text in mail.html
    path = link_path(mail, INVITATION)
    assert link_path(mail, "/auth/password/forgot")
    assert app.test_client().get(path).status_code == 200


def test_the_invitation_lifetime_comes_from_the_settings(make_app, mailbox) -> None:
    site = make_app(INVITATION_MAX_AGE=36 * 3600)
    with site.test_request_context():
        user = accounts.create_user("ivo@example.org", None, "Ivo", locale="en")
        mails.send_invitation(user, "Bea Boss")
        db.session.commit()
    assert "valid for 36 hours" in mailbox.last_to("ivo@example.org").text


def test_an_invitation_is_queued_with_the_account_and_its_link_made_when_it_is_sent(app, mailbox) -> None:
    with app.test_request_context():
        user = accounts.create_user("ivo@example.org", None, "Ivo")
        mails.send_invitation(user, "Bea Boss")
        db.session.commit()
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0
    assert mailbox.received == []
    run_jobs(app)
    assert "Bea Boss" in mailbox.last_to("ivo@example.org").text
    with app.app_context():
        assert db.session.scalar(select(AccountToken.purpose)) == "invite"


def test_the_welcome_form_shows_the_name_to_correct_and_never_uses_the_link(app, client, invite, mailbox) -> None:
    invite()
    path = link_path(mailbox.last_to("ivo@example.org"), INVITATION)
    for _ in range(2):
        response = client.get(path, headers=EN)
        assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Welcome to KAM course — choose your password" in page
    assert 'value="Ivo Invitd"' in page and "ivo@example.org" in page
    assert 'name="password"' in page and 'name="confirm"' in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    german = app.test_client().get(path, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Willkommen bei KAM-Kurs – wählen Sie Ihr Passwort" in german


def test_accepting_sets_name_and_password_confirms_the_address_and_logs_in(app, client, invite, mailbox) -> None:
    user_id = invite()
    path = link_path(mailbox.last_to("ivo@example.org"), INVITATION)
    response = accept(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "Welcome, Ivo Invited! Your password is saved, and you are logged in." in flashes(page)
    assert "Log out" in page
    user = account(app, user_id)
    assert (user.display_name, user.email_verified) == ("Ivo Invited", True)
    assert can_log_in(app, "ivo@example.org", NEW_PASSWORD)
    [entry] = audit_entries(app, "password_set")
    assert (entry.actor_id, entry.target_user_id) == (user_id, user_id)
    used = app.test_client().get(path, headers=EN)
    assert used.status_code == 400 and "This link does not work" in used.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("display_name", {"name": ""}, "Please enter your name."),
        ("display_name", {"name": "x" * 121}, "At most 120 characters, please."),
        ("display_name", {"name": "Ivo\u202eInvited"}, "Please remove invisible control characters."),
        ("password", {"password": "short"}, "Use at least 15 characters."),
        ("password", {"password": "p" * 300}, "Use at most 256 characters."),
        ("password", {"password": "ivo invited example"}, "made of your name, your email address"),
        ("confirm", {"confirm": "something else"}, "The passwords do not match."),
    ],
)
def test_a_refused_form_is_explained_at_the_field_and_keeps_the_link(
    app, client, invite, mailbox, field: str, data: dict, message: str
) -> None:
    user_id = invite()
    path = link_path(mailbox.last_to("ivo@example.org"), INVITATION)
    response = accept(client, path, **data)
    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), field)
    assert account(app, user_id).password_hash is None
    assert accept(client, path).status_code == 302


def test_a_name_with_a_zero_byte_is_shown_back_with_its_error(app, client, invite, mailbox) -> None:
    invite()
    path = link_path(mailbox.last_to("ivo@example.org"), INVITATION)
    response = accept(client, path, name="Ivo\x00")
    assert response.status_code == 400
    assert "Please remove invisible control characters." in field_errors(
        response.get_data(as_text=True), "display_name"
    )


def test_an_expired_invitation_points_to_forgot_password_which_sends_a_new_link(app, client, invite, mailbox) -> None:
    user_id = invite()
    path = link_path(mailbox.last_to("ivo@example.org"), INVITATION)
    expire_tokens(app, user_id)
    response = client.get(path, headers=EN)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This link has expired" in page and 'href="/auth/password/forgot"' in page
    assert accept(client, path).status_code == 410
    client.post("/auth/password/forgot", data={"email": "ivo@example.org"})
    fresh = mailbox.last_to("ivo@example.org")
    assert fresh.subject == "Choose your password for KAM course"
    reset = link_path(fresh, "/auth/password/reset/")
    assert client.post(reset, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert can_log_in(app, "ivo@example.org", NEW_PASSWORD)


def test_a_password_chosen_through_forgot_password_ends_the_invitation(app, client, invite, mailbox) -> None:
    invite()
    invitation = link_path(mailbox.last_to("ivo@example.org"), INVITATION)
    client.post("/auth/password/forgot", data={"email": "ivo@example.org"})
    reset = link_path(mailbox.last_to("ivo@example.org"), "/auth/password/reset/")
    client.post(reset, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert app.test_client().get(invitation).status_code == 400


@pytest.mark.parametrize("change", ["tamper", "other-purpose", "huge"])
def test_a_wrong_link_opens_no_invitation(app, client, invite, mailbox, change: str) -> None:
    user_id = invite()
    token = link_path(mailbox.last_to("ivo@example.org"), INVITATION).rsplit("/", 1)[-1]
    bad = {
        "tamper": token[:-2] + ("zz" if not token.endswith("zz") else "yy"),
        "other-purpose": issue(app, user_id, "reset"),
        "huge": "x" * 3000,
    }[change]
    assert client.get(INVITATION + bad).status_code == 400
    assert accept(client, INVITATION + bad).status_code == 400
    assert account(app, user_id).password_hash is None


def test_an_invitation_to_a_deactivated_account_is_refused(app, client, invite, mailbox) -> None:
    user_id = invite()
    path = link_path(mailbox.last_to("ivo@example.org"), INVITATION)
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(active=False))
        db.session.commit()
    response = accept(client, path)
    assert response.status_code == 403 and "This account is deactivated" in response.get_data(as_text=True)
    with app.app_context():
        accounts.set_active(db.session.get(User, user_id), False)  # the application's way forgets the link
        db.session.commit()
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0
