"""The trainer studio in a real browser (issue #6): a trainer edits a lesson, sees the live preview, publishes; a
learner sees the new sentence; the trainer restores the previous revision from the history and publishes it; the
learner no longer sees the sentence. And the editor without JavaScript: the Preview button keeps the unsaved text.

The live server is shared by every e2e test: whatever this test publishes is put back in a `finally`.
"""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Page, expect

from course.auth.operations import create_user
from course.extensions import db
from course.publishing import operations as publishing

from .conftest import LiveServer
from .helpers import PASSWORD, Learner, PageFactory, lesson_path, log_in, new_learner, register, say
from .test_accessibility import blocking_violations, fail_on

LESSON_ID = "kam-mandate"


def make_trainer(app: Flask) -> Learner:
    trainer = new_learner("Tanja Trainerin")
    with app.app_context():
        create_user(trainer.email, PASSWORD, trainer.name, role="trainer")
        db.session.commit()
    return trainer


def published(app: Flask, path: str) -> str:
    with app.app_context():
        return publishing.published_files()[path]


def republish(app: Flask, path: str, text: str) -> None:
    """Put the bundled text back as the published revision, so the other e2e tests see the course they expect."""
    with app.app_context():
        if publishing.published_files()[path] == text:
            return
        newest = publishing.newest_revision(path)
        draft = publishing.save_draft(path, text, None, newest.number)
        assert publishing.publish(path, draft.number, None) == []
        db.session.commit()


def published_message(app: Flask, lang: str) -> re.Pattern[str]:
    """The flash after publishing, whatever revision number it names."""
    text = say(app, lang, "Published revision %(number)d: learners see it now.", number=999)
    return re.compile(re.escape(text).replace("999", r"\d+"))


def editor_text(page: Page, app: Flask, lang: str):
    return page.get_by_label(say(app, lang, "File text"), exact=True)


def test_a_trainer_edits_previews_publishes_and_rolls_back_a_lesson(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    app, lang = live_server.app, "de"
    path = f"kam-pay/{LESSON_ID}.{lang}.md"
    original = published(app, path)
    sentence = "Dieser Satz kommt frisch aus dem Studio."
    findings: dict[str, list[dict]] = {}
    trainer_page = new_page(locale="de-DE")
    learner_page = new_page(locale="de-DE")
    try:
        log_in(trainer_page, make_trainer(app))
        trainer_page.get_by_role("link", name=say(app, lang, "Studio"), exact=True).click()
        expect(trainer_page.get_by_role("heading", level=1)).to_have_text(say(app, lang, "Studio"))
        findings["studio"] = blocking_violations(trainer_page)
        trainer_page.locator(f'a[href="/studio/files/{path}"]').click()
        expect(trainer_page.get_by_label(say(app, lang, "Reading time in minutes"))).to_have_value("7")  # form fields
        trainer_page.get_by_role("link", name=say(app, lang, "Edit the whole file as text")).click()

        text = editor_text(trainer_page, app, lang)
        expect(text).to_have_value(original)
        preview = trainer_page.locator("[data-preview-region]")
        expect(preview).to_contain_text(say(app, lang, "No problems found: this text can be published."))
        findings["editor"] = blocking_violations(trainer_page)
        broken = original.replace("minutes: 7", "minutes: lots", 1)
        text.fill(broken)
        problem = preview.locator("a[data-line]").first  # "line 5: minutes must be …", pointing into the editor
        expect(problem).to_contain_text("minutes")
        problem.click()
        expect(text).to_be_focused()
        line = int(problem.get_attribute("data-line") or 0)
        selected = text.evaluate("field => field.value.slice(field.selectionStart, field.selectionEnd)")
        assert selected == broken.split("\n")[line - 1] == "minutes: lots"
        text.fill(original.rstrip("\n") + f"\n\n{sentence}\n")
        expect(preview.locator(".lesson__body")).to_contain_text(sentence)  # the live preview, no button pressed
        trainer_page.get_by_role("button", name=say(app, lang, "Publish"), exact=True).click()
        expect(trainer_page.locator(".flash")).to_have_text(published_message(app, lang))

        register(learner_page)
        learner_page.goto(lesson_path(LESSON_ID))
        expect(learner_page.locator(".lesson__body")).to_contain_text(sentence)

        trainer_page.get_by_role("link", name=say(app, lang, "History and earlier revisions")).click()
        findings["history"] = blocking_violations(trainer_page)
        with app.app_context():
            previous = publishing.revisions(path)[1].number
        trainer_page.locator(f'form:has(input[name="number"][value="{previous}"]) button').click()
        trainer_page.get_by_role("link", name=say(app, lang, "Edit the whole file as text")).click()
        expect(editor_text(trainer_page, app, lang)).to_have_value(original)
        trainer_page.get_by_role("button", name=say(app, lang, "Publish"), exact=True).click()
        expect(trainer_page.locator(".flash")).to_have_text(published_message(app, lang))
        assert published(app, path) == original

        learner_page.reload()
        expect(learner_page.locator(".lesson__body")).not_to_contain_text(sentence)
    finally:
        republish(app, path, original)
    fail_on(findings)


def test_without_javascript_the_preview_button_shows_the_unsaved_text(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    app, lang = live_server.app, "en"
    path = f"kam-pay/{LESSON_ID}.{lang}.md"
    original = published(app, path)
    sentence = "This sentence was only previewed, never saved."
    page = new_page(locale="en-GB", javascript=False)
    log_in(page, make_trainer(app))
    with app.app_context():
        revisions_before = len(publishing.revisions(path))
    page.goto(f"/studio/files/{path}?view=text")
    expect(page.locator("[data-preview-placeholder]")).to_be_visible()
    edited = original.rstrip("\n") + f"\n\n{sentence}\n"
    editor_text(page, app, lang).fill(edited)
    page.get_by_role("button", name=say(app, lang, "Preview"), exact=True).click()
    expect(page.locator("#preview .lesson__body")).to_contain_text(sentence)
    expect(editor_text(page, app, lang)).to_have_value(edited)
    with app.app_context():
        assert len(publishing.revisions(path)) == revisions_before
    assert published(app, path) == original
