"""A quiz file → a validated `Quiz`; every problem is reported with the file and line."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from types import MappingProxyType

from course.core.quiz.model import LessonLink, Question, Quiz
from course.core.quiz.parsing import Fields
from course.core.quiz.types import UnknownQuestionType, question_type
from course.core.text.problem import Problem
from course.core.text.yamldoc import LineDict, YamlProblem, load_with_lines

QUIZ_FOLDER = "quizzes"
QUIZ_FILE = re.compile(rf"^{QUIZ_FOLDER}/(?P<course>[^/]+)/(?P<id>[^/]+)\.yml$")
_QUIZ_KEYS = {
    "id",
    "title",
    "intro",
    "pass_percent",
    "max_attempts",
    "cooldown_minutes",
    "shuffle",
    "draw",
    "category",
    "questions",
}
_QUESTION_KEYS = {"id", "type", "points", "lesson", "text", "explanation", "title", "tags", "category", "always"}
MAX_LABEL = 255  # a title, tag or category, as long as Moodle allows
MAX_QUESTIONS = 200

#: lesson id → language → heading anchors; None skips link checks (re-reading an old revision)
Anchors = Mapping[str, Mapping[str, frozenset[str]]]


def parse_quiz(
    path: str, text: str, course_id: str, languages: tuple[str, ...], anchors: Anchors | None = None
) -> tuple[Quiz | None, list[Problem]]:
    fields = Fields(path, languages)
    match = QUIZ_FILE.match(path)
    if not match:
        fields.add(None, "quiz files are named quizzes/<course-id>/<quiz-id>.yml")
        return None, fields.problems
    try:
        data = load_with_lines(text.removeprefix("\ufeff"))
    except YamlProblem as problem:
        fields.add(problem.line, problem.message)
        return None, fields.problems
    fields.unknown_keys(data, _QUIZ_KEYS, "a quiz")
    for key in ("id", "title", "questions"):
        if key not in data:
            fields.add(data.line, f"missing required field {key!r}")
    quiz_id = fields.ident(data, "id", "quiz")
    if quiz_id and quiz_id != match.group("id"):
        fields.add(data.key_line("id"), f"id {quiz_id!r} does not match the file name (expected {match.group('id')!r})")
    titles = fields.text(data, "title")
    intros = fields.text(data, "intro", required=False)
    pass_percent = _whole(fields, data, "pass_percent", 70, 1, 100)
    max_attempts = _whole(fields, data, "max_attempts", None, 1, 1000)
    cooldown = _whole(fields, data, "cooldown_minutes", 0, 0, 60 * 24 * 30)
    draw = _whole(fields, data, "draw", None, 1, MAX_QUESTIONS)
    shuffle = fields.boolean(data, "shuffle", True)
    category = _labels(fields, data, "category")
    questions = _questions(fields, data, anchors, category[0] if category else None)
    if draw and draw > len(questions) and "questions" in data:
        fields.add(data.key_line("draw"), f"draw ({draw}) asks for more questions than the pool has ({len(questions)})")
    always = sum(question.always for question in questions)
    if draw and always > draw:
        fields.add(data.key_line("draw"), f"draw ({draw}) is less than the {always} questions marked always: true")
    if fields.problems or quiz_id is None or titles is None:
        return None, fields.problems
    quiz = Quiz(
        id=quiz_id,
        course_id=course_id,
        path=path,
        titles=titles,
        intros=intros or MappingProxyType({}),
        pass_percent=pass_percent,
        max_attempts=max_attempts,
        cooldown_minutes=cooldown,
        shuffle=shuffle,
        draw=draw,
        questions=tuple(questions),
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    return quiz, []


def _whole(fields: Fields, data: LineDict, key: str, default: int | None, low: int, high: int) -> int | None:
    if key not in data:
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fields.add(data.key_line(key), f"{key} must be a whole number from {low} to {high} (got {value!r})")
        return default
    return value


def _questions(fields: Fields, data: LineDict, anchors: Anchors | None, category: str | None) -> list[Question]:
    if "questions" not in data:
        return []
    items = fields.mapping_list(data, "questions", "questions")
    if len(items) > MAX_QUESTIONS:
        fields.add(data.key_line("questions"), f"a quiz has at most {MAX_QUESTIONS} questions")
        return []
    questions, seen = [], {}
    for line, item in items:
        question = _question(fields, item, anchors, category)
        if question is None:
            continue
        if question.id in seen:
            fields.add(line, f"duplicate question id {question.id!r} (first on line {seen[question.id]})")
            continue
        seen[question.id] = line
        questions.append(question)
    return questions


def _question(fields: Fields, data: LineDict, anchors: Anchors | None, category: str | None) -> Question | None:
    """One question; `category` is the quiz's, which a question may name one of its own instead of."""
    before = len(fields.problems)
    question_id = fields.ident(data, "id", "question")
    where = f"question {question_id!r}: " if question_id else ""
    kind_name = data.get("type")
    try:
        kind = question_type(kind_name if isinstance(kind_name, str) else repr(kind_name))
    except UnknownQuestionType as error:
        fields.add(data.key_line("type"), f"{where}{error}")
        return None
    fields.unknown_keys(data, _QUESTION_KEYS | kind.keys, f"a {kind.name} question")
    points = fields.number(data, "points", default=1.0, minimum=0)
    if points == 0:
        fields.add(data.key_line("points"), f"{where}points must be above 0")
    text = fields.text(data, "text")
    explanation = fields.text(data, "explanation")
    lesson = _lesson_link(fields, data, anchors)
    title = fields.text(data, "title", required=False)
    tags = _labels(fields, data, "tags")
    own_category = _labels(fields, data, "category")
    always = fields.boolean(data, "always", False)
    spec = kind.parse(fields, data)
    if len(fields.problems) > before or None in (question_id, text, explanation, lesson, spec, points):
        return None
    return Question(
        id=question_id,
        type=kind.name,
        points=points,
        text=kind.shown_text(spec, text),
        explanation=explanation,
        lesson=lesson,
        spec=spec,
        line=data.line,
        title=title,
        tags=tuple(tags),
        category=own_category[0] if own_category else category,
        always=always,
    )


