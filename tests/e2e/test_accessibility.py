"""axe-core on the main pages: no violation with impact "serious" or "critical" (light and dark)."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from course.sandbox.forms import ComponentForm, PlanForm

from .conftest import LiveServer
from .helpers import (
    COURSE_ID,
    PHONE,
    QUIZ_TEXT,
    REGISTER_FORM,
    Learner,
    PageFactory,
    attempt_key,
    course_title,
    fill_answer,
    fill_register_form,
    lesson_ids,
    lesson_path,
    lesson_title,
    question_fieldset,
    quiz_ids,
    quiz_path,
    quiz_title,
    register,
    say,
    start_quiz,
    submit_answers,
)
from .test_sandbox_journey import component, label

BLOCKING_IMPACTS = {"serious", "critical"}
AXE = Axe()


def describe(violations: list[dict]) -> str:
    """One block per violation: rule, impact, help, then every offending node's target and failure summary."""
    lines: list[str] = []
    for violation in violations:
        lines.append(f"{violation['id']} [{violation['impact']}] {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " >> ".join(json.dumps(part) if not isinstance(part, str) else part for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {target}: {node['html'][:160]}")
            if summary:
                lines.append(f"        {summary}")
    return "\n".join(lines)


def blocking_violations(page: Page) -> list[dict]:
    results = AXE.run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]


def fail_on(findings: dict[str, list[dict]]) -> None:
    """Fail with every serious/critical violation, grouped by the page it was found on."""
    found = {what: violations for what, violations in findings.items() if violations}
    if not found:
        return
    report = "\n".join(f"--- {what}\n{describe(violations)}" for what, violations in found.items())
    count = sum(len(violations) for violations in found.values())
    pytest.fail(f"{count} serious/critical axe violation(s):\n{report}", pytrace=False)


def assert_accessible(page: Page, what: str) -> None:
    fail_on({f"{what} ({page.url})": blocking_violations(page)})


def open_ok(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, f"GET {path} -> {response and response.status}"


def test_overview_anonymous(page: Page) -> None:
    open_ok(page, "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(course_title("de"))
    assert_accessible(page, "the course overview (anonymous, de)")


def test_overview_logged_in(page: Page) -> None:
    register(page)
    expect(page.locator("#course-progress")).to_be_visible()
    assert_accessible(page, "the course overview (logged in, de)")


def test_lesson_in_german_anonymous(page: Page) -> None:
    first = lesson_ids()[0]
    open_ok(page, lesson_path(first))
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson_title(first, "de"))
    assert_accessible(page, "a lesson (anonymous, de)")


def test_lesson_in_english_logged_in(new_page: PageFactory) -> None:
    page = new_page(locale="en-GB")
    register(page)
    first = lesson_ids()[0]
    open_ok(page, lesson_path(first))
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson_title(first, "en"))
    expect(page.get_by_role("button", name="Mark as completed and continue")).to_be_visible()
    assert_accessible(page, "a lesson (logged in, en)")


def test_lesson_in_dark_mode(new_page: PageFactory) -> None:
    page = new_page(color_scheme="dark")
    register(page)
    first = lesson_ids()[0]
    open_ok(page, lesson_path(first))
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    expect(page.get_by_role("button", name="Als erledigt markieren und weiter")).to_be_visible()
    assert_accessible(page, "a lesson (logged in, de, dark colour scheme)")


def test_login_page(page: Page) -> None:
    open_ok(page, "/auth/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert_accessible(page, "the login page")


def test_register_page(page: Page) -> None:
    open_ok(page, "/auth/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Konto anlegen")
    assert_accessible(page, "the register page")


def test_register_page_with_errors(page: Page) -> None:
    open_ok(page, "/auth/register")
    fill_register_form(page, Learner(name="Erika Mustermann", email="not-an-email", password="short"), confirm="other")
    labels = REGISTER_FORM["de"]
    email = page.get_by_label(labels["email"], exact=True)
    password = page.get_by_label(labels["password"], exact=True)
    confirm = page.get_by_label(labels["confirm"], exact=True)
    # The errors are shown and tied to their fields (aria-invalid, aria-describedby).
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Das sieht nicht wie eine E-Mail-Adresse aus.")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(
        "Mindestens 15 Zeichen. Ein paar Wörter, die nicht zusammengehören, ergeben ein langes Passwort, das man sich"
        " leicht merkt. Verwenden Sie mindestens 15 Zeichen."
    )
    expect(confirm).to_have_accessible_description("Die Passwörter stimmen nicht überein.")
    assert_accessible(page, "the register page with errors")


