"""Forgot password and the reset link: the page tells nobody whether an address has an account, the mail goes
only where it should, the link works once, in time, for an active account, and only a POST uses it up."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select, update

from course.auth import mails
from course.auth import operations as accounts
from course.extensions import db
from course.models import AccountToken, AuditEntry, OutboxMessage, User, UserSession, utcnow
from tests.conftest import PASSWORD
from tests.jobs import run_jobs
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in

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


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


EN = {"Accept-Language": "en"}
RESET = "/auth/password/reset/"


def forgot(client, email: str, headers: dict[str, str] = EN):
    return client.post("/auth/password/forgot", data={"email": email}, headers=headers)


def reset(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    data = {"password": password, "confirm": password if confirm is None else confirm}
    return client.post(path, data=data, headers=EN)


def logged_in_as(client, name: str) -> bool:
    page = client.get("/", headers=EN).get_data(as_text=True)
    return name in page and "Log out" in page


def can_log_in(app, email: str, password: str) -> bool:
    response = app.test_client().post("/auth/login", data={"email": email, "password": password})
    return response.status_code == 302


# --- The forgot page -------------------------------------------------------------------------------------------


def test_forgot_page_offers_one_email_field(client) -> None:
    response = client.get("/auth/password/forgot", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Forgot your password?" in page and 'name="email"' in page and 'autocomplete="email"' in page


def test_login_page_links_to_the_forgot_page(client) -> None:
    assert 'href="/auth/password/forgot"' in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Please enter your email address."),
        ("not-an-email", "This does not look like an email address."),
        ("a" * 250 + "@example.org", "At most 254 characters, please."),
    ],
)
def test_forgot_page_shows_a_bad_address_at_the_field(client, mailbox, email: str, message: str) -> None:
    response = forgot(client, email)
    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), "email")
    assert mailbox.mails == []


def _answer(client, email: str) -> tuple[int, str]:
    """The status and the page, with the address and the session's CSRF token (in the language switch) left out."""
    response = forgot(client, email)
    page = response.get_data(as_text=True).replace(email, "ADDRESS")
    return response.status_code, re.sub(r'name="csrf_token" value="[^"]*"', "", page)


def test_the_answer_is_the_same_for_every_kind_of_address(app, make_user) -> None:
    """Active, deactivated, invited (no password yet) or unknown: same status, same page, word for word."""
    make_user(email="active@example.org")
    deactivated = make_user(email="gone@example.org")
    with app.app_context():
        accounts.set_active(db.session.get(User, deactivated.id), False)
        accounts.create_user("invited@example.org", None, "Ivo Invited")
        db.session.commit()
    answers = {
        email: _answer(app.test_client(), email)
        for email in ("active@example.org", "gone@example.org", "invited@example.org", "nobody@example.org")
    }
    assert len(set(answers.values())) == 1, answers
    status, page = answers["nobody@example.org"]
    assert status == 200
    assert "Check your mail" in page
    assert "If ADDRESS belongs to an account here, we have sent a mail to it" in page
    assert "The link is valid for 1 hour." in page


def test_the_answer_page_is_german_for_a_german_browser(client, make_user) -> None:
    user = make_user()
    page = forgot(client, user.email, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Sehen Sie in Ihr Postfach" in page and "1 Stunde" in page


def test_an_active_account_gets_a_reset_link_and_nobody_else_gets_mail(app, client, make_user, mailbox) -> None:
    user = make_user(email="kam@example.org")
    forgot(client, "nobody@example.org")
    assert mailbox.mails == []
    forgot(client, "KAM@example.org ")
    assert [mail.recipients for mail in mailbox.mails] == [("kam@example.org",)]
    path = link_path(mailbox.last_to(user.email), RESET)
    assert client.get(path).status_code == 200
    [entry] = audit_entries(app, "password_reset_requested")
    assert (entry.target_user_id, entry.actor_id, entry.actor_label, entry.detail) == (
        user.id,
        None,
        "",
        {"mail": "reset"},
    )


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        (
            "en",
            (
                "Reset your password for KAM course",
                "Hello Ana Ćosić,",
                "asked to reset the password of your account at KAM course",
                "The link is valid for 1 hour and works only once.",
                "If this wasn't you, ignore this mail",
                "Choose a new password",
            ),
        ),
        (
            "de",
            (
                "Ihr Passwort für KAM-Kurs zurücksetzen",
                "Hallo Ana Ćosić,",
                "das Passwort Ihres Kontos bei KAM-Kurs zurückzusetzen",
                "Der Link ist 1 Stunde lang gültig und funktioniert nur einmal.",
                "Wenn Sie das nicht waren, ignorieren Sie diese E-Mail",
                "Neues Passwort wählen",
            ),
        ),
    ],
)
def test_the_reset_mail_speaks_the_account_language(client, make_user, mailbox, lang: str, texts: tuple) -> None:
    user = make_user(display_name="Ana Ćosić", locale=lang)
    forgot(client, user.email, headers={"Accept-Language": "en" if lang == "de" else "de"})
    mail = mailbox.last_to(user.email)
    subject, greeting, what, expiry, ignore, button = texts
    assert mail.subject == subject
    for text in (greeting, what, expiry, ignore):
        assert text in mail.text and text in mail.html
    assert button in mail.html
    assert link_path(mail, RESET) in mail.text


