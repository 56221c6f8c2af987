"""The screenshots in README and docs/, taken by walking the course as a learner. Not a check: it runs only when
SCREENSHOTS names a folder to write them to, e.g.
`SCREENSHOTS=docs/screenshots/after pytest tests/e2e/test_screenshots.py`.

One learner completes the course on a desktop (1280 × 900) and the same pages are then shot again on a phone
(390 × 844): a lesson, a quiz in progress, a quiz review, a sandbox result, the compare page and the certificate.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from .conftest import LiveServer
from .helpers import (
    COURSE_ID,
    PageFactory,
    answer_all,
    attempt_key,
    lesson_ids,
    lesson_path,
    quiz_ids,
    quiz_path,
    register,
    say,
    start_quiz,
)
from .test_certificate_journey import (
    CERTIFICATE_PAGE,
    complete_every_lesson,
    have_the_essays_graded,
    pass_every_quiz,
    pass_the_sandbox,
)

TARGET = os.environ.get("SCREENSHOTS", "")
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}

pytestmark = pytest.mark.skipif(not TARGET, reason="screenshots only when SCREENSHOTS names a folder")


def _compare_path(page: Page) -> str:
    """The compare page with the learner's first version against the latest one."""
    page.goto(f"/courses/{COURSE_ID}/sandbox/compare")
    values = page.locator("select[name=a] option").evaluate_all("options => options.map(o => o.value)")
    values = [value for value in values if value]
    return f"/courses/{COURSE_ID}/sandbox/compare?a={values[-1]}&b={values[0]}"


def _shoot(page: Page, folder: Path, name: str, size: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(folder / f"{name}-{size}.png"))


def test_screenshots(new_page: PageFactory, live_server: LiveServer) -> None:
    app, lang = live_server.app, "de"
    folder = Path(TARGET)
    folder.mkdir(parents=True, exist_ok=True)
    page = new_page(locale="de-DE", viewport=VIEWPORTS["desktop"])
    learner = register(page)
    complete_every_lesson(page, app, lang)
    pass_every_quiz(page, app, lang)
    have_the_essays_graded(page, new_page(locale="de-DE"), app, lang, learner)
    review = page.url  # the graded review of the quiz with the essay
    pass_the_sandbox(page, app, lang, learner)
    page.goto(f"/courses/{COURSE_ID}/sandbox")
    result = page.locator('a[href*="/versions/"]').first.get_attribute("href")
    compare = _compare_path(page)
    page.goto(CERTIFICATE_PAGE)
    issue = page.get_by_role("button", name=say(app, lang, "Issue my certificate"), exact=True)
    if issue.count():
        issue.click()

    quiz_id = quiz_ids()[1]
    page.goto(quiz_path(quiz_id))
    attempt_id = start_quiz(page, quiz_id, lang)
    quiz = page.url
    pages = {
        "lesson": lesson_path(lesson_ids()[1]),
        "quiz-review": review,
        "sandbox-result": result,
        "compare": compare,
        "certificate": CERTIFICATE_PAGE,
    }
    for size, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            page.goto(path)
            _shoot(page, folder, name, size)
        page.goto(quiz)
        answer_all(page, attempt_key(app, attempt_id, lang)[:2])
        _shoot(page, folder, "quiz", size)
