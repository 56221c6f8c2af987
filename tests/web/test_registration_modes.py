"""REGISTRATION_MODE (open, verify, invite, closed), the address confirmation, PASSWORD_LOGIN = False, and what
the login records: the register page never says whether an address has an account; the mail to it does."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from course.auth import operations as accounts
from course.extensions import db
from course.models import AccountToken, User
from tests.conftest import PASSWORD
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in

from .account_links import NEW_PASSWORD, account, audit_entries, expire_tokens, flashes, issue, link_path


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


EN = {"Accept-Language": "en"}
CONFIRM = "/auth/confirm/"
RESET = "/auth/password/reset/"
GOOD = {
    "display_name": "Ana Ćosić",
    "email": "ana@example.org",
    "password": "a long password",
    "confirm": "a long password",
}
COMPANY = {"company": {"issuer": "https://id.example.org", "client_id": "c", "client_secret": "s", "name": "Company"}}


def register(client, headers: dict[str, str] = EN, **data: str):
    return client.post("/auth/register", data={**GOOD, **data}, headers=headers)


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password}, headers=EN)


def logged_in(client) -> bool:
    page = client.get("/", headers=EN).get_data(as_text=True)
    return "Log out" in page or "Abmelden" in page  # an account's own language wins over the browser's


def without_token(page: str, email: str) -> str:
    """A page with the typed address and the session's CSRF token (in the language switch) left out."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page.replace(email, "ADDRESS"))


def a_minute_passes(app) -> None:
    """The links mailed so far were mailed a minute ago."""
    with app.app_context():
        for token in db.session.scalars(select(AccountToken)):
            token.created_at -= accounts.MAIL_INTERVAL
        db.session.commit()


def users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


# --- open (the default) ----------------------------------------------------------------------------------------


def test_open_registration_logs_in_and_mails_a_confirmation_link(app, client, mailbox) -> None:
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert flashes(client.get("/", headers=EN).get_data(as_text=True)) == [
        "Welcome, Ana Ćosić! Your account is ready.",
        "To confirm your email address, open the link in the mail we have just sent you.",
    ]
    assert logged_in(client)
    with app.app_context():
        user = db.session.scalar(select(User))
    assert not user.email_verified and user.last_login_at is not None
    [entry] = audit_entries(app, "registered")
    assert (entry.actor_id, entry.target_user_id) == (user.id, user.id)
    mail = mailbox.last_to("ana@example.org")
    assert mail.subject == "Welcome to KAM course: please confirm your address"
    for text in ("Hello Ana Ćosić,", "Your account is ready.", "valid for 2 days", "If you did not open an account"):
        assert text in mail.text and text in mail.html
    path = link_path(mail, CONFIRM)
    assert client.get(path, headers=EN).status_code == 200  # opening it uses nothing up
    response = client.post(path, headers=EN)
    assert response.status_code == 302
    assert "Thank you: your email address is confirmed." in flashes(client.get("/", headers=EN).get_data(as_text=True))
    assert account(app, user.id).email_verified
    assert [entry.actor_id for entry in audit_entries(app, "email_verified")] == [user.id]


@pytest.mark.parametrize(
    ("lang", "subject", "texts"),
    [
        ("en", "Welcome to KAM course: please confirm your address", ("Hello Ana Ćosić,", "Confirm my address")),
        (
            "de",
            "Willkommen bei KAM-Kurs: Bitte bestätigen Sie Ihre Adresse",
            ("Hallo Ana Ćosić,", "willkommen bei KAM-Kurs! Ihr Konto ist eingerichtet.", "2 Tage lang gültig"),
        ),
    ],
)
def test_the_welcome_mail_is_in_the_language_registered_in(
    client, mailbox, lang: str, subject: str, texts: tuple
) -> None:
    register(client, headers={"Accept-Language": lang})
    mail = mailbox.last_to("ana@example.org")
    assert mail.subject.strip() == subject  # a long encoded subject is folded; the parser keeps a leading space
    for text in texts:
        assert text in mail.html
    assert texts[0] in mail.text


def test_a_refused_welcome_mail_still_opens_the_account(app, client, mailbox) -> None:
    mailbox.refuse.add("ana@example.org")
    response = register(client)
    assert response.status_code == 302 and logged_in(client)
    assert flashes(client.get("/", headers=EN).get_data(as_text=True)) == []  # shown on the first page already
    assert users(app) == 1


