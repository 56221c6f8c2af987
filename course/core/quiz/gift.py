"""Moodle GIFT ↔ our quiz files: import a GIFT file as quiz data, export a quiz file as GIFT.

GIFT is read the way Moodle's `qformat_gift` reads it: questions are separated by blank lines, lines
starting with `//` are comments (`// [id:X] [tag:Y]` sets an id and tags), `$CATEGORY:` switches the
category, `::Title::` names a question, `[html]`, `[moodle]`, `[plain]` or `[markdown]` may prefix a
text, `\\~ \\= \\# \\{ \\} \\:` are literals, `\\n` is a newline and `\\\\` a backslash. The question type
is decided in Moodle's order: no `{}` → description, `{}` → essay, `{#` → numerical, any `~` →
multiple choice, `=` with `->` → matching, `T`/`TRUE`/`F`/`FALSE` → true/false, else short answer.

Nothing is dropped silently: a GIFT question we cannot represent is *skipped* with its GIFT type and
line, and every lossy detail of a converted one (weights, partial credit, per-answer feedback we have
no place for, tags …) is a *note* with its line.

Export works from the quiz file's YAML source (texts as the author wrote them, Markdown included),
after the file has been validated with `parse_quiz`. Pure Python: no web framework, no ORM.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from course.core.quiz.loader import parse_quiz
from course.core.text.slug import ID_PATTERN, slugify
from course.core.text.yamldoc import YamlProblem, load_with_lines

FORMATS = ("html", "moodle", "plain", "markdown")
#: Moodle's answer-weight regex (qformat_gift::readquestion); the sign and decimals are captured here
WEIGHT = re.compile(r"^%(-*)([0-9]{1,2}\.?[0-9]*)%")
#: the grade fractions Moodle's import accepts without "nearest grade" matching, in percent
MOODLE_GRADES = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
                 14.28571, 12.5, 11.11111, 10, 5, 0)  # fmt: skip
MAX_ID_LENGTH = 64

_ESCAPE = re.compile(r"\\([\\~=#{}:n])")
_SPECIAL = "\\~=#{}:"
# Escaped characters become Unicode noncharacters while the structure is parsed (Moodle uses "&&058;"
# placeholders); noncharacters are meant for exactly this internal use and never appear in real text.
_PLACEHOLDERS = {char: chr(0xFDD0 + index) for index, char in enumerate("~=#{}:\n")}
_RESTORE = str.maketrans({placeholder: char for char, placeholder in _PLACEHOLDERS.items()})
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
_PHP_WHITESPACE = " \t\n\r\0\x0b"  # what PHP's trim() removes (Python's strip() removes more)
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_ID_TOKEN = re.compile(r"\[id:((?:\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_TOKEN = re.compile(r"\[tag:((?:\\]|[^\]<>`\x00-\x1f\x7f])+)\]")
_MARKDOWN = re.compile(r"[*_`\n]|\[[^\]]*\]\(|^\s*(?:#|[-+>] |\d+\. )|<[a-zA-Z/]", re.M)
_WILDCARD = re.compile(r"\\\*|\*")
_SETTINGS = ("intro", "pass_percent", "max_attempts", "cooldown_minutes", "draw")

# GIFT question types, named as Moodle's documentation names them
DESCRIPTION = "description"
ESSAY = "essay"
MISSING_WORD = "missing word"
NUMERICAL = "numerical"
MULTIPLE_CHOICE = "multiple choice"
MULTIPLE_RESPONSE = "multiple choice (multiple answers)"
MATCHING = "matching"
TRUE_FALSE = "true/false"
SHORT_ANSWER = "short answer"
INVALID = "invalid"


class GiftError(ValueError):
    """A GIFT file or a quiz that cannot be converted at all; the message says why."""


class Converted(NamedTuple):
    line: int
    type: str  # our question type
    id: str
    gift_type: str


class Skipped(NamedTuple):
    line: int
    gift_type: str
    reason: str


class Note(NamedTuple):
    line: int | None
    message: str


@dataclass
class GiftImport:
    """A GIFT file as our quiz data (a YAML-ready dict), with what was converted, skipped and lost."""

    data: dict[str, Any]
    converted: list[Converted] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    languages: tuple[str, ...] = ()  # the languages filled in
    missing_languages: tuple[str, ...] = ()  # course languages still to translate


class ExportSkipped(NamedTuple):
    question_id: str
    type: str
    reason: str


class ExportNote(NamedTuple):
    question_id: str | None  # None: about the quiz as a whole
    message: str


@dataclass
class GiftExport:
    text: str
    skipped: list[ExportSkipped] = field(default_factory=list)
    notes: list[ExportNote] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Escaping


def escape(text: str) -> str:
    """Text → GIFT: `\\ ~ = # { } :` get a backslash, a newline becomes `\\n` (carriage returns go)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join("\\" + char if char in _SPECIAL else "\\n" if char == "\n" else char for char in text)


