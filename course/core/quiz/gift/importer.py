"""GIFT → our quiz data: a GIFT file, and translations paired with it question by question, as one quiz.

Nothing is dropped silently: a GIFT question we cannot represent (a description) is *skipped* with its GIFT type
and line, and the few details a converted one cannot keep (a penalty on a single-choice option, weights of a
multiple-answer question that do not add up) are *notes* with their line. Titles, tags and the category are kept
as the trainers' labels. The result is YAML-ready data (see quiz_yaml.py to write it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from course.core.quiz.gift.reader import Note, ReadFile, ReadQuestion, read_file
from course.core.quiz.gift.syntax import GiftError, decode
from course.core.text.slug import ID_PATTERN, slugify

MAX_ID_LENGTH = 64


class Converted(NamedTuple):
    """A GIFT question that became one of ours."""

    line: int
    type: str  # our question type
    id: str
    gift_type: str


class Skipped(NamedTuple):
    """A GIFT question we cannot represent, and why."""

    line: int
    gift_type: str
    reason: str


@dataclass
class GiftImport:
    """A GIFT file as our quiz data (a YAML-ready dict), with what was converted, skipped and lost."""

    data: dict[str, Any]
    converted: list[Converted] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    languages: tuple[str, ...] = ()  # the languages filled in
    missing_languages: tuple[str, ...] = ()  # course languages still to translate


def import_gift(
    text: str | bytes,
    lang: str,
    course_languages: Iterable[str],
    quiz_id: str,
    title: str | Mapping[str, str] | None,
    lesson: str | Mapping[str, str],
    translations: Mapping[str, str | bytes] | None = None,
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
    main = _read(text, lang)
    others = {code: _read(source, code) for code, source in translations.items()}
    result = GiftImport(data={"id": quiz_id, "title": {}, "questions": []})
    titles = result.data["title"] = _titles(title, lang, main, others, quiz_id, result.notes)
    result.notes.extend(main.notes)
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
        labels = _labels(read, lang, paired, question_id, titles[lang])
        question = {"id": question_id, "type": read.kind, "lesson": lesson, **labels}
        question.update(body)
        result.data["questions"].append(question)
        result.converted.append(Converted(read.line, read.kind, question_id, read.gift_type))
    _quiz_category(result.data)
    result.notes.sort(key=lambda note: note.line or 0)
    result.languages = (lang, *translations)
    result.missing_languages = tuple(code for code in languages if code not in result.languages)
    return result


def _labels(
    read: ReadQuestion, lang: str, paired: Mapping[str, ReadQuestion], question_id: str, quiz_title: str
) -> dict[str, Any]:
    """The question's title (per language), tags and category, kept for the trainers and for a way back to Moodle.
    A title that only repeats the id and a category that is only the quiz's title (both as our own export writes
    them) add nothing."""
    labels: dict[str, Any] = {}
    titles = {code: item.title for code, item in ((lang, read), *paired.items()) if item.title}
    if any(text != question_id for text in titles.values()):
        labels["title"] = titles
    if read.tags:
        labels["tags"] = read.tags
    if read.category and read.category != quiz_title:
        labels["category"] = read.category  # the importer keeps the first at the quiz's level (_quiz_category)
    return labels


def _quiz_category(data: dict[str, Any]) -> None:
    """The first question's category becomes the quiz's; questions keep their own only where it differs."""
    first = data["questions"][0].get("category") if data["questions"] else None
    if first is None:
        return
    questions = data.pop("questions")
    data["category"] = first
    data["questions"] = questions  # after the quiz's other fields, as the quiz files have them
    for question in questions:
        if question.get("category") == first:
            del question["category"]


def _read(source: str | bytes, lang: str) -> ReadFile:
    """A file as read, from its text or its bytes (then decoded, with a note when the encoding was guessed)."""
    if isinstance(source, str):
        return read_file(source, lang)
    text, note, line = decode(source)
    read = read_file(text, lang)
    if note:
        read.notes.insert(0, Note(line, note))
    return read


def _titles(
    title: str | Mapping[str, str] | None,
    lang: str,
    main: ReadFile,
    others: Mapping[str, ReadFile],
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


def _check_same_count(main: ReadFile, other: ReadFile, lang: str, code: str) -> None:
    if len(main.questions) != len(other.questions):
        raise GiftError(
            f"the {code} translation has {len(other.questions)} question(s), the {lang} file "
            f"{len(main.questions)}: the files must match question by question"
        )


def _merge_question(
    read: ReadQuestion, other: ReadQuestion, body: dict[str, Any] | None, filled: tuple[str, ...], code: str
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


def _question_id(read: ReadQuestion, used: set[str], notes: list[Note]) -> str:
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
    """`value` as a question or quiz id (at most MAX_ID_LENGTH long), or None when nothing usable is left."""
    slug = slugify(value)
    if len(slug) > MAX_ID_LENGTH:
        slug = slug[:MAX_ID_LENGTH]
        slug = slug.rsplit("-", 1)[0] if "-" in slug else slug
    slug = slug.strip("-")
    return slug if ID_PATTERN.match(slug) else None
