"""Knowledge checks inside a lesson: one question, instant feedback, not graded, nothing stored.

A trainer writes a fenced block with YAML in the lesson:

    ```check
    question: Why …?
    options:
      - text: Because …
        feedback: Not quite: …
      - text: Because …
        correct: true
        feedback: Yes: …
    ```

The page shows the question and the options as a small form; which option is right and the feedback stay on
the server (as for quizzes) and come back only once the learner has answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from course.core.text.slug import ID_PATTERN
from course.core.text.yamldoc import YamlProblem, parse_mapping

CHECK_FENCE = "check"
MIN_OPTIONS, MAX_OPTIONS = 2, 6
MAX_CHECK_TEXT = 1000
# Stands for the visitor's CSRF token in the rendered lesson; the lesson page puts the token in its place.
CSRF_PLACEHOLDER = "@@csrf_token@@"

_KEYS = {"id", "question", "options"}
_OPTION_KEYS = {"text", "feedback", "correct"}
# The lesson's HTML is rendered once per text, here in the core (no Babel), and must read in the lesson's language
# even where the interface is in another: the form's two words come with the content.
_LEGEND = {"de": "Kurz geprüft", "en": "Quick check"}
_SUBMIT = {"de": "Antwort prüfen", "en": "Check my answer"}


class CheckProblem(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class CheckOption:
    text: str  # sanitised HTML
    correct: bool
    feedback: str  # sanitised HTML, never in the lesson page


@dataclass(frozen=True)
class KnowledgeCheck:
    id: str
    question: str  # sanitised HTML
    options: tuple[CheckOption, ...]

    def answer(self, index: int) -> CheckOption:
        """The option the learner chose; IndexError for an index the form never offered."""
        if not 0 <= index < len(self.options):
            raise IndexError(index)
        return self.options[index]


def parse_check(source: str, first_line: int, number: int, render_text: Callable[[str], str]) -> KnowledgeCheck:
    """Parse one ```check block (its YAML starts on file line `first_line`); `number` names it if it has no id."""
    try:
        doc = parse_mapping(source, first_line)
    except YamlProblem as problem:
        raise CheckProblem(problem.line or first_line, f"knowledge check: {problem.message}") from None
    data = doc.data
    for key in data:
        if key not in _KEYS:
            raise CheckProblem(
                doc.line(key), f"knowledge check: unknown field {key!r} (allowed: id, question, options)"
            )
    check_id = data.get("id", f"check-{number}")
    if not isinstance(check_id, str) or not ID_PATTERN.match(check_id):
        raise CheckProblem(doc.line("id"), "knowledge check: id must be lowercase letters, digits and hyphens")
    question = _text(data.get("question"))
    if question is None:
        raise CheckProblem(
            doc.line("question"), f"knowledge check: question must be text of 1 to {MAX_CHECK_TEXT} characters"
        )
    options = data.get("options")
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise CheckProblem(
            doc.line("options"),
            f"knowledge check: options must be a list of {MIN_OPTIONS} to {MAX_OPTIONS} answers, "
            "each with text and feedback",
        )
    parsed = [_option(option, doc.item_line("options", index), render_text) for index, option in enumerate(options)]
    if sum(option.correct for option in parsed) != 1:
        raise CheckProblem(doc.line("options"), "knowledge check: mark exactly one option with 'correct: true'")
    return KnowledgeCheck(id=check_id, question=render_text(question), options=tuple(parsed))


def _option(value: object, line: int, render_text: Callable[[str], str]) -> CheckOption:
    if not isinstance(value, dict):
        raise CheckProblem(line, "knowledge check: each option needs 'text:' and 'feedback:'")
    for key in value:
        if key not in _OPTION_KEYS:
            raise CheckProblem(
                line, f"knowledge check: unknown option field {key!r} (allowed: text, feedback, correct)"
            )
    text, feedback = _text(value.get("text")), _text(value.get("feedback"))
    if text is None:
        raise CheckProblem(line, f"knowledge check: option text must be 1 to {MAX_CHECK_TEXT} characters")
    if feedback is None:
        raise CheckProblem(line, "knowledge check: every option needs feedback that explains why it is right or wrong")
    correct = value.get("correct", False)
    if not isinstance(correct, bool):
        raise CheckProblem(line, "knowledge check: correct must be true or false")
    return CheckOption(text=render_text(text), correct=correct, feedback=render_text(feedback))


def _text(value: object) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()
        if text and len(text) <= MAX_CHECK_TEXT:
            return text
    return None


def check_form(check: KnowledgeCheck, lang: str, lesson_id: str) -> str:
    """The check as a form without its answers. The action is relative to the lesson page, like lesson links,
    so it works under any URL prefix."""
    form_id = escape(check.id)
    options = "".join(
        f'<li><input type="radio" name="option" value="{index}" id="{form_id}-{index}" required>'
        f' <label for="{form_id}-{index}">{option.text}</label></li>'
        for index, option in enumerate(check.options)
    )
    return (
        f'<form class="knowledge-check" id="{form_id}" method="post" '
        f'action="{escape(lesson_id)}/checks/{form_id}">'
        f'<fieldset><legend><span class="knowledge-check__label">{_LEGEND.get(lang, "Quick check")}</span> '
        f"{check.question}</legend>"
        f'<input type="hidden" name="csrf_token" value="{CSRF_PLACEHOLDER}">'
        f'<input type="hidden" name="lang" value="{escape(lang)}">'
        f'<ul class="knowledge-check__options">{options}</ul>'
        f'<button type="submit" class="button button--secondary">{_SUBMIT.get(lang, "Check my answer")}</button>'
        f'<div class="knowledge-check__feedback" role="status" aria-live="polite"></div>'
        f"</fieldset></form>"
    )