def test_an_address_with_an_account_gets_the_same_page_as_verify_mode_and_a_mail(make_app, make_user, mailbox) -> None:
    verify_site = make_app(REGISTRATION_MODE="verify")
    verify_page = register(verify_site.test_client(), email="new@example.org")
    open_site = make_app()
    make_user(email="ana@example.org", display_name="Ana Original", locale="en")
    open_page = register(open_site.test_client(), email="Ana@Example.org")
    assert open_page.status_code == verify_page.status_code == 200
    assert without_token(open_page.get_data(as_text=True), "Ana@Example.org") == without_token(
        verify_page.get_data(as_text=True), "new@example.org"
    )
    assert "Check your mail" in open_page.get_data(as_text=True)
    mail = mailbox.last_to("ana@example.org")
    assert mail.subject == "You already have an account at KAM course"
    for text in ("Hello Ana Original,", "tried to open a new account", "Log in with your password here:"):
        assert text in mail.text and text in mail.html
    assert link_path(mail, "/auth/login")
    assert open_site.test_client().get(link_path(mail, RESET)).status_code == 200


def test_the_account_exists_mail_in_german(client, make_user, mailbox) -> None:
    make_user(email="ana@example.org", display_name="Ana Original", locale="de")
    register(client)
    mail = mailbox.last_to("ana@example.org")
    assert mail.subject == "Sie haben bereits ein Konto bei KAM-Kurs"
    for text in ("Hallo Ana Original,", "Sie haben mit dieser Adresse bereits ein Konto.", "1 Stunde lang gültig"):
        assert text in mail.text and text in mail.html


def test_the_owner_recovers_an_address_someone_else_registered(app, make_user, mailbox) -> None:
    """A squatter registered the owner's address (unverified); the owner's reset link takes the account over."""
    squatter = app.test_client()
    register(squatter, password="squatters secret passphrase", confirm="squatters secret passphrase")
    assert logged_in(squatter)
    owner = app.test_client()
    register(owner, display_name="Ana Real")
    path = link_path(mailbox.last_to("ana@example.org"), RESET)
    assert owner.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert logged_in(owner) and not logged_in(squatter)
    with app.app_context():
        assert db.session.scalar(select(User.email_verified)) is True
    assert log_in(app.test_client(), "ana@example.org", "squatters secret passphrase").status_code == 400


def test_an_existing_deactivated_address_is_told_whom_to_ask(app, client, make_user, mailbox) -> None:
    user = make_user(email="ana@example.org", locale="en")
    with app.app_context():
        accounts.set_active(db.session.get(User, user.id), False)
        db.session.commit()
    assert register(client).status_code == 200
    assert mailbox.last_to("ana@example.org").subject == "Your account at KAM course is deactivated"


def test_registering_an_existing_address_again_and_again_sends_one_mail_a_minute(client, make_user, mailbox) -> None:
    make_user(email="ana@example.org")
    for _ in range(3):
        assert register(client).status_code == 200
    assert len(mailbox.to("ana@example.org")) == 1


# --- verify ----------------------------------------------------------------------------------------------------


@pytest.fixture
def verify_site(make_app):
    return make_app(REGISTRATION_MODE="verify")


def test_verify_mode_opens_the_account_unconfirmed_and_asks_to_check_the_mail(verify_site, mailbox) -> None:
    client = verify_site.test_client()
    response = register(client)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check your mail" in page and "We have sent a mail to ana@example.org." in page
    assert not logged_in(client)
    mail = mailbox.last_to("ana@example.org")
    assert mail.subject == "Welcome to KAM course: please confirm your address"
    assert "to finish opening your account" in mail.text and "Your account is ready" not in mail.text
    with verify_site.app_context():
        assert db.session.scalar(select(User.email_verified)) is False


