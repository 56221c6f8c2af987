"""The pure content pipeline: parse, validate with file and line, render and sanitise once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core.catalog import build_catalog
from course.core.errors import NotFound
from course.core.text.markdown import sanitize_html
from course.core.text.slug import ID_PATTERN, slugify

COURSE_YML = """\
id: demo
source_language: de
languages: [de, en]
title:
  de: Demokurs
  en: Demo course
description:
  de: Ein Kurs.
  en: A course.
lessons:
  - first
  - second
completion:
  lessons: all
"""


def lesson(slug: str, language: str, body: str = "## Start\n\nText.\n", **front: str | None) -> str:
    fields = {
        "id": slug,
        "lang": language,
        "title": f"{slug} ({language})",
        "minutes": "5",
        "objectives": "\n  - Something to learn.",
        "summary": "What we learned.",
        **front,
    }
    head = "\n".join(f"{key}: {value}" for key, value in fields.items() if value is not None)
    return f"---\n{head}\n---\n\n{body}"


def course_files(**overrides: str | None) -> dict[str, str]:
    files: dict[str, str | None] = {
        "demo/course.yml": COURSE_YML,
        "demo/first.de.md": lesson("first", "de"),
        "demo/first.en.md": lesson("first", "en"),
        "demo/second.de.md": lesson("second", "de"),
        "demo/second.en.md": lesson("second", "en"),
    }
    files.update(overrides)
    return {path: text for path, text in files.items() if text is not None}


def messages(files: dict[str, str]) -> list[str]:
    return [str(problem) for problem in build_catalog(files).problems]


def test_valid_course_builds_in_order_with_both_languages() -> None:
    build = build_catalog(course_files())
    assert build.problems == []
    course = build.catalog.course("demo")
    assert course.lesson_ids == ("first", "second")
    assert course.title("en") == "Demo course"
    first = course.lesson("first")
    assert first.number == 1
    assert first.text("en").title == "first (en)"
    assert first.text("de").objectives == ("Something to learn.",)
    assert course.neighbours("first") == (None, course.lesson("second"))


def test_unknown_course_or_lesson_raises_not_found() -> None:
    catalog = build_catalog(course_files()).catalog
    with pytest.raises(NotFound):
        catalog.course("nope")
    with pytest.raises(NotFound):
        catalog.course("demo").lesson("nope")


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("demo/first.de.md", "no front matter\n", "demo/first.de.md:1: missing front matter"),
        ("demo/first.de.md", "---\nid: first\n", "demo/first.de.md:1: front matter is never closed"),
        ("demo/first.de.md", lesson("first", "de", title="[unclosed"), "demo/first.de.md:4: invalid YAML"),
        ("demo/first.de.md", lesson("first", "de", colour="blue"), "demo/first.de.md:9: unknown field 'colour'"),
        (
            "demo/first.de.md",
            lesson("first", "de", summary=None),
            "demo/first.de.md:2: missing required field 'summary'",
        ),
        (
            "demo/first.de.md",
            lesson("first", "de", minutes="many"),
            "demo/first.de.md:5: minutes must be a whole number",
        ),
        (
            "demo/first.de.md",
            lesson("first", "de", lang="en"),
            "demo/first.de.md:3: lang 'en' does not match the file name",
        ),
        ("demo/first.de.md", lesson("second", "de"), "demo/first.de.md:2: id 'second' does not match the file name"),
        ("demo/first.de.md", lesson("first", "de", objectives="[]"), "demo/first.de.md:6: objectives must be a list"),
        ("demo/first.de.md", lesson("first", "de", quiz="Not An Id"), "demo/first.de.md:9: quiz must be a quiz id"),
        ("demo/first.de.md", lesson("first", "de", body="# Big\n"), "demo/first.de.md:11: use '##' for sections"),
        (
            "demo/first.de.md",
            lesson("first", "de", body='## A\n\n!!! danger "Boom"\n    text\n'),
            "demo/first.de.md:13: unknown callout type 'danger'",
        ),
        (
            "demo/first.de.md",
            lesson("first", "de", body="## A\n\n!!!\n"),
            "demo/first.de.md:13: malformed callout",
        ),
        (
            "demo/first.de.md",
            lesson("first", "de", body="## Same\n\n## Same\n"),
            "demo/first.de.md:13: duplicate heading anchor '#same' (first on line 11)",
        ),
        (
            "demo/first.de.md",
            lesson("first", "de", body="## A\n\nSee [it](lesson:missing).\n"),
            "demo/first.de.md:13: broken link: there is no lesson 'missing' in this course",
        ),
        (
            "demo/first.de.md",
            lesson("first", "de", body="## A\n\nSee [it](lesson:second#nowhere).\n"),
            "demo/first.de.md:13: broken link: lesson 'second' (de) has no section '#nowhere'",
        ),
        (
            "demo/first.de.md",
            lesson("first", "de", body="## A\n\nSee [here](#nowhere).\n"),
            "demo/first.de.md:13: broken link: lesson 'first' (de) has no section '#nowhere'",
        ),
        (
            "demo/first.de.md",
            lesson("first", "de", body="## A\n\nClaim.[^1]\n"),
            "demo/first.de.md:13: footnote [^1] is used but never defined",
        ),
        (
            "demo/first.de.md",
            lesson("first", "de", body="## A\n\n```\nunclosed\n"),
            "demo/first.de.md:13: this fenced code block is never closed",
        ),
        ("demo/first.en.md", None, "demo/first.de.md:2: missing translation: lesson 'first' has no 'en' text"),
        ("demo/extra.de.md", lesson("extra", "de"), "demo/extra.de.md:2: lesson 'extra' is not listed under 'lessons'"),
        ("demo/notes.md", "---\n---\n", "demo/notes.md: lesson file names must look like"),
        (
            "demo/course.yml",
            COURSE_YML.replace("id: demo", "id: other"),
            "demo/course.yml:1: id 'other' must match the folder",
        ),
        (
            "demo/course.yml",
            COURSE_YML.replace("  en: Demo course\n", ""),
            "demo/course.yml:4: missing translation: title has no 'en' text",
        ),
        (
            "demo/course.yml",
            COURSE_YML.replace("  - second\n", "  - second\n  - first\n"),
            "demo/course.yml:13: duplicate lesson id 'first'",
        ),
        ("demo/course.yml", COURSE_YML + "colour: blue\n", "demo/course.yml:15: unknown field 'colour'"),
        (
            "demo/course.yml",
            COURSE_YML.replace("lessons: all", "lessons: some"),
            "demo/course.yml:13: completion.lessons must be 'all'",
        ),
        ("demo/course.yml", COURSE_YML + "id: again\n", "demo/course.yml:15: duplicate key 'id' (first on line 1)"),
        *[
            (
                "demo/course.yml",
                COURSE_YML + f"  sandbox: {value}\n",
                "demo/course.yml:13: completion.sandbox must be a whole score from 1 to 100",
            )
            for value in ("0", "101", "70.5", "high", "true")
        ],
    ],
)
def test_every_problem_names_file_and_line(path: str, text: str | None, expected: str) -> None:
    found = messages(course_files(**{path: text}))
    assert any(message.startswith(expected) for message in found), found


def test_a_sandbox_score_can_complete_the_course() -> None:
    build = build_catalog(course_files(**{"demo/course.yml": COURSE_YML + "  sandbox: 70\n"}))
    assert not build.problems
    assert build.catalog.course("demo").completion.sandbox == 70


def test_duplicate_yaml_keys_are_reported_not_silently_overwritten() -> None:
    text = lesson("first", "de").replace("minutes: 5", "minutes: 5\nminutes: 6")
    assert any("duplicate key 'minutes'" in m for m in messages(course_files(**{"demo/first.de.md": text})))


def test_broken_file_is_left_out_but_the_rest_still_builds() -> None:
    build = build_catalog(course_files(**{"demo/second.en.md": "garbage"}))
    assert build.refused == {"demo/second.en.md"}
    course = build.catalog.course("demo")
    assert course.lesson("second").text("en").lang == "de"  # falls back to the source language
    assert course.lesson("first").text("en").lang == "en"


def test_missing_course_file_is_reported() -> None:
    files = course_files(**{"demo/course.yml": None})
    assert messages(files) == ["demo/course.yml: missing: every course folder needs a course.yml"]


def test_markdown_features_render_once_into_html() -> None:
    body = (
        "## Größe zählt\n\nText[^1] and a [link](lesson:second#start) and [self](#grosse-zahlt).\n\n"
        "| Plan | Bonus |\n|:--|--:|\n| A | 15 000 € |\n\n"
        '!!! tip "Tipp"\n    Invite the customer.\n\n### Details\n\n```\ncode\n```\n\n[^1]: A source.\n'
    ).replace("#grosse-zahlt", "#groesse-zaehlt")
    build = build_catalog(course_files(**{"demo/first.de.md": lesson("first", "de", body=body)}))
    assert build.problems == []
    text = build.catalog.course("demo").lesson("first").text("de")
    assert '<h2 id="groesse-zaehlt">' in text.html
    assert '<a href="second#start">link</a>' in text.html
    assert '<a href="#groesse-zaehlt">self</a>' in text.html
    assert '<td align="right">15 000 €</td>' in text.html
    assert '<div class="table-scroll" role="region" tabindex="0" aria-label="Tabelle 1"><table>' in text.html
    assert '<div class="admonition tip">' in text.html
    assert 'class="footnote-ref"' in text.html and 'id="fn:1"' in text.html
    assert "<pre><code>code" in text.html
    assert [(e.level, e.anchor, e.title) for e in text.toc] == [
        (2, "groesse-zaehlt", "Größe zählt"),
        (3, "details", "Details"),
    ]


XSS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<form action='https://evil.example'><input name=password></form>",
]


@pytest.mark.parametrize("attack", XSS)
def test_trainer_markdown_cannot_inject_script(attack: str) -> None:
    body = f"## A\n\n{attack}\n"
    build = build_catalog(course_files(**{"demo/first.de.md": lesson("first", "de", body=body)}))
    html = build.catalog.course("demo").lesson("first").text("de").html.lower()
    for marker in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<svg", "style=", "<form", "<input"):
        assert marker not in html


def test_sanitiser_keeps_the_markup_lessons_need() -> None:
    html = (
        '<div class="admonition tip"><p class="admonition-title">T</p></div>'
        '<table><tbody><tr><td align="right">1</td></tr></tbody></table>'
        '<p><sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup></p>'
    )
    assert sanitize_html(html) == html


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Die vier Fragen des Auftrags", "die-vier-fragen-des-auftrags"),
        ("Größe & Maß", "groesse-mass"),
        ("Übersicht: Boni für KAMs", "uebersicht-boni-fuer-kams"),
        ("Café — naïve", "cafe-naive"),
        ("  --Hello,  World!--  ", "hello-world"),
    ],
)
def test_slugs_spell_out_umlauts(heading: str, slug: str) -> None:
    assert slugify(heading) == slug


@given(st.text())
def test_slug_is_always_a_url_safe_anchor(heading: str) -> None:
    slug = slugify(heading)
    assert slug == "" or ID_PATTERN.match(slug)
    assert slugify(slug) == slug


# --- the sandbox key -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", False),  # nothing declared, nothing required: no sandbox
        ("sandbox: true\n", True),
        ("sandbox: false\n", False),
        ("  sandbox: 70\n", True),  # a completion rule asking for a sandbox score brings the sandbox
    ],
)
def test_a_course_has_the_sandbox_only_when_it_declares_or_requires_it(extra: str, expected: bool) -> None:
    build = build_catalog(course_files(**{"demo/course.yml": COURSE_YML + extra}))
    assert build.problems == []
    assert build.catalog.course("demo").sandbox is expected


def test_the_sandbox_pages_of_a_course_without_one_do_not_exist() -> None:
    catalog = build_catalog(course_files()).catalog
    with pytest.raises(NotFound):
        catalog.sandbox_course("demo")
    declared = build_catalog(course_files(**{"demo/course.yml": COURSE_YML + "sandbox: true\n"})).catalog
    assert declared.sandbox_course("demo").id == "demo"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("sandbox: yes please\n", "sandbox must be true or false"),
        ("sandbox: 1\n", "sandbox must be true or false"),
        ("  sandbox: 70\nsandbox: false\n", "completion.sandbox asks for a sandbox score, so sandbox cannot be false"),
    ],
)
def test_a_bad_sandbox_key_is_refused_with_its_line(extra: str, message: str) -> None:
    found = messages(course_files(**{"demo/course.yml": COURSE_YML + extra}))
    assert len(found) == 1
    assert message in found[0]
    assert "demo/course.yml" in found[0]
