"""Item analysis after Moodle: hand-computed indices, undefined cases as None, and properties that must always hold."""

from __future__ import annotations

import dataclasses
import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core.quiz.statistics import (
    ItemFlag,
    ItemStatistics,
    coefficient_from_counts,
    coefficient_of_internal_consistency,
    counted_sum,
    discrimination,
    discriminative_efficiency,
    facility,
    item_statistics,
    item_statistics_from_counts,
    percent,
)

# Four attempts at three questions; max marks a = 1, b = 2, c = 1.
#
#   attempt   a  b  c   T
#   1         1  2  1   4
#   2         1  0  1   2
#   3         0  2  1   3
#   4         0  1  0   1
#
# a: x = 1,1,0,0 (mean ½, facility ½); X = T − x = 3,1,3,1 (mean 2).
#    dx = ½,½,−½,−½; dX = 1,−1,1,−1; Σ dx·dX = ½ − ½ − ½ + ½ = 0 → Cov = 0, r = 0, DE = 0 (dubious).
#    Var(x) = (4 · ¼)/3 = 1/3 → sd = √(1/3).
# b: x = 2,0,2,1 (mean 5/4, facility 5/8); X = 2,2,1,0 (mean 5/4).
#    dx = ¾,−5/4,¾,−¼; dX = ¾,¾,−¼,−5/4; Σ dx·dX = 9/16 − 15/16 − 3/16 + 5/16 = −1/4 → Cov = −1/12.
#    Σ dx² = Σ dX² = (9 + 25 + 9 + 1)/16 = 11/4 → Var(x) = Var(X) = 11/12, so r = (−1/12)/(11/12) = −1/11.
#    Sorted dx and dX are both −5/4,−¼,¾,¾ → Cov_max = (11/4)/3 = 11/12, DE = 100 · (−1/12)/(11/12) = −100/11.
# c: x = 1,1,1,0 (mean ¾, facility ¾); X = 3,1,2,1 (mean 7/4).
#    dx = ¼,¼,¼,−¾; dX = 5/4,−¾,¼,−¾; Σ dx·dX = 5/16 − 3/16 + 1/16 + 9/16 = ¾ → Cov = ¼.
#    Var(x) = (3/16 + 9/16)/3 = ¼; Var(X) = (25 + 9 + 1 + 9)/16/3 = 11/12; r = ¼/(½ · √(11/12)) = √(3/11).
#    Sorted: dx = −¾,¼,¼,¼ and dX = −¾,−¾,¼,5/4 → Σ = 9/16 − 3/16 + 1/16 + 5/16 = ¾ → Cov_max = ¼, DE = 100.
# CIC: Σ Var(x_i) = 1/3 + 11/12 + 1/4 = 3/2; T = 4,2,3,1 has Var(T) = (9/4 + ¼ + ¼ + 9/4)/3 = 5/3;
#    CIC = 100 · 3/2 · (1 − (3/2)/(5/3)) = 150 · (1 − 9/10) = 15.
MAX_MARKS = {"a": 1.0, "b": 2.0, "c": 1.0}
ROWS = [(1, 2, 1), (1, 0, 1), (0, 2, 1), (0, 1, 0)]
ATTEMPTS = [{q: (float(mark), MAX_MARKS[q]) for q, mark in zip("abc", row, strict=True)} for row in ROWS]


def pearson(xs: list[float], ys: list[float]) -> float:
    """Textbook sample correlation, written out independently of the module under test."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy)


def efficiency(xs: list[float], ys: list[float]) -> float:
    """100 · Cov/Cov_max with Cov_max from the independently sorted arrays, written out independently."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (n - 1)
    cov_max = sum((x - mx) * (y - my) for x, y in zip(sorted(xs), sorted(ys), strict=True)) / (n - 1)
    return 100 * cov / cov_max


def columns(attempts: list[dict[str, tuple[float, float]]], question: str) -> tuple[list[float], list[float]]:
    """The item marks x and rest-of-test marks X = T − x over the attempts that contain `question`."""
    xs, rest = [], []
    for attempt in attempts:
        if question in attempt:
            total = sum(mark for mark, _ in attempt.values())
            xs.append(attempt[question][0])
            rest.append(total - attempt[question][0])
    return xs, rest


