"""Our quiz file → GIFT, for Moodle: each question type we share with GIFT, in one language.

Export works from the quiz file's YAML source (texts as the author wrote them, Markdown included), after
the file has been validated with `parse_quiz`; what GIFT cannot say is skipped or noted, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from course.core.quiz.gift.syntax import FORMATS, WEIGHT, GiftError, Skip, escape, format_percent
from course.core.quiz.loader import parse_quiz
from course.core.text.yamldoc import YamlProblem, load_with_lines

#: the grade fractions Moodle's import accepts without "nearest grade" matching, in percent
MOODLE_GRADES = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
                 14.28571, 12.5, 11.11111, 10, 5, 0)  # fmt: skip
_MARKDOWN = re.compile(r"[*_`\n]|\[[^\]]*\]\(|^\s*(?:#|[-+>] |\d+\. )|<[a-zA-Z/]", re.M)
ARROW = "'->' in an accepted answer or the feedback would make GIFT read the question as matching"
_SETTINGS = ("intro", "pass_percent", "max_attempts", "cooldown_minutes", "draw")


class ExportSkipped(NamedTuple):
    """A question of ours that GIFT cannot say, and why."""

    question_id: str
    type: str
    reason: str


class ExportNote(NamedTuple):
    """A detail the GIFT text loses (points, units, patterns …)."""

    question_id: str | None  # None: about the quiz as a whole
    message: str


@dataclass
class GiftExport:
    """A quiz as GIFT text, with what was skipped and what was lost."""

    text: str
    skipped: list[ExportSkipped] = field(default_factory=list)
    notes: list[ExportNote] = field(default_factory=list)


def export_gift(
    source_yaml: str, lang: str, languages: Iterable[str] | None = None, course_id: str = "course"
) -> GiftExport:
    """A quiz file (its YAML source) → GIFT in `lang`.

    The file is validated with `parse_quiz` first (for `languages`, by default the languages its title is
    written in); an invalid quiz raises GiftError. Ordering questions have no GIFT type: they are skipped,
    with a `//` comment in the output and an entry in `skipped`.
    """
    try:
        data = load_with_lines(source_yaml.removeprefix("\ufeff"))
    except YamlProblem as problem:
        raise GiftError(f"line {problem.line}: {problem.message}") from None
    title = data.get("title")
    if languages is None:
        languages = tuple(title) if isinstance(title, dict) else ()
    languages = tuple(languages)
    if lang not in languages:
        raise GiftError(f"{lang!r} is not one of the quiz's languages ({', '.join(languages) or 'none'})")
    quiz_id = data.get("id")
    path = f"quizzes/{course_id}/{quiz_id}.yml"
    quiz, problems = parse_quiz(path, source_yaml, course_id, languages)
    if quiz is None:
        listed = "; ".join(f"line {p.line}: {p.message}" if p.line else p.message for p in problems[:10])
        raise GiftError(f"quiz {quiz_id!r} is not valid, so it is not exported: {listed}")
    result = GiftExport(text="")
    header = [f"// Quiz '{quiz_id}' ({lang}): {len(quiz.questions)} question(s)"]
    # The category Moodle files the questions in: the one the quiz came from, else one named after the quiz.
    current = data.get("category") or _text(title, lang).replace("/", "//")
    header.append(f"$CATEGORY: {current}")
    if settings := [key for key in _SETTINGS if key in data] + (["shuffle"] if data.get("shuffle") is False else []):
        result.notes.append(ExportNote(None, f"quiz settings have no GIFT form: {', '.join(settings)}"))
    blocks = ["\n".join(header)]
    quiz_category = current
    for question in data["questions"]:
        wanted = question.get("category") or quiz_category  # a question may have a category of its own
        if wanted != current:
            blocks.append(f"$CATEGORY: {wanted}")
            current = wanted
        blocks.append(_write_question(question, lang, result))
    result.text = "\n\n".join(blocks) + "\n"
    return result


def _text(value: Any, lang: str) -> str:
    return str(value[lang]).strip()


def _write_question(question: Mapping[str, Any], lang: str, result: GiftExport) -> str:
    question_id, kind = question["id"], question["type"]
    gap = None
    if kind == "blanks":  # one blank: Moodle's missing word, the answers in braces where the blank is
        blanks = question["blanks"]
        if len(blanks) != 1:
            reason = f"{len(blanks)} blanks: GIFT holds one answer block per question (Moodle's Cloze is not GIFT)"
            result.skipped.append(ExportSkipped(question_id, kind, reason))
            return f"// {kind} question '{question_id}' skipped: {reason}"
        gap = "{{" + blanks[0]["id"] + "}}"
        kind = "single" if "options" in blanks[0] else "shorttext"
        question = {**question, **blanks[0], "id": question_id, "type": kind}
    writer = _WRITERS.get(kind)
    if writer is None:
        reason = "GIFT has no ordering type" if kind == "ordering" else f"GIFT has no {kind} type"
        result.skipped.append(ExportSkipped(question_id, kind, reason))
        return f"// {kind} question '{question_id}' skipped: {reason}"
    notes: list[str] = []
    try:
        answers = writer(question, lang, notes)
    except Skip as skip:
        result.skipped.append(ExportSkipped(question_id, kind, skip.reason))
        return f"// {kind} question '{question_id}' skipped: {skip.reason}"
    if question.get("points", 1) != 1:
        notes.append(f"points: {question['points']} has no GIFT form; set the question's default mark in Moodle")
    if question.get("always"):
        notes.append("always: true has no GIFT form; add the question to the Moodle quiz itself, not as a random one")
    result.notes.extend(ExportNote(question_id, message) for message in notes)
    texts = [_text(question["text"], lang), _text(question["explanation"], lang), *_all_texts(question, lang)]
    prefix = "[markdown]" if any(_MARKDOWN.search(text) for text in texts) else ""
    written = _text(question["text"], lang)
    before, _gap, after = written.partition(gap) if gap else (written, "", "")
    text = prefix + _guard(escape(before), bool(prefix))
    explanation = "####" + _guard(escape(_text(question["explanation"], lang)))
    name = _text(question["title"], lang) if lang in (question.get("title") or {}) else question_id
    tags = "".join(" [tag:" + tag.replace("]", "\\]") + "]" for tag in question.get("tags") or ())
    head = f"// [id:{question_id}]{tags}\n::{escape(name)}::{text}"
    if isinstance(answers, str):  # one line: true/false
        return f"{head}{{{answers}{explanation}}}"
    lines = [f"\t{line}" for line in answers] + [f"\t{explanation}"]
    opener = "{#" if kind == "numeric" else "{"
    return head + opener + "\n" + "\n".join(lines) + "\n}" + escape(after)


def _all_texts(question: Mapping[str, Any], lang: str) -> list[str]:
    texts = []
    for key in ("feedback_true", "feedback_false", "feedback_wrong"):
        if key in question:
            texts.append(_text(question[key], lang))
    for key in ("options", "prompts", "answers"):
        for item in question.get(key) or ():
            texts.extend(_text(item[part], lang) for part in ("text", "feedback") if part in item)
    return texts


def _guard(escaped: str, prefixed: bool = False) -> str:
    """A text that itself starts with `[html]` (etc.) would lose that as a format prefix: give it one."""
    if not prefixed and escaped.startswith("[") and "]" in escaped and escaped[1 : escaped.index("]")] in FORMATS:
        return "[markdown]" + escaped
    return escaped


def _feedback(item: Mapping[str, Any], lang: str, key: str = "feedback") -> str:
    return "#" + _guard(escape(_text(item[key], lang))) if key in item else ""


def _write_choice(question: Mapping[str, Any], lang: str, notes: list[str]) -> list[str]:
    options = question["options"]
    lines = []
    if question["type"] == "single":
        for option in options:
            text = _guard(escape(_text(option["text"], lang)))
            if option.get("correct"):
                lines.append(f"={text}{_feedback(option, lang)}")
            else:
                percent = float(option.get("percent", 0))
                _grade_step(percent, notes)
                weight = f"%{format_percent(percent)}%" if percent or WEIGHT.match(text) else ""
                lines.append(f"~{weight}{text}{_feedback(option, lang)}")
        return lines
    if any("percent" in option for option in options):  # weights of our own: written as they are
        for option in options:
            percent = float(option["percent"])
            _grade_step(abs(percent), notes)
            text = _guard(escape(_text(option["text"], lang)))
            lines.append(f"~%{format_percent(percent)}%{text}{_feedback(option, lang)}")
        return lines
    right = sum(1 for option in options if option.get("correct"))
    wrong = len(options) - right
    for share in {100 / right, *((100 / wrong,) if wrong else ())}:
        _grade_step(share, notes)
    for option in options:
        weight = format_percent(100 / right) if option.get("correct") else "-" + format_percent(100 / wrong)
        text = _guard(escape(_text(option["text"], lang)))
        lines.append(f"~%{weight}%{text}{_feedback(option, lang)}")
    return lines


def _grade_step(percent: float, notes: list[str]) -> None:
    """Note a weight Moodle's import would not take as it is."""
    message = (
        f"weight {format_percent(percent)}% is not one of Moodle's grade steps: import it in Moodle with "
        "'nearest grade' matching (it then rounds)"
    )
    if not any(abs(percent - grade) < 1e-4 for grade in MOODLE_GRADES) and message not in notes:
        notes.append(message)


