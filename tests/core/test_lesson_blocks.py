"""Figures and knowledge checks in lesson Markdown: rendering, sanitising, and line-numbered problems."""

from __future__ import annotations

import pytest

from course.core.catalog import build_catalog
from course.core.text.markdown import render_markdown

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" viewBox="0 0 400 100" onload="alert(1)">'
    "<style>rect{fill:red}</style><script>alert(1)</script>"
    '<defs><marker id="arrow"><path d="M0 0L10 5"/></marker></defs>'
    '<rect class="fig-accent" style="fill:red" width="10" height="10"/>'
    '<line marker-end="url(#arrow)" x2="5" y2="5"/><use href="#arrow"/><text x="1" y="20">Grundgehalt</text></svg>'
)
FIGURE = '![Zwei Balken: Verkäufer und Key-Account-Manager](figures/pay-mix.de.svg "Der Vergütungsmix")'
CHECK = """```check
question: Was *zählt*?
options:
  - text: Der Umsatz
    feedback: Nein, die Kundenbindung.
  - text: Die Kundenbindung
    correct: true
    feedback: Ja, genau.
```"""


def render(body: str, figures: dict[str, str] | None = None, lang: str = "de"):
    return render_markdown(body, lang, "lesson-x", {"figures/pay-mix.de.svg": SVG} if figures is None else figures)


def test_a_figure_is_inlined_as_an_accessible_svg_without_scripts_or_styles() -> None:
    html = render(f"Vorher.\n\n{FIGURE}\n\nNachher.").html
    assert '<figure class="lesson-figure" id="figure-1"><svg viewBox="0 0 400 100" role="img"' in html
    assert 'aria-labelledby="figure-1-title"' in html
    assert '<title id="figure-1-title">Zwei Balken: Verkäufer und Key-Account-Manager</title>' in html
    assert "<figcaption>Der Vergütungsmix</figcaption>" in html
    for unsafe in ("<script", "onload", "alert", "<style", "style=", 'width="400"'):
        assert unsafe not in html
    assert 'id="figure-1-arrow"' in html and 'marker-end="url(#figure-1-arrow)"' in html
    assert 'href="#figure-1-arrow"' in html
    assert html.index("Vorher") < html.index("<figure") < html.index("Nachher")


def test_two_figures_get_ids_of_their_own() -> None:
    html = render(f"{FIGURE}\n\n{FIGURE}").html
    assert 'id="figure-1-arrow"' in html and 'id="figure-2-arrow"' in html


def test_a_figure_inside_code_is_left_as_code() -> None:
    html = render(f"```\n{FIGURE}\n```").html
    assert "<figure" not in html and "figures/pay-mix.de.svg" in html


def test_without_the_files_a_preview_shows_the_text_alternative() -> None:
    html = render_markdown(FIGURE, "de", "lesson-x").html
    assert 'class="lesson-figure lesson-figure--text"' in html and "Zwei Balken" in html


@pytest.mark.parametrize(
    ("line", "figures", "message"),
    [
        ('![](figures/pay-mix.de.svg "Mix")', None, "a figure needs a text alternative"),
        ("![   ](figures/pay-mix.de.svg)", None, "a figure needs a text alternative"),
        ("![Alt](figures/other.svg)", None, "figure 'figures/other.svg' not found"),
        ("![Alt](figures/../secret.svg)", None, "name it figures/<name>.svg"),
        ("![Alt](figures/pay-mix.en.svg)", {"figures/pay-mix.en.svg": SVG}, "is the 'en' version; this lesson is 'de'"),
        ("![Alt](figures/pay-mix.de.svg)", {"figures/pay-mix.de.svg": "<html></html>"}, "outermost element"),
        ("![Alt](figures/pay-mix.de.svg)", {"figures/pay-mix.de.svg": "<svg"}, "not well-formed XML"),
        (
            "![Alt](figures/pay-mix.de.svg)",
            {"figures/pay-mix.de.svg": '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'},
            "needs a viewBox",
        ),
    ],
)
def test_a_figure_the_lesson_cannot_show_is_a_problem_on_its_line(line: str, figures, message: str) -> None:
    rendered = render(f"Text.\n\n{line}\n", figures)
    assert len(rendered.problems) == 1
    number, text = rendered.problems[0]
    assert number == 3 and message in text


