"""The trainer studio in a real browser (issue #6): a trainer edits a lesson, sees the live preview, publishes; a
learner sees the new sentence; the trainer restores the previous revision from the history and publishes it; the
learner no longer sees the sentence. And the editor without JavaScript: the Preview button keeps the unsaved text.

The live server is shared by every e2e test: whatever this test publishes is put back in a `finally`.
"""

from __future__ import annotations

import re
from uuid import uuid4

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.extensions import db
from course.models import ContentRevision
from course.publishing import operations as publishing

from .conftest import LiveServer
from .helpers import PageFactory, lesson_path, log_in, make_trainer, register, say
from .test_accessibility import blocking_violations, fail_on

LESSON_ID = "kam-mandate"


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


QUIZ = "quizzes/kam-pay/kams-are-not-salespeople-quiz.yml"
FIGURE = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 100"><text x="10" y="50">Studio</text></svg>'
QUESTION_ID = "why-commission-fits-sales"


def forget(app: Flask, paths: list[str], after: dict[str, int]) -> None:
    """Remove what the journey created: every revision of `paths`, and revisions of the `after` files newer than the
    number recorded before the test (drafts nobody took a quiz on), so the next e2e test sees the bundled course."""
    with app.app_context():
        rows = db.session.scalars(select(ContentRevision).where(ContentRevision.path.in_([*paths, *after])))
        for row in rows:
            if row.path in paths or row.number > after.get(row.path, row.number):
                db.session.delete(row)
        publishing.bump_content_version()
        db.session.commit()


def test_a_trainer_adds_a_lesson_and_edits_a_question_without_yaml(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    """The studio's forms end to end: a new lesson through "New lesson", its fields, publishing it with the course
    order, with a figure uploaded; then a quiz question through its form (a new option, now the right one), seen in
    the quiz's try-out; the matching and numeric forms pass axe too."""
    app, lang = live_server.app, "de"
    course_file = "kam-pay/course.yml"
    original_course = published(app, course_file)
    lesson_id = f"studio-journey-{uuid4().hex[:6]}"
    lesson_files = [f"kam-pay/{lesson_id}.{code}.md" for code in ("de", "en")] + [f"kam-pay/figures/{lesson_id}.svg"]
    with app.app_context():
        before = {QUIZ: publishing.newest_revision(QUIZ).number}
    findings: dict[str, list[dict]] = {}
    page = new_page(locale="de-DE")
    try:
        log_in(page, make_trainer(app))
        page.goto("/studio")
        new_lesson = page.locator("#new-lesson-kam-pay")
        title = "Title (%(language)s)"  # the course's languages by their own names
        new_lesson.get_by_label(say(app, lang, title, language="Deutsch")).fill("Probelektion aus dem Studio")
        new_lesson.get_by_label(say(app, lang, title, language="English")).fill("A trial lesson from the studio")
        new_lesson.get_by_label(say(app, lang, "Lesson id")).fill(lesson_id)
        new_lesson.get_by_role("button", name=say(app, lang, "Create lesson")).click()

        expect(page).to_have_url(re.compile(re.escape(f"/studio/files/{lesson_files[0]}") + "$"))
        expect(page.get_by_label(say(app, lang, "Title"), exact=True)).to_have_value("Probelektion aus dem Studio")
        findings["new lesson"] = blocking_violations(page)
        page.get_by_label(say(app, lang, "Reading time in minutes")).fill("4")
        page.get_by_label(say(app, lang, "Summary")).fill("Eine kurze Lektion, im Studio ohne YAML geschrieben.")
        page.get_by_label(say(app, lang, "Learning objectives")).fill("Sie können das Studio bedienen.")
        page.get_by_role("button", name=say(app, lang, "Save draft")).click()
        expect(page.locator(".flash")).to_contain_text(say(app, lang, "Draft saved (revision %(number)d).", number=2))
        expect(page.get_by_label(say(app, lang, "Reading time in minutes"))).to_have_value("4")
        figures = page.locator("#figures")  # a figure, uploaded as a file: the page names the line to insert
        figures.get_by_label(say(app, lang, "File name")).fill(lesson_id)
        figures.get_by_label(say(app, lang, "SVG file")).set_input_files(
            files=[{"name": "drawing.svg", "mimeType": "image/svg+xml", "buffer": FIGURE}]
        )
        figures.get_by_role("button", name=say(app, lang, "Upload figure")).click()
        expect(page.locator(".flash")).to_contain_text(f"](figures/{lesson_id}.svg")
        page.get_by_role("button", name=say(app, lang, "Publish the lesson in the course")).click()
        expect(page.locator(".flash")).to_have_text(
            say(app, lang, "Published: learners find the lesson in the course now.")
        )
        page.goto(lesson_path(lesson_id))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Probelektion aus dem Studio")
        expect(page.locator("main")).to_contain_text("Sie können das Studio bedienen.")  # the objective

        page.goto("/studio")
        page.locator(f'a[href="/studio/files/{QUIZ}/questions"]').click()
        findings["questions"] = blocking_violations(page)
        page.get_by_role("link", name=f"{say(app, lang, 'Edit')} {QUESTION_ID}").click()
        page.get_by_role("button", name=say(app, lang, "Add a row")).click()
        rows = page.locator("#options > fieldset.studio-row")
        expect(rows).to_have_count(5)
        rows.nth(4).locator('textarea[name$="text_de"]').fill("Eine Antwort, die der Trainer gerade ergänzt hat.")
        rows.nth(4).locator('textarea[name$="text_en"]').fill("An answer the trainer has just added.")
        rows.nth(0).get_by_label(say(app, lang, "Correct answer")).uncheck()
        rows.nth(4).get_by_label(say(app, lang, "Correct answer")).check()
        findings["question form"] = blocking_violations(page)
        page.get_by_role("button", name=say(app, lang, "Save question")).click()
        expect(page.locator(".flash")).to_contain_text(re.compile(r"\d+"))
        expect(page.locator(f"#question-{QUESTION_ID}")).to_be_visible()
        with app.app_context():
            saved = publishing.newest_revision(QUIZ).source
        assert "An answer the trainer has just added." in saved
        page.goto(f"/studio/files/{QUIZ}/try")
        expect(page.get_by_text("Eine Antwort, die der Trainer gerade ergänzt hat.")).to_be_visible()

        page.goto(f"/studio/files/{QUIZ}/questions/salesperson-or-kam")  # matching: prompts with their answers
        expect(page.locator("#pairs > fieldset.studio-row").first).to_be_visible()
        findings["matching form"] = blocking_violations(page)
        page.goto("/studio/files/quizzes/kam-pay/designing-a-kam-bonus-plan-quiz.yml/questions/example-plan-total-pay")
        expect(page.locator("#answers > fieldset.studio-row")).to_have_count(3)  # numeric: several answers
        findings["numeric form"] = blocking_violations(page)
    finally:
        forget(app, lesson_files, before)
        republish(app, course_file, original_course)
    fail_on(findings)