def test_a_deactivated_account_is_told_whom_to_ask_and_gets_no_link(app, client, make_user, mailbox) -> None:
    make_user(role="admin", email="boss@example.org", display_name="Bea Boss")
    user = make_user(email="gone@example.org", locale="en", display_name="Gus Gone")
    with app.app_context():
        accounts.set_active(db.session.get(User, user.id), False)
        db.session.commit()
    forgot(client, user.email)
    mail = mailbox.last_to(user.email)
    assert mail.subject == "Your account at KAM course is deactivated"
    assert "Hello Gus Gone," in mail.text and "Your account has been deactivated" in mail.text
    assert "Bea Boss <boss@example.org>" in mail.text and "boss@example.org" in mail.html
    assert mail.links == [] and "/auth/" not in mail.html
    with app.app_context():
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0
    assert audit_entries(app, "password_reset_requested")[0].detail == {"mail": "deactivated"}


def test_the_deactivated_mail_in_german_without_administrators(app, client, make_user, mailbox) -> None:
    user = make_user(locale="de", display_name="Gus Gone")
    with app.app_context():
        accounts.set_active(db.session.get(User, user.id), False)
        db.session.commit()
    forgot(client, user.email)
    mail = mailbox.last_to(user.email)
    assert mail.subject == "Ihr Konto bei KAM-Kurs ist deaktiviert"
    for text in (
        "Hallo Gus Gone,",
        "Ihr Konto wurde deaktiviert",
        "wenden Sie sich bitte an die Administration Ihres Kurses",
    ):
        assert text in mail.text and text in mail.html


def test_at_most_one_mail_a_minute_per_account(app, client, make_user, mailbox) -> None:
    user = make_user()
    other = make_user()
    for _ in range(3):
        assert forgot(client, user.email).status_code == 200
    forgot(client, other.email)
    assert len(mailbox.to(user.email)) == 1 and len(mailbox.to(other.email)) == 1
    assert len(audit_entries(app, "password_reset_requested")) == 2
    with app.app_context():  # a minute later
        for entry in db.session.scalars(select(AuditEntry)):
            entry.created_at -= accounts.MAIL_INTERVAL
        db.session.commit()
    forgot(client, user.email)
    assert len(mailbox.to(user.email)) == 2


def test_the_page_answers_before_any_mail_is_sent(app, client, make_user, mailbox) -> None:
    """The mail waits for the job: the page does not wait for the mail server, and the job sends it after."""
    user = make_user(email="kam@example.org")
    assert forgot(client, user.email).status_code == 200
    assert mailbox.received == []
    assert run_jobs(app) == 1
    assert [mail.recipients for mail in mailbox.received] == [("kam@example.org",)]


def test_the_token_is_made_when_the_mail_is_sent_and_never_stored_in_clear(app, client, make_user, mailbox) -> None:
    user = make_user(email="kam@example.org")
    forgot(client, user.email)
    with app.app_context():  # queued: no link exists yet, and the queued mail holds none
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0
        assert "/auth/password/reset/" not in str(db.session.scalar(select(OutboxMessage.payload)))
    token = link_path(mailbox.last_to(user.email), RESET).removeprefix(RESET)
    with app.app_context():
        row = db.session.scalar(select(AccountToken))
        assert row.token_hash != token and token not in str(db.session.scalar(select(OutboxMessage.payload)))


