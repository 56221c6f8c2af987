"""Pure analytics computations: answer distributions per question type, the item report's bookkeeping, CSV cells
and score bins. Imports only course.core."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.core.analytics.items import quiz_report
from course.core.analytics.tables import csv_cell, score_bin
from course.core.quiz import parse_quiz
from course.core.quiz.distribution import distribution

QUIZ_FILE = Path(__file__).resolve().parents[2] / "quizzes" / "kam-pay" / "kam-mandate-quiz.yml"


@pytest.fixture(scope="module")
def quiz():
    parsed, problems = parse_quiz(
        "quizzes/kam-pay/kam-mandate-quiz.yml", QUIZ_FILE.read_text("utf-8"), "kam-pay", ("de", "en")
    )
    assert parsed is not None, problems
    return parsed


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
    report = quiz_report(quiz, attempts, "en")
    assert report.attempts == 2
    assert report.skipped == 4
    assert report.mean_percent == 50.0
    item = next(q for q in report.questions if q.question.id == "pay-depends-on")
    assert item.statistics.facility == 0.5 and item.answers.responses == 2
    assert report.cic is None  # one question per attempt: undefined


def test_empty_report(quiz) -> None:
    report = quiz_report(quiz, [], "en")
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
