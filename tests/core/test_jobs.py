"""The rules of background jobs: the waits between attempts and how far along a job is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core.jobs import BACKOFF, next_slot, percent, retry_at

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_waits_grow_from_seconds_to_hours_and_then_stay() -> None:
    waits = [retry_at(attempt, 10, NOW) - NOW for attempt in range(1, 8)]
    assert waits[:5] == [
        timedelta(seconds=10),
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
    ]
    assert waits[5:] == [timedelta(hours=2)] * 2


def test_the_last_attempt_gives_the_job_up() -> None:
    assert retry_at(3, 4, NOW) is not None
    assert retry_at(4, 4, NOW) is None
    assert retry_at(1, 1, NOW) is None


def test_a_job_that_was_not_tried_has_not_failed() -> None:
    with pytest.raises(ValueError):
        retry_at(0, 4, NOW)


@given(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=50))
def test_a_retry_is_always_later_and_never_beyond_the_longest_wait(attempts: int, max_attempts: int) -> None:
    at = retry_at(attempts, max_attempts, NOW)
    assert (at is None) == (attempts >= max_attempts)
    if at is not None:
        assert NOW < at <= NOW + max(BACKOFF)


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [(0, None, None), (5, 0, None), (0, 10, 0), (5, 10, 50), (10, 10, 100), (12, 10, 100), (1, 3, 33)],
)
def test_percent(done: int, total: int | None, expected: int | None) -> None:
    assert percent(done, total) == expected


def test_periodic_slots_are_the_same_on_every_server() -> None:
    moment = datetime(2026, 12, 6, 8, 0, 59, 999000, tzinfo=UTC)
    assert next_slot(moment, timedelta(minutes=1)) == datetime(2026, 12, 6, 8, 1, tzinfo=UTC)
    assert next_slot(moment.replace(second=0, microsecond=0), timedelta(minutes=5)) == datetime(
        2026, 12, 6, 8, 5, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        next_slot(moment, timedelta(0))


@given(st.datetimes(timezones=st.just(UTC)), st.integers(min_value=1, max_value=86400))
def test_the_next_slot_is_later_within_one_interval_and_on_its_grid(moment: datetime, seconds: int) -> None:
    every = timedelta(seconds=seconds)
    slot = next_slot(moment, every)
    assert moment < slot <= moment + every
    assert int(slot.timestamp()) % seconds == 0