@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_every_lesson_on_a_phone(new_page: PageFactory, locale: str) -> None:
    """Narrow screens: wide tables scroll sideways, so keyboard users must be able to reach and scroll them."""
    page = new_page(locale=locale, viewport=PHONE)
    findings: dict[str, list[dict]] = {}
    for lesson_id in lesson_ids():
        open_ok(page, lesson_path(lesson_id))
        findings[f"{lesson_id} ({locale}, {PHONE[0]} px wide)"] = blocking_violations(page)
    fail_on(findings)


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_quiz_pages(new_page: PageFactory, live_server: LiveServer, color_scheme: Literal["light", "dark"]) -> None:
    """The quiz page, an attempt with a checked question showing its feedback, and the review (en)."""
    lang, texts = "en", QUIZ_TEXT["en"]
    page = new_page(locale="en-GB", color_scheme=color_scheme)
    register(page)
    quiz_id = quiz_ids()[2]  # matching, single, short text, numeric, ordering, multiple and true/false
    findings: dict[str, list[dict]] = {}
    where = f"{lang}, {color_scheme} colour scheme"

    open_ok(page, quiz_path(quiz_id))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Quiz: {quiz_title(quiz_id, lang)}")
    findings[f"the quiz page ({where})"] = blocking_violations(page)

    attempt_id = start_quiz(page, quiz_id, lang)
    keys = attempt_key(live_server.app, attempt_id, lang)
    for key, answer in ((keys[0], keys[0].right), (keys[1], keys[1].wrong)):  # both outcome colours
        fill_answer(page, answer)
        question = question_fieldset(page, key.number)
        question.get_by_role("button", name=texts["check"], exact=True).click()
        expect(question.locator(".outcome")).to_be_visible()
    findings[f"an attempt with checked questions ({where})"] = blocking_violations(page)

    submit_answers(page, lang)  # the rest unanswered: the confirmation
    expect(page.get_by_role("button", name=texts["submit_anyway"], exact=True)).to_be_visible()
    findings[f"an attempt asking to confirm unanswered questions ({where})"] = blocking_violations(page)

    page.get_by_role("button", name=texts["submit_anyway"], exact=True).click()
    expect(page.locator("#result-title")).to_have_text(texts["not_passed"])
    findings[f"the review ({where})"] = blocking_violations(page)
    fail_on(findings)


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_sandbox_pages(new_page: PageFactory, live_server: LiveServer, color_scheme: Literal["light", "dark"]) -> None:
    """The sandbox: index, a scenario brief, the editor (with its live preview, and with errors), a result with
    failing, partial and passing verdicts, compare, and the index listing the design (en)."""
    app, lang = live_server.app, "en"
    page = new_page(locale="en-GB", color_scheme=color_scheme)
    register(page)
    findings: dict[str, list[dict]] = {}
    where = f"{lang}, {color_scheme} colour scheme"

    open_ok(page, f"/courses/{COURSE_ID}/sandbox")
    expect(page.get_by_role("heading", level=1)).to_have_text(say(app, lang, "Bonus-plan sandbox"))
    findings[f"the sandbox index ({where})"] = blocking_violations(page)

    # the growth account: there the salesperson plan's pay mix is partly right, so the result shows all three verdicts
    open_ok(page, f"/courses/{COURSE_ID}/sandbox/scenarios/growth")
    findings[f"a scenario brief ({where})"] = blocking_violations(page)

    page.get_by_label(say(app, lang, "a plain salesperson plan (base + revenue commission)"), exact=True).check()
    page.get_by_role("button", name=say(app, lang, "Start a design"), exact=True).click()
    expect(page.locator("[data-preview]")).to_be_visible()
    findings[f"the plan editor with its live preview ({where})"] = blocking_violations(page)

    base = page.get_by_label(label(app, lang, PlanForm, "base_salary"), exact=True)
    salary = base.input_value()
    base.fill("lots")
    weight = component(page, app, lang, 1).get_by_label(label(app, lang, ComponentForm, "weight_pct"), exact=True)
    weight.fill("90")
    expect(page.locator(".preview-flag")).to_be_visible()
    page.get_by_role("button", name=say(app, lang, "Evaluate and save as a new version"), exact=True).click()
    expect(page.get_by_label(label(app, lang, PlanForm, "base_salary"), exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    findings[f"the plan editor with errors ({where})"] = blocking_violations(page)

    page.get_by_label(label(app, lang, PlanForm, "base_salary"), exact=True).fill(salary)
    component(page, app, lang, 1).get_by_label(label(app, lang, ComponentForm, "weight_pct"), exact=True).fill("100")
    page.get_by_role("button", name=say(app, lang, "Evaluate and save as a new version"), exact=True).click()
    expect(page.locator(".verdict--fail").first).to_be_visible()
    expect(page.locator(".verdict--partial").first).to_be_visible()
    expect(page.locator(".verdict--pass").first).to_be_visible()
    findings[f"a result ({where})"] = blocking_violations(page)

    version = page.url.rsplit("/designs/", 1)[1].replace("/versions/", "-")
    open_ok(page, f"/courses/{COURSE_ID}/sandbox/compare?a={version}&b={version}")
    expect(page.locator(".compare__side")).to_have_count(2)
    findings[f"compare ({where})"] = blocking_violations(page)

    open_ok(page, f"/courses/{COURSE_ID}/sandbox")
    expect(page.locator("table.designs tbody tr")).to_have_count(1)
    findings[f"the sandbox index with a design ({where})"] = blocking_violations(page)
    fail_on(findings)
