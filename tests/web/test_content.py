"""The bundled course: valid, complete in both languages, and teaching every fact it must teach."""

from __future__ import annotations

import re

import pytest

from course.core.catalog import build_catalog
from course.publishing.operations import read_course_files
from tests.conftest import CONTENT_DIR, QUIZ_DIR


@pytest.fixture(scope="module")
def build():
    files, problems = read_course_files(CONTENT_DIR, QUIZ_DIR)
    assert problems == []
    return build_catalog(files)


def test_bundled_content_has_no_problems(build) -> None:
    assert [str(p) for p in build.problems] == []


def test_course_has_at_least_six_lessons_in_german_and_english(build) -> None:
    course = build.catalog.course("kam-pay")
    assert course.source_language == "de"
    assert len(course.lessons) >= 6
    for lesson in course.lessons:
        assert set(lesson.texts) == {"de", "en"}, lesson.id
        for text in lesson.texts.values():
            assert 2 <= len(text.objectives) <= 4, text.path
            assert len(text.summary) > 80, text.path
            assert len(re.sub(r"<[^>]+>", " ", text.html).split()) >= 400, text.path


def test_translations_keep_the_same_structure(build) -> None:
    for lesson in build.catalog.course("kam-pay").lessons:
        german, english = lesson.texts["de"], lesson.texts["en"]
        assert [e.level for e in german.toc] == [e.level for e in english.toc], lesson.id
        for marker in ("<table", "admonition", "footnote-ref"):
            assert german.html.count(marker) == english.html.count(marker), (lesson.id, marker)


def _course_text(build, lang: str) -> str:
    course = build.catalog.course("kam-pay")
    return " ".join(
        re.sub(r"<[^>]+>", " ", lesson.texts[lang].html) + " " + lesson.texts[lang].summary for lesson in course.lessons
    ).lower()


# Each fact the course must teach (docs/content-authoring.md), as phrases that must appear in the course, per
# language.
FACTS = {
    "de": [
        ["provision", "verkäufer"],
        ["kundenbindung", "jahresende", "grundgehalt"],
        [
            "wer ist der ansprechpartner",
            "was wollen wir erreichen",
            "wie stellen wir den erfolg sicher",
            "unterstützung",
        ],
        ["indirekt", "selbstständig", "hinter ihnen steht"],
        ["hinter den kulissen", "kundenfeedback", "meeting"],
    ],
    "en": [
        ["commission", "salespeople"],
        ["retention", "year-end", "base salary"],
        ["who is the contact", "what do we want to achieve", "how do we ensure success", "support"],
        ["indirect", "autonom", "stands behind them"],
        ["behind the scenes", "customer feedback", "meeting"],
    ],
}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_course_teaches_every_fact_of_the_seed(build, lang: str) -> None:
    text = _course_text(build, lang)
    missing = [phrase for fact in FACTS[lang] for phrase in fact if phrase not in text]
    assert missing == []
