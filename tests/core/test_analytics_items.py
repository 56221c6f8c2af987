"""Pure analytics computations: answer distributions per question type, the item report's bookkeeping, the answer
rows written at submission, the counted report against the report from stored answers, the minimum number of
attempts for flags, CSV cells and score bins. Imports only course.core."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core.analytics.answers import answer_rows, response_of
from course.core.analytics.items import positions_needed, report_from_counts
from course.core.analytics.tables import csv_cell, score_bin
from course.core.quiz import parse_quiz
from course.core.quiz.distribution import Distribution
from course.core.quiz.distribution import distribution as counted_distribution
from course.core.quiz.statistics import ItemFlag
from tests.core.item_reports import answer_pools, counted, reference_report

QUIZ_FILE = Path(__file__).resolve().parents[2] / "quizzes" / "kam-pay" / "kam-mandate-quiz.yml"


@pytest.fixture(scope="module")
def quiz():
    parsed, problems = parse_quiz(
        "quizzes/kam-pay/kam-mandate-quiz.yml", QUIZ_FILE.read_text("utf-8"), "kam-pay", ("de", "en")
    )
    assert parsed is not None, problems
    return parsed


def distribution(question, responses: list[object], lang: str, top: int = 5) -> Distribution:
    """The distribution of responses given one attempt each."""
    return counted_distribution(question, [(response, 1) for response in responses], lang, top)


def counts(result) -> dict[str, int]:
    return {row.key: row.count for row in result.rows}


def test_single_choice_counts_every_option_in_authored_order(quiz) -> None:
    result = distribution(quiz.question("pay-depends-on"), ["visits", "mandate-carried-out", "visits", None], "en")
    assert [row.key for row in result.rows] == ["mandate-carried-out", "quarter-revenue", "visits", "tenure"]
    assert counts(result) == {"mandate-carried-out": 1, "quarter-revenue": 0, "visits": 2, "tenure": 0}
    assert [row.correct for row in result.rows] == [True, False, False, False]
    assert (result.responses, result.unanswered) == (4, 1)
    assert result.share(2) == 0.5
    assert result.rows[0].label.startswith("On how well") and result.rows[0].html


def test_multiple_choice_counts_each_tick(quiz) -> None:
    result = distribution(
        quiz.question("good-objectives"),
        [["contract-renewed", "share-price"], ["contract-renewed"], []],
        "en",
    )
    found = counts(result)
    assert found["contract-renewed"] == 2 and found["share-price"] == 1 and found["twenty-visits"] == 0
    assert result.unanswered == 1  # an empty selection is no answer


def test_true_false(quiz) -> None:
    result = distribution(quiz.question("no-bonus-without-customer"), [True, True, False, None], "de")
    assert counts(result) == {"true": 2, "false": 1}
    assert result.unanswered == 1


def test_matching_counts_pairs_per_prompt_and_always_lists_the_right_pair(quiz) -> None:
    question = quiz.question("four-questions-objectives")
    right = dict(question.spec.matches)
    wrong = {**right, "who": "twenty-visits"}
    result = distribution(question, [right, wrong], "en")
    found = counts(result)
    assert found["who→contacts-levels"] == 1 and found["who→twenty-visits"] == 1
    assert found["what→renew-contract"] == 2
    assert len(result.rows) == 5  # four right pairs and the one wrong pair given
    assert {row.key for row in result.rows if row.correct} == {f"{p}→{c}" for p, c in right.items()}


def test_numeric_groups_equal_values_and_sums_the_rest(quiz) -> None:
    question = quiz.question("mandate-bonus-total")
    responses = [{"text": t, "value": v} for t, v in [("100000", 1e5), ("100.000", 1e5), ("15000", 15000.0)]]
    responses += [{"text": str(v), "value": float(v)} for v in range(1, 8)]
    result = distribution(question, responses, "de", top=3)
    assert [(row.label, row.count, row.correct) for row in result.rows] == [
        ("100.000", 2, True),
        ("1", 1, False),
        ("15.000", 1, False),
    ]
    assert (result.other, result.other_kinds) == (6, 6)


def test_short_text_groups_normalised_answers(quiz) -> None:
    question = quiz.question("fourth-question")
    answers = ["Support", " support.", "UNTERSTÜTZUNG", "Ansprechpartner", "ansprechpartner"]
    result = distribution(question, answers, "en")
    assert [(row.key, row.count, row.correct) for row in result.rows] == [
        ("ansprechpartner", 2, False),
        ("support", 2, True),
        ("unterstützung", 1, True),
    ]


def test_ordering_groups_identical_orders(quiz) -> None:
    question = quiz.question("mandate-bonus-steps")
    key = [item.id for item in question.spec.items]
    result = distribution(question, [key, key, list(reversed(key))], "en")
    assert [(row.count, row.correct) for row in result.rows] == [(2, True), (1, False)]
    assert " → " in result.rows[0].label


def test_unknown_option_ids_from_an_older_revision_do_not_break_counts(quiz) -> None:
    result = distribution(quiz.question("pay-depends-on"), ["removed-option", "visits"], "en")
    assert counts(result)["visits"] == 1 and result.responses == 2


def test_report_leaves_out_removed_questions_and_changed_points(quiz) -> None:
    attempts = [
        {
            "pay-depends-on": {"response": "visits", "mark": 0, "max_mark": 1},
            "gone": {"response": "x", "mark": 1, "max_mark": 1},
            "mandate-bonus-total": {"response": None, "mark": 1, "max_mark": 1},  # was worth 1 point then
        },
        {"pay-depends-on": {"response": "mandate-carried-out", "mark": 1, "max_mark": 1}},
        {"gone": {"response": "x", "mark": 1, "max_mark": 1}},  # nothing left: not an attempt of this quiz now
        {"pay-depends-on": {"response": None, "mark": None, "max_mark": 1}},  # never graded
    ]
    report = reference_report(quiz, attempts, "en")
    assert report.attempts == 2
    assert report.skipped == 4
    assert report.mean_percent == 50.0
    item = next(q for q in report.questions if q.question.id == "pay-depends-on")
    assert item.statistics.facility == 0.5 and item.answers.responses == 2
    assert report.cic is None  # one question per attempt: undefined


def test_empty_report(quiz) -> None:
    report = reference_report(quiz, [], "en")
    assert report.attempts == 0 and report.mean_percent is None and report.flagged == 0
    assert len(report.questions) == len(quiz.questions)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Anna", "Anna"),
        ("", ""),
        (None, ""),
        (-2.5, "-2.5"),
        (3, "3"),
        (66.67, "66.67"),
        (True, "yes"),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


@pytest.mark.parametrize(
    ("score", "expected"), [(0, 0), (9.99, 0), (10, 1), (69.99, 6), (70, 7), (99.5, 9), (100, 9), (-1, 0), (120, 9)]
)
def test_score_bins(score: float, expected: int) -> None:
    assert score_bin(score) == expected


# --- distributions from counts, answer rows, counted reports ----------------------------------------------------

DRAW_FILE = QUIZ_FILE.with_name("designing-a-kam-bonus-plan-quiz.yml")


@pytest.fixture(scope="module")
def drawn_quiz():
    parsed, problems = parse_quiz(
        "quizzes/kam-pay/designing-a-kam-bonus-plan-quiz.yml", DRAW_FILE.read_text("utf-8"), "kam-pay", ("de", "en")
    )
    assert parsed is not None and parsed.draw == 7 and len(parsed.questions) == 9, problems
    return parsed


def test_a_response_counted_several_times_is_the_same_as_given_that_often(quiz) -> None:
    for question in quiz.questions:
        pool = answer_pools(quiz)[question.id]
        one_by_one = distribution(question, [response for response in pool for _ in range(3)], "en", top=2)
        counted = counted_distribution(question, [(response, 3) for response in pool], "en", top=2)
        assert counted == one_by_one


def test_answer_rows_carry_marks_the_rest_of_the_attempt_and_a_response_key() -> None:
    answers = {
        "q1": {"response": ["b", "a"], "checked_at": None, "mark": 1 / 3, "max_mark": 1},
        "q2": {"response": {"who": "x", "how": "y"}, "mark": 0.1, "max_mark": 2.0},
        "q3": {"response": None, "mark": None, "max_mark": 1.0},  # saved, never graded
        "q4": "garbage",
    }
    rows = answer_rows(answers)
    assert [row.question_id for row in rows] == ["q1", "q2", "q3", "q4"]
    assert [row.mark for row in rows] == [1 / 3, 0.1, None, None]
    assert [row.max_mark for row in rows] == [1.0, 2.0, 1.0, -1.0]
    assert [row.rest for row in rows] == [0.1, 1 / 3, None, None]
    assert rows[0].response == '["b","a"]' and rows[1].response == '{"how":"y","who":"x"}'
    assert rows[2].response is None and response_of(rows[1].response) == {"who": "x", "how": "y"}
    assert (rows[0].attempt_mark, rows[0].attempt_max_mark, rows[0].attempt_questions) == (
        math.fsum([1 / 3, 0.1]),
        3.0,
        2,
    )
    assert all(row.attempt_questions is None for row in rows[1:])
    assert answer_rows({}) == []


def test_the_rest_of_the_attempt_is_summed_like_the_statistics_sum_it() -> None:
    marks = [0.1, 0.2, 0.3, 1e-17, 1 / 3]
    rows = answer_rows({f"q{i}": {"mark": mark, "max_mark": 1.0} for i, mark in enumerate(marks)})
    for i, row in enumerate(rows):
        assert row.rest == math.fsum(marks[:i] + marks[i + 1 :])


@st.composite
def stored_attempts(draw: st.DrawFn, quiz, drawn: int | None = None) -> list[dict]:
    """Stored answers of generated attempts: every question (or `drawn` of them), marks on a grid of awkward
    fractions or anywhere up to the points, responses from each question's pool, some attempts repeated."""
    pools = answer_pools(quiz)
    ids = [question.id for question in quiz.questions]
    share = st.one_of(st.sampled_from([0.0, 0.1, 1 / 3, 0.5, 2 / 3, 1.0]), st.floats(min_value=0.0, max_value=1.0))
    attempts: list[dict] = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        if attempts and draw(st.integers(min_value=0, max_value=3)) == 0:
            attempts.append(draw(st.sampled_from(attempts)))
            continue
        chosen = ids if drawn is None else sorted(draw(st.permutations(ids))[:drawn], key=ids.index)
        attempt = {}
        for question_id in chosen:
            points = float(quiz.question(question_id).points)
            attempt[question_id] = {
                "response": draw(st.sampled_from(pools[question_id])),
                "checked_at": None,
                "mark": draw(share) * points,
                "max_mark": points,
            }
        attempts.append(attempt)
    return attempts


