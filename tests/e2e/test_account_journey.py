"""The own account in a real browser: a learner who registered in German changes name and language, downloads
their data (a ZIP arrives), deletes the account and cannot log in any more; the account pages and the privacy
notice pass axe on the way."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import LiveServer
from .helpers import LOGIN_FORM, register, say
from .test_accessibility import blocking_violations, fail_on


def open_ok(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, f"GET {path} -> {response and response.status}"


def test_a_learner_renames_switches_language_exports_and_deletes_the_account(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    app = live_server.app
    learner = register(page)
    findings: dict[str, list[dict]] = {}

    open_ok(page, "/account")
    expect(page.get_by_role("heading", level=1)).to_have_text(say(app, "de", "Your account"))
    findings["profile (de)"] = blocking_violations(page)
    page.get_by_label(say(app, "de", "Your name"), exact=True).fill("Erika Musterfrau")
    page.get_by_label(say(app, "de", "Language"), exact=True).select_option("en")
    page.get_by_role("button", name=say(app, "de", "Save"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")
    expect(page.get_by_label("Your name", exact=True)).to_have_value("Erika Musterfrau")
    expect(page.locator(".user-name")).to_contain_text("Erika Musterfrau")
    findings["profile (en)"] = blocking_violations(page)

    for path, heading in (
        ("/account/password", "Change your password"),
        ("/account/email", "Change your email address"),
        ("/account/delete", "Delete your account"),
        ("/privacy", "Privacy notice"),
    ):
        open_ok(page, path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        findings[path] = blocking_violations(page)
    open_ok(page, "/account/password")
    page.get_by_role("button", name="Change password", exact=True).click()  # empty: errors at the fields
    expect(page.locator(".field__errors").first).to_be_visible()
    findings["password with errors"] = blocking_violations(page)

    open_ok(page, "/account/export")
    findings["export"] = blocking_violations(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the ZIP file", exact=True).click()
    download = download_info.value
    assert re.fullmatch(r"kam-course-data-\d{4}-\d\d-\d\d\.zip", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert zipfile.is_zipfile(saved)
    with zipfile.ZipFile(saved) as archive:
        account = json.loads(archive.read("account.json"))
        assert (account["email"], account["display_name"], account["locale"]) == (
            learner.email,
            "Erika Musterfrau",
            "en",
        )
        assert "README.txt" in archive.namelist()

    open_ok(page, "/account/delete")
    page.get_by_label("Current password", exact=True).fill("not my password at all")
    page.get_by_role("button", name="Delete my account for good", exact=True).click()
    expect(page.locator("#password-error")).to_have_text("This is not your current password.")
    findings["delete with an error"] = blocking_violations(page)
    page.get_by_label("Current password", exact=True).fill(learner.password)
    page.get_by_role("button", name="Delete my account for good", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text("Your account and your personal data have been deleted.")
    expect(page.locator(".user-name")).to_have_count(0)

    response = page.goto("/auth/login")
    assert response is not None and response.ok
    labels = LOGIN_FORM["en"]
    page.get_by_label(labels["email"], exact=True).fill(learner.email)
    page.get_by_label(labels["password"], exact=True).fill(learner.password)
    page.get_by_role("button", name=labels["submit"], exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid email or password.")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    fail_on(findings)
