"""One GIFT file read question by question: its GIFT type, and our question fields when we can represent it.

The type is decided in Moodle's order (no `{}` → description, `{}` → essay, `{#` → numerical, any `~` → multiple
choice, `=` with `->` → matching, `T`/`TRUE`/`F`/`FALSE` → true/false, else short answer); a question
we cannot represent is kept with the reason, and every lossy detail becomes a note with its line. Putting the
questions of several files together into one quiz is the importer's job (importer.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from course.core.quiz.gift.syntax import FORMATS, WEIGHT, Skip, format_percent, protect, restore, split_blocks, trim
from course.core.quiz.types.multiple import WEIGHT_SUM_SLACK

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

_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_ID_TOKEN = re.compile(r"\[id:((?:\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_TOKEN = re.compile(r"\[tag:((?:\\]|[^\]<>`\x00-\x1f\x7f])+)\]")
_WILDCARD = re.compile(r"\\\*|\*")
_GAP = "\ufdef"  # where a missing word's answers stood (a noncharacter: the file's own ones are replaced first)
BLANK_ID = "blank"  # the one blank of a missing-word question


class Note(NamedTuple):
    """A lossy detail of an import, at its GIFT line (None: about the file as a whole)."""

    line: int | None
    message: str


@dataclass
class ReadQuestion:
    """One GIFT question block as read: its type, and our question fields unless it was skipped."""

    line: int
    ordinal: int
    gift_type: str
    idnumber: str | None = None
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    category: str | None = None  # the `$CATEGORY` in force where the question stands
    kind: str | None = None  # our type
    body: dict[str, Any] | None = None
    reason: str | None = None
    notes: list[Note] = field(default_factory=list)

    def note(self, message: str) -> None:
        self.notes.append(Note(self.line, message))


@dataclass
class ReadFile:
    """A GIFT file as read: its questions in order, its `$CATEGORY` lines, and notes about the whole file."""

    questions: list[ReadQuestion] = field(default_factory=list)
    categories: list[tuple[int, str]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def read_file(text: str, lang: str) -> ReadFile:
    """A GIFT file in `lang`, read question by question (the importer pairs files and gives the ids)."""
    result = ReadFile()
    if _NONCHARACTERS.search(text):
        text = _NONCHARACTERS.sub("\ufffd", text)
        result.notes.append(Note(None, "Unicode noncharacters (U+FDD0–U+FDEF) were replaced by U+FFFD"))
    ordinal = 0
    for block in split_blocks(text):
        comments = [line for _, line in block if line.startswith("//")]
        content = [(number, line) for number, line in block if not line.startswith("//")]
        if not content:
            continue  # a comment on its own
        first = content[0][0]
        body = protect(trim("\n".join(" " if line.startswith("//") else line for _, line in block)))
        if body.startswith("$CATEGORY:"):
            result.categories.append((first, trim(restore(body[len("$CATEGORY:") :]))))
            continue
        ordinal += 1
        category = result.categories[-1][1] if result.categories else None
        read = ReadQuestion(line=first, ordinal=ordinal, gift_type=INVALID, category=category or None)
        _read_comments(read, comments)
        try:
            _read_question(read, body, lang)
        except Skip as skip:
            read.reason = skip.reason
            read.gift_type = skip.gift_type or read.gift_type
            read.kind = read.body = None
        result.questions.append(read)
    return result


def _read_comments(read: ReadQuestion, comments: list[str]) -> None:
    comment = "\n".join(comments)
    if match := _ID_TOKEN.search(comment):
        read.idnumber = trim(match.group(1).replace("\\]", "]"))
    read.tags = [tag for tag in (trim(tag.replace("\\]", "]")) for tag in _TAG_TOKEN.findall(comment)) if tag]


def _read_question(read: ReadQuestion, body: str, lang: str) -> None:
    text = body
    if text.startswith("::"):
        text = text[2:]
        end = text.find("::")
        if end >= 0:
            read.title = trim(restore(text[:end])) or None
            text = trim(text[end + 2 :])

    def line(index: int) -> int:  # the file's line of a position in `text` (a suffix of the block's body)
        return read.line + body[: len(body) - len(text) + index].count("\n")

    start, finish = text.find("{"), text.find("}")
    if start < 0 and finish < 0:
        raise Skip("a description is text without a question; there is no such item in our quizzes", DESCRIPTION)
    if finish < 0:
        raise Skip(f"the answer block opened on line {line(start)} is not closed with '}}'")
    if start < 0 or finish < start:
        raise Skip(f"the '}}' on line {line(finish)} closes no answer block (write a literal brace as \\}})")
    if 0 <= (nested := text.find("{", start + 1)) < finish:
        raise Skip(
            f"a '{{' on line {line(nested)} inside the answer block opened on line {line(start)}: blocks do not "
            "nest (write a literal brace as \\{)"
        )
    answer = trim(text[start + 1 : finish])
    general = None
    if (separator := answer.rfind("####")) >= 0:
        general = answer[separator + 4 :]
        answer = trim(answer[:separator])
    essay = answer == ""  # `{}`: the learner writes, a trainer grades
    inline = not text.endswith("}")  # Moodle's "missing word": the answers stand where the blank is
    rest = text[finish + 1 :]
    if (second := rest.find("{")) >= 0 or "}" in rest:
        where = line(finish + 1 + (second if second >= 0 else rest.find("}")))
        raise Skip(f"a second answer block on line {where}: GIFT has one per question (Moodle's Cloze is not GIFT)")
    question_text = text[:start] + (_GAP if inline else "") + rest
    prose, text_format = _formatted(question_text)
    if essay:
        if inline:
            raise Skip("an essay's empty answer block must end the question", ESSAY)
        read.gift_type, read.kind, fields = ESSAY, "essay", {}
    elif answer[0] == "#":
        read.gift_type, read.kind = NUMERICAL, "numeric"
        fields = _numeric(read, answer[1:], lang)
    elif "~" in answer:
        read.gift_type = MULTIPLE_CHOICE if "=" in answer else MULTIPLE_RESPONSE
        read.kind, fields = _choice(read, answer, lang)
    elif "=" in answer and "->" in answer:
        read.gift_type, read.kind = MATCHING, "matching"
        fields = _matching(read, answer, lang)
    elif trim(answer.split("#", 1)[0]) in ("T", "TRUE", "F", "FALSE"):
        read.gift_type, read.kind = TRUE_FALSE, "truefalse"
        fields = _truefalse(answer, lang)
    else:
        read.gift_type, read.kind = SHORT_ANSWER, "shorttext"
        fields = _shortanswer(read, answer, lang)
    if inline:
        read.gift_type = MISSING_WORD
        read.kind, prose, fields = _missing_word(read.kind, prose, fields)
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


def _missing_word(kind: str, prose: str, fields: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """A missing-word question: one pick or one typed answer becomes a blank inside the sentence (a select or a
    text field); any other kind keeps its answers below the text, with the gap drawn as Moodle draws it."""
    if kind in ("single", "shorttext"):
        if "{{" in prose.replace(_GAP, ""):
            raise Skip("the text itself contains '{{', which our blanks use as their marker", MISSING_WORD)
        return "blanks", prose.replace(_GAP, "{{" + BLANK_ID + "}}"), {"blanks": [{"id": BLANK_ID, **fields}]}
    return kind, prose.replace(_GAP, "_____"), fields


def _formatted(text: str) -> tuple[str, str | None]:
    """A text without its `[format]` prefix (if it names a known format), restored and trimmed."""
    text = trim(text)
    format_name = None
    if text.startswith("[") and "]" in text:
        name = text[1 : text.index("]")]
        if name in FORMATS:
            format_name, text = name, text[len(name) + 2 :]
    return trim(restore(text)), format_name


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
    if not trim(parts[0]):
        parts.pop(0)
    return [trim(part) for part in parts]


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _letters(count: int) -> list[str]:
    return [chr(ord("a") + index) if count <= 26 else f"o{index + 1}" for index in range(count)]


def _choice(read: ReadQuestion, answer: str, lang: str) -> tuple[str, dict[str, Any]]:
    single = "=" in answer
    answers = []  # (weight in percent, text, feedback, written with '=')
    for part in _answers(answer.replace("=", "~="), "~"):
        if part.startswith("="):
            weight, rest, equals = 100.0, part[1:], True
            if WEIGHT.match(rest):
                read.note(f"Moodle reads '={restore(rest)[:12]}…' as full credit and keeps the weight in the text")
        else:
            found, rest = _weight(part)
            weight, equals = (found if found is not None else 0.0), False
        text, feedback = _comment(rest)
        if not text:
            read.note("an empty answer was dropped")
            continue
        answers.append((weight, text, feedback, equals))
    if len(answers) < 2:
        raise Skip("a multiple-choice question needs at least two answers")
    if weights := [weight for weight, *_ in answers if weight > 100]:
        raise Skip(f"answer weight {format_percent(weights[0])}% is above 100%")
    if single:
        full = [weight >= 100 for weight, *_ in answers]
        for weight, text, _feedback, _equals in answers:
            if weight < 0:
                read.note(
                    f"penalty ({format_percent(weight)}%) for '{text}' dropped: a wrong pick scores 0 "
                    "(our single-choice options earn 0 to 100%)"
                )
        kind = "single"  # with several full-credit answers, any one of them is right: the same in both
        percents = [weight if 0 < weight < 100 else None for weight, *_ in answers]
    else:
        full = [weight > 0 for weight, *_ in answers]
        if not any(full):
            raise Skip("no answer has a positive weight, so no option is right")
        kind = "multiple"
        right, wrong = sum(full), len(full) - sum(full)
        expected = [100 / right if correct else (-100 / wrong) for correct in full]
        percents = [None] * len(answers)
        if any(abs(weight - want) > 1e-3 for (weight, *_), want in zip(answers, expected, strict=True)):
            written = ", ".join(f"{format_percent(weight)}%" for weight, *_ in answers)
            positive = sum(weight for weight, *_ in answers if weight > 0)
            if abs(positive - 100) <= WEIGHT_SUM_SLACK and all(weight >= -100 for weight, *_ in answers):
                percents = [_number(weight) for weight, *_ in answers]  # the option weights, as Moodle scores them
            else:
                rule = f"+{format_percent(100 / right)}% per right tick" + (
                    f", −{format_percent(100 / wrong)}% per wrong tick" if wrong else ""
                )
                read.note(
                    f"GIFT weights ({written}) do not add up to 100% for the right options: replaced by our "
                    f"penalty rule: {rule}"
                )
    options = []
    for option_id, correct, percent, (_weight_value, text, feedback, _equals) in zip(
        _letters(len(answers)), full, percents, answers, strict=True
    ):
        option: dict[str, Any] = {"id": option_id}
        weighted = kind == "multiple" and any(value is not None for value in percents)
        if correct and not weighted:
            option["correct"] = True
        option["text"] = {lang: text}
        if percent is not None:
            option["percent"] = _number(percent) if kind == "single" else percent
        if feedback:
            option["feedback"] = {lang: feedback}
        options.append(option)
    return kind, {"options": options}


def _truefalse(answer: str, lang: str) -> dict[str, Any]:
    bits = answer.split("#", 2)
    value = trim(bits[0]) in ("T", "TRUE")
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


def _shortanswer(read: ReadQuestion, answer: str, lang: str) -> dict[str, Any]:
    """Moodle's short answer: every `=` answer with its weight (0–100%) and feedback; `*` alone with no credit is
    the feedback for any other answer; `*` inside an answer is a wildcard (a pattern here)."""
    if trim(answer.split("#", 1)[0]) in ("t", "true", "f", "false", "True", "False"):
        read.note("Moodle reads {true}/{false} in lower case as a short answer; write TRUE or FALSE for true/false")
    groups: list[dict[str, Any]] = []  # consecutive answers with the same credit and feedback share one entry
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
            raise Skip(f"answer weight {format_percent(weight)}% is above 100%")
        if weight < 0:
            read.note(f"negative weight ({format_percent(weight)}%) for '{text}' raised to 0% (Moodle's lowest)")
            weight = 0.0
        if not text:
            read.note("an empty answer was dropped")
            continue
        group = groups[-1] if groups and (groups[-1]["percent"], groups[-1]["feedback"]) == (weight, feedback) else None
        if group is None:
            group = {"percent": weight, "feedback": feedback, "accept": [], "patterns": []}
            groups.append(group)
        if "*" in _WILDCARD.findall(text):
            group["patterns"].append(_wildcard_pattern(text))
        else:
            group["accept"].append(text.replace("\\*", "*"))
    if not any(group["percent"] >= 100 for group in groups):
        raise Skip("no answer gives full credit (100%)")
    fields: dict[str, Any]
    if all(group["percent"] >= 100 and not group["feedback"] for group in groups) and any(
        group["accept"] for group in groups
    ):
        fields = {"accept": {lang: [text for group in groups for text in group["accept"]]}}
        if patterns := [pattern for group in groups for pattern in group["patterns"]]:
            fields["patterns"] = {lang: patterns}
    else:
        fields = {"answers": [_short_answer(group, lang) for group in groups]}
    if feedback_wrong:
        fields["feedback_wrong"] = {lang: feedback_wrong}
    return fields


def _short_answer(group: dict[str, Any], lang: str) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if group["accept"]:
        entry["accept"] = {lang: group["accept"]}
    if group["patterns"]:
        entry["patterns"] = {lang: group["patterns"]}
    if group["percent"] < 100:
        entry["percent"] = _number(group["percent"])
    if group["feedback"]:
        entry["feedback"] = {lang: group["feedback"]}
    return entry


def _wildcard_pattern(text: str) -> str:
    """A Moodle wildcard answer (`colo*r`; `\\*` is a literal star) as the regular expression it means."""
    pieces, stars = _WILDCARD.split(text), _WILDCARD.findall(text)
    return "".join(
        re.escape(piece) + ("" if index == len(stars) else ".*" if stars[index] == "*" else re.escape("*"))
        for index, piece in enumerate(pieces)
    )


def _to_number(text: str) -> float:
    text = trim(text)
    if not _NUMBER.match(text):
        raise Skip(f"'{text}' is not a number (GIFT numeric answers have no units)")
    value = float(text)
    if not math.isfinite(value):
        raise Skip(f"'{text}' is not a finite number")
    return value


def _numeric(read: ReadQuestion, answer: str, lang: str) -> dict[str, Any]:
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
            raise Skip("a '*' answer with credit cannot be represented")
        if percent > 100:
            raise Skip(f"answer weight {format_percent(percent)}% is above 100%")
        if percent < 0:
            read.note(f"negative weight ({format_percent(percent)}%) for '{text}' raised to 0%")
            percent = 0.0
        item: dict[str, Any]
        if text.find("..") > 0:
            low_text, high_text = text.split("..", 1)
            low, high = _to_number(low_text), _to_number(high_text)
            if low > high:
                raise Skip(f"range {text}: the minimum is above the maximum")
            item = {"min": _number(low), "max": _number(high)}
        else:
            value_text, colon, tolerance_text = text.partition(":") if text.find(":") > 0 else (text, "", "")
            value = _to_number(value_text)
            tolerance = _to_number(tolerance_text) if colon else 0.0
            if tolerance < 0:
                raise Skip(f"tolerance {format_percent(tolerance)} is negative")
            item = {"value": _number(value)}
            if tolerance:
                item["tolerance"] = _number(tolerance)
        item["percent"] = _number(percent)
        if feedback:
            item["feedback"] = {lang: feedback}
        items.append(item)
    if not items:
        raise Skip("a numeric question needs at least one answer")
    if not any(item["percent"] == 100 for item in items):
        raise Skip("no answer gives full credit (100%)")
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


def _matching(read: ReadQuestion, answer: str, lang: str) -> dict[str, Any]:
    parts = _answers(answer, "=")
    if len(parts) < 2:
        raise Skip("a matching question needs at least two '=a -> b' pairs")
    pairs, distractors = [], []
    for part in parts:
        if "->" not in part:
            raise Skip(f"'{restore(part)}' has no '->' (matching answers are '=prompt -> answer')")
        left, right = part.split("->", 1)
        prompt, right_text = _formatted(left)[0], trim(restore(right))
        if not right_text:
            raise Skip("a matching answer has nothing after '->'")
        if prompt:
            pairs.append((prompt, right_text))
        else:
            distractors.append(right_text)
    if len(pairs) < 2:
        raise Skip("a matching question needs at least two prompts")
    texts = list(dict.fromkeys([right for _prompt, right in pairs] + distractors))
    if len(texts) < 2:
        raise Skip("a matching question needs at least two different answers")
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