def _write_truefalse(question: Mapping[str, Any], lang: str, notes: list[str]) -> str:
    value = bool(question["answer"])
    right_key, wrong_key = ("feedback_true", "feedback_false") if value else ("feedback_false", "feedback_true")
    right = _feedback(question, lang, right_key)
    wrong = _feedback(question, lang, wrong_key)
    if right and not wrong:
        wrong = "#"
    return ("TRUE" if value else "FALSE") + wrong + right


def _write_shorttext(question: Mapping[str, Any], lang: str, notes: list[str]) -> list[str]:
    """Every accepted text as a `=` answer with its weight and feedback; patterns that are wildcards (`colo.*r`)
    as Moodle's `colo*r`, other patterns only as a note."""
    if "answers" in question:
        groups = question["answers"]
    else:
        groups = [
            {"accept": question["accept"], **({"patterns": question["patterns"]} if "patterns" in question else {})}
        ]
    feedback = _text(question["feedback_wrong"], lang) if "feedback_wrong" in question else ""
    lines = []
    for group in groups:
        percent = float(group.get("percent", 100))
        _grade_step(percent, notes)
        texts = [escape(str(text).strip()).replace("*", "\\*") for text in (group.get("accept") or {}).get(lang, [])]
        for pattern in (group.get("patterns") or {}).get(lang, []):
            wildcard = _as_wildcard(pattern)
            if wildcard is None:
                notes.append(f"the pattern '{pattern}' (a regular expression) has no GIFT form: it is left out")
            else:
                texts.append(wildcard)
        if any("->" in text for text in (*texts, _text(group["feedback"], lang) if "feedback" in group else "")):
            raise Skip(ARROW)
        for text in texts:
            written = _guard(text)
            weight = f"%{format_percent(percent)}%" if percent != 100 or WEIGHT.match(written) else ""
            lines.append(f"={weight}{written}{_feedback(group, lang)}")
    if "->" in feedback:
        raise Skip(ARROW)
    if not lines:
        raise Skip(f"no answer is written in {lang}")
    if "feedback_wrong" in question:
        lines.append("=%0%*" + _feedback(question, lang, "feedback_wrong"))
    return lines


