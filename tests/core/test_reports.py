"""The group reports' arithmetic: on time or late at the due moment, completions per ISO week, score bins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core import reports

DUE = datetime(2026, 12, 4, 22, 59, 59, tzinfo=UTC)  # the end of 4 December in Berlin
NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("completed_at", "due_at", "now", "expected"),
    [
        (DUE - timedelta(days=1), DUE, NOW, reports.ON_TIME),
        (DUE, DUE, NOW, reports.ON_TIME),  # at the due moment itself: still on time
        (DUE + timedelta(seconds=1), DUE, NOW, reports.LATE),
        (None, DUE, NOW, reports.OVERDUE),
        (None, DUE, DUE, reports.NOT_DUE),
        (None, NOW + timedelta(days=1), NOW, reports.NOT_DUE),
        (DUE, None, NOW, reports.COMPLETED),
        (None, None, NOW, reports.OPEN),
    ],
)
def test_where_a_member_stands(completed_at, due_at, now, expected: str) -> None:
    assert reports.classify(completed_at, due_at, now) == expected


def test_the_headline_counts_each_member_once() -> None:
    numbers = reports.headline([DUE - timedelta(days=1), DUE + timedelta(days=1), None, None], DUE, NOW)
    assert numbers == reports.Headline(members=4, completed=2, on_time=1, late=1, overdue=2, not_due=0)
    assert numbers.open == 2
    assert reports.headline([], DUE, NOW) == reports.Headline(0, 0, 0, 0, 0, 0)
    undue = reports.headline([DUE, None], None, NOW)
    assert (undue.completed, undue.not_due, undue.on_time, undue.overdue) == (1, 1, 0, 0)


def test_weeks_start_on_monday_in_utc() -> None:
    assert reports.week_start(NOW) == date(2026, 12, 7)
    assert reports.week_start(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == date(2026, 11, 30)  # a Sunday
    assert reports.iso_week(NOW) == (2026, 50)
    assert reports.iso_week(datetime(2027, 1, 1, tzinfo=UTC)) == (2026, 53)


def test_completions_per_week_with_the_running_total() -> None:
    start = datetime(2026, 11, 20, tzinfo=UTC)  # the week of 16 November
    done = [datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)]
    weeks = reports.weekly_completions(done, start, NOW)
    assert [(w.start, w.new, w.total) for w in weeks] == [
        (date(2026, 11, 16), 1, 1),
        (date(2026, 11, 23), 0, 1),
        (date(2026, 11, 30), 2, 3),
        (date(2026, 12, 7), 0, 3),
    ]


def test_a_long_history_keeps_the_last_weeks_and_the_whole_total() -> None:
    start = NOW - timedelta(weeks=300)
    weeks = reports.weekly_completions([start, NOW - timedelta(weeks=2)], start, NOW, max_weeks=10)
    assert len(weeks) == 10
    assert weeks[0].total == 1 and weeks[0].new == 0
    assert weeks[-1].total == 2


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))


@given(st.lists(moments, max_size=40), moments, moments, st.integers(1, 200))
def test_every_completion_is_counted_once_and_the_total_never_falls(done, start, now, max_weeks) -> None:
    weeks = reports.weekly_completions(done, start, now, max_weeks)
    assert 1 <= len(weeks) <= max_weeks
    assert weeks[-1].total == len(done)
    assert weeks[-1].start == reports.week_start(now)
    assert all(
        later.start - earlier.start == timedelta(weeks=1) for earlier, later in zip(weeks, weeks[1:], strict=False)
    )
    assert all(earlier.total + later.new == later.total for earlier, later in zip(weeks, weeks[1:], strict=False))
    assert all(week.new >= 0 for week in weeks)


@given(st.lists(st.none() | st.floats(0, 100)))
def test_the_histogram_counts_every_score_in_its_bin(scores) -> None:
    bins = reports.histogram(scores)
    assert len(bins) == 10
    assert sum(bins) == sum(1 for score in scores if score is not None)
    for score in scores:
        if score is not None:
            assert bins[min(9, int(score // 10))] > 0


@given(st.lists(st.none() | moments, max_size=30), moments, moments)
def test_the_headline_adds_up(completions, due_at, now) -> None:
    numbers = reports.headline(completions, due_at, now)
    assert numbers.members == len(completions)
    assert numbers.completed == numbers.on_time + numbers.late
    assert numbers.members == numbers.completed + numbers.overdue + numbers.not_due