def test_verify_mode_refuses_login_until_confirmed_and_resends_once_a_minute(verify_site, mailbox) -> None:
    register(verify_site.test_client(), headers={"Accept-Language": "de"})
    first = link_path(mailbox.last_to("ana@example.org"), CONFIRM)
    a_minute_passes(verify_site)
    client = verify_site.test_client()
    response = log_in(client, "ana@example.org", "a long password")
    assert response.status_code == 403
    assert "Please confirm your email address first" in response.get_data(as_text=True)
    assert not logged_in(client)
    resent = mailbox.last_to("ana@example.org")
    assert resent.subject.strip() == "Bitte bestätigen Sie Ihre Adresse für KAM-Kurs"
    assert "Ihr Konto bei KAM-Kurs wartet darauf" in resent.text
    assert verify_site.test_client().get(first).status_code == 400  # the newer link replaced it
    assert log_in(client, "ana@example.org", "a long password").status_code == 403
    assert len(mailbox.to("ana@example.org")) == 2  # the welcome and one reminder
    [failure, *_] = audit_entries(verify_site, "login_failed")
    assert failure.detail == {"reason": "unverified"}
    response = client.post(link_path(resent, CONFIRM))
    assert response.status_code == 302 and logged_in(client)
    client.post("/auth/logout")
    assert log_in(client, "ana@example.org", "a long password").status_code == 302


def test_verify_mode_answers_an_existing_address_with_the_same_page(verify_site, make_user, mailbox) -> None:
    make_user(email="ana@example.org", locale="en")
    new = without_token(register(verify_site.test_client(), email="new@example.org").get_data(as_text=True), "new@")
    taken = without_token(register(verify_site.test_client()).get_data(as_text=True), "ana@")
    assert new == taken
    assert mailbox.last_to("ana@example.org").subject == "You already have an account at KAM course"


def test_a_password_reset_confirms_the_address_too(verify_site, make_user, mailbox) -> None:
    user = make_user(email="kam@example.org")
    path = RESET + issue(verify_site, user.id, "reset")
    client = verify_site.test_client()
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert account(verify_site, user.id).email_verified
    client.post("/auth/logout")
    assert log_in(client, user.email, NEW_PASSWORD).status_code == 302


# --- invite and closed -----------------------------------------------------------------------------------------


def test_invite_mode_explains_invitations_and_refuses_registering(make_app) -> None:
    site = make_app(REGISTRATION_MODE="invite")
    client = site.test_client()
    page = client.get("/auth/register", headers=EN)
    assert page.status_code == 200
    main = page.get_data(as_text=True).split("<main", 1)[1].split("</main>")[0]
    assert "Accounts by invitation" in main and 'href="/auth/password/forgot"' in main and "<form" not in main
    refused = register(client)
    assert refused.status_code == 403 and "Accounts by invitation" in refused.get_data(as_text=True)
    assert users(site) == 0
    assert "Create an account" not in client.get("/auth/login", headers=EN).get_data(as_text=True)


@pytest.mark.parametrize(
    ("providers", "text"),
    [
        ({}, "Accounts for this course are opened by the administrator."),
        (COMPANY, "Accounts for this course are opened by the administrator, or when you sign in with your company"),
    ],
)
def test_closed_mode_explains_who_opens_accounts(make_app, providers: dict, text: str) -> None:
    site = make_app(REGISTRATION_MODE="closed", OIDC_PROVIDERS=providers)
    client = site.test_client()
    page = client.get("/auth/register", headers=EN)
    assert page.status_code == 200 and text in page.get_data(as_text=True)
    assert register(client).status_code == 403
    assert users(site) == 0