# --- the hand-computed example ---------------------------------------------------------------------------------


def test_facility_of_the_worked_example_is_exact() -> None:
    stats = item_statistics(ATTEMPTS, MAX_MARKS)
    assert [stats[q].facility for q in "abc"] == [0.5, 0.625, 0.75]
    assert [stats[q].attempts for q in "abc"] == [4, 4, 4]
    assert list(stats) == ["a", "b", "c"]


def test_discrimination_of_the_worked_example_matches_hand_arithmetic_and_statistics_correlation() -> None:
    stats = item_statistics(ATTEMPTS, MAX_MARKS)
    expected = {"a": 0.0, "b": -1 / 11, "c": math.sqrt(3 / 11)}
    for question, value in expected.items():
        xs, rest = columns(ATTEMPTS, question)
        assert stats[question].discrimination == pytest.approx(value, abs=1e-9)
        assert stats[question].discrimination == pytest.approx(pearson(xs, rest), abs=1e-9)
        assert stats[question].discrimination == pytest.approx(statistics.correlation(xs, rest), abs=1e-9)


def test_discriminative_efficiency_sd_and_flags_of_the_worked_example() -> None:
    stats = item_statistics(ATTEMPTS, MAX_MARKS)
    assert stats["a"].discriminative_efficiency == pytest.approx(0.0, abs=1e-9)
    assert stats["b"].discriminative_efficiency == pytest.approx(-100 / 11, abs=1e-9)
    assert stats["c"].discriminative_efficiency == pytest.approx(100.0, abs=1e-9)
    for question in "bc":
        xs, rest = columns(ATTEMPTS, question)
        assert stats[question].discriminative_efficiency == pytest.approx(efficiency(xs, rest), abs=1e-9)
    # sd is a fraction of the max mark, like facility.
    assert stats["a"].sd == pytest.approx(math.sqrt(1 / 3), abs=1e-12)
    assert stats["b"].sd == pytest.approx(math.sqrt(11 / 12) / 2, abs=1e-12)
    assert stats["c"].sd == pytest.approx(0.5, abs=1e-12)
    assert stats["a"].flags == (ItemFlag.DUBIOUS,)  # r = 0 is not negative, but DE = 0 < 15
    assert stats["b"].flags == (ItemFlag.DUBIOUS, ItemFlag.NEGATIVE_DISCRIMINATION)
    assert stats["c"].flags == ()


def test_cic_of_the_worked_example() -> None:
    assert coefficient_of_internal_consistency(ATTEMPTS) == pytest.approx(15.0, abs=1e-9)


def test_the_public_helpers_agree_with_item_statistics() -> None:
    xs, rest = columns(ATTEMPTS, "c")
    assert facility(xs, 1.0) == 0.75
    assert discrimination(xs, rest) == pytest.approx(math.sqrt(3 / 11), abs=1e-12)
    assert discriminative_efficiency(xs, rest) == pytest.approx(100.0, abs=1e-9)


def test_percent_is_moodles_display_scale() -> None:
    assert percent(0.625) == 62.5
    assert percent(None) is None


def test_item_statistics_are_frozen() -> None:
    stats = item_statistics(ATTEMPTS, MAX_MARKS)["a"]
    assert isinstance(stats, ItemStatistics)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.facility = 1.0  # type: ignore[misc]


# --- undefined and edge cases ----------------------------------------------------------------------------------


def test_no_attempts() -> None:
    assert item_statistics([]) == {}
    stats = item_statistics([], {"a": 1.0})["a"]
    assert stats == ItemStatistics("a", 0, 1.0, None, None, None, None, ())
    assert facility([], 1.0) is None
    assert discrimination([], []) is None
    assert discriminative_efficiency([], []) is None
    assert coefficient_of_internal_consistency([]) is None


def test_one_attempt_has_a_facility_but_no_spread_or_discrimination() -> None:
    stats = item_statistics([{"a": (1.0, 2.0), "b": (0.0, 1.0)}])
    assert stats["a"].facility == 0.5
    assert stats["a"].attempts == 1
    assert (stats["a"].sd, stats["a"].discrimination, stats["a"].discriminative_efficiency) == (None, None, None)
    assert stats["b"].flags == (ItemFlag.VERY_HARD,)
    assert discrimination([1.0], [2.0]) is None
    assert coefficient_of_internal_consistency([{"a": (1.0, 2.0), "b": (0.0, 1.0)}]) is None