def test_a_refused_mail_is_kept_for_admins_and_the_page_answers_the_same(app, make_user, mailbox) -> None:
    user = make_user(email="bounce@example.org")
    mailbox.refuse.add(user.email)
    expected = _answer(app.test_client(), "nobody@example.org")
    assert _answer(app.test_client(), user.email) == expected
    assert mailbox.mails == []
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.status == "failed" and "550" in message.last_error  # refused for good: no retries
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0  # no link exists that nobody received
        message_id = message.id
    mailbox.refuse.clear()
    admin = sign_in(app.test_client(), make_user(role="admin").id)
    assert "bounce@example.org" in admin.get("/admin/mail").get_data(as_text=True)
    assert admin.post(f"/admin/outbox/{message_id}/retry?channel=mail").status_code == 302
    mail = mailbox.last_to(user.email)
    assert admin.get(link_path(mail, RESET)).status_code == 200  # the link made at this send works


def test_forgot_requests_are_rate_limited_per_client(make_app, make_user) -> None:
    site = make_app(FORGOT_RATE_LIMIT="2 per minute")
    client = site.test_client()
    statuses = [forgot(client, "x@example.org").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/auth/password/forgot").status_code == 200  # looking is not limited


def test_an_invited_account_that_lost_its_mail_can_choose_a_first_password(app, client, mailbox) -> None:
    with app.app_context():
        user = accounts.create_user("invited@example.org", None, "Ivo Invited", locale="en")
        db.session.commit()
        user_id = user.id
    forgot(client, "invited@example.org")
    mail = mailbox.last_to("invited@example.org")
    assert mail.subject == "Choose your password for KAM course"
    assert "Your account has no password yet" in mail.text and "Choose your password" in mail.html
    response = reset(client, link_path(mail, RESET))
    assert response.status_code == 302
    assert can_log_in(app, "invited@example.org", NEW_PASSWORD)
    assert [entry.target_user_id for entry in audit_entries(app, "password_set")] == [user_id]
    assert audit_entries(app, "password_reset") == []


def test_a_mail_server_that_is_down_means_retries_and_the_older_link_keeps_working(make_app, make_user) -> None:
    site = make_app(MAIL_PORT=1)  # nothing listens there: the connection is refused
    user = make_user()
    older = RESET + issue(site, user.id, "reset")
    assert forgot(site.test_client(), user.email).status_code == 200
    run_jobs(site)
    with site.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert (message.status, message.attempts) == ("pending", 1) and message.next_attempt_at > utcnow()
    assert site.test_client().get(older).status_code == 200


# --- The reset link --------------------------------------------------------------------------------------------


def test_opening_the_link_shows_the_form_and_never_uses_it(app, client, make_user) -> None:
    user = make_user(email="kam@example.org")
    path = RESET + issue(app, user.id, "reset")
    for _ in range(3):  # a mail scanner, a preview, the person
        response = client.get(path, headers=EN)
        assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Choose a new password" in page and "kam@example.org" in page
    assert 'name="password"' in page and 'name="confirm"' in page and 'autocomplete="new-password"' in page
    assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["Cache-Control"] == "no-store"
    assert reset(client, path).status_code == 302


def test_a_new_password_ends_every_session_confirms_the_address_logs_in_and_says_so(app, make_user, mailbox) -> None:
    user = make_user(email="kam@example.org", display_name="Kim Kam", locale="en")
    laptop = sign_in(app.test_client(), user.id)
    forgot(app.test_client(), user.email)
    path = link_path(mailbox.last_to(user.email), RESET)
    browser = app.test_client()
    response = reset(browser, path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = browser.get("/", headers=EN).get_data(as_text=True)
    assert "Your new password is saved, and you are logged in." in flashes(page)
    assert logged_in_as(browser, "Kim Kam") and not logged_in_as(laptop, "Kim Kam")
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == 1  # the new login only
    assert can_log_in(app, user.email, NEW_PASSWORD) and not can_log_in(app, user.email, PASSWORD)
    changed = account(app, user.id)
    assert changed.email_verified and changed.last_login_at is not None
    [entry] = audit_entries(app, "password_reset")
    assert (entry.actor_id, entry.target_user_id) == (user.id, user.id)
    notice = mailbox.last_to(user.email)
    assert notice.subject == "Your password for KAM course was changed"
    with app.app_context():
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0


@pytest.mark.parametrize(
    ("lang", "subject", "texts"),
    [
        (
            "en",
            "Your password for KAM course was changed",
            ("Hello Kim Kam,", "has just been changed", "If this was you, there is nothing to do.", "tell your course"),
        ),
        (
            "de",
            "Ihr Passwort für KAM-Kurs wurde geändert",
            (
                "Hallo Kim Kam,",
                "wurde soeben geändert",
                "Wenn Sie das waren, ist nichts zu tun.",
                "Administration Ihres Kurses",
            ),
        ),
    ],
)
def test_the_password_changed_notice_in_both_languages(
    app, make_user, mailbox, lang: str, subject: str, texts: tuple
) -> None:
    user = make_user(display_name="Kim Kam", locale=lang)
    with app.test_request_context():
        mails.send_password_changed(db.session.get(User, user.id))
        db.session.commit()
    mail = mailbox.last_to(user.email)
    assert mail.subject == subject
    for text in texts:
        assert text in mail.text and text in mail.html
    assert link_path(mail, "/auth/password/forgot")
    assert app.test_client().get(link_path(mail, "/auth/password/forgot")).status_code == 200


def test_a_refused_notice_does_not_undo_the_reset(app, client, make_user, mailbox) -> None:
    user = make_user()
    path = RESET + issue(app, user.id, "reset")
    mailbox.refuse.add(user.email)
    assert reset(client, path).status_code == 302
    assert can_log_in(app, user.email, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        ("", "", "password", "Please choose a password."),
        ("short", "short", "password", "Use at least 15 characters."),
        ("p" * 300, "p" * 300, "password", "Use at most 256 characters."),
        ("kimkamexampleorg", "kimkamexampleorg", "password", "made of your name, your email address"),
        ("password1234567", "password1234567", "password", "lists of common and leaked passwords"),
        (NEW_PASSWORD, "something else", "confirm", "The passwords do not match."),
    ],
)
def test_a_refused_password_is_explained_at_its_field_and_keeps_the_link(
    app, client, make_user, password: str, confirm: str, field: str, message: str
) -> None:
    user = make_user(email="kimkam@example.org", display_name="Kim Kam")
    path = RESET + issue(app, user.id, "reset")
    response = reset(client, path, password, confirm)
    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), field)
    assert can_log_in(app, user.email, PASSWORD)
    assert reset(client, path).status_code == 302  # the link still works


