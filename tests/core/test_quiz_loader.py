"""Quiz files → checked quizzes: the bundled files are clean, every broken file names its line, the type registry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from course.core.catalog import build_catalog
from course.core.quiz import (
    Grade,
    QuestionType,
    UnknownQuestionType,
    grade_attempt,
    make_layout,
    parse_quiz,
    question_type,
    register,
    type_names,
)
from course.core.quiz.types import unregister
from course.core.quiz.types.single import SingleChoice
from tests.paths import bundled_files

LANGS = ("de", "en")
BUILTIN_TYPES = ("blanks", "essay", "matching", "multiple", "numeric", "ordering", "shorttext", "single", "truefalse")
KNOWN = ", ".join(BUILTIN_TYPES)
PATH = "quizzes/demo/sample.yml"
ANCHORS = {
    "kam-mandate": {
        "de": frozenset({"die-vier-fragen"}),
        "en": frozenset({"the-four-questions"}),
    },
    "retention": {"de": frozenset(), "en": frozenset()},
}

# A valid quiz with one text per line, so each broken variant below replaces one line and keeps the numbering.
VALID = """\
id: sample
title: {de: "Probe", en: "Sample"}
pass_percent: 70
max_attempts: 3
cooldown_minutes: 10
questions:
  - id: pick-one
    type: single
    points: 2
    lesson: {de: "kam-mandate#die-vier-fragen", en: "kam-mandate#the-four-questions"}
    text: {de: "Frage?", en: "Question?"}
    explanation: {de: "Weil.", en: "Because."}
    options:
      - {id: right, text: {de: "Ja", en: "Yes"}, correct: true}
      - {id: wrong, text: {de: "Nein", en: "No"}}
  - id: match-up
    type: matching
    lesson: kam-mandate
    text: {de: "Zuordnen", en: "Match"}
    explanation: {de: "Darum.", en: "That is why."}
    prompts:
      - {id: who, text: {de: "Wer?", en: "Who?"}, match: contact}
      - {id: what, text: {de: "Was?", en: "What?"}, match: goal}
    choices:
      - {id: contact, text: {de: "Kontakt", en: "Contact"}}
      - {id: goal, text: {de: "Ziel", en: "Goal"}}
  - id: how-much
    type: numeric
    lesson: retention
    text: {de: "Wie viel?", en: "How much?"}
    explanation: {de: "So viel.", en: "That much."}
    answer: 6000
    tolerance: 0
  - id: one-word
    type: shorttext
    lesson: retention
    text: {de: "Ein Wort?", en: "One word?"}
    explanation: {de: "Dieses.", en: "This one."}
    accept: {de: [Kundenbindung], en: [retention]}
    patterns: {de: ["kunden-?bindung"]}
