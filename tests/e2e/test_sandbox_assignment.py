"""The certificate's sandbox step in a real browser (issue #14): it cannot be passed by copying.

A new learner opens the sandbox and finds an assigned account with its numbers. Starting from the lesson's plan and
pressing Evaluate without changing anything is graded, but the result page says the unchanged example does not
count, and the checklist keeps both sandbox passes open. The learner then adapts the plan in the editor, field by
field, in the assigned account and in an account of another kind, and the sandbox step is done.

The adapted plans come from tests/sandbox_helpers.py (the core's own plans, changed a little and checked with the
core's grader), so the test holds whatever the rubric's exact scores are.
"""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.core.assignment import Assignment
from course.core.sandbox import SCENARIOS, Plan
from course.core.sandbox.evaluation import plan_data
from course.extensions import db
from course.models import SandboxAssignment, SandboxDesign, User
from course.sandbox.forms import form_data
from tests.sandbox_helpers import adapted_plan

from .conftest import LiveServer
from .helpers import COURSE_ID, Learner, PageFactory, register, say

SANDBOX = f"/courses/{COURSE_ID}/sandbox"
CERTIFICATE_PAGE = f"/courses/{COURSE_ID}/certificate"
EDITOR = re.compile(r"/sandbox/designs/(\d+)(?:\?.*)?$")
RESULT = re.compile(r"/sandbox/designs/(\d+)/versions/(\d+)$")


def assigned_account(app: Flask, learner: Learner) -> Assignment:
    """The account the app assigned the learner on the first visit of the sandbox."""
    with app.app_context():
        row = db.session.scalar(
            select(SandboxAssignment)
            .join(User, User.id == SandboxAssignment.user_id)
            .where(User.email == learner.email)
        )
        assert row is not None, "the sandbox assigns an account on the first visit"
        return row.assignment


def design_seed(app: Flask, design_id: int) -> int:
    with app.app_context():
        return db.session.get(SandboxDesign, design_id).seed


def start_from_the_lesson_plan(page: Page, app: Flask, lang: str, scenario_id: str) -> int:
    """Open the scenario's brief, start a design from the lesson's plan; the editor's design id."""
    page.goto(f"{SANDBOX}/scenarios/{scenario_id}")
    expect(page.get_by_role("heading", name=say(app, lang, "The benchmark plan"))).to_have_count(0)
    page.get_by_label(say(app, lang, "the lesson's general plan, to adapt to this account"), exact=True).check()
    page.get_by_role("button", name=say(app, lang, "Start a design"), exact=True).click()
    expect(page).to_have_url(EDITOR)
    expect(page.get_by_role("heading", name=say(app, lang, "The benchmark plan"))).to_have_count(0)
    match = EDITOR.search(page.url)
    assert match
    return int(match.group(1))


def evaluate(page: Page, app: Flask, lang: str) -> None:
    page.get_by_role("button", name=say(app, lang, "Evaluate and save as a new version"), exact=True).click()
    expect(page).to_have_url(RESULT)


def fill_plan(page: Page, app: Flask, lang: str, plan: Plan) -> None:
    """Type `plan` into the editor as a learner would, over what is filled in (rows the plan does not use are
    set to "(not used)"; a hidden row is opened with "Add a component")."""
    data = form_data("", plan_data(plan))
    page.locator("#ttc").fill(data["ttc"])
    page.locator("#base_salary").fill(data["base_salary"])
    page.locator(f"input[name='gate'][value='{data['gate']}']").check()  # first: it shows or hides the row marks
    for i, row in enumerate(data["components"]):
        metric = page.locator(f"#components-{i}-metric")
        if not row.get("metric"):
            if metric.is_visible():
                metric.select_option("")
            continue
        if not metric.is_visible():
            page.get_by_role("button", name=say(app, lang, "Add a component"), exact=True).click()
        metric.select_option(row["metric"])
        page.locator(f"#components-{i}-weight_pct").fill(row["weight_pct"])
        page.locator(f"#components-{i}-period").select_option(row["period"])
        more = page.locator(f"#components-{i}-credit").locator("xpath=ancestor::details")
        if more.get_attribute("open") is None:
            more.locator("summary").click()  # "More settings"
        page.locator(f"#components-{i}-credit").select_option(row["credit"])
        if row["credit"] == "split":
            page.locator(f"#components-{i}-team_share_pct").fill(row["team_share_pct"] or "")
        for name in ("threshold_pct", "target_pct", "cap_pct"):
            page.locator(f"#components-{i}-{name}").fill(row[name] or "")
        if data["gate"] == "some":
            page.locator(f"#components-{i}-gated").set_checked(bool(row["gated"]))
        if row["metric"] == "mandate_objectives":
            for box in page.locator(f"input[name='components-{i}-mandate_questions']").all():
                box.set_checked(box.get_attribute("value") in row["mandate_questions"])
    page.locator("#clawback").set_checked(bool(data["clawback"]))
    page.locator("#clawback_window").fill(data["clawback_window"] or "")
    page.locator("#clawback_share").fill(data["clawback_share"] or "")
    page.locator("#deferral_pct").fill(data["deferral_pct"] or "")
    page.locator("#deferral_years").fill(data["deferral_years"] or "")
    for box in page.locator("input[name='indirect_rewards']").all():
        box.set_checked(box.get_attribute("value") in data["indirect_rewards"])


