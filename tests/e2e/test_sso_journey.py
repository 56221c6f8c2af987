"""Single sign-on in a real browser against a real OpenID provider process (oidc-provider-mock), in German and
English: the first login makes the account, a "no" at the provider shows a clear page, a role claim makes a
trainer, a verified address joins an existing password account, logout ends the session here first."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.extensions import db
from course.models import SsoIdentity, User
from tests.sso_provider import MockProvider

from .conftest import LiveServer
from .helpers import PageFactory, new_learner, page_language, register, say
from .test_accessibility import assert_accessible

COMPANY = "Firmenkonto"  # the provider's display name (tests/sso_provider.py)
LANGUAGES = {"de": "de-DE", "en": "en-GB"}


def browser_page(new_page: PageFactory, lang: str) -> Page:
    """A page in a browser of this language; the provider's form asks a CDN for its stylesheet, which is cut off."""
    page = new_page(locale=LANGUAGES[lang])
    page.context.route(re.compile(r"^https://"), lambda route: route.abort())
    return page


def person(provider: MockProvider, **claims: object) -> tuple[str, str]:
    """(subject, address) of a new person at the provider, address verified unless said otherwise."""
    sub = f"e2e-{uuid4().hex[:12]}"
    email = f"{sub}@example.org"
    provider.set_user(sub, **{"email": email, "email_verified": True, **claims})
    return sub, email


def press_company_button(page: Page, live_server: LiveServer, path: str = "/auth/login") -> None:
    page.goto(path)
    lang = page_language(page)
    page.get_by_role("link", name=say(live_server.app, lang, "Sign in with %(name)s", name=COMPANY), exact=True).click()


def answer_at_provider(page: Page, provider: MockProvider, sub: str | None) -> None:
    """The provider's own login form: type the subject and authorize, or deny."""
    expect(page).to_have_url(re.compile("^" + re.escape(provider.issuer) + "/oauth2/authorize"))
    if sub is None:
        page.get_by_role("button", name="Deny").click()
    else:
        page.get_by_placeholder("sub").fill(sub)
        page.get_by_role("button", name="Authorize").click()


def account(live_server: LiveServer, email: str) -> User | None:
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def expect_logged_in_as(page: Page, name: str) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".user-name")).to_contain_text(name)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_first_login_creates_the_account_and_lands_logged_in(
    new_page: PageFactory, live_server: LiveServer, oidc_provider: MockProvider, lang: str
) -> None:
    sub, email = person(oidc_provider, name=f"Grete Sommer {lang}")
    page = browser_page(new_page, lang)
    press_company_button(page, live_server)
    answer_at_provider(page, oidc_provider, sub)
    expect_logged_in_as(page, f"Grete Sommer {lang}")
    user = account(live_server, email)
    assert (user.role, user.locale, user.password_hash) == ("learner", lang, None)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_no_at_the_provider_shows_a_clear_page(
    new_page: PageFactory, live_server: LiveServer, oidc_provider: MockProvider, lang: str
) -> None:
    page = browser_page(new_page, lang)
    press_company_button(page, live_server, "/auth/register")
    answer_at_provider(page, oidc_provider, None)
    app = live_server.app
    expect(page.get_by_role("heading", level=1)).to_have_text(say(app, lang, "Sign-in cancelled"))
    expect(
        page.get_by_text(
            say(app, lang, "The sign-in at %(provider)s was cancelled. You are not logged in.", provider=COMPANY)
        )
    ).to_be_visible()
    expect(page.locator(".user-name")).to_have_count(0)
    assert_accessible(page, f"single sign-on refusal ({lang})")
    page.get_by_role("link", name=say(app, lang, "Try again"), exact=True).click()  # straight back to the provider
    answer_at_provider(page, oidc_provider, person(oidc_provider, name="Second Try")[0])
    expect_logged_in_as(page, "Second Try")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_role_claim_makes_a_trainer(
    new_page: PageFactory, live_server: LiveServer, oidc_provider: MockProvider, lang: str
) -> None:
    sub, email = person(oidc_provider, name="Tina Trainer", kam_roles=["trainer"])
    page = browser_page(new_page, lang)
    press_company_button(page, live_server)
    answer_at_provider(page, oidc_provider, sub)
    expect_logged_in_as(page, "Tina Trainer")
    page.get_by_role("link", name=say(live_server.app, lang, "Studio"), exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/studio$"))
    assert account(live_server, email).role == "trainer"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_verified_address_joins_the_existing_password_account(
    new_page: PageFactory, live_server: LiveServer, oidc_provider: MockProvider, lang: str
) -> None:
    page = browser_page(new_page, lang)
    learner = register(page, new_learner(f"Paula Passwort {lang}"))
    sub = f"e2e-{uuid4().hex[:12]}"
    oidc_provider.set_user(sub, email=learner.email.upper(), email_verified=True, name="Someone Else")
    other = browser_page(new_page, lang)
    press_company_button(other, live_server)
    answer_at_provider(other, oidc_provider, sub)
    expect_logged_in_as(other, learner.name)  # the same account, its own name
    user = account(live_server, learner.email)
    with live_server.app.app_context():
        identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.subject == sub))
    assert (identity.user_id, identity.provider) == (user.id, "company")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_logout_ends_the_session_here_and_then_at_the_provider(
    new_page: PageFactory, live_server: LiveServer, oidc_provider: MockProvider, lang: str
) -> None:
    sub, _ = person(oidc_provider, name="Lotte Logout")
    page = browser_page(new_page, lang)
    press_company_button(page, live_server)
    answer_at_provider(page, oidc_provider, sub)
    expect_logged_in_as(page, "Lotte Logout")
    page.get_by_role("button", name=say(live_server.app, lang, "Log out"), exact=True).click()
    expect(page).to_have_url(re.compile("^" + re.escape(oidc_provider.issuer) + "/oauth2/end_session"))
    second = page.context.new_page()  # the session here is over before the provider is asked
    second.goto("/")
    expect(second.locator(".user-name")).to_have_count(0)
    page.get_by_role("button", name="End session").click()
    expect(page).to_have_url(re.compile(r"^" + re.escape(live_server.url) + r"/$"))
    expect(page.locator(".user-name")).to_have_count(0)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_login_and_register_pages_with_the_buttons_are_accessible(
    new_page: PageFactory, live_server: LiveServer, lang: str
) -> None:
    page = browser_page(new_page, lang)
    for path in ("/auth/login", "/auth/register"):
        page.goto(path)
        button = page.get_by_role("link", name=say(live_server.app, lang, "Sign in with %(name)s", name=COMPANY))
        expect(button).to_be_visible()
        assert_accessible(page, f"{path} with single sign-on ({lang})")


def test_single_sign_on_works_without_javascript(
    new_page: PageFactory, live_server: LiveServer, oidc_provider: MockProvider
) -> None:
    sub, _ = person(oidc_provider, name="Nora Noscript")
    page = new_page(javascript=False)
    page.context.route(re.compile(r"^https://"), lambda route: route.abort())
    press_company_button(page, live_server)
    answer_at_provider(page, oidc_provider, sub)
    expect_logged_in_as(page, "Nora Noscript")
    page.get_by_role("button", name=say(live_server.app, "de", "Log out"), exact=True).click()
    expect(page).to_have_url(re.compile("^" + re.escape(oidc_provider.issuer) + "/oauth2/end_session"))
