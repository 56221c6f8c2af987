"""An admin makes a group in the browser (CSRF on), adds a member by address and two from a CSV file, and gives
one the manager role; axe checks every group page on the way, on a phone in the dark too."""

from __future__ import annotations

from uuid import uuid4

import pytest
from flask import Flask
from playwright.sync_api import expect

from course.auth import operations as accounts
from course.extensions import db

from .conftest import LiveServer
from .helpers import PHONE, PageFactory, log_in, say
from .test_accessibility import blocking_violations, fail_on
from .test_admin_invite_journey import make_admin, no_sideways_scroll


def make_people(app: Flask, tag: str, count: int) -> list[str]:
    emails = [f"person{number}-{tag}@example.org" for number in range(count)]
    with app.app_context():
        for number, email in enumerate(emails):
            accounts.create_user(email, None, f"Person {number} {tag}", role="learner", locale="en")
        db.session.commit()
    return emails


@pytest.mark.parametrize(("lang", "browser_locale"), [("de", "de-DE"), ("en", "en-GB")])
def test_an_admin_builds_a_group(
    new_page: PageFactory, live_server: LiveServer, lang: str, browser_locale: str
) -> None:
    app = live_server.app
    findings: dict[str, list[dict]] = {}
    admin = make_admin(app, lang)
    tag = uuid4().hex[:8]
    first, second, third = make_people(app, tag, 3)
    page = new_page(locale=browser_locale)
    log_in(page, admin)

    page.goto("/admin/groups/new")
    page.get_by_role("button", name=say(app, lang, "Create the group"), exact=True).click()
    name_field = page.get_by_label(say(app, lang, "Name of the group"), exact=True)
    expect(name_field).to_have_attribute("aria-invalid", "true")
    findings[f"the new group page with errors ({lang})"] = blocking_violations(page)
    name_field.fill(f"KAM team {tag}")
    page.get_by_role("button", name=say(app, lang, "Create the group"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"KAM team {tag}")

    page.get_by_label(say(app, lang, "Email of the account"), exact=True).fill(first)
    page.get_by_label(say(app, lang, "Role in the group"), exact=True).select_option("manager")
    page.get_by_role("button", name=say(app, lang, "Add to the group"), exact=True).click()
    expect(page.get_by_role("table")).to_contain_text(first)
    findings[f"a group's page ({lang})"] = blocking_violations(page)

    page.get_by_role("link", name=say(app, lang, "Add from a CSV file…"), exact=True).click()
    page.get_by_label(say(app, lang, "CSV file"), exact=True).set_input_files(
        {"name": "team.csv", "mimeType": "text/csv", "buffer": f"email\n{second}\nnobody-{tag}@example.org\n".encode()}
    )
    page.get_by_role("button", name=say(app, lang, "Check and add"), exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(f"nobody-{tag}@example.org")
    findings[f"the group import with errors ({lang})"] = blocking_violations(page)
    page.get_by_label(say(app, lang, "CSV file"), exact=True).set_input_files(
        {
            "name": "team.csv",
            "mimeType": "text/csv",
            "buffer": f"email;role_in_group\n{second};\n{third};trainer\n".encode(),
        }
    )
    page.get_by_role("button", name=say(app, lang, "Check and add"), exact=True).click()
    expect(page.get_by_role("table")).to_contain_text(third)

    page.goto("/admin/groups")
    expect(page.get_by_role("link", name=f"KAM team {tag}", exact=True)).to_be_visible()
    findings[f"the group list ({lang})"] = blocking_violations(page)
    page.get_by_role("link", name=f"KAM team {tag}", exact=True).click()
    page.get_by_role("link", name=say(app, lang, "Delete the group…"), exact=True).click()
    findings[f"the delete page ({lang})"] = blocking_violations(page)
    page.get_by_role("button", name=say(app, lang, "Delete the group"), exact=True).click()
    expect(page.get_by_role("link", name=f"KAM team {tag}", exact=True)).to_have_count(0)
    fail_on(findings)


def test_the_group_pages_fit_a_phone_and_pass_axe_in_the_dark(new_page: PageFactory, live_server: LiveServer) -> None:
    app = live_server.app
    admin = make_admin(app, "de")
    tag = uuid4().hex[:8]
    [email] = make_people(app, tag, 1)
    page = new_page(locale="de-DE", viewport=PHONE, color_scheme="dark")
    log_in(page, admin)
    page.goto("/admin/groups/new")
    page.get_by_label(say(app, "de", "Name of the group"), exact=True).fill(f"Team {tag}")
    page.get_by_role("button", name=say(app, "de", "Create the group"), exact=True).click()
    page.get_by_label(say(app, "de", "Email of the account"), exact=True).fill(email)
    page.get_by_role("button", name=say(app, "de", "Add to the group"), exact=True).click()
    expect(page.get_by_role("table")).to_contain_text(email)
    group_path = page.url.split(live_server.url, 1)[1]
    findings: dict[str, list[dict]] = {}
    for path in ("/admin/groups", "/admin/groups/new", group_path, f"{group_path}/edit", f"{group_path}/import"):
        response = page.goto(path)
        assert response is not None and response.ok, path
        page.wait_for_load_state("load")
        assert no_sideways_scroll(page), f"{path} scrolls sideways at {PHONE[0]} px"
        findings[f"{path} ({PHONE[0]} px, dark)"] = blocking_violations(page)
    fail_on(findings)