def open_sandbox_steps(page: Page, app: Flask, lang: str) -> list[str]:
    """The checklist's sandbox steps not done yet, as the certificate page lists them."""
    page.goto(CERTIFICATE_PAGE)
    steps = page.locator(".checklist__step:not(.is-done)")
    return [text for text in steps.all_inner_texts() if "Sandbox" in text]


def try_the_unchanged_lesson_plan(page: Page, app: Flask, lang: str, learner: Learner) -> Assignment:
    """Open the sandbox (which assigns the account), evaluate the lesson's plan unchanged there: it does not count."""
    page.goto(SANDBOX)
    expect(page.get_by_role("heading", name=say(app, lang, "Your assigned account"), exact=True)).to_be_visible()
    assigned = assigned_account(app, learner)
    expect(page.locator(".assigned-account")).to_contain_text(SCENARIOS[assigned.scenario_id].title(lang))
    design_id = start_from_the_lesson_plan(page, app, lang, assigned.scenario_id)
    assert design_seed(app, design_id) == assigned.seed  # the assigned draw, not one of the learner's choosing
    evaluate(page, app, lang)
    expect(page.locator(".unchanged-copy")).to_be_visible()  # whatever the score, it does not count
    expect(page.get_by_role("heading", name=say(app, lang, "The benchmark plan"))).to_be_visible()  # now revealed
    assert len(open_sandbox_steps(page, app, lang)) == 2
    return assigned


def adapt_the_plan_in_two_kinds_of_account(page: Page, app: Flask, lang: str, assigned: Assignment) -> None:
    """Adapt the lesson's plan in a new design for the assigned account, then in one of another kind."""
    design_id = start_from_the_lesson_plan(page, app, lang, assigned.scenario_id)
    fill_plan(page, app, lang, adapted_plan(assigned.scenario_id, assigned.seed))
    evaluate(page, app, lang)
    expect(page.locator(".result--passed")).to_be_visible()
    expect(page.locator(".unchanged-copy")).to_have_count(0)
    expect(page.locator(".counts-note")).to_have_text(
        say(
            app,
            lang,
            "This design is in your assigned account: its score counts for the first pass of the "
            "certificate's sandbox step.",
        )
    )
    assert design_seed(app, design_id) == assigned.seed
    assert len(open_sandbox_steps(page, app, lang)) == 1

    other = assigned.other_scenarios(list(SCENARIOS))[0]
    design_id = start_from_the_lesson_plan(page, app, lang, other)
    fill_plan(page, app, lang, adapted_plan(other, design_seed(app, design_id)))
    evaluate(page, app, lang)
    expect(page.locator(".result--passed")).to_be_visible()
    assert open_sandbox_steps(page, app, lang) == []


def test_a_copied_plan_does_not_pass_the_sandbox_step_and_an_adapted_one_does(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    app, lang = live_server.app, "en"
    page = new_page(locale="en-GB")
    learner = register(page)
    assigned = try_the_unchanged_lesson_plan(page, app, lang, learner)
    page.goto(f"/courses/{COURSE_ID}")
    expect(page.locator(".path-list__item--sandbox")).not_to_have_class(re.compile(r"\bis-(done|earned)\b"))
    adapt_the_plan_in_two_kinds_of_account(page, app, lang, assigned)
    page.goto(f"/courses/{COURSE_ID}")
    expect(page.locator(".path-list__item--sandbox")).to_have_class(re.compile(r"\bis-(done|earned)\b"))
    page.goto(SANDBOX)
    expect(page.locator(".assigned-account")).to_contain_text(
        say(app, lang, "Assigned account: %(state)s", state=say(app, lang, "passed"))
    )
