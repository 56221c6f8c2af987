"""Drafts, publishing and history of content files (the studio's storage, issue #6): every save is a new
revision, a stale editor is refused, publishing validates like `course check` and keeps the last good version."""

from __future__ import annotations

import pytest
from flask import Flask

from course.extensions import db
from course.publishing import operations as publishing
from course.publishing.cache import catalog

LESSON = "kam-pay/kam-mandate.en.md"


@pytest.fixture
def published(app: Flask) -> Flask:
    with app.test_request_context():
        catalog()  # the first request imports the bundled course
    return app


def newest_number(path: str) -> int:
    newest = publishing.newest_revision(path)
    assert newest is not None
    return newest.number


def test_saving_makes_numbered_drafts_and_learners_keep_the_published_text(published: Flask) -> None:
    with published.test_request_context():
        base = newest_number(LESSON)
        source = publishing.published_files()[LESSON]
        draft = publishing.save_draft(LESSON, source.replace("mandate", "Mandate", 1), None, base)
        db.session.commit()
        assert (draft.number, draft.status) == (base + 1, "draft")
        assert publishing.save_draft(LESSON, draft.source, None, draft.number).id == draft.id  # nothing new
        assert publishing.published_files()[LESSON] == source
        assert [r.number for r in publishing.revisions(LESSON)] == [base + 1, base]


def test_a_save_from_a_stale_base_is_a_conflict(published: Flask) -> None:
    with published.test_request_context():
        base = newest_number(LESSON)
        source = publishing.published_files()[LESSON]
        publishing.save_draft(LESSON, source + "\nOne.\n", None, base)
        db.session.commit()
        with pytest.raises(publishing.ConflictError) as raised:
            publishing.save_draft(LESSON, source + "\nTwo.\n", None, base)
        assert raised.value.newest is not None and raised.value.newest.number == base + 1
        with pytest.raises(publishing.ConflictError):
            publishing.save_draft("kam-pay/new-lesson.en.md", "text", None, 3)  # no such file yet


def test_publishing_refuses_a_broken_file_with_line_numbers_and_keeps_the_old_one(published: Flask) -> None:
    with published.test_request_context():
        before = catalog().version
        source = publishing.published_files()[LESSON]
        broken = source.replace("title:", "title: [unclosed", 1)
        draft = publishing.save_draft(LESSON, broken, None, newest_number(LESSON))
        problems = publishing.publish(LESSON, draft.number, None)
        db.session.commit()
        assert problems and all(problem.path == LESSON for problem in problems)
        assert any(problem.line for problem in problems)
        assert publishing.published_files()[LESSON] == source
        assert catalog().version == before


def test_publishing_the_newest_draft_archives_the_old_one_and_reloads(published: Flask) -> None:
    with published.test_request_context():
        before = catalog().version
        old = publishing.newest_revision(LESSON)
        changed = old.source.rstrip("\n") + "\n\nA new closing sentence.\n"
        draft = publishing.save_draft(LESSON, changed, None, old.number)
        assert publishing.publish(LESSON, draft.number, None) == []
        db.session.commit()
        assert publishing.published_files()[LESSON] == changed
        assert {r.number: r.status for r in publishing.revisions(LESSON)} == {
            draft.number: "published",
            old.number: "archived",
        }
        assert catalog().version > before
        # Restoring the old text is a new draft on top, never a rewrite of history.
        restored = publishing.restore(LESSON, old.number, None, draft.number)
        assert restored.number == draft.number + 1 and restored.source == old.source
        with pytest.raises(publishing.ConflictError):
            publishing.publish(LESSON, draft.number, None)  # no longer the newest


def test_an_import_of_the_exported_files_adds_no_revision(published: Flask, tmp_path) -> None:
    with published.test_request_context():
        publishing.export_files(tmp_path)
        files, problems = publishing.read_course_files(tmp_path, None)
        report = publishing.import_files(files, problems)
        assert report.created == [] and not report.problems
        assert sorted(report.unchanged) == sorted(publishing.published_files())


def test_publishing_course_yml_takes_the_new_lessons_it_lists_along(published: Flask) -> None:
    from course.core.authoring.starters import new_lesson

    course_path = "kam-pay/course.yml"
    with published.test_request_context():
        for lang in ("de", "en"):
            draft = publishing.save_draft(f"kam-pay/fresh-start.{lang}.md", new_lesson("fresh-start", lang), None, None)
            problems = publishing.publish(draft.path, draft.number, None)
            assert [p.message for p in problems if p.path == draft.path][0].startswith(
                "lesson 'fresh-start' is not listed"
            )
        old = publishing.newest_revision(course_path)
        listing = old.source.replace("  - kam-mandate\n", "  - kam-mandate\n  - fresh-start\n")
        course_draft = publishing.save_draft(course_path, listing, None, old.number)
        assert publishing.publish_problems(course_path, listing) == []
        assert publishing.publish(course_path, course_draft.number, None) == []
        db.session.commit()
        files = publishing.published_files()
        assert files["kam-pay/fresh-start.de.md"] == new_lesson("fresh-start", "de")
        assert files["kam-pay/fresh-start.en.md"] == new_lesson("fresh-start", "en")
        assert "fresh-start" in catalog().course("kam-pay").lesson_ids


def test_a_course_yml_listing_a_lesson_without_every_translation_is_refused_and_publishes_nothing(
    published: Flask,
) -> None:
    from course.core.authoring.starters import new_lesson

    course_path = "kam-pay/course.yml"
    with published.test_request_context():
        publishing.save_draft("kam-pay/half-done.de.md", new_lesson("half-done", "de"), None, None)
        old = publishing.newest_revision(course_path)
        listing = old.source.replace("  - kam-mandate\n", "  - kam-mandate\n  - half-done\n")
        draft = publishing.save_draft(course_path, listing, None, old.number)
        problems = publishing.publish(course_path, draft.number, None)
        assert any("missing translation" in p.message for p in problems)
        assert "kam-pay/half-done.de.md" not in publishing.published_files()
        assert publishing.published_files()[course_path] == old.source
