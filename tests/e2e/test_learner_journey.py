"""The smoke tests: a learner walks the guided path with the one Continue button (lesson, its quiz, the next
lesson) in German on a desktop, switches to English and sees progress; and in English on a phone, where the course
sidebar starts collapsed and nothing scrolls sideways."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import LiveServer
from .helpers import (
    COURSE_ID,
    PHONE,
    PROJECT_ROOT,
    REGISTER_FORM,
    PageFactory,
    answer_all,
    attempt_key,
    course_meta,
    course_title,
    lesson_ids,
    lesson_path,
    lesson_quiz,
    lesson_title,
    log_in,
    new_learner,
    quiz_path,
    quiz_title,
    register,
    say,
    start_quiz,
    submit_answers,
)


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_learner_walks_the_guided_path_in_german_switches_language_and_sees_progress(
    page: Page, new_page: PageFactory, live_server: LiveServer
) -> None:
    app = live_server.app
    first, second = lesson_ids()[:2]
    quiz = lesson_quiz(first)
    assert quiz is not None
    total = len(lesson_ids())
    quizzes = len(list((PROJECT_ROOT / "quizzes" / COURSE_ID).glob("*.yml")))  # every quiz must be passed too
    steps = total + quizzes + ("sandbox" in course_meta().get("completion", {}))
    two_steps = str(round(100 * 2 / steps))
    html = page.locator("html")
    heading = page.get_by_role("heading", level=1)
    path = page.get_by_role("navigation", name="Kursablauf")

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
    expect(path).to_be_visible()  # on a wide screen the sidebar is open beside the content
    expect(page.locator(".button")).to_have_count(1)  # one primary button

    # Start: the first lesson, marked as the current step in the sidebar.
    page.get_by_role("link", name="Kurs beginnen", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(lesson_path(first)) + "$"))
    expect(heading).to_have_text(lesson_title(first, "de"))
    expect(path.locator('[aria-current="step"]')).to_contain_text(lesson_title(first, "de"))

    # Completing it confirms it and continues to its quiz; the sidebar shows the lesson done.
    page.get_by_role(
        "button", name=f"Als erledigt markieren und weiter mit dem Quiz „{quiz_title(quiz, 'de')}“"
    ).click()
    expect(page).to_have_url(re.compile(re.escape(quiz_path(quiz)) + "$"))
    expect(page.get_by_role("status")).to_contain_text(f"Lektion „{lesson_title(first, 'de')}“ als erledigt markiert")
    expect(path.locator(f'a[href="{lesson_path(first)}"]')).to_contain_text("abgeschlossen")

    # Pass the quiz; its review continues to the next lesson.
    attempt_id = start_quiz(page, quiz, "de")
    answer_all(page, attempt_key(app, attempt_id, "de"))
    submit_answers(page, "de")
    page.get_by_role("link", name=f"Weiter mit „{lesson_title(second, 'de')}“", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(lesson_path(second)) + "$"))
    expect(path.locator(f'a[href="{quiz_path(quiz)}"]')).to_contain_text("bestanden")

    # Switch to English: same page, English title.
    page.get_by_role("button", name="English", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(lesson_path(second)) + "$"))
    expect(html).to_have_attribute("lang", "en")
    expect(heading).to_have_text(lesson_title(second, "en"))
    expect(page.get_by_role("button", name="English", exact=True)).to_have_attribute("aria-current", "true")

    # The overview: two steps done, the next one to continue with, the time left.
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name=course_title("en")).click()
    expect(page).to_have_url(re.compile(rf"/courses/{COURSE_ID}$"))
    label = f"Your progress: 1 of {total} lessons and 1 of {quizzes} quizzes"
    progress = page.get_by_role("progressbar", name=label)
    expect(progress).to_have_attribute("value", two_steps)
    expect(page.get_by_role("link", name=f"Continue with “{lesson_title(second, 'en')}”", exact=True)).to_be_visible()
    expect(page.locator(".overview__time")).to_contain_text("Time left: about")

    # A new German browser: once logged in, the account's language (English) wins.
    other = new_page(locale="de-DE")
    other.goto("/")
    expect(other.locator("html")).to_have_attribute("lang", "de")
    log_in(other, learner)
    expect(other.locator("html")).to_have_attribute("lang", "en")
    expect(other.get_by_role("progressbar", name=label)).to_have_attribute("value", two_steps)


def test_learner_walks_the_guided_path_in_english_on_a_phone(new_page: PageFactory, live_server: LiveServer) -> None:
    page = new_page(locale="en-GB", viewport=PHONE)
    first = lesson_ids()[0]
    quiz = lesson_quiz(first)
    assert quiz is not None
    register(page, new_learner("Pat Phone"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    no_sideways_scroll(page)

    # The sidebar is collapsed above the content; opened, it lists every step.
    sidebar = page.locator("details.course-path")
    path = page.get_by_role("navigation", name="Course path")
    expect(sidebar).not_to_have_attribute("open", "")
    expect(path).to_be_hidden()
    sidebar.locator("summary").click()
    expect(path.get_by_role("link", name="Certificate of completion")).to_be_visible()
    no_sideways_scroll(page)

    page.get_by_role("link", name="Start the course", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(lesson_path(first)) + "$"))
    no_sideways_scroll(page)
    page.get_by_role("button", name=say(live_server.app, "en", "Mark as completed and continue")).click()
    expect(page).to_have_url(re.compile(re.escape(quiz_path(quiz)) + "$"))
    expect(page.get_by_role("status")).to_contain_text(f"Lesson “{lesson_title(first, 'en')}” marked as completed.")
    no_sideways_scroll(page)


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
