"""Attempts as pure data: the layout a seed fixes, answers read through it, grading, when a new attempt may start."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.core.quiz import (
    AttemptRefused,
    Quiz,
    Slot,
    check_can_start,
    grade_attempt,
    make_layout,
    parse_quiz,
    question_type,
    read_answer,
    read_answers,
    ready_at,
)

LANGS = ("de", "en")
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def both(text: str) -> dict[str, str]:
    return {"de": text, "en": text}


def options(right: str, *wrong: str) -> list[dict[str, object]]:
    return [{"id": right, "text": both(right), "correct": True}, *({"id": w, "text": both(w)} for w in wrong)]


QUESTIONS = [
    {"id": "one", "type": "single", "points": 1, "options": options("a", "b", "c")},
    {"id": "two", "type": "truefalse", "points": 2, "answer": True},
    {"id": "three", "type": "multiple", "points": 1, "options": options("a", "b", "c", "d")},
    {"id": "four", "type": "numeric", "points": 3, "answer": 42},
    {
        "id": "five",
        "type": "ordering",
        "points": 2,
        "items": [{"id": item, "text": both(f"Step {item}")} for item in ("x", "y", "z", "w")],
    },
    {
        "id": "six",
        "type": "matching",
        "points": 1,
        "prompts": [{"id": p, "text": both(p), "match": c} for p, c in (("p", "c"), ("q", "d"))],
        "choices": [{"id": c, "text": both(c)} for c in ("c", "d", "e")],
    },
    {"id": "seven", "type": "shorttext", "points": 1, "accept": {"de": ["Bindung"], "en": ["retention"]}},
]
RIGHT = {"one": "a", "two": True, "three": ["a"], "four": {"text": "42", "value": 42.0}}
RIGHT |= {"five": ["x", "y", "z", "w"], "six": {"p": "c", "q": "d"}, "seven": "retention"}


def make_quiz(**settings_: object) -> Quiz:
    data = {
        "id": "sample",
        "title": both("Probe"),
        **settings_,
        "questions": [
            {"lesson": "some-lesson", "text": both(f"Question {q['id']}?"), "explanation": both("Because."), **q}
            for q in QUESTIONS
        ],
    }
    quiz, problems = parse_quiz("quizzes/demo/sample.yml", json.dumps(data), "demo", LANGS)
    assert problems == []
    assert quiz is not None
    return quiz


QUIZ = make_quiz(pass_percent=75)
POOL = [question.id for question in QUIZ.questions]
TOTAL_POINTS = 11.0


# --- layout ---------------------------------------------------------------------------------------------------


@given(seed=st.integers(min_value=0, max_value=2**64), draw=st.integers(1, 7), shuffle=st.booleans())
@settings(max_examples=150)
def test_layout_draws_distinct_questions_in_author_order_with_shuffled_options(
    seed: int, draw: int, shuffle: bool
) -> None:
    quiz = dataclasses.replace(QUIZ, draw=draw, shuffle=shuffle)
    layout = make_layout(quiz, seed)
    assert make_layout(quiz, seed) == layout
    drawn = [slot.question_id for slot in layout]
    assert len(drawn) == len(set(drawn)) == draw
    assert drawn == [question_id for question_id in POOL if question_id in drawn]
    for slot in layout:
        question = quiz.question(slot.question_id)
        key_order = question_type(question.type).shuffled(question.spec)
        assert sorted(slot.order) == sorted(key_order)
        if not shuffle and question.type != "ordering":
            assert slot.order == key_order


def test_layout_without_draw_asks_every_question() -> None:
    assert [slot.question_id for slot in make_layout(QUIZ, seed=5)] == POOL


def test_different_seeds_can_draw_different_questions() -> None:
    quiz = dataclasses.replace(QUIZ, draw=3)
    assert len({tuple(slot.question_id for slot in make_layout(quiz, seed)) for seed in range(20)}) > 1


@given(
    seed=st.integers(min_value=0, max_value=2**64),
    draw=st.integers(2, 6),
    fixed=st.sets(st.sampled_from(POOL), max_size=2),
)
@settings(max_examples=150)
def test_questions_marked_always_are_in_every_draw_beside_a_random_rest(seed: int, draw: int, fixed: set[str]) -> None:
    questions = tuple(dataclasses.replace(q, always=q.id in fixed) for q in QUIZ.questions)
    quiz = dataclasses.replace(QUIZ, draw=draw, questions=questions)
    drawn = [slot.question_id for slot in make_layout(quiz, seed)]
    assert fixed <= set(drawn) and len(drawn) == len(set(drawn)) == draw
    assert drawn == [question_id for question_id in POOL if question_id in drawn]


def test_a_quiz_without_always_questions_draws_as_it_always_did() -> None:
    # Stored attempts keep their layout, but a seed must still give what it gave before `always` existed.
    quiz = dataclasses.replace(QUIZ, draw=3)
    assert [[slot.question_id for slot in make_layout(quiz, seed)] for seed in (1, 2, 3)] == [
        ["one", "two", "five"],
        ["one", "six", "seven"],
        ["two", "five", "six"],
    ]


def test_always_questions_can_differ_from_draw_to_draw_only_in_the_rest() -> None:
    questions = tuple(dataclasses.replace(q, always=q.id == "seven") for q in QUIZ.questions)
    quiz = dataclasses.replace(QUIZ, draw=2, questions=questions)
    draws = {tuple(slot.question_id for slot in make_layout(quiz, seed)) for seed in range(30)}
    assert len(draws) > 1 and all(draw[-1] == "seven" for draw in draws)


def test_ordering_is_shuffled_even_when_the_quiz_does_not_shuffle() -> None:
    quiz = dataclasses.replace(QUIZ, shuffle=False)
    orders = {next(s.order for s in make_layout(quiz, seed) if s.question_id == "five") for seed in range(20)}
    assert len(orders) > 1


def test_ordering_is_never_shown_in_the_right_order() -> None:
    key = ("x", "y", "z", "w")
    shown = [next(s.order for s in make_layout(QUIZ, seed) if s.question_id == "five") for seed in range(200)]
    assert key not in shown


def test_answer_is_read_through_the_slots_display_order() -> None:
    question = QUIZ.question("one")
    assert read_answer(question, Slot("one", ("c", "a", "b")), "1", "en") == "a"
    assert read_answer(question, Slot("one", ("b", "c", "a")), "1", "en") == "c"


def test_read_answers_reads_the_layouts_questions_and_collects_unreadable_ones() -> None:
    layout = (Slot("one", ("c", "a", "b")), Slot("two", ()), Slot("four", ()))
    values = {"one": "1", "two": "maybe", "four": " ", "five": ["0"]}  # "five" is not in this attempt
    responses, errors = read_answers(QUIZ, layout, values, "en")
    assert responses == {"one": "a", "four": None}
    assert {key: error.message for key, error in errors.items()} == {"two": "Answer true or false."}


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=2**32))
@settings(max_examples=40)
def test_the_same_stored_answers_grade_the_same_in_any_layout(first: int, second: int) -> None:
    assert grade_attempt(QUIZ, make_layout(QUIZ, first), RIGHT) == grade_attempt(QUIZ, make_layout(QUIZ, second), RIGHT)


# --- grading an attempt ---------------------------------------------------------------------------------------


def test_all_right_scores_every_point_and_passes() -> None:
    result = grade_attempt(QUIZ, make_layout(QUIZ, seed=1), RIGHT)
    assert (result.score, result.max_score, result.percent) == (TOTAL_POINTS, TOTAL_POINTS, 100.0)
    assert result.passed(QUIZ)
    assert {grade.verdict for grade in result.grades.values()} == {"right"}


def test_unanswered_attempt_scores_zero_and_fails() -> None:
    result = grade_attempt(QUIZ, make_layout(QUIZ, seed=1), {})
    assert (result.score, result.max_score, result.percent) == (0.0, TOTAL_POINTS, 0.0)
    assert not result.passed(QUIZ)
    assert set(result.grades) == set(POOL)


def test_points_are_summed_over_the_drawn_questions_only() -> None:
    layout = (Slot("two", ()), Slot("five", ("w", "z", "y", "x")))
    responses = {**RIGHT, "five": ["y", "x", "z", "w"]}  # 5/6 of the ordering pairs; "one" is not in the layout
    result = grade_attempt(QUIZ, layout, responses)
    assert set(result.grades) == {"two", "five"}
    assert result.max_score == 4.0
    assert result.score == pytest.approx(2 + 2 * 5 / 6)
    assert result.percent == round(100 * (2 + 2 * 5 / 6) / 4, 2)


@pytest.mark.parametrize(
    ("responses", "percent", "passed"),
    [
        ({k: v for k, v in RIGHT.items() if k not in ("one", "seven")}, round(900 / 11, 2), True),
        ({k: v for k, v in RIGHT.items() if k not in ("five",)}, round(900 / 11, 2), True),
        ({k: v for k, v in RIGHT.items() if k not in ("four",)}, round(800 / 11, 2), False),  # 72.73 < 75
        ({k: v for k, v in RIGHT.items() if k not in ("two", "one")}, round(800 / 11, 2), False),
    ],
    ids=["missing-two-small", "missing-ordering", "missing-numeric", "missing-two-and-one"],
)
def test_pass_is_the_percent_of_points_against_pass_percent(responses: dict, percent: float, passed: bool) -> None:
    result = grade_attempt(QUIZ, make_layout(QUIZ, seed=2), responses)
    assert result.percent == percent
    assert result.passed(QUIZ) is passed


@pytest.mark.parametrize(("pass_percent", "passed"), [(75, True), (76, False)])
def test_percent_exactly_at_pass_percent_passes(pass_percent: int, passed: bool) -> None:
    quiz = dataclasses.replace(QUIZ, pass_percent=pass_percent)
    layout = (Slot("one", ("a", "b", "c")), Slot("three", ("a", "b", "c", "d")), Slot("seven", ()))
    layout += (Slot("six", ("c", "d", "e")),)
    result = grade_attempt(quiz, layout, {"one": "a", "three": ["a"], "seven": "retention"})
    assert result.percent == 75.0
    assert result.passed(quiz) is passed


def test_partial_answers_earn_their_fraction_of_the_points() -> None:
    responses = {"three": ["a", "b"], "six": {"p": "c"}, "four": {"text": "41", "value": 41.0}}
    result = grade_attempt(QUIZ, make_layout(QUIZ, seed=4), responses)
    assert result.grades["three"].fraction == pytest.approx(1 - 1 / 3)
    assert result.grades["six"].fraction == 0.5
    assert result.grades["four"].verdict == "wrong"
    assert result.score == pytest.approx(round((1 - 1 / 3) * 1 + 0.5 * 1, 6))


def test_empty_layout_scores_zero_percent() -> None:
    result = grade_attempt(QUIZ, (), RIGHT)
    assert (result.score, result.max_score, result.percent, dict(result.grades)) == (0.0, 0.0, 0.0, {})


# --- starting an attempt --------------------------------------------------------------------------------------

LIMITED = make_quiz(max_attempts=3, cooldown_minutes=10)


@pytest.mark.parametrize("started", [0, 1, 2])
def test_attempts_below_the_limit_may_start(started: int) -> None:
    check_can_start(LIMITED, started, None, NOW)


@pytest.mark.parametrize("started", [3, 4])
def test_attempt_past_the_limit_is_refused_naming_the_limit(started: int) -> None:
    with pytest.raises(AttemptRefused) as refused:
        check_can_start(LIMITED, started, None, NOW)
    assert refused.value.message == "No attempts left: this quiz allows %(limit)d."
    assert refused.value.params == {"limit": 3}
    assert str(refused.value) == "No attempts left: this quiz allows 3."


def test_quiz_without_a_limit_always_starts() -> None:
    check_can_start(QUIZ, 1000, NOW - timedelta(seconds=1), NOW)


@pytest.mark.parametrize(
    ("since_submitted", "minutes"),
    [
        (timedelta(0), 10),
        (timedelta(seconds=1), 10),
        (timedelta(minutes=1), 9),
        (timedelta(minutes=5, seconds=30), 5),  # 4½ minutes left: rounded up
        (timedelta(minutes=9, seconds=59), 1),
    ],
)
def test_attempt_inside_the_cooldown_is_refused_with_the_minutes_left(since_submitted: timedelta, minutes: int) -> None:
    with pytest.raises(AttemptRefused) as refused:
        check_can_start(LIMITED, 1, NOW - since_submitted, NOW)
    assert refused.value.message == "Your next attempt is possible in %(minutes)d minutes."
    assert refused.value.params == {"minutes": minutes}


@pytest.mark.parametrize("since_submitted", [timedelta(minutes=10), timedelta(hours=3)])
def test_attempt_after_the_cooldown_may_start(since_submitted: timedelta) -> None:
    check_can_start(LIMITED, 1, NOW - since_submitted, NOW)


def test_limit_is_checked_before_the_cooldown() -> None:
    with pytest.raises(AttemptRefused) as refused:
        check_can_start(LIMITED, 3, NOW, NOW)
    assert refused.value.params == {"limit": 3}


def test_ready_at_is_the_end_of_the_cooldown() -> None:
    assert ready_at(LIMITED, NOW) == NOW + timedelta(minutes=10)
    assert ready_at(LIMITED, None) is None
    assert ready_at(QUIZ, NOW) is None
