"""An admin invites two people from a CSV file in a real browser, CSRF on, in German and in English: a file with a
mistake is refused with the line named, the corrected file creates both accounts, each person gets the invitation
in their language, one sets a password through the link and logs in, and the admin finds both steps in the audit
log. axe checks every admin page on the way; the account list fits a phone."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from flask import Flask
from flask_babel import force_locale, ngettext
from playwright.sync_api import Page, expect

from course.auth import operations as accounts
from course.extensions import db
from tests.mailbox import Mailbox

from .conftest import LiveServer
from .helpers import PHONE, Learner, PageFactory, log_in, say
from .test_accessibility import blocking_violations, fail_on
from .test_password_reset_journey import mail_to

PASSWORD = "papaya kettle minuet harbour"


def make_admin(app: Flask, lang: str) -> Learner:
    admin = Learner(name="Ada Admin", email=f"admin-{uuid4().hex[:12]}@example.org", password=PASSWORD)
    with app.app_context():
        accounts.create_user(admin.email, admin.password, admin.name, role="admin", locale=lang, email_verified=True)
        db.session.commit()
    return admin


def upload(page: Page, app: Flask, lang: str, text: str) -> None:
    page.goto("/admin/users/import")
    page.get_by_label(say(app, lang, "CSV file"), exact=True).set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}
    )
    page.get_by_role("button", name=say(app, lang, "Check and invite"), exact=True).click()


def say_plural(app: Flask, lang: str, singular: str, plural: str, num: int) -> str:
    with app.test_request_context(), force_locale(lang):
        return ngettext(singular, plural, num)


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(("lang", "browser_locale"), [("de", "de-DE"), ("en", "en-GB")])
def test_an_admin_invites_two_people_from_a_csv_file(
    new_page: PageFactory, live_server: LiveServer, mailbox: Mailbox, lang: str, browser_locale: str
) -> None:
    app = live_server.app
    findings: dict[str, list[dict]] = {}
    admin = make_admin(app, lang)
    tag = uuid4().hex[:8]
    anna, ben = f"anna-{tag}@example.org", f"ben-{tag}@example.org"

    page = new_page(locale=browser_locale)
    log_in(page, admin)
    upload(page, app, lang, f"E-Mail;Name;Rolle;Sprache\r\n{anna};Anna Schmidt;;de\r\nben-{tag};Ben Jones;;en\r\n")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(say(app, lang, "Line %(line)d", line=3))
    expect(alert).to_contain_text(say(app, lang, "“%(email)s” is not a valid email address.", email=f"ben-{tag}"))
    findings[f"the import page with errors ({lang})"] = blocking_violations(page)

    upload(page, app, lang, f"E-Mail;Name;Rolle;Sprache\r\n{anna};Anna Schmidt;;de\r\n{ben};Ben Jones;trainer;en\r\n")
    expect(page.get_by_role("heading", level=1)).to_have_text(say(app, lang, "Invitations sent"))
    expect(page.get_by_role("status")).to_contain_text(
        say_plural(app, lang, "%(num)d account created.", "%(num)d accounts created.", 2)
    )

    for address, name, language in ((anna, "Anna Schmidt", "de"), (ben, "Ben Jones", "en")):
        mail = mail_to(mailbox, address)
        assert mail.subject == say(
            app,
            language,
            "%(inviter)s invites you to %(site)s",
            inviter=admin.name,
            site=say(app, language, "KAM course"),
        )
        assert say(app, language, "Hello %(name)s,", name=name) in mail.text
    [link] = [url for url in mail_to(mailbox, ben).links if "/auth/invitation/" in url]

    invitee = new_page(locale="en-GB")
    invitee.goto(link)
    invitee.get_by_label(say(app, "en", "Password"), exact=True).fill(PASSWORD)
    invitee.get_by_label(say(app, "en", "Repeat password"), exact=True).fill(PASSWORD)
    invitee.get_by_role("button", name=say(app, "en", "Save and start the course"), exact=True).click()
    expect(invitee).to_have_url(re.compile(r"/$"))
    again = new_page(locale="en-GB")
    log_in(again, Learner(name="Ben Jones", email=ben, password=PASSWORD))

    page.goto("/admin/audit")
    page.get_by_label(say(app, lang, "Person (email contains)"), exact=True).fill(ben)
    page.get_by_role("button", name=say(app, lang, "Show"), exact=True).click()
    table = page.get_by_role("table")
    for action in ("Invited", "Password set", "Logged in"):
        expect(table).to_contain_text(say(app, lang, action))
    findings[f"the audit log ({lang})"] = blocking_violations(page)

    page.goto(f"/admin/users?status=invited&q={tag}")
    expect(page.get_by_role("table")).to_contain_text(anna)
    expect(page.get_by_role("table")).not_to_contain_text(ben)  # Ben has arrived
    findings[f"the account list ({lang})"] = blocking_violations(page)
    page.get_by_role("link", name="Anna Schmidt", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anna Schmidt")
    expect(page.get_by_role("button", name=say(app, lang, "Send the invitation again"), exact=True)).to_be_visible()
    findings[f"an account's page ({lang})"] = blocking_violations(page)

    page.goto("/admin/users/invite")
    page.get_by_role("button", name=say(app, lang, "Send the invitation"), exact=True).click()
    expect(page.get_by_label(say(app, lang, "Email"), exact=True)).to_have_attribute("aria-invalid", "true")
    findings[f"the invite page with errors ({lang})"] = blocking_violations(page)
    fail_on(findings)


def test_the_admin_pages_fit_a_phone_and_pass_axe_in_the_dark(new_page: PageFactory, live_server: LiveServer) -> None:
    app = live_server.app
    admin = make_admin(app, "de")
    page = new_page(locale="de-DE", viewport=PHONE, color_scheme="dark")
    log_in(page, admin)
    findings: dict[str, list[dict]] = {}
    for path in ("/admin/users", "/admin/users/invite", "/admin/users/import", "/admin/audit"):
        response = page.goto(path)
        assert response is not None and response.ok, path
        assert no_sideways_scroll(page), f"{path} scrolls sideways at {PHONE[0]} px"
        findings[f"{path} ({PHONE[0]} px, dark)"] = blocking_violations(page)
    page.goto(f"/admin/users?q={admin.email}")
    page.get_by_role("link", name=admin.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(admin.name)
    page.wait_for_load_state("load")  # the style sheets too: before them, nothing scrolls in its own region
    assert no_sideways_scroll(page)
    findings[f"an account's page ({PHONE[0]} px, dark)"] = blocking_violations(page)
    fail_on(findings)
