"""The password reset in a real browser, CSRF on, in German and in English: forgot → the mail → the link → a new
password → logged in; the old password is gone and the used link says so. axe checks each page on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from course.auth import operations as accounts
from course.extensions import db
from tests.mailbox import Mail, Mailbox

from .conftest import LiveServer
from .helpers import LOGIN_FORM, PASSWORD, PageFactory, mails_to, new_learner, say
from .test_accessibility import assert_accessible

NEW_PASSWORD = "plover kiosk zebra lantern"


def mail_to(mailbox: Mailbox, address: str, *, after: int = 0, timeout: float = 15.0) -> Mail:
    """The mail to `address` that follows the first `after` ones: the live server's job runner sends it a moment
    after the page answered, so it waits for it rather than take an earlier one."""
    mails = mails_to(mailbox, address, after + 1, timeout)
    assert len(mails) > after, f"no mail to {address} after the first {after}"
    return mails[-1]


def try_login(page: Page, email: str, password: str) -> None:
    page.goto("/auth/login")
    labels = LOGIN_FORM[page.locator("html").get_attribute("lang") or "de"]
    page.get_by_label(labels["email"], exact=True).fill(email)
    page.get_by_label(labels["password"], exact=True).fill(password)
    page.get_by_role("button", name=labels["submit"], exact=True).click()


@pytest.mark.parametrize(("lang", "browser_locale"), [("de", "de-DE"), ("en", "en-GB")])
def test_a_forgotten_password_is_replaced_through_the_mailed_link(
    new_page: PageFactory, live_server: LiveServer, mailbox: Mailbox, lang: str, browser_locale: str
) -> None:
    app = live_server.app
    learner = new_learner("Rita Reset")
    with app.app_context():
        accounts.create_user(learner.email, PASSWORD, learner.name, locale=lang)
        db.session.commit()

    page = new_page(locale=browser_locale)
    page.goto("/auth/login")
    page.get_by_role("link", name=say(app, lang, "Forgot your password?"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(say(app, lang, "Forgot your password?"))
    assert_accessible(page, f"the forgot-password page ({lang})")

    page.get_by_label(say(app, lang, "Email"), exact=True).fill(learner.email)
    page.get_by_role("button", name=say(app, lang, "Send the link"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(say(app, lang, "Check your mail"))
    no_mail = "No mail after a few minutes? Look in your spam folder, and check the address for typos."
    expect(page.get_by_text(say(app, lang, no_mail), exact=True)).to_be_visible()
    assert_accessible(page, f"the check-your-mail page ({lang})")

    mail = mail_to(mailbox, learner.email)
    assert mail.subject.strip() == say(app, lang, "Reset your password for %(site)s", site=say(app, lang, "KAM course"))
    assert say(app, lang, "Hello %(name)s,", name=learner.name) in mail.text
    [link] = [url for url in mail.links if "/auth/password/reset/" in url]
    assert link.startswith(live_server.url)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(say(app, lang, "Choose a new password"))
    assert_accessible(page, f"the reset page ({lang})")
    new, repeat = (
        page.get_by_label(say(app, lang, "New password"), exact=True),
        page.get_by_label(say(app, lang, "Repeat the new password"), exact=True),
    )
    save = page.get_by_role("button", name=say(app, lang, "Save the password and log in"), exact=True)
    new.fill("short")
    repeat.fill("short")
    save.click()
    expect(new).to_have_attribute("aria-invalid", "true")
    too_short = say(
        app,
        lang,
        "Use at least %(min)d characters.",
        min=15,
    )
    expect(page.locator("#password-error")).to_have_text(too_short)
    assert_accessible(page, f"the reset page with an error ({lang})")

    new.fill(NEW_PASSWORD)
    repeat.fill(NEW_PASSWORD)
    save.click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text(
        say(app, lang, "Your new password is saved, and you are logged in.")
    )
    expect(page.locator(".user-name")).to_contain_text(learner.name)

    notice = mail_to(mailbox, learner.email, after=1)  # the reset link was the first
    assert notice.subject.strip() == say(
        app, lang, "Your password for %(site)s was changed", site=say(app, lang, "KAM course")
    )

    stranger = new_page(locale=browser_locale)
    try_login(stranger, learner.email, PASSWORD)
    expect(stranger.get_by_role("alert")).to_contain_text(say(app, lang, "Invalid email or password."))
    try_login(stranger, learner.email, NEW_PASSWORD)
    expect(stranger).to_have_url(re.compile(r"/$"))

    response = stranger.goto(link)
    assert response is not None and response.status == 400
    expect(stranger.get_by_role("heading", level=1)).to_have_text(say(app, lang, "This link does not work"))
    expect(stranger.get_by_role("link", name=say(app, lang, "Request a new link"), exact=True)).to_be_visible()