def test_a_used_link_shows_a_clear_page_with_a_way_to_a_new_one(app, client, make_user) -> None:
    user = make_user()
    path = RESET + issue(app, user.id, "reset")
    assert reset(client, path).status_code == 302
    for response in (
        app.test_client().get(path, headers=EN),
        reset(app.test_client(), path, "another fine passphrase"),
    ):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "This link does not work" in page and 'href="/auth/password/forgot"' in page
    assert can_log_in(app, user.email, NEW_PASSWORD)


def test_a_newer_link_replaces_the_older(app, client, make_user) -> None:
    user = make_user()
    older = RESET + issue(app, user.id, "reset")
    newer = RESET + issue(app, user.id, "reset")
    assert client.get(older).status_code == 400
    assert client.get(newer).status_code == 200


def test_an_expired_link_says_so(app, client, make_user) -> None:
    user = make_user()
    path = RESET + issue(app, user.id, "reset")
    expire_tokens(app, user.id)
    for response in (client.get(path, headers=EN), reset(client, path)):
        assert response.status_code == 410
        page = response.get_data(as_text=True)
        assert "This link has expired" in page and 'href="/auth/password/forgot"' in page
    assert can_log_in(app, user.email, PASSWORD)


def test_a_link_with_no_lifetime_is_expired_at_once(make_app, make_user, mailbox) -> None:
    site = make_app(PASSWORD_RESET_MAX_AGE=0)
    user = make_user(locale="en")
    forgot(site.test_client(), user.email)
    mail = mailbox.last_to(user.email)
    assert "valid for 0 minutes" in mail.text
    assert site.test_client().get(link_path(mail, RESET)).status_code == 410


@pytest.mark.parametrize("change", ["tamper", "short", "long", "odd"])
def test_a_tampered_or_made_up_link_is_unknown(app, client, make_user, change: str) -> None:
    user = make_user()
    token = issue(app, user.id, "reset")
    bad = {
        "tamper": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "short": token[:10],
        "long": token + "x" * 5000,
        "odd": "ä%00" + token,
    }[change]
    for response in (client.get(RESET + bad, headers=EN), reset(client, RESET + bad)):
        assert response.status_code in (400, 404)
        assert "Traceback" not in response.get_data(as_text=True)
    assert can_log_in(app, user.email, PASSWORD)
    assert client.get(RESET + token).status_code == 200