def test_a_check_renders_a_form_without_its_answers() -> None:
    rendered = render(f"Text.\n\n{CHECK}\n\nMehr.")
    (check,) = rendered.checks
    assert check.id == "check-1" and check.question == "Was <em>zählt</em>?"
    assert check.answer(1).correct and check.answer(1).feedback == "Ja, genau."
    html = rendered.html
    assert '<form class="knowledge-check" id="check-1" method="post" action="lesson-x/checks/check-1">' in html
    assert '<input type="radio" name="option" value="1" id="check-1-1" required>' in html
    assert "Kurz geprüft" in html and "Antwort prüfen" in html
    assert "Ja, genau" not in html and "correct" not in html
    assert '<input type="hidden" name="lang" value="de">' in html
    assert html.index("Text.") < html.index("<form") < html.index("Mehr.")


def test_a_checks_text_is_sanitised() -> None:
    rendered = render(CHECK.replace("Was *zählt*?", "<script>alert(1)</script> Was?"))
    assert "<script" not in rendered.html and "Was?" in rendered.html


def test_checks_without_an_id_are_numbered_and_ids_must_be_unique() -> None:
    named = CHECK.replace("question:", "id: eigene\nquestion:")
    two = render(f"{CHECK}\n\n{named}")
    assert [check.id for check in two.checks] == ["check-1", "eigene"]
    clash = CHECK.replace("question:", "id: check-1\nquestion:")
    duplicate = render(f"{CHECK}\n\n{clash}")
    assert duplicate.problems == ((11, "knowledge check: duplicate id 'check-1' in this lesson"),)


@pytest.mark.parametrize(
    ("block", "line", "message"),
    [
        ("question: Was?\noptions: []", 5, "options must be a list of 2 to 6 answers"),
        ("options:\n  - text: A\n    feedback: B\n  - text: C\n    feedback: D", 4, "question must be text"),
        ("question: Was?\noptions:\n  - text: A\n    feedback: B\n  - text: C\n    feedback: D", 5, "exactly one"),
        ("question: Was?\noptions:\n  - text: A\n    correct: true\n  - text: C\n    feedback: D", 6, "needs feedback"),
        ("question: Was?\nhint: x\noptions: []", 5, "unknown field 'hint'"),
        ("question: Was?\noptions:\n  - A\n  - B", 6, "each option needs 'text:' and 'feedback:'"),
        ("question: [Was?", 4, "invalid YAML"),
        ("id: Nicht Gut\nquestion: Was?", 4, "id must be lowercase"),
    ],
)
def test_a_broken_check_is_a_problem_on_its_line(block: str, line: int, message: str) -> None:
    rendered = render(f"Text.\n\n```check\n{block}\n```\n")
    assert len(rendered.problems) == 1, rendered.problems
    assert rendered.problems[0][0] == line and message in rendered.problems[0][1]
    assert "<form" not in rendered.html


COURSE = """id: demo
source_language: de
languages: [de]
title: {de: Demo}
lessons: [eins]
"""
LESSON = """---
id: eins
lang: de
title: Eins
minutes: 3
objectives: [Etwas lernen.]
summary: Kurz.
---

## Abschnitt

{body}
"""


def test_the_catalog_refuses_a_lesson_with_a_broken_figure_naming_file_and_line() -> None:
    files = {"demo/course.yml": COURSE, "demo/eins.de.md": LESSON.format(body="![](figures/fehlt.svg)")}
    build = build_catalog(files)
    assert [str(problem) for problem in build.problems] == [
        "demo/eins.de.md:12: figure 'figures/fehlt.svg' not found: put the SVG file in the course's figures folder"
    ]


def test_the_catalog_renders_figures_from_the_course_folder_and_keeps_checks() -> None:
    body = f"{FIGURE}\n\n{CHECK}"
    files = {
        "demo/course.yml": COURSE,
        "demo/eins.de.md": LESSON.format(body=body),
        "demo/figures/pay-mix.de.svg": SVG,
    }
    build = build_catalog(files)
    assert build.problems == []
    text = build.catalog.course("demo").lesson("eins").text("de")
    assert "<figure" in text.html and text.check("check-1").answer(1).correct