def _as_wildcard(pattern: str) -> str | None:
    """A pattern made of literal pieces joined by `.*` as Moodle's wildcard answer (escaped for GIFT), else None."""
    pieces = pattern.split(".*")
    literal = [re.sub(r"\\(.)", r"\1", piece) for piece in pieces]
    if any(re.escape(text) != piece for text, piece in zip(literal, pieces, strict=True)):
        return None
    return "*".join(escape(text).replace("*", "\\*") for text in literal)


def _write_numeric(question: Mapping[str, Any], lang: str, notes: list[str]) -> list[str]:
    if "unit" in question:
        notes.append(f"the unit '{_text(question['unit'], lang)}' has no GIFT form: mention it in the question")
    if "answer" in question:
        answers = [{"value": question["answer"], "tolerance": question.get("tolerance", 0), "percent": 100}]
    else:
        answers = question["answers"]
    lines = []
    for answer in answers:
        percent = format_percent(float(answer.get("percent", 100)))
        if "value" in answer:
            tolerance = float(answer.get("tolerance", 0))
            number = _gift_number(answer["value"]) + (f":{_gift_number(tolerance)}" if tolerance else "")
        else:
            number = f"{_gift_number(answer['min'])}..{_gift_number(answer['max'])}"
        lines.append(f"=%{percent}%{number}{_feedback(answer, lang)}")
    if "feedback_wrong" in question:
        lines.append("~" + _feedback(question, lang, "feedback_wrong"))
    return lines


def _gift_number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _write_matching(question: Mapping[str, Any], lang: str, notes: list[str]) -> list[str]:
    choices = {choice["id"]: _text(choice["text"], lang) for choice in question["choices"]}
    if len(set(choices.values())) < len(choices):
        notes.append("two choices have the same text: GIFT tells choices apart by their text, so they merge")
    lines = []
    for prompt in question["prompts"]:
        text = _text(prompt["text"], lang)
        if "->" in text:
            raise Skip("a prompt contains '->', which GIFT cannot escape")
        lines.append(f"={_guard(escape(text))} -> {escape(choices[prompt['match']])}")
    matched = {prompt["match"] for prompt in question["prompts"]}
    for choice_id, text in choices.items():
        if choice_id not in matched:
            lines.append(f"= -> {escape(text)}")
    return lines


def _write_essay(question: Mapping[str, Any], lang: str, notes: list[str]) -> str:
    if "rubric" in question or "max_chars" in question:
        notes.append("the essay's rubric and length limit have no GIFT form: set them in Moodle")
    return ""


_WRITERS = {
    "essay": _write_essay,
    "single": _write_choice,
    "multiple": _write_choice,
    "truefalse": _write_truefalse,
    "shorttext": _write_shorttext,
    "numeric": _write_numeric,
    "matching": _write_matching,
}