@pytest.mark.parametrize("purpose", ["invite", "verify", "email"])
def test_a_link_of_another_purpose_is_no_reset_link(app, client, make_user, purpose: str) -> None:
    user = make_user()
    token = issue(app, user.id, purpose)
    assert client.get(RESET + token).status_code == 400
    assert reset(client, RESET + token).status_code == 400
    assert can_log_in(app, user.email, PASSWORD)


def test_reset_tokens_open_no_other_page(app, client, make_user) -> None:
    user = make_user()
    token = issue(app, user.id, "reset")
    assert client.get(f"/auth/invitation/{token}").status_code == 400
    assert client.post(f"/auth/confirm/{token}").status_code == 400
    assert client.get(RESET + token).status_code == 200


def test_a_link_for_an_account_deactivated_since_is_refused_and_changes_nothing(app, client, make_user) -> None:
    user = make_user()
    path = RESET + issue(app, user.id, "reset")
    with app.app_context():  # deactivated behind the application's back: the link row is still there
        db.session.execute(update(User).where(User.id == user.id).values(active=False))
        db.session.commit()
    for response in (client.get(path, headers=EN), reset(client, path)):
        assert response.status_code == 403
        assert "This account is deactivated" in response.get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(active=True))
        db.session.commit()
    assert can_log_in(app, user.email, PASSWORD)


def test_deactivating_an_account_forgets_its_links(app, client, make_user) -> None:
    user = make_user()
    paths = [RESET + issue(app, user.id, "reset"), f"/auth/invitation/{issue(app, user.id, 'invite')}"]
    with app.app_context():
        accounts.set_active(db.session.get(User, user.id), False)
        db.session.commit()
        accounts.set_active(db.session.get(User, user.id), True)
        db.session.commit()
    assert [client.get(path).status_code for path in paths] == [400, 400]


def test_a_reset_in_a_browser_logged_in_as_someone_else_switches_to_the_account(app, make_user) -> None:
    user, other = make_user(display_name="Rita Reset"), make_user(display_name="Otto Other")
    browser = sign_in(app.test_client(), other.id)
    assert reset(browser, RESET + issue(app, user.id, "reset")).status_code == 302
    assert logged_in_as(browser, "Rita Reset") and "Otto Other" not in browser.get("/").get_data(as_text=True)
    with app.app_context():  # the other account's session in this browser ended, not merely forgotten
        assert db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == other.id)) == 0


def test_two_posts_with_the_same_link_at_once_change_the_password_once(
    app, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests pass the checks before either uses the link; deleting the link row decides."""
    user = make_user()
    path = RESET + issue(app, user.id, "reset")
    both_checked = threading.Barrier(2, timeout=10)
    take = accounts.take_token

    def take_together(token: str, purpose: str):  # noqa: ANN202 - as take_token
        both_checked.wait()
        return take(token, purpose)

    monkeypatch.setattr(accounts, "take_token", take_together)
    passwords = ["first fine passphrase here", "second fine passphrase too"]
    results: dict[str, int] = {}

    def post(password: str) -> None:
        results[password] = reset(app.test_client(), path, password).status_code

    threads = [threading.Thread(target=post, args=(password,)) for password in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [302, 400], results
    winner = next(password for password, status in results.items() if status == 302)
    loser = next(password for password in passwords if password != winner)
    assert can_log_in(app, user.email, winner) and not can_log_in(app, user.email, loser)
    assert len(audit_entries(app, "password_reset")) == 1


def test_without_password_login_the_password_pages_do_not_exist(make_app, make_user) -> None:
    site = make_app(
        PASSWORD_LOGIN=False,
        OIDC_PROVIDERS={
            "company": {"issuer": "https://id.example.org", "client_id": "c", "client_secret": "s", "name": "Company"}
        },
    )
    user = make_user()
    token = issue(site, user.id, "reset")
    client = site.test_client()
    assert client.get("/auth/password/forgot").status_code == 404
    assert forgot(client, user.email).status_code == 404
    assert client.get(RESET + token).status_code == 404
    assert reset(client, RESET + token).status_code == 404
    with site.app_context():
        assert db.session.scalar(select(func.count(AccountToken.id))) == 1  # nothing used the link
