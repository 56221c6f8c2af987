"""The whole percentage a learner reads for a quiz score: rounded half up, never contradicting the result."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core.quiz import whole_percent


@pytest.mark.parametrize(
    ("score", "max_score", "pass_percent", "shown"),
    [
        (2, 3, 50, 67),  # 66.67 rounds to 67
        (1, 3, 50, 33),  # 33.33 rounds to 33
        (1, 8, 10, 13),  # 12.5: half rounds up
        (5, 8, 75, 63),  # 62.5: half up, below the pass mark anyway
        (199, 200, 75, 100),  # 99.5 would round to 100, but full marks were missed (99 expected)
        (0, 8, 75, 0),
        (8, 8, 75, 100),
        (6, 8, 75, 75),  # exactly the pass mark passes and says so
    ],
)
def test_scores_round_half_up_to_whole_percent(score: float, max_score: float, pass_percent: int, shown: int) -> None:
    percent = round(100 * score / max_score, 2)
    full = score >= max_score
    passed = percent >= pass_percent
    expected = 99 if (shown == 100 and not full) else shown
    assert whole_percent(percent, full_marks=full, passed=passed, pass_percent=pass_percent) == expected


def test_a_fail_never_reads_as_the_pass_mark() -> None:
    assert whole_percent(79.6, full_marks=False, passed=False, pass_percent=80) == 79
    assert whole_percent(79.5, full_marks=False, passed=False, pass_percent=80) == 79
    assert whole_percent(80.0, full_marks=False, passed=True, pass_percent=80) == 80


def test_nearly_full_marks_never_read_as_100_and_a_few_points_never_as_0() -> None:
    assert whole_percent(99.6, full_marks=False, passed=True, pass_percent=80) == 99
    assert whole_percent(100.0, full_marks=True, passed=True, pass_percent=80) == 100
    assert whole_percent(0.4, full_marks=False, passed=False, pass_percent=80) == 1


@given(
    score=st.integers(min_value=0, max_value=400),
    extra=st.integers(min_value=0, max_value=400),
    pass_percent=st.integers(min_value=1, max_value=100),
)
def test_the_shown_percentage_agrees_with_the_result(score: int, extra: int, pass_percent: int) -> None:
    max_score = score + extra or 1
    percent = round(100 * score / max_score, 2)  # as grading stores it
    passed = percent >= pass_percent
    shown = whole_percent(percent, full_marks=score >= max_score, passed=passed, pass_percent=pass_percent)
    assert 0 <= shown <= 100
    assert (shown >= pass_percent) == passed
    assert (shown == 100) == (score >= max_score)
    if pass_percent > 1:  # with a pass mark of 1 %, a fail with a few points reads 0 %: the decision wins
        assert (shown == 0) == (score == 0)
    assert abs(shown - percent) < 1