"""


def parse(text: str, path: str = PATH) -> tuple[object, list]:
    return parse_quiz(path, text, "demo", LANGS, ANCHORS)


def broken(line: int, new: str, text: str = VALID) -> str:
    """`text` (VALID) with its `line` (1-based) replaced by `new`."""
    lines = text.split("\n")
    lines[line - 1] = new
    return "\n".join(lines)


def test_valid_quiz_parses_with_its_settings_and_questions() -> None:
    quiz, problems = parse(VALID)
    assert problems == []
    assert (quiz.id, quiz.course_id, quiz.path) == ("sample", "demo", PATH)
    assert dict(quiz.titles) == {"de": "Probe", "en": "Sample"}
    assert (quiz.pass_percent, quiz.max_attempts, quiz.cooldown_minutes, quiz.shuffle, quiz.draw) == (
        70,
        3,
        10,
        True,
        None,
    )
    assert [(q.id, q.type, q.points, q.line) for q in quiz.questions] == [
        ("pick-one", "single", 2.0, 7),
        ("match-up", "matching", 1.0, 16),
        ("how-much", "numeric", 1.0, 27),
        ("one-word", "shorttext", 1.0, 34),
    ]
    assert quiz.questions[0].lesson["en"].anchor == "the-four-questions"
    assert quiz.checksum


def test_optional_settings_take_their_documented_defaults() -> None:
    text = VALID.replace("pass_percent: 70\nmax_attempts: 3\ncooldown_minutes: 10\n", "")
    quiz, problems = parse(text)
    assert problems == []
    assert (quiz.pass_percent, quiz.max_attempts, quiz.cooldown_minutes, quiz.shuffle, quiz.draw) == (
        70,
        None,
        0,
        True,
        None,
    )


@pytest.mark.parametrize(
    ("line", "new", "expected_line", "message"),
    [
        (2, 'title: {de: "Probe"}', 2, "missing translation: title has no 'en' text"),
        (11, '    text: {de: "Frage?"}', 11, "missing translation: text has no 'en' text"),
        (8, "    type: cloze", 8, f"question 'pick-one': unknown question type 'cloze' (known: {KNOWN})"),
        (
            14,
            '      - {id: right, text: {de: "Ja", en: "Yes"}}',
            13,
            "a single-choice question needs an option with correct: true",
        ),
        (
            23,
            '      - {id: what, text: {de: "Was?", en: "What?"}, match: budget}',
            23,
            "prompt 'what': match must be one of the choice ids (contact, goal)",
        ),
        (27, "  - id: pick-one", 27, "duplicate question id 'pick-one' (first on line 7)"),
        (15, '      - {id: right, text: {de: "Nein", en: "No"}}', 15, "duplicate option id 'right'"),
        (3, "draw: 9", 3, "draw (9) asks for more questions than the pool has (4)"),
        (
            33,
            "    answers: [{value: 6000}]",
            27,
            "a numeric question needs either answer (with optional tolerance) or answers",
        ),
        (
            32,
            "    answers: [{value: 6000, percent: 50}, {min: 5000, max: 7000, percent: 25}]",
            27,
            "at least one numeric answer must give full credit (percent: 100)",
        ),
        (40, '    patterns: {de: ["kunden-(bindung"]}', 40, "pattern 'kunden-(bindung' (de) is not a valid regular"),
        (
            10,
            '    lesson: {de: "kam-mandate#nirgends", en: "kam-mandate#the-four-questions"}',
            10,
            "broken link: lesson 'kam-mandate' (de) has no section '#nirgends'",
        ),
        (18, "    lesson: no-such-lesson", 18, "broken link: there is no lesson 'no-such-lesson' in this course"),
        (33, "    hint: {de: x, en: y}", 33, "unknown field 'hint' in a numeric question (allowed: "),
        (5, "passmark: 70", 5, "unknown field 'passmark' in a quiz (allowed: "),
        (11, '    text: {de: "Frage?", en: "Question?"', 11, "invalid YAML"),
        (1, "id: other", 1, "id 'other' does not match the file name (expected 'sample')"),
        (9, "    points: 0", 9, "question 'pick-one': points must be above 0"),
        (9, "    points: -1", 9, "points must be at least 0 (got -1)"),
        (3, "pass_percent: 0", 3, "pass_percent must be a whole number from 1 to 100 (got 0)"),
        (33, "    tolerance: -5", 33, "tolerance must be at least 0 (got -5)"),
        (14, '      - {id: right, text: {de: "Ja", en: "Yes"}, correct: "yes"}', 14, "correct must be true or false"),
        (9, "    always: 1", 9, "always must be true or false (got 1)"),
    ],
    ids=[
        "missing-title-translation",
        "missing-text-translation",
        "unknown-type",
        "single-with-two-correct",
        "match-to-unknown-choice",
        "duplicate-question-id",
        "duplicate-option-id",
        "draw-larger-than-pool",
        "numeric-answer-and-answers",
        "numeric-without-full-credit",
        "bad-regex",
        "broken-anchor",
        "broken-lesson",
        "unknown-question-field",
        "unknown-quiz-field",
        "yaml-syntax-error",
        "id-not-file-name",
        "points-zero",
        "points-negative",
        "pass-percent-zero",
        "negative-tolerance",
        "correct-not-boolean",
        "always-not-boolean",
    ],
)
def test_broken_quiz_is_refused_naming_the_line(line: int, new: str, expected_line: int, message: str) -> None:
    quiz, problems = parse(broken(line, new))
    assert quiz is None
    assert {(p.path, p.line) for p in problems if message in p.message} == {(PATH, expected_line)}


def test_a_draw_smaller_than_the_questions_always_asked_is_refused() -> None:
    text = broken(9, "    always: true").replace("  - id: match-up\n", "  - id: match-up\n    always: true\n", 1)
    _, problems = parse(broken(3, "draw: 1", text))
    assert [(p.line, p.message) for p in problems] == [(3, "draw (1) is less than the 2 questions marked always: true")]
    quiz, problems = parse(broken(3, "draw: 2", text))
    assert problems == [] and [q.id for q in quiz.questions if q.always] == ["pick-one", "match-up"]


def test_each_broken_variant_differs_from_the_valid_quiz_in_one_line() -> None:
    assert broken(3, "pass_percent: 70") == VALID


def test_quiz_file_outside_the_quiz_folder_is_refused() -> None:
    quiz, problems = parse(VALID, "content/demo/sample.yml")
    assert quiz is None
    assert [(p.line, p.message) for p in problems] == [(None, "quiz files are named quizzes/<course-id>/<quiz-id>.yml")]


def test_unknown_type_names_every_known_type() -> None:
    _, problems = parse(broken(8, "    type: cloze"))
    assert all(name in problems[0].message for name in BUILTIN_TYPES)


def test_links_are_not_checked_without_anchors() -> None:
    quiz, problems = parse_quiz(PATH, broken(18, "    lesson: no-such-lesson"), "demo", LANGS)
    assert problems == []
    assert quiz.question("match-up").lesson["de"].lesson_id == "no-such-lesson"


def test_missing_lesson_is_reported_once() -> None:
    _, problems = parse(broken(18, "    lesson: no-such-lesson"))
    assert [(p.line, p.message) for p in problems] == [
        (18, "broken link: there is no lesson 'no-such-lesson' in this course")
    ]


def test_matching_with_a_list_as_match_is_a_problem_not_a_crash() -> None:
    quiz, problems = parse(broken(23, '      - {id: what, text: {de: "Was?", en: "What?"}, match: [goal]}'))
    assert quiz is None
    assert [p.line for p in problems] == [23]


# --- the bundled course ---------------------------------------------------------------------------------------


def test_bundled_course_and_quizzes_build_without_problems() -> None:
    files = bundled_files()
    build = build_catalog(files)
    assert [str(problem) for problem in build.problems] == []
    (course,) = build.catalog.courses
    quiz_files = sorted(path for path in files if path.startswith("quizzes/"))
    assert sorted(quiz.path for quiz in course.quizzes) == quiz_files
    assert len(course.quizzes) == 6
    assert course.required_quizzes == tuple(quiz.id for quiz in course.quizzes)


def test_bundled_quiz_can_be_taken_and_full_marks_pass() -> None:
    build = build_catalog(bundled_files())
    for quiz in build.catalog.courses[0].quizzes:
        layout = make_layout(quiz, seed=1)
        assert len(layout) == quiz.questions_per_attempt
        result = grade_attempt(quiz, layout, {})
        assert (result.score, result.passed(quiz)) == (0.0, False)


# --- the registry ---------------------------------------------------------------------------------------------


class YesNo(QuestionType):
    """A toy type: the key is a word, the learner types it."""

    name = "yesno"
    keys = frozenset({"answer"})

    def parse(self, fields: object, data: dict) -> str | None:
        return data.get("answer") if data.get("answer") in ("yes", "no") else None

    def public(self, spec: str, order: Sequence[str], lang: str) -> dict:
        return {}

    def read(self, spec: str, order: Sequence[str], value: object, lang: str) -> str | None:
        return value if isinstance(value, str) and value else None

    def value(self, spec: str, order: Sequence[str], response: str | None) -> str | None:
        return response

    def grade(self, spec: str, response: str | None) -> Grade:
        return Grade(1.0 if response == spec else 0.0)


@pytest.fixture
def toy_type() -> Iterator[type[QuestionType]]:
    register(YesNo)
    try:
        yield YesNo
    finally:
        unregister(YesNo.name)
    assert type_names() == BUILTIN_TYPES


def test_builtin_types_are_registered() -> None:
    assert type_names() == BUILTIN_TYPES


def test_unknown_type_lookup_raises_naming_the_known_types() -> None:
    with pytest.raises(UnknownQuestionType) as refused:
        question_type("nope")
    assert str(refused.value) == f"unknown question type 'nope' (known: {KNOWN})"


def test_registering_a_second_type_with_a_taken_name_is_refused() -> None:
    class Impostor(SingleChoice):
        pass

    original = question_type("single")
    with pytest.raises(ValueError, match="question type 'single' is already registered"):
        register(Impostor)
    assert question_type("single") is original


def test_registering_a_type_without_a_name_is_refused() -> None:
    class Nameless(QuestionType):
        pass

    with pytest.raises(ValueError, match="Nameless has no name"):
        register(Nameless)
    assert type_names() == BUILTIN_TYPES


def test_registered_type_can_be_used_in_a_quiz_file(toy_type: type[QuestionType]) -> None:
    text = (
        VALID.split("  - id: match-up")[0]
        .replace("type: single", "type: yesno")
        .replace(
            '    options:\n      - {id: right, text: {de: "Ja", en: "Yes"}, correct: true}\n'
            '      - {id: wrong, text: {de: "Nein", en: "No"}}\n',
            '    answer: "yes"\n',
        )
    )
    quiz, problems = parse(text)
    assert problems == []
    assert isinstance(question_type("yesno"), toy_type)
    layout = make_layout(quiz, seed=3)
    assert grade_attempt(quiz, layout, {"pick-one": "yes"}).percent == 100.0
    assert grade_attempt(quiz, layout, {"pick-one": "no"}).percent == 0.0