def test_closed_mode_in_german(make_app) -> None:
    site = make_app(REGISTRATION_MODE="closed")
    page = site.test_client().get("/auth/register", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Keine Registrierung" in page


# --- single sign-on only ---------------------------------------------------------------------------------------


def test_without_password_login_only_the_sso_way_in_remains(make_app, make_user) -> None:
    site = make_app(PASSWORD_LOGIN=False, OIDC_PROVIDERS=COMPANY)
    user = make_user()
    client = site.test_client()
    assert client.get("/auth/register").status_code == 404
    assert register(client).status_code == 404
    page = client.get("/auth/login", headers=EN).get_data(as_text=True)
    assert 'name="password"' not in page and "/auth/password/forgot" not in page
    assert log_in(client, user.email).status_code == 404
    assert client.get(f"/auth/invitation/{issue(site, user.id, 'invite')}").status_code == 404


# --- the confirmation link -------------------------------------------------------------------------------------


def test_a_confirmation_link_works_once_and_only_by_post(app, client, make_user) -> None:
    user = make_user(display_name="Cora Confirm")
    path = CONFIRM + issue(app, user.id, "verify")
    for _ in range(2):
        response = client.get(path, headers=EN)
        assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Confirm that " + user.email + " is the address of your account, Cora Confirm." in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert not account(app, user.id).email_verified
    assert client.post(path).status_code == 302
    used = app.test_client().post(path, headers=EN)
    assert used.status_code == 400 and "This link does not work" in used.get_data(as_text=True)
    assert 'href="/auth/login"' in used.get_data(as_text=True)


def test_an_expired_confirmation_link_says_so_and_how_to_get_another(verify_site, make_user) -> None:
    user = make_user()
    path = CONFIRM + issue(verify_site, user.id, "verify")
    expire_tokens(verify_site, user.id)
    response = verify_site.test_client().get(path, headers=EN)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This link has expired" in page and "we will send you a new link" in page
    assert verify_site.test_client().post(path).status_code == 410
    assert not account(verify_site, user.id).email_verified


@pytest.mark.parametrize("purpose", ["reset", "invite", "email"])
def test_another_purposes_token_confirms_nothing(app, client, make_user, purpose: str) -> None:
    user = make_user()
    token = issue(app, user.id, purpose)
    assert client.get(CONFIRM + token).status_code == 400
    assert client.post(CONFIRM + token).status_code == 400
    assert not account(app, user.id).email_verified


def test_confirming_while_logged_in_keeps_the_session(app, make_user) -> None:
    user = make_user()
    browser = sign_in(app.test_client(), user.id)
    assert browser.post(CONFIRM + issue(app, user.id, "verify")).status_code == 302
    assert logged_in(browser) and account(app, user.id).email_verified


def test_a_confirmation_link_for_a_deactivated_account_is_refused(app, client, make_user) -> None:
    user = make_user()
    path = CONFIRM + issue(app, user.id, "verify")
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(active=False))
        db.session.commit()
    assert client.post(path).status_code == 403
    assert not account(app, user.id).email_verified


# --- what a login records --------------------------------------------------------------------------------------


def test_a_login_is_audited_and_remembered(app, client, make_user) -> None:
    user = make_user()
    assert log_in(client, user.email.upper()).status_code == 302
    [entry] = audit_entries(app, "login")
    assert (entry.actor_id, entry.target_user_id, entry.target_label) == (user.id, user.id, user.email)
    assert account(app, user.id).last_login_at is not None


@pytest.mark.parametrize("known", [True, False])
def test_a_failed_login_is_audited_with_the_typed_address(app, client, make_user, known: bool) -> None:
    user = make_user(email="kam@example.org")
    typed = "KAM@example.org" if known else "nobody@example.org"
    assert log_in(client, typed, "wrong password").status_code == 400
    [entry] = audit_entries(app, "login_failed")
    assert (entry.actor_id, entry.actor_label, entry.target_label) == (None, "", typed)
    assert entry.target_user_id == (user.id if known else None)
    assert entry.detail == {"reason": "password"}


def test_a_deactivated_login_is_audited(app, client, make_user) -> None:
    user = make_user()
    with app.app_context():
        accounts.set_active(db.session.get(User, user.id), False)
        db.session.commit()
    assert log_in(client, user.email).status_code == 403
    assert audit_entries(app, "login_failed")[0].detail == {"reason": "deactivated"}


def test_an_account_without_a_password_fails_like_a_wrong_password(app, client) -> None:
    with app.app_context():
        accounts.create_user("invited@example.org", None, "Ivo Invited")
        db.session.commit()
    for password in ("", "anything at all", "None"):
        response = log_in(client, "invited@example.org", password)
        assert response.status_code == 400
    assert "Invalid email or password." in response.get_data(as_text=True)


def test_open_mode_lets_unconfirmed_accounts_log_in(app, client, make_user) -> None:
    user = make_user()
    assert not account(app, user.id).email_verified
    assert log_in(client, user.email).status_code == 302


def test_no_link_rows_are_left_by_a_refused_confirmation_resend(verify_site, make_user, mailbox) -> None:
    user = make_user(email="kam@example.org")
    mailbox.refuse.add(user.email)
    assert log_in(verify_site.test_client(), user.email).status_code == 403
    with verify_site.app_context():
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0
