"""A Moodle GIFT file in a real browser: a trainer uploads a file that uses Moodle's documented GIFT syntax in all
its forms, reads the report (only the description skipped, nothing lost), then takes the draft quiz on the studio's
try page — inline blanks, partial credit, weights, an essay and all — and reads its review.

The quiz stays a draft: the try page grades without publishing anything, so the other e2e tests, which share the
live server, see the course as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from flask import Flask
from playwright.sync_api import Page, expect

from course.extensions import db
from course.publishing import operations as publishing

from .conftest import LiveServer
from .helpers import PageFactory, answer_all, file_order_keys, log_in, make_trainer

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "moodle-syntax.gift"
QUIZ = "moodle-syntax"
PATH = f"quizzes/kam-pay/{QUIZ}.yml"


def forget_the_draft(app: Flask) -> None:
    """A second run on the same server (a rerun) starts from no such quiz."""
    with app.app_context():
        for revision in publishing.revisions(PATH):
            db.session.delete(revision)
        db.session.commit()


def test_a_moodle_gift_file_imports_and_its_questions_are_taken_and_reviewed(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    app = live_server.app
    forget_the_draft(app)
    page: Page = new_page(locale="en-GB")
    log_in(page, make_trainer(app))
    try:
        page.goto("/studio/courses/kam-pay/gift")
        page.get_by_label("GIFT file").set_input_files(str(CORPUS))
        page.get_by_label("Language of the file").select_option("en")
        # The same file as the German one, so that the draft has both languages and can be tried at once.
        page.get_by_label("The same questions in the other language (optional)").set_input_files(str(CORPUS))
        page.get_by_role("button", name="Import as a draft").click()
        report = page.locator("main")
        expect(report).to_contain_text("22 questions converted")
        expect(report).to_contain_text("line 102: description")
        expect(report).not_to_contain_text("dropped")

        with app.app_context():
            source = publishing.newest_revision(PATH).source
        questions = yaml.safe_load(source)["questions"]
        assert {question["type"] for question in questions} >= {"blanks", "single", "multiple", "shorttext"}

        page.goto(f"/studio/files/{PATH}/try?lang=en")
        blanks = page.locator("fieldset.question").filter(has=page.locator(".blanks"))
        expect(blanks).to_have_count(2)
        expect(blanks.first.get_by_label("Blank 1 of 1")).to_be_visible()  # a select inside the sentence
        answer_all(page, file_order_keys(questions, "en"))
        page.get_by_role("button", name="Grade my answers").click()

        # The essay waits for a trainer (none grades a try), so 21 of the 22 points: 95 %, passed.
        expect(page.locator("#result-title")).to_have_text("Passed")
        expect(page.locator(".result__score")).to_contain_text(re.compile(r"\(95(\.45)?\s%\)"))
        expect(page.locator("fieldset.question .outcome--right")).to_have_count(len(questions) - 1)
        expect(page.locator("fieldset.question .outcome--pending")).to_contain_text("Waiting for a trainer")
        expect(page.locator(".review-scoring")).to_contain_text("each option you ticked adds its weight")
    finally:
        forget_the_draft(app)