def test_a_question_everyone_gets_right_has_zero_spread_and_no_discrimination() -> None:
    attempts = [{"a": (1.0, 1.0), "b": (mark, 1.0)} for mark in (0.0, 1.0, 0.5)]
    stats = item_statistics(attempts)
    assert stats["a"].facility == 1.0
    assert stats["a"].sd == 0.0
    assert stats["a"].discrimination is None  # Var(x) = 0: undefined, not NaN
    assert stats["a"].discriminative_efficiency is None
    assert stats["a"].flags == (ItemFlag.VERY_EASY,)
    # b's rest of test is a's constant mark, so b's discrimination is undefined as well.
    assert stats["b"].discrimination is None
    assert stats["b"].facility == 0.5


def test_constant_marks_that_do_not_sum_exactly_are_still_constant() -> None:
    # 0.1 + 0.1 + 0.1 is not 0.3 in floating point; the constant must still be recognised as constant.
    attempts = [{"a": (0.1, 0.1), "b": (0.1, 0.1), "c": (mark, 1.0)} for mark in (0.0, 1.0, 0.0, 1.0)]
    stats = item_statistics(attempts)
    assert stats["a"].facility == 1.0
    assert stats["c"].discrimination is None
    assert discrimination([0.0, 1.0], [0.1, 0.1]) is None


def test_a_zero_max_mark_has_no_facility() -> None:
    assert facility([0.0, 0.0], 0.0) is None
    stats = item_statistics([{"a": (0.0, 0.0), "b": (1.0, 1.0)}, {"a": (0.0, 0.0), "b": (0.0, 1.0)}])
    assert (stats["a"].facility, stats["a"].sd, stats["a"].flags) == (None, None, ())


def test_questions_missing_from_some_attempts_count_only_where_drawn() -> None:
    # Random draws: each attempt holds two or three questions of the pool; T is the attempt's own total.
    attempts = [
        {"a": (1.0, 1.0), "b": (1.0, 1.0)},
        {"a": (0.0, 1.0), "c": (1.0, 1.0)},
        {"b": (0.0, 1.0), "c": (0.0, 1.0)},
        {"a": (1.0, 1.0), "b": (0.0, 1.0), "c": (1.0, 1.0)},
        {"a": (0.0, 1.0), "b": (1.0, 1.0), "c": (0.0, 1.0)},
        {"a": (1.0, 1.0), "c": (0.0, 1.0)},
    ]
    stats = item_statistics(attempts, {"a": 1.0, "b": 1.0, "c": 1.0, "unused": 1.0})
    assert {q: s.attempts for q, s in stats.items()} == {"a": 5, "b": 4, "c": 5, "unused": 0}
    # a is in attempts 1, 2, 4, 5, 6: x = 1,0,1,0,1 → facility 3/5; X = 1,1,1,1,0 (each attempt's own total − x).
    assert stats["a"].facility == 0.6
    for question in "abc":
        xs, rest = columns(attempts, question)
        assert stats[question].facility == pytest.approx(sum(xs) / len(xs), abs=1e-12)
        assert stats[question].discrimination == pytest.approx(pearson(xs, rest), abs=1e-9)
        assert stats[question].discriminative_efficiency == pytest.approx(efficiency(xs, rest), abs=1e-9)
    assert stats["unused"].facility is None
    # The question sets differ between attempts, so Cronbach's alpha over question ids is undefined.
    assert coefficient_of_internal_consistency(attempts) is None


def test_cic_undefined_cases() -> None:
    one_question = [{"a": (1.0, 1.0)}, {"a": (0.0, 1.0)}]
    assert coefficient_of_internal_consistency(one_question) is None
    same_totals = [{"a": (1.0, 1.0), "b": (0.0, 1.0)}, {"a": (0.0, 1.0), "b": (1.0, 1.0)}]
    assert coefficient_of_internal_consistency(same_totals) is None


