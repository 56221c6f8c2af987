"""The studio's pure parts: editable paths, line diffs, file states and translation warnings, new-file starters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from course.core.authoring.diff import diff_counts, line_diff
from course.core.authoring.paths import parse_path
from course.core.authoring.preview import lesson_preview
from course.core.authoring.starters import new_lesson, new_quiz
from course.core.authoring.states import RevisionInfo, course_overview, file_states, translation_warnings
from course.core.catalog import build_catalog
from course.core.quiz import parse_quiz

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("kam-pay/course.yml", "course"),
        ("kam-pay/kam-mandate.de.md", "lesson"),
        ("kam-pay/kam-mandate.en.md", "lesson"),
        ("quizzes/kam-pay/kam-mandate-quiz.yml", "quiz"),
    ],
)
def test_the_three_content_path_shapes_are_editable(path: str, kind: str) -> None:
    parsed = parse_path(path)
    assert parsed is not None and parsed.kind == kind and parsed.course_id == "kam-pay"


@pytest.mark.parametrize(
    "path",
    [
        "",
        "../etc/passwd",
        "kam-pay/../../etc/passwd",
        "kam-pay/../kam-pay/course.yml",
        "/kam-pay/course.yml",
        "kam-pay/sub/lesson.de.md",
        "kam-pay/lesson.fr.md",
        "kam-pay/Lesson.de.md",
        "kam-pay/lesson.de.markdown",
        "kam-pay/README.md",
        "quizzes/kam-pay/sub/quiz.yml",
        "quizzes/quiz.yml",
        "kam-pay/course.yml/x",
        "kam-pay/lesson%2e.de.md",
        "kam-pay/ümlaut.de.md",
        "kam-pay/" + "a" * 300 + ".de.md",
        "kam-pay\\course.yml",
        "kam-pay/course.yml\n",
        "quizzes/kam-pay/quiz.yml\n",
        "kam-pay/lesson.de.md\n",
    ],
)
def test_any_other_path_is_refused(path: str) -> None:
    assert parse_path(path) is None


def test_a_diff_lists_removed_and_added_lines_with_their_numbers() -> None:
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten") + "\nline 21"
    rows = line_diff(old, new)
    assert diff_counts(rows) == (1, 2)
    changed = [(row.kind, row.old_line, row.new_line, row.text) for row in rows if row.kind in {"added", "removed"}]
    assert changed == [
        ("removed", 10, None, "line 10"),
        ("added", None, 10, "line ten"),
        ("added", None, 21, "line 21"),
    ]
    assert rows[0].kind == "gap"  # lines 1-6 are far from any change
    assert any(row.kind == "same" and row.old_line == 9 for row in rows)  # context around the change


def test_equal_texts_have_no_diff() -> None:
    assert line_diff("a\nb\n", "a\nb\n") == []
    assert line_diff("", "") == []


def info(path: str, number: int, status: str, minutes: int) -> RevisionInfo:
    return RevisionInfo(path, number, status, T0 + timedelta(minutes=minutes))


def test_file_states_tell_published_draft_and_new_apart() -> None:
    states = file_states(
        [
            info("a", 1, "archived", 0),
            info("a", 2, "published", 1),
            info("b", 1, "published", 0),
            info("b", 2, "draft", 5),
            info("c", 1, "draft", 0),
        ]
    )
    assert {path: state.state for path, state in states.items()} == {"a": "published", "b": "draft", "c": "new"}


def test_a_translation_saved_before_the_source_was_published_is_outdated() -> None:
    states = file_states(
        [
            info("x.de.md", 1, "archived", 0),
            info("x.en.md", 1, "published", 1),
            info("x.de.md", 2, "published", 10),  # the source changed and went live after the translation
        ]
    )
    by_lang = {"de": states["x.de.md"], "en": states["x.en.md"]}
    assert translation_warnings(by_lang, "de") == {"en": "outdated"}


def test_touching_the_translation_after_the_source_clears_the_warning() -> None:
    states = file_states(
        [info("x.de.md", 2, "published", 10), info("x.en.md", 1, "published", 1), info("x.en.md", 2, "draft", 11)]
    )
    assert translation_warnings({"de": states["x.de.md"], "en": states["x.en.md"]}, "de") == {}


def test_an_unpublished_source_draft_does_not_flag_the_translation() -> None:
    states = file_states(
        [info("x.de.md", 1, "published", 0), info("x.en.md", 1, "published", 1), info("x.de.md", 2, "draft", 10)]
    )
    assert translation_warnings({"de": states["x.de.md"], "en": states["x.en.md"]}, "de") == {}


def test_a_missing_translation_is_flagged_and_the_source_never_is() -> None:
    states = file_states([info("x.en.md", 1, "draft", 0)])
    from course.core.authoring.states import missing

    by_lang = {"de": missing("x.de.md"), "en": states["x.en.md"]}
    assert translation_warnings(by_lang, "de") == {}  # no source text: nothing to translate from
    by_lang = {"de": states["x.en.md"], "en": missing("x.en.md")}
    assert translation_warnings(by_lang, "de") == {"en": "missing"}


def test_the_overview_lists_course_lessons_in_order_then_unlisted_files_and_quizzes() -> None:
    states = file_states(
        [
            info("c/course.yml", 1, "published", 0),
            info("c/b.de.md", 1, "published", 0),
            info("c/a.de.md", 1, "published", 0),
            info("c/a.en.md", 1, "published", 1),
            info("c/extra.de.md", 1, "draft", 2),
            info("quizzes/c/q.yml", 1, "published", 0),
            info("other/z.de.md", 1, "published", 0),
        ]
    )
    overview = course_overview("c", ("de", "en"), "de", ("b", "a"), states)
    assert [(row.lesson_id, row.listed) for row in overview.lessons] == [("b", True), ("a", True), ("extra", False)]
    assert overview.lessons[0].warnings == {"en": "missing"}
    assert overview.lessons[0].files["en"].state == "missing"
    assert [row.quiz_id for row in overview.quizzes] == ["q"]
    assert overview.course_file.state == "published"


def test_a_new_lesson_file_is_valid_once_listed_and_translated() -> None:
    course = "id: c\nsource_language: de\nlanguages: [de, en]\ntitle: {de: T, en: T}\nlessons:\n  - fresh-start\n"
    files = {
        "c/course.yml": course,
        "c/fresh-start.de.md": new_lesson("fresh-start", "de"),
        "c/fresh-start.en.md": new_lesson("fresh-start", "en"),
    }
    assert build_catalog(files).problems == []


def test_a_new_quiz_file_parses() -> None:
    quiz, problems = parse_quiz("quizzes/c/first-quiz.yml", new_quiz("first-quiz", "intro"), "c", ("de", "en"))
    assert problems == [] and quiz is not None and len(quiz.questions) == 1


def test_a_lesson_preview_survives_broken_front_matter() -> None:
    assert lesson_preview("no front matter\n\n**bold**", "x", "en").html.count("<strong>bold</strong>") == 1
    preview = lesson_preview('---\ntitle: "Hi"\nid: [\n---\n\nText', "x", "en")
    assert preview.title == "" and "Text" in preview.html
    assert lesson_preview('---\ntitle: "Hi"\n---\n\nText', "x", "en").title == "Hi"