def _labels(fields: Fields, data: LineDict, key: str) -> list[str]:
    """`tags` (a list) or `category` (one): short one-line texts for the trainers."""
    if key not in data:
        return []
    value = data[key]
    values = (value if isinstance(value, list) else [None]) if key == "tags" else [value]
    if not all(_label(item) for item in values):
        what = "a list of short one-line texts" if key == "tags" else "a short one-line text"
        fields.add(data.key_line(key), f"{key} must be {what} (at most {MAX_LABEL} characters each)")
        return []
    return [item.strip() for item in values]


def _label(item: object) -> bool:
    return isinstance(item, str) and bool(item.strip()) and len(item) <= MAX_LABEL and "\n" not in item


def _lesson_link(fields: Fields, data: LineDict, anchors: Anchors | None) -> Mapping[str, LessonLink] | None:
    if "lesson" not in data:
        fields.add(data.line, "missing lesson: name the lesson (and section) this question tests")
        return None
    value, line = data["lesson"], data.key_line("lesson")
    if isinstance(value, str):
        targets = dict.fromkeys(fields.languages, value)
    elif (
        isinstance(value, dict)
        and set(value) == set(fields.languages)
        and all(isinstance(v, str) for v in value.values())
    ):
        targets = dict(value)
    else:
        fields.add(
            line, f"lesson must be 'lesson-id#section' or one such link per language ({', '.join(fields.languages)})"
        )
        return None
    links = {}
    for lang, target in targets.items():
        lesson_id, _, anchor = target.strip().partition("#")
        links[lang] = LessonLink(lesson_id, anchor or None)
        if anchors is None:
            continue
        if lesson_id not in anchors:
            message = f"broken link: there is no lesson {lesson_id!r} in this course"
            if Problem(fields.path, line, message) not in fields.problems:  # one link for every language
                fields.add(line, message)
        elif anchor and anchor not in anchors[lesson_id].get(lang, frozenset([anchor])):  # unreadable lesson: skip
            fields.add(line, f"broken link: lesson {lesson_id!r} ({lang}) has no section '#{anchor}'")
    return MappingProxyType(links)