@given(data=st.data())
def test_the_counted_report_equals_the_report_from_stored_answers(quiz, drawn_quiz, data: st.DataObject) -> None:
    for each, drawn in ((quiz, None), (drawn_quiz, 7)):
        attempts = data.draw(stored_attempts(each, drawn))
        counts = counted(each, attempts)
        assert counts is not None
        for lang, minimum in (("en", 0), ("de", 3)):
            expected = reference_report(each, attempts, lang, minimum)
            assert report_from_counts(each, counts, lang, minimum) == expected


def test_a_drawn_quiz_needs_the_marks_per_position(drawn_quiz) -> None:
    attempts = [
        {q.id: {"response": None, "mark": float(i % 2), "max_mark": float(q.points)} for q in drawn_quiz.questions[:7]}
        for i in range(3)
    ]
    counts = counted(drawn_quiz, attempts)
    assert positions_needed(drawn_quiz, counts.attempts) == 7 and len(counts.positions) == 7
    with pytest.raises(ValueError, match="positions"):
        report_from_counts(drawn_quiz, replace(counts, positions=()), "en")


def test_flags_show_only_after_the_minimum_number_of_attempts(quiz) -> None:
    everyone_right = [
        {q.id: {"response": None, "mark": float(q.points), "max_mark": float(q.points)} for q in quiz.questions}
    ] * 4
    early = reference_report(quiz, everyone_right, "en", min_attempts=5)
    assert early.attempts_needed == 1 and early.flagged == 0
    item = early.questions[0]
    assert item.statistics.flags == (ItemFlag.VERY_EASY,)  # computed, not shown
    assert item.flags == () and not item.flagged and item.attempts_needed == 1
    enough = reference_report(quiz, [*everyone_right, everyone_right[0]], "en", min_attempts=5)
    assert enough.attempts_needed == 0 and enough.flagged == len(quiz.questions)
    assert enough.questions[0].flags == (ItemFlag.VERY_EASY,)
    assert reference_report(quiz, everyone_right, "en").flagged == len(quiz.questions)  # no minimum: as before


def test_blanks_count_each_blank_as_its_own_group_in_the_texts_order() -> None:
    path = QUIZ_FILE.parent / "year-end-retention-bonus-quiz.yml"
    parsed, _ = parse_quiz(f"quizzes/kam-pay/{path.name}", path.read_text("utf-8"), "kam-pay", ("de", "en"))
    question = parsed.question("complete-the-rule")
    responses = [
        {"condition": "still-doing-business", "share": "85%"},
        {"condition": "more-orders", "share": "15 %"},
        {"share": "85 %"},
        None,
    ]
    result = distribution(question, responses, "en")
    assert (result.responses, result.unanswered) == (4, 1)
    assert [(row.group, row.key, row.count, row.correct) for row in result.rows] == [
        ("(1)", "condition:still-doing-business", 1, True),
        ("(1)", "condition:revenue-target-met", 0, False),
        ("(1)", "condition:more-orders", 1, False),
        ("(1)", "condition:visited-as-planned", 0, False),
        ("(2)", "share:15 %", 1, False),
        ("(2)", "share:85 %", 1, True),
        ("(2)", "share:85%", 1, True),
    ]
