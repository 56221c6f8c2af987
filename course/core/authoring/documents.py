"""Content files as data the studio's forms can edit, and back: lesson front matter, a course's lesson order and
a quiz's questions. The files stay the storage; a form only rewrites the part it shows.

Keys a form does not know (a newer field, a question type's extra keys) are kept as they were.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from course.core.catalog.loader import split_front_matter
from course.core.text.yamldoc import YamlProblem, load_with_lines, parse_mapping, safe_load

#: the front-matter keys the lesson form edits; everything else in the front matter is kept untouched
LESSON_FORM_KEYS = ("title", "minutes", "objectives", "summary", "quiz")
#: question types the studio edits with a form (every type the quiz loader knows); others are edited as YAML
FORM_TYPES = ("single", "multiple", "truefalse", "numeric", "shorttext", "ordering", "matching", "essay")


def dump_yaml(data: object) -> str:
    """Block-style YAML in the given key order, Unicode kept, long texts on one line (the diff stays per field)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000_000, default_flow_style=False)


# --- Lessons --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonDocument:
    """A lesson file split into its front matter (in file order) and its Markdown body."""

    front: dict
    body: str


def read_lesson(text: str) -> LessonDocument:
    """The lesson's front matter as data and its body; YamlProblem if the front matter cannot be read as fields."""
    front, front_line, body, _body_line = split_front_matter(text.removeprefix("\ufeff"))
    return LessonDocument(front=parse_mapping(front, front_line).data, body=body)


def lesson_fields(document: LessonDocument) -> dict:
    """The values the lesson form shows: texts as text, objectives as a list, no quiz as ""."""
    front = document.front
    objectives = front.get("objectives")
    return {
        "title": _as_text(front.get("title")),
        "minutes": _as_text(front.get("minutes")),
        "objectives": [_as_text(item) for item in objectives] if isinstance(objectives, list) else [],
        "summary": _as_text(front.get("summary")),
        "quiz": _as_text(front.get("quiz")),
    }


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


def write_lesson(
    front: Mapping,
    body: str,
    *,
    title: str,
    minutes: int,
    objectives: Sequence[str],
    summary: str,
    quiz: str | None,
) -> str:
    """The lesson file with the form's values in its front matter; other keys keep their place and value."""
    data = dict(front)
    data.update(title=title, minutes=minutes, objectives=list(objectives), summary=summary)
    if quiz:
        data["quiz"] = quiz
    else:
        data.pop("quiz", None)
    return f"---\n{dump_yaml(data)}---\n{body}"


def new_lesson_file(lesson_id: str, lang: str, title: str, starter: str) -> str:
    """A starter lesson file (see starters.py) with the trainer's title in its front matter."""
    document = read_lesson(starter)
    front = {**document.front, "id": lesson_id, "lang": lang, "title": title}
    return f"---\n{dump_yaml(front)}---\n{document.body}"


# --- A course's lesson order ------------------------------------------------------------------------------------


def listed_lessons(course_text: str) -> list[str]:
    """The lesson ids a course.yml lists, in order ([] if it cannot be read)."""
    try:
        lessons = parse_mapping(course_text).data.get("lessons")
    except YamlProblem:
        return []
    return [str(item) for item in lessons] if isinstance(lessons, list) else []


def insert_lesson(course_text: str, lesson_id: str, position: int) -> str:
    """course.yml with `lesson_id` listed at `position` (0 = first) under `lessons`.

    Only the one line is added, so comments and the layout of the rest of the file stay; a file whose list is not
    written one id per line is rewritten as data instead. YamlProblem if the file cannot be read.
    """
    document = parse_mapping(course_text)
    lessons = document.data.get("lessons")
    lessons = list(lessons) if isinstance(lessons, list) else []
    position = max(0, min(position, len(lessons)))
    wanted = {**document.data, "lessons": [*lessons[:position], lesson_id, *lessons[position:]]}
    lines = course_text.split("\n")
    item_lines = document.item_lines.get("lessons", [])
    if item_lines and len(item_lines) == len(lessons):
        anchor = item_lines[min(position, len(lessons) - 1)] - 1  # 0-based line of the neighbouring item
        match = re.match(r"^(\s*-\s+)", lines[anchor])
        if match:
            at = anchor if position < len(lessons) else anchor + 1
            edited = "\n".join([*lines[:at], f"{match.group(1)}{lesson_id}", *lines[at:]])
            try:
                if parse_mapping(edited).data == wanted:
                    return edited
            except YamlProblem:
                pass
    return dump_yaml(wanted)