def test_inconsistent_or_invalid_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="max mark"):
        item_statistics([{"a": (1.0, 1.0)}, {"a": (1.0, 2.0)}])
    with pytest.raises(ValueError, match="max mark"):
        item_statistics([{"a": (1.0, 2.0)}], {"a": 1.0})
    with pytest.raises(ValueError, match="does not list"):
        item_statistics([{"a": (1.0, 1.0), "z": (1.0, 1.0)}], {"a": 1.0})
    with pytest.raises(ValueError, match="finite"):
        item_statistics([{"a": (math.nan, 1.0)}])
    with pytest.raises(ValueError, match="non-negative"):
        facility([1.0], -1.0)
    with pytest.raises(ValueError, match="rest-of-test"):
        discrimination([1.0, 2.0], [1.0])


# --- properties ------------------------------------------------------------------------------------------------

MARK = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
PAIRS = st.lists(st.tuples(MARK, MARK), max_size=30)


@st.composite
def marks_within_max(draw: st.DrawFn) -> tuple[list[float], float]:
    max_mark = draw(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False))
    marks = draw(st.lists(st.floats(min_value=0.0, max_value=max_mark), max_size=30))
    return marks, max_mark


@st.composite
def quiz_attempts(draw: st.DrawFn) -> list[dict[str, tuple[float, float]]]:
    """Attempts drawing 1–4 questions from a pool of 5, marks on a coarse grid so ties and constants occur."""
    pool = {q: draw(st.sampled_from([1.0, 2.0, 0.5])) for q in "abcde"}
    attempts = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        drawn = draw(st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=4, unique=True))
        attempts.append({q: (draw(st.sampled_from([0.0, 0.5, 1.0])) * pool[q], pool[q]) for q in drawn})
    return attempts


@given(marks_within_max())
def test_facility_stays_within_zero_and_one(case: tuple[list[float], float]) -> None:
    marks, max_mark = case
    value = facility(marks, max_mark)
    if marks:
        assert value is not None
        assert 0.0 <= value <= 1.0
    else:
        assert value is None


@given(PAIRS)
def test_discrimination_is_a_correlation(pairs: list[tuple[float, float]]) -> None:
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    value = discrimination(xs, ys)
    if value is not None:
        assert -1.0 <= value <= 1.0
        assert not math.isnan(value)
    if len(pairs) < 2 or len(set(xs)) == 1 or len(set(ys)) == 1:
        assert value is None


@given(PAIRS, st.randoms(use_true_random=False))
def test_discrimination_and_efficiency_do_not_depend_on_attempt_order(
    pairs: list[tuple[float, float]], rnd: random.Random
) -> None:
    shuffled = pairs[:]
    rnd.shuffle(shuffled)
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    sx, sy = [x for x, _ in shuffled], [y for _, y in shuffled]
    # Exact equality: every sum is an fsum, whose result does not depend on the order of its terms.
    assert discrimination(xs, ys) == discrimination(sx, sy)
    assert discriminative_efficiency(xs, ys) == discriminative_efficiency(sx, sy)


@given(PAIRS)
def test_discriminative_efficiency_is_at_most_100(pairs: list[tuple[float, float]]) -> None:
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    value = discriminative_efficiency(xs, ys)
    if value is not None:
        assert value <= 100.0
        assert not math.isnan(value)
    assert (value is None) == (discrimination(xs, ys) is None)


@given(quiz_attempts(), st.randoms(use_true_random=False))
def test_item_statistics_hold_their_bounds_and_ignore_attempt_order(
    attempts: list[dict[str, tuple[float, float]]], rnd: random.Random
) -> None:
    stats = item_statistics(attempts)
    shuffled = attempts[:]
    rnd.shuffle(shuffled)
    assert item_statistics(shuffled) == stats
    drawn = {q for attempt in attempts for q in attempt}
    assert set(stats) == drawn
    for question, item in stats.items():
        assert item.attempts == sum(question in attempt for attempt in attempts)
        assert item.facility is not None and 0.0 <= item.facility <= 1.0
        if item.discrimination is not None:
            assert -1.0 <= item.discrimination <= 1.0
            xs, rest = columns(attempts, question)
            assert item.discrimination == pytest.approx(pearson(xs, rest), abs=1e-9)
        if item.discriminative_efficiency is not None:
            assert item.discriminative_efficiency <= 100.0
        assert (ItemFlag.VERY_EASY in item.flags) == (item.facility >= 0.95)