def unescape(text: str) -> str:
    """GIFT → text: `\\~ \\= \\# \\{ \\} \\:` are literals, `\\n` a newline, `\\\\` a backslash; other `\\` stay."""
    return _restore(_protect(text))


def _protect(text: str) -> str:
    """Escaped characters → placeholders, so the structure can be split on the unescaped ones."""

    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        return "\\" if char == "\\" else _PLACEHOLDERS["\n" if char == "n" else char]

    return _ESCAPE.sub(replace, text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _trim(text: str) -> str:
    return text.strip(_PHP_WHITESPACE)


# --------------------------------------------------------------------------------------------------
# Reading GIFT


class _Skip(Exception):  # noqa: N818 - control flow inside the reader, never escapes this module
    def __init__(self, reason: str, gift_type: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.gift_type = gift_type


@dataclass
class _Read:
    """One GIFT question block as read: its type, and our question fields unless it was skipped."""

    line: int
    ordinal: int
    gift_type: str
    idnumber: str | None = None
    title: str | None = None
    kind: str | None = None  # our type
    body: dict[str, Any] | None = None
    reason: str | None = None
    notes: list[Note] = field(default_factory=list)

    def note(self, message: str) -> None:
        self.notes.append(Note(self.line, message))


@dataclass
class _File:
    questions: list[_Read] = field(default_factory=list)
    categories: list[tuple[int, str]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Lines grouped into questions: a blank line ends one. Lines are trimmed, as Moodle does."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = _trim(raw)
        if line:
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _read_file(text: str, lang: str) -> _File:
    result = _File()
    if _NONCHARACTERS.search(text):
        text = _NONCHARACTERS.sub("\ufffd", text)
        result.notes.append(Note(None, "Unicode noncharacters (U+FDD0–U+FDEF) were replaced by U+FFFD"))
    ordinal = 0
    for block in _blocks(text):
        comments = [line for _, line in block if line.startswith("//")]
        content = [(number, line) for number, line in block if not line.startswith("//")]
        if not content:
            continue  # a comment on its own
        first = content[0][0]
        body = _protect(_trim("\n".join(" " if line.startswith("//") else line for _, line in block)))
        if body.startswith("$CATEGORY:"):
            result.categories.append((first, _trim(_restore(body[len("$CATEGORY:") :]))))
            continue
        ordinal += 1
        read = _Read(line=first, ordinal=ordinal, gift_type=INVALID)
        _read_comments(read, comments)
        try:
            _read_question(read, body, lang)
        except _Skip as skip:
            read.reason = skip.reason
            read.gift_type = skip.gift_type or read.gift_type
            read.kind = read.body = None
        result.questions.append(read)
    return result


def _read_comments(read: _Read, comments: list[str]) -> None:
    comment = "\n".join(comments)
    if match := _ID_TOKEN.search(comment):
        read.idnumber = _trim(match.group(1).replace("\\]", "]"))
    tags = [_trim(tag.replace("\\]", "]")) for tag in _TAG_TOKEN.findall(comment)]
    if tags:
        read.note(f"tags dropped (our questions have none): {', '.join(tags)}")


def _read_question(read: _Read, text: str, lang: str) -> None:
    if text.startswith("::"):
        text = text[2:]
        end = text.find("::")
        if end >= 0:
            read.title = _trim(_restore(text[:end])) or None
            text = _trim(text[end + 2 :])
    start, finish = text.find("{"), text.find("}")
    if start < 0 and finish < 0:
        raise _Skip("a description is text without a question; there is no such item in our quizzes", DESCRIPTION)
    if start < 0 or finish < start:
        raise _Skip("unbalanced braces: the answers must be in one {…} block")
    answer = _trim(text[start + 1 : finish])
    general = None
    if (separator := answer.rfind("####")) >= 0:
        general = answer[separator + 4 :]
        answer = _trim(answer[:separator])
    if answer == "":
        raise _Skip("essay questions need a trainer to grade them; we grade automatically", ESSAY)
    if not text.endswith("}"):
        raise _Skip("the answer block sits inside the text (an inline blank); move it to the end", MISSING_WORD)
    question_text = text[:start] + text[finish + 1 :]
    if "{" in question_text or "}" in question_text:
        raise _Skip("more than one answer block (Cloze-style questions are not GIFT)", MISSING_WORD)
    prose, text_format = _formatted(question_text)
    if answer[0] == "#":
        read.gift_type, read.kind = NUMERICAL, "numeric"
        fields = _numeric(read, answer[1:], lang)
    elif "~" in answer:
        read.gift_type = MULTIPLE_CHOICE if "=" in answer else MULTIPLE_RESPONSE
        read.kind, fields = _choice(read, answer, lang)
    elif "=" in answer and "->" in answer:
        read.gift_type, read.kind = MATCHING, "matching"
        fields = _matching(read, answer, lang)
    elif _trim(answer.split("#", 1)[0]) in ("T", "TRUE", "F", "FALSE"):
        read.gift_type, read.kind = TRUE_FALSE, "truefalse"
        fields = _truefalse(answer, lang)
    else:
        read.gift_type, read.kind = SHORT_ANSWER, "shorttext"
        fields = _shortanswer(read, answer, lang)
    read.body = {"text": {lang: prose}}
    if not prose:
        read.note("the question text is empty: write one")
    explanation = _formatted(general)[0] if general is not None else ""
    if explanation:
        read.body["explanation"] = {lang: explanation}
    else:
        read.note("no general feedback (####): write the explanation every question needs")
    if text_format in ("html", "moodle") and re.search(r"<[a-zA-Z/]", prose):
        read.note(f"[{text_format}] text kept as HTML; it is sanitised when shown, check how it looks")
    read.body.update(fields)


def _formatted(text: str) -> tuple[str, str | None]:
    """A text without its `[format]` prefix (if it names a known format), restored and trimmed."""
    text = _trim(text)
    format_name = None
    if text.startswith("[") and "]" in text:
        name = text[1 : text.index("]")]
        if name in FORMATS:
            format_name, text = name, text[len(name) + 2 :]
    return _trim(_restore(text)), format_name


def _comment(part: str) -> tuple[str, str | None]:
    """`answer#feedback` → (answer, feedback or None)."""
    answer, hash_mark, feedback = part.partition("#")
    feedback_text = _formatted(feedback)[0] if hash_mark else ""
    return _formatted(answer)[0], feedback_text or None


def _weight(part: str) -> tuple[float | None, str]:
    """A leading `%n%` weight in percent (None if there is none) and the rest of the answer."""
    match = WEIGHT.match(part)
    if not match:
        return None, part
    value = float(match.group(2))
    return (-value if match.group(1) else value), part[match.end() :]


def _answers(answer: str, separator: str) -> list[str]:
    """Moodle's explode-then-drop-an-empty-first-piece."""
    parts = answer.split(separator)
    if not _trim(parts[0]):
        parts.pop(0)
    return [_trim(part) for part in parts]


def _percent(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _letters(count: int) -> list[str]:
    return [chr(ord("a") + index) if count <= 26 else f"o{index + 1}" for index in range(count)]


def _choice(read: _Read, answer: str, lang: str) -> tuple[str, dict[str, Any]]:
    single = "=" in answer
    answers = []  # (weight in percent, text, feedback, written with '=')
    for part in _answers(answer.replace("=", "~="), "~"):
        if part.startswith("="):
            weight, rest, equals = 100.0, part[1:], True
            if WEIGHT.match(rest):
                read.note(f"Moodle reads '={_restore(rest)[:12]}…' as full credit and keeps the weight in the text")
        else:
            found, rest = _weight(part)
            weight, equals = (found if found is not None else 0.0), False
        text, feedback = _comment(rest)
        if not text:
            read.note("an empty answer was dropped")
            continue
        answers.append((weight, text, feedback, equals))
    if len(answers) < 2:
        raise _Skip("a multiple-choice question needs at least two answers")
    if weights := [weight for weight, *_ in answers if weight > 100]:
        raise _Skip(f"answer weight {_percent(weights[0])}% is above 100%")
    if single:
        full = [weight >= 100 for weight, *_ in answers]
        for weight, text, _feedback, _equals in answers:
            if 0 < weight < 100:
                read.note(f"partial credit ({_percent(weight)}%) for '{text}' dropped: it counts as a wrong option")
            elif weight < 0:
                read.note(f"penalty ({_percent(weight)}%) for '{text}' dropped: a wrong pick scores 0")
        if sum(full) == 1:
            kind = "single"
        else:
            kind = "multiple"
            read.note(
                f"{sum(full)} answers give full credit: Moodle accepts any one of them as the single pick; "
                "here it becomes a multiple-choice question where learners tick all of them"
            )
    else:
        full = [weight > 0 for weight, *_ in answers]
        if not any(full):
            raise _Skip("no answer has a positive weight, so no option is right")
        kind = "multiple"
        right, wrong = sum(full), len(full) - sum(full)
        expected = [100 / right if correct else (-100 / wrong) for correct in full]
        if any(abs(weight - want) > 1e-3 for (weight, *_), want in zip(answers, expected, strict=True)):
            written = ", ".join(f"{_percent(weight)}%" for weight, *_ in answers)
            rule = f"+{_percent(100 / right)}% per right tick" + (
                f", −{_percent(100 / wrong)}% per wrong tick" if wrong else ""
            )
            read.note(f"GIFT weights ({written}) replaced by our fixed penalty rule: {rule}")
    options = []
    for option_id, correct, (_weight_value, text, feedback, _equals) in zip(
        _letters(len(answers)), full, answers, strict=True
    ):
        option: dict[str, Any] = {"id": option_id}
        if correct:
            option["correct"] = True
        option["text"] = {lang: text}
        if feedback:
            option["feedback"] = {lang: feedback}
        options.append(option)
    return kind, {"options": options}


def _truefalse(answer: str, lang: str) -> dict[str, Any]:
    bits = answer.split("#", 2)
    value = _trim(bits[0]) in ("T", "TRUE")
    wrong = _formatted(bits[1])[0] if len(bits) > 1 else ""
    right = _formatted(bits[2])[0] if len(bits) > 2 else ""
    # GIFT gives feedback for a wrong and a right answer; ours is by the answer the learner gave.
    feedback_true, feedback_false = (right, wrong) if value else (wrong, right)
    fields: dict[str, Any] = {"answer": value}
    if feedback_true:
        fields["feedback_true"] = {lang: feedback_true}
    if feedback_false:
        fields["feedback_false"] = {lang: feedback_false}
    return fields


def _shortanswer(read: _Read, answer: str, lang: str) -> dict[str, Any]:
    if _trim(answer.split("#", 1)[0]) in ("t", "true", "f", "false", "True", "False"):
        read.note("Moodle reads {true}/{false} in lower case as a short answer; write TRUE or FALSE for true/false")
    accept: list[str] = []
    patterns: list[str] = []
    feedback_wrong = None
    for part in _answers(answer, "="):
        weight, rest = _weight(part)
        weight = 100.0 if weight is None else weight
        text, feedback = _comment(rest)
        if text == "*" and weight <= 0:
            if feedback:
                feedback_wrong = feedback
            continue
        if weight > 100:
            raise _Skip(f"answer weight {_percent(weight)}% is above 100%")
        if weight < 100:
            credit = f"partial credit ({_percent(weight)}%)" if weight > 0 else "a wrong answer (0%)"
            dropped = ", with its feedback" if feedback else ""
            read.note(f"'{text}' gave {credit}, which a short answer cannot give: dropped{dropped}")
            continue
        if not text:
            read.note("an empty accepted answer was dropped")
            continue
        if feedback:
            read.note(f"feedback for the right answer '{text}' dropped: short answers have feedback_wrong only")
        pieces = _WILDCARD.split(text)
        stars = _WILDCARD.findall(text)
        if "*" in stars:
            pattern = "".join(
                re.escape(piece) + ("" if index == len(stars) else ".*" if stars[index] == "*" else re.escape("*"))
                for index, piece in enumerate(pieces)
            )
            patterns.append(pattern)
            read.note(f"the wildcard answer '{text}' became the pattern '{pattern}'")
        else:
            accept.append(text.replace("\\*", "*"))
    if not accept:
        raise _Skip("no answer gives full credit as plain text (our short answers need at least one)")
    fields: dict[str, Any] = {"accept": {lang: accept}}
    if patterns:
        fields["patterns"] = {lang: patterns}
    if feedback_wrong:
        fields["feedback_wrong"] = {lang: feedback_wrong}
    return fields


def _to_number(text: str) -> float:
    text = _trim(text)
    if not _NUMBER.match(text):
        raise _Skip(f"'{text}' is not a number (GIFT numeric answers have no units)")
    value = float(text)
    if not math.isfinite(value):
        raise _Skip(f"'{text}' is not a finite number")
    return value


def _numeric(read: _Read, answer: str, lang: str) -> dict[str, Any]:
    feedback_wrong = None
    if (tilde := answer.find("~")) >= 0:
        wrong, answer = answer[tilde:], answer[:tilde]
        _text, feedback_wrong = _comment(wrong[1:])
        if not feedback_wrong:
            read.note("'~' without feedback ignored: it only carries the feedback for a wrong number")
    items = []
    for part in _answers(answer, "="):
        weight, rest = _weight(part)
        percent = 100.0 if weight is None else weight
        text, feedback = _comment(rest)
        if text == "*":
            if percent <= 0 and feedback and feedback_wrong is None:
                feedback_wrong = feedback
                continue
            raise _Skip("a '*' answer with credit cannot be represented")
        if percent > 100:
            raise _Skip(f"answer weight {_percent(percent)}% is above 100%")
        if percent < 0:
            read.note(f"negative weight ({_percent(percent)}%) for '{text}' raised to 0%")
            percent = 0.0
        item: dict[str, Any]
        if text.find("..") > 0:
            low_text, high_text = text.split("..", 1)
            low, high = _to_number(low_text), _to_number(high_text)
            if low > high:
                raise _Skip(f"range {text}: the minimum is above the maximum")
            item = {"min": _number(low), "max": _number(high)}
        else:
            value_text, colon, tolerance_text = text.partition(":") if text.find(":") > 0 else (text, "", "")
            value = _to_number(value_text)
            tolerance = _to_number(tolerance_text) if colon else 0.0
            if tolerance < 0:
                raise _Skip(f"tolerance {_percent(tolerance)} is negative")
            item = {"value": _number(value)}
            if tolerance:
                item["tolerance"] = _number(tolerance)
        item["percent"] = _number(percent)
        if feedback:
            item["feedback"] = {lang: feedback}
        items.append(item)
    if not items:
        raise _Skip("a numeric question needs at least one answer")
    if not any(item["percent"] == 100 for item in items):
        raise _Skip("no answer gives full credit (100%)")
    fields: dict[str, Any]
    only = items[0]
    if len(items) == 1 and "value" in only and "feedback" not in only:
        fields = {"answer": only["value"]}
        if "tolerance" in only:
            fields["tolerance"] = only["tolerance"]
    else:
        fields = {"answers": items}
    if feedback_wrong:
        fields["feedback_wrong"] = {lang: feedback_wrong}
    return fields


def _matching(read: _Read, answer: str, lang: str) -> dict[str, Any]:
    parts = _answers(answer, "=")
    if len(parts) < 2:
        raise _Skip("a matching question needs at least two '=a -> b' pairs")
    pairs, distractors = [], []
    for part in parts:
        if "->" not in part:
            raise _Skip(f"'{_restore(part)}' has no '->' (matching answers are '=prompt -> answer')")
        left, right = part.split("->", 1)
        prompt, right_text = _formatted(left)[0], _trim(_restore(right))
        if not right_text:
            raise _Skip("a matching answer has nothing after '->'")
        if prompt:
            pairs.append((prompt, right_text))
        else:
            distractors.append(right_text)
    if len(pairs) < 2:
        raise _Skip("a matching question needs at least two prompts")
    texts = list(dict.fromkeys([right for _prompt, right in pairs] + distractors))
    if len(texts) < 2:
        raise _Skip("a matching question needs at least two different answers")
    if "#" in answer:
        read.note("'#' in a matching block is kept as text: GIFT matching has no per-answer feedback")
    choice_ids = dict(zip(texts, _letters(len(texts)), strict=True))
    return {
        "prompts": [
            {"id": f"p{index}", "text": {lang: prompt}, "match": choice_ids[right]}
            for index, (prompt, right) in enumerate(pairs, start=1)
        ],
        "choices": [{"id": choice_ids[text], "text": {lang: text}} for text in texts],
    }


# --------------------------------------------------------------------------------------------------
# Import


def import_gift(
    text: str,
    lang: str,
    course_languages: Iterable[str],
    quiz_id: str,
    title: str | Mapping[str, str] | None,
    lesson: str | Mapping[str, str],
    translations: Mapping[str, str] | None = None,
) -> GiftImport:
    """A GIFT file (in `lang`) → our quiz data; `translations` pairs other-language GIFT files question by question.

    `title` is the quiz title in `lang` (or one per language, any course language); without it the first
    `$CATEGORY` of each file names the quiz, else the quiz id does. `lesson` is the lesson link given to
    every question. Raises GiftError for a bad language or quiz id, and when a translation does not have
    the same structure (number of questions, their types, answers, weights, numbers and which texts exist).
    """
    languages = tuple(course_languages)
    translations = dict(translations or {})
    for code in (lang, *translations, *(title if isinstance(title, Mapping) else ())):
        if code not in languages:
            raise GiftError(f"{code!r} is not one of the course's languages ({', '.join(languages)})")
    if lang in translations:
        raise GiftError(f"the translation is in {lang!r}, the language of the GIFT file itself")
    if not ID_PATTERN.match(quiz_id):
        raise GiftError(f"quiz id {quiz_id!r} must be lowercase letters, digits and single hyphens")
    main = _read_file(text, lang)
    others = {code: _read_file(source, code) for code, source in translations.items()}
    result = GiftImport(data={"id": quiz_id, "title": {}, "questions": []})
    titles = result.data["title"] = _titles(title, lang, main, others, quiz_id, result.notes)
    result.notes.extend(main.notes)
    for line, category in main.categories:
        use = " (its last part names the quiz)" if title is None and _category_name(category) == titles[lang] else ""
        result.notes.append(Note(line, f"$CATEGORY '{category}': our quizzes have no categories{use}"))
    for code, other in others.items():
        result.notes.extend(Note(note.line, f"({code}) {note.message}") for note in other.notes)
        _check_same_count(main, other, lang, code)
    used: set[str] = set()
    for index, read in enumerate(main.questions):
        paired = {code: other.questions[index] for code, other in others.items()}
        result.notes.extend(read.notes)
        for code, other_read in paired.items():
            result.notes.extend(Note(note.line, f"({code}) {note.message}") for note in other_read.notes)
        body, filled = read.body, (lang,)
        for code, other_read in paired.items():
            body = _merge_question(read, other_read, body, filled, code)
            filled = (*filled, code)
        if read.kind is None or body is None:
            result.skipped.append(Skipped(read.line, read.gift_type, read.reason or "not supported"))
            continue
        question_id = _question_id(read, used, result.notes)
        question = {"id": question_id, "type": read.kind, "lesson": lesson, **body}
        result.data["questions"].append(question)
        result.converted.append(Converted(read.line, read.kind, question_id, read.gift_type))
    result.notes.sort(key=lambda note: note.line or 0)
    result.languages = (lang, *translations)
    result.missing_languages = tuple(code for code in languages if code not in result.languages)
    return result


def _titles(
    title: str | Mapping[str, str] | None,
    lang: str,
    main: _File,
    others: Mapping[str, _File],
    quiz_id: str,
    notes: list[Note],
) -> dict[str, str]:
    given = {lang: title} if isinstance(title, str) else dict(title or {})
    titles = {}
    for code, read in ((lang, main), *others.items()):
        category = next((_category_name(name) for _line, name in read.categories if _category_name(name)), None)
        titles[code] = (given.get(code) or category or "").strip()
        if not titles[code]:
            titles[code] = quiz_id.replace("-", " ").capitalize()
            notes.append(Note(None, f"no quiz title for {code}: '{titles[code]}' is made from the quiz id"))
    titles.update((code, text.strip()) for code, text in given.items() if code not in titles and text.strip())
    return titles


def _category_name(category: str) -> str | None:
    """The last part of a category path (`$course$/top/Bonus` → `Bonus`); `//` is an escaped slash."""
    last = re.split(r"(?<!/)/(?!/)", category)[-1].replace("//", "/").strip()
    return None if last in ("", "top", "$course$", "$module$", "$system$", "$coursecategory$") else last


def _check_same_count(main: _File, other: _File, lang: str, code: str) -> None:
    if len(main.questions) != len(other.questions):
        raise GiftError(
            f"the {code} translation has {len(other.questions)} question(s), the {lang} file "
            f"{len(main.questions)}: the files must match question by question"
        )


def _merge_question(
    read: _Read, other: _Read, body: dict[str, Any] | None, filled: tuple[str, ...], code: str
) -> dict[str, Any] | None:
    lang = filled[0]
    where = f"question {read.ordinal} ({lang} line {read.line}, {code} line {other.line})"
    if read.gift_type != other.gift_type:
        raise GiftError(f"{where}: {read.gift_type} in the {lang} file, {other.gift_type} in the {code} file")
    if (read.kind is None) != (other.kind is None):
        skipped, converted = (lang, code) if read.kind is None else (code, lang)
        reason = read.reason if read.kind is None else other.reason
        raise GiftError(f"{where}: skipped in the {skipped} file ({reason}) but converted in the {converted} file")
    if body is None or other.body is None:
        return None
    return _merge(body, other.body, filled, code, where, "")


def _merge(main: Any, other: Any, filled: tuple[str, ...], code: str, where: str, path: str) -> Any:
    """Texts ({de: …} beside {en: …}) are combined; everything else must be the same in both files."""
    if isinstance(main, dict) and isinstance(other, dict):
        if main and set(main) <= set(filled) and set(other) == {code}:
            return {**main, code: other[code]}
        if set(main) != set(other):
            differences = [
                f"{', '.join(sorted(keys))} only in the {side} file"
                for keys, side in ((set(main) - set(other), "/".join(filled)), (set(other) - set(main), code))
                if keys
            ]
            raise GiftError(f"{where}: different fields in {path or 'the question'} ({'; '.join(differences)})")
        return {key: _merge(main[key], other[key], filled, code, where, f"{path}.{key}".lstrip(".")) for key in main}
    if isinstance(main, list) and isinstance(other, list):
        if len(main) != len(other):
            raise GiftError(f"{where}: {path} has {len(main)} entries in one file, {len(other)} in the {code} file")
        return [
            _merge(a, b, filled, code, where, f"{path}[{index}]")
            for index, (a, b) in enumerate(zip(main, other, strict=True))
        ]
    if main != other or type(main) is not type(other):
        raise GiftError(f"{where}: {path} is {main!r} in one file but {other!r} in the {code} file")
    return main


def _question_id(read: _Read, used: set[str], notes: list[Note]) -> str:
    candidates = []
    if read.idnumber:
        candidates.append(("[id:]", read.idnumber))
    if read.title:
        candidates.append(("title", read.title))
    question_id = None
    for source, value in candidates:
        question_id = slug(value)
        if question_id:
            break
        notes.append(Note(read.line, f"the {source} '{value}' makes no usable id"))
    question_id = question_id or f"q{read.ordinal}"
    if question_id in used:
        number = 2
        while f"{question_id}-{number}" in used:
            number += 1
        notes.append(Note(read.line, f"id '{question_id}' is taken: this question is '{question_id}-{number}'"))
        question_id = f"{question_id}-{number}"
    used.add(question_id)
    return question_id


def slug(value: str) -> str | None:
    slug = slugify(value)
    if len(slug) > MAX_ID_LENGTH:
        slug = slug[:MAX_ID_LENGTH]
        slug = slug.rsplit("-", 1)[0] if "-" in slug else slug
    slug = slug.strip("-")
    return slug if ID_PATTERN.match(slug) else None


# --------------------------------------------------------------------------------------------------
# YAML


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, as the bundled quiz files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None  # texts with line breaks as literal blocks
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Mapping[str, Any], header: str | None = None) -> str:
    """Quiz data as readable YAML: block style, unicode as is, keys in the given order, no line wrapping.

    A blank line separates the questions; `header` becomes a comment at the top.
    """
    text = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=math.inf
    )
    # Only a question starts a line with "  - id:": deeper lists and block texts are indented further.
    text = re.sub(r"(?<=\n)(?=  - id: )", "\n", text).replace("questions:\n\n", "questions:\n", 1)
    if header:
        text = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) + text
    return text


# --------------------------------------------------------------------------------------------------
# Export


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
    header.append(f"$CATEGORY: {_text(title, lang).replace('/', '//')}")
    if settings := [key for key in _SETTINGS if key in data] + (["shuffle"] if data.get("shuffle") is False else []):
        result.notes.append(ExportNote(None, f"quiz settings have no GIFT form: {', '.join(settings)}"))
    blocks = ["\n".join(header)]
    for question in data["questions"]:
        blocks.append(_write_question(question, lang, result))
    result.text = "\n\n".join(blocks) + "\n"
    return result


def _text(value: Any, lang: str) -> str:
    return str(value[lang]).strip()


def _write_question(question: Mapping[str, Any], lang: str, result: GiftExport) -> str:
    question_id, kind = question["id"], question["type"]
    writer = _WRITERS.get(kind)
    if writer is None:
        reason = "GIFT has no ordering type" if kind == "ordering" else f"GIFT has no {kind} type"
        result.skipped.append(ExportSkipped(question_id, kind, reason))
        return f"// {kind} question '{question_id}' skipped: {reason}"
    notes: list[str] = []
    try:
        answers = writer(question, lang, notes)
    except _Skip as skip:
        result.skipped.append(ExportSkipped(question_id, kind, skip.reason))
        return f"// {kind} question '{question_id}' skipped: {skip.reason}"
    if question.get("points", 1) != 1:
        notes.append(f"points: {question['points']} has no GIFT form; set the question's default mark in Moodle")
    result.notes.extend(ExportNote(question_id, message) for message in notes)
    texts = [_text(question["text"], lang), _text(question["explanation"], lang), *_all_texts(question, lang)]
    prefix = "[markdown]" if any(_MARKDOWN.search(text) for text in texts) else ""
    text = prefix + _guard(escape(_text(question["text"], lang)), bool(prefix))
    explanation = "####" + _guard(escape(_text(question["explanation"], lang)))
    head = f"// [id:{question_id}]\n::{escape(question_id)}::{text}"
    if isinstance(answers, str):  # one line: true/false
        return f"{head}{{{answers}{explanation}}}"
    lines = [f"\t{line}" for line in answers] + [f"\t{explanation}"]
    opener = "{#" if kind == "numeric" else "{"
    return head + opener + "\n" + "\n".join(lines) + "\n}"


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
                guard = "%0%" if WEIGHT.match(text) else ""
                lines.append(f"~{guard}{text}{_feedback(option, lang)}")
        return lines
    right = sum(1 for option in options if option.get("correct"))
    wrong = len(options) - right
    for share in {100 / right, *((100 / wrong,) if wrong else ())}:
        if not any(abs(share - grade) < 1e-4 for grade in MOODLE_GRADES):
            notes.append(
                f"weight {_percent(share)}% is not one of Moodle's grade steps: import it in Moodle with "
                "'nearest grade' matching (it then rounds)"
            )
    for option in options:
        weight = _percent(100 / right) if option.get("correct") else "-" + _percent(100 / wrong)
        text = _guard(escape(_text(option["text"], lang)))
        lines.append(f"~%{weight}%{text}{_feedback(option, lang)}")
    return lines


def _write_truefalse(question: Mapping[str, Any], lang: str, notes: list[str]) -> str:
    value = bool(question["answer"])
    right_key, wrong_key = ("feedback_true", "feedback_false") if value else ("feedback_false", "feedback_true")
    right = _feedback(question, lang, right_key)
    wrong = _feedback(question, lang, wrong_key)
    if right and not wrong:
        wrong = "#"
    return ("TRUE" if value else "FALSE") + wrong + right


def _write_shorttext(question: Mapping[str, Any], lang: str, notes: list[str]) -> list[str]:
    accepted = [str(text).strip() for text in question["accept"][lang]]
    feedback = _text(question["feedback_wrong"], lang) if "feedback_wrong" in question else ""
    if any("->" in text for text in (*accepted, feedback)):
        raise _Skip("'->' in an accepted answer or the feedback would make GIFT read the question as matching")
    if question.get("patterns"):
        notes.append("patterns (regular expressions) have no GIFT form: only the accepted answers are exported")
    lines = []
    for text in accepted:
        written = _guard(escape(text).replace("*", "\\*"))  # '*' is Moodle's short-answer wildcard
        lines.append(("=%100%" if WEIGHT.match(written) else "=") + written)
    if "feedback_wrong" in question:
        lines.append("=%0%*" + _feedback(question, lang, "feedback_wrong"))
    return lines


def _write_numeric(question: Mapping[str, Any], lang: str, notes: list[str]) -> list[str]:
    if "unit" in question:
        notes.append(f"the unit '{_text(question['unit'], lang)}' has no GIFT form: mention it in the question")
    if "answer" in question:
        answers = [{"value": question["answer"], "tolerance": question.get("tolerance", 0), "percent": 100}]
    else:
        answers = question["answers"]
    lines = []
    for answer in answers:
        percent = _percent(float(answer.get("percent", 100)))
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
            raise _Skip("a prompt contains '->', which GIFT cannot escape")
        lines.append(f"={_guard(escape(text))} -> {escape(choices[prompt['match']])}")
    matched = {prompt["match"] for prompt in question["prompts"]}
    for choice_id, text in choices.items():
        if choice_id not in matched:
            lines.append(f"= -> {escape(text)}")
    return lines


_WRITERS = {
    "single": _write_choice,
    "multiple": _write_choice,
    "truefalse": _write_truefalse,
    "shorttext": _write_shorttext,
    "numeric": _write_numeric,
    "matching": _write_matching,
}