# --- Quizzes ----------------------------------------------------------------------------------------------------


def read_quiz(text: str) -> dict:
    """The quiz file as plain data; YamlProblem (with its line) if it is not a YAML mapping."""
    load_with_lines(text.removeprefix("\ufeff"))  # the line-aware reader reports problems with their line
    return safe_load(text.removeprefix("\ufeff"))


def questions_of(data: Mapping) -> list[dict]:
    """The quiz's questions that are mappings (anything else is the YAML editor's business)."""
    questions = data.get("questions")
    return [q for q in questions if isinstance(q, dict)] if isinstance(questions, list) else []


def question_index(data: Mapping, question_id: str) -> int | None:
    questions = data.get("questions")
    if not isinstance(questions, list):
        return None
    for index, question in enumerate(questions):
        if isinstance(question, dict) and str(question.get("id")) == question_id:
            return index
    return None


def with_question(data: Mapping, index: int | None, question: Mapping) -> dict:
    """The quiz with question `index` replaced (None: appended)."""
    result = copy.deepcopy(dict(data))
    questions = result.get("questions")
    questions = questions if isinstance(questions, list) else []
    if index is None:
        questions.append(dict(question))
    else:
        questions[index] = dict(question)
    result["questions"] = questions
    return result


def without_question(data: Mapping, index: int) -> dict:
    result = copy.deepcopy(dict(data))
    del result["questions"][index]
    return result


def moved_question(data: Mapping, index: int, step: int) -> dict:
    """The quiz with question `index` moved `step` places (-1 up, 1 down); unchanged at either end."""
    result = copy.deepcopy(dict(data))
    questions = result["questions"]
    target = index + step
    if 0 <= index < len(questions) and 0 <= target < len(questions):
        questions[index], questions[target] = questions[target], questions[index]
    return result


def with_settings(data: Mapping, settings: Mapping[str, object]) -> dict:
    """The quiz with these top-level keys set (None: removed). A key the file has keeps its place; a new one goes
    before the questions, where a person writing the file would put it."""
    result: dict = {}
    for key, value in data.items():
        if key == "questions":
            result.update({k: v for k, v in settings.items() if k not in data and v is not None})
        if key in settings:
            if settings[key] is not None:
                result[key] = copy.deepcopy(settings[key])
        else:
            result[key] = copy.deepcopy(value)
    result.update({k: v for k, v in settings.items() if k not in result and k not in data and v is not None})
    return result


def write_quiz(data: Mapping) -> str:
    return dump_yaml(dict(data))


def unused_id(prefix: str, taken: Sequence[str]) -> str:
    """`prefix-1`, `prefix-2`, … : the first that is not taken."""
    number = 1
    while f"{prefix}-{number}" in taken:
        number += 1
    return f"{prefix}-{number}"


def question_starter(kind: str, question_id: str, lesson: str, languages: Sequence[str]) -> dict:
    """A new question of `kind` that the form opens with: placeholder texts the trainer overwrites."""
    blank = dict.fromkeys(languages, "…")
    question: dict = {
        "id": question_id,
        "type": kind,
        "lesson": lesson,
        "text": dict(blank),
        "explanation": dict(blank),
    }
    if kind in ("single", "multiple"):
        question["options"] = [
            {"id": "option-1", "correct": True, "text": dict(blank)},
            {"id": "option-2", "text": dict(blank)},
        ]
    elif kind == "truefalse":
        question["answer"] = True
    elif kind == "numeric":
        question["answer"] = 0
    elif kind == "shorttext":
        question["accept"] = {lang: ["…"] for lang in languages}
    elif kind == "ordering":
        question["items"] = [{"id": f"item-{n}", "text": dict(blank)} for n in (1, 2, 3)]
    elif kind == "blanks":  # edited as YAML: one blank of each kind to start from
        question["text"] = {lang: "… {{blank-1}} … {{blank-2}} …" for lang in languages}
        question["blanks"] = [
            {
                "id": "blank-1",
                "options": [
                    {"id": "option-1", "correct": True, "text": dict(blank)},
                    {"id": "option-2", "text": dict(blank)},
                ],
            },
            {"id": "blank-2", "accept": {lang: ["…"] for lang in languages}},
        ]
    elif kind == "matching":
        question["prompts"] = [{"id": "prompt-1", "text": dict(blank), "match": "choice-1"}]
        question["choices"] = [{"id": "choice-1", "text": dict(blank)}, {"id": "choice-2", "text": dict(blank)}]
    return question
