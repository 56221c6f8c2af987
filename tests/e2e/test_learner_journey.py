"""The smoke test: a learner registers in German, switches to English, completes a lesson and sees progress."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .helpers import (
    COURSE_ID,
    PROJECT_ROOT,
    REGISTER_FORM,
    PageFactory,
    course_title,
    lesson_ids,
    lesson_path,
    lesson_title,
    log_in,
    new_learner,
)


def test_learner_registers_switches_language_completes_a_lesson_and_sees_progress(
    page: Page, new_page: PageFactory
) -> None:
    first, second = lesson_ids()[:2]
    total = len(lesson_ids())
    quizzes = len(list((PROJECT_ROOT / "quizzes" / COURSE_ID).glob("*.yml")))  # every quiz must be passed too
    one_step = str(round(100 / (total + quizzes)))
    html = page.locator("html")
    heading = page.get_by_role("heading", level=1)

    # Register in a German browser.
    page.goto("/auth/register")
    expect(html).to_have_attribute("lang", "de")
    learner = new_learner("Erika Mustermann")
    labels = REGISTER_FORM["de"]
    page.get_by_label(labels["name"], exact=True).fill(learner.name)
    page.get_by_label(labels["email"], exact=True).fill(learner.email)
    page.get_by_label(labels["password"], exact=True).fill(learner.password)
    page.get_by_label(labels["confirm"], exact=True).fill(learner.password)
    page.get_by_role("button", name=labels["submit"], exact=True).click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text(f"Willkommen, {learner.name}!")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    expect(
        page.get_by_role("progressbar", name=f"Ihr Fortschritt: 0 von {total} Lektionen und 0 von {quizzes} Quizzen")
    ).to_have_attribute("value", "0")

    # Open the first lesson from the overview: German title, German page.
    page.get_by_role("link", name=lesson_title(first, "de"), exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(lesson_path(first)) + "$"))
    expect(heading).to_have_text(lesson_title(first, "de"))
    expect(html).to_have_attribute("lang", "de")

    # Switch to English: same page, English title.
    page.get_by_role("button", name="English", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(lesson_path(first)) + "$"))
    expect(html).to_have_attribute("lang", "en")
    expect(heading).to_have_text(lesson_title(first, "en"))
    expect(page.get_by_role("button", name="English", exact=True)).to_have_attribute("aria-current", "true")

    # Complete it and land on lesson 2.
    page.get_by_role("button", name="Mark as completed and continue").click()
    expect(page).to_have_url(re.compile(re.escape(lesson_path(second)) + "$"))
    expect(heading).to_have_text(lesson_title(second, "en"))

    # Back to the overview via the breadcrumbs: one lesson is one step of lessons + quizzes.
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name=course_title("en")).click()
    expect(page).to_have_url(re.compile(rf"/courses/{COURSE_ID}$"))
    label = f"Your progress: 1 of {total} lessons and 0 of {quizzes} quizzes"
    progress = page.get_by_role("progressbar", name=label)
    expect(progress).to_have_attribute("value", one_step)
    expect(page.locator("label[for=course-progress]")).to_have_text(label)
    assert progress.evaluate("element => element.value") == int(one_step)
    first_item = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=lesson_title(first, "en"), exact=True)
    )
    expect(first_item).to_contain_text("completed")

    # Reload: the browser still asks for German, but the chosen English is remembered.
    page.reload()
    expect(html).to_have_attribute("lang", "en")
    expect(heading).to_have_text(course_title("en"))
    expect(progress).to_have_attribute("value", one_step)

    # A new German browser: once logged in, the account's language (English) wins.
    other = new_page(locale="de-DE")
    other.goto("/")
    expect(other.locator("html")).to_have_attribute("lang", "de")
    log_in(other, learner)
    expect(other.locator("html")).to_have_attribute("lang", "en")
    expect(other.get_by_role("progressbar", name=label)).to_have_attribute("value", one_step)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Page) -> None:
    page.goto(lesson_path(lesson_ids()[0]))
    skip_link = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip_link).not_to_be_in_viewport()  # hidden until focused

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # visible while focused

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.get_by_role("main")).to_be_focused()

    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), page.evaluate(
        "document.activeElement.outerHTML"
    )