# --- the same statistics from counts: equal to the definitions to the last bit -------------------------------------


@st.composite
def scored_attempts(draw: st.DrawFn) -> tuple[list[dict[str, tuple[float, float]]], dict[str, float]]:
    """Attempts at up to four of five questions with any marks up to the max: thirds and tenths that no float holds
    exactly, arbitrary floats, repeats (so counts exceed one) and constants."""
    max_marks = {q: draw(st.sampled_from([1.0, 2.0, 0.5, 3.0])) for q in "abcde"}
    grid = st.sampled_from([0.0, 0.1, 1 / 3, 0.5, 2 / 3, 0.7, 1.0])
    attempts: list[dict[str, tuple[float, float]]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=14))):
        if attempts and draw(st.booleans()):
            attempts.append(draw(st.sampled_from(attempts)))  # the same marks again
            continue
        drawn = draw(st.lists(st.sampled_from(sorted(max_marks)), min_size=1, max_size=4, unique=True))
        attempt = {}
        for q in drawn:
            share = draw(st.one_of(grid, st.floats(min_value=0.0, max_value=1.0)))
            attempt[q] = (share * max_marks[q], max_marks[q])
        attempts.append(attempt)
    return attempts, max_marks


def pair_counts(attempts: list[dict[str, tuple[float, float]]], question: str) -> dict[tuple[float, float], int]:
    """How many attempts had each (mark, fsum of the other marks) pair for `question`, as SQL would count them."""
    pairs: dict[tuple[float, float], int] = {}
    for attempt in attempts:
        if question in attempt:
            pair = (attempt[question][0], math.fsum(m for q, (m, _) in attempt.items() if q != question))
            pairs[pair] = pairs.get(pair, 0) + 1
    return pairs


@given(scored_attempts())
def test_statistics_from_counts_equal_the_definitions_exactly(
    case: tuple[list[dict[str, tuple[float, float]]], dict[str, float]],
) -> None:
    attempts, max_marks = case
    expected = item_statistics(attempts, max_marks)
    for question, maximum in max_marks.items():
        assert item_statistics_from_counts(question, maximum, pair_counts(attempts, question)) == expected[question]


@given(scored_attempts())
def test_cic_from_counts_equals_the_definition_exactly(
    case: tuple[list[dict[str, tuple[float, float]]], dict[str, float]],
) -> None:
    attempts, _ = case
    same_size = [attempt for attempt in attempts if len(attempt) == len(attempts[0])] if attempts else []
    by_position = [dict(enumerate(attempt.values())) for attempt in same_size]
    columns_: list[dict[float, int]] = [{} for _ in by_position[0]] if by_position else []
    totals: dict[float, int] = {}
    for attempt in by_position:
        for position, (mark, _) in attempt.items():
            columns_[position][mark] = columns_[position].get(mark, 0) + 1
        total = math.fsum(mark for mark, _ in attempt.values())
        totals[total] = totals.get(total, 0) + 1
    assert coefficient_from_counts(columns_, totals) == coefficient_of_internal_consistency(by_position)


@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False, max_value=1e300, min_value=-1e300),
            st.integers(min_value=1, max_value=1000),
        ),
        max_size=20,
    )
)
def test_counted_sum_is_the_fsum_of_the_repeated_values(counts: list[tuple[float, int]]) -> None:
    assert counted_sum(counts) == math.fsum(value for value, count in counts for _ in range(count))


def test_statistics_from_counts_of_the_worked_example() -> None:
    stats = item_statistics(ATTEMPTS, MAX_MARKS)
    for question, maximum in MAX_MARKS.items():
        assert item_statistics_from_counts(question, maximum, pair_counts(ATTEMPTS, question)) == stats[question]
    assert item_statistics_from_counts("z", 1.0, {}) == ItemStatistics("z", 0, 1.0, None, None, None, None)


def test_counts_with_a_non_finite_mark_are_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        item_statistics_from_counts("a", 1.0, {(math.nan, 0.0): 2})
    with pytest.raises(ValueError, match="max mark"):
        item_statistics_from_counts("a", -1.0, {(0.0, 0.0): 2})
