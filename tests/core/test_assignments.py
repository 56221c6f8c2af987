"""Due dates of assignments: days in a zone in, UTC moments out, and the refusals a trainer sees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core.assignments import (
    MAX_YEARS_AHEAD,
    ScheduleError,
    days_left,
    end_of_day,
    is_overdue,
    is_time_zone,
    local_day,
    make_schedule,
    time_zones,
)
from course.core.catalog import build_catalog
from tests.core.test_catalog import COURSE_YML, course_files

NOW = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)  # 22:00 in Berlin, already 6 December in Kiritimati (UTC+14)
BERLIN = "Europe/Berlin"


def test_the_due_moment_is_the_last_second_of_the_due_day_in_the_chosen_zone() -> None:
    schedule = make_schedule(date(2026, 12, 31), date(2026, 12, 10), BERLIN, NOW)
    assert schedule.due_at == datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC)
    assert schedule.starts_at == datetime(2026, 12, 9, 23, 0, tzinfo=UTC)
    assert schedule.time_zone == BERLIN


def test_summer_time_is_taken_into_account() -> None:
    assert end_of_day(date(2027, 7, 1), BERLIN) == datetime(2027, 7, 1, 21, 59, 59, tzinfo=UTC)


def test_today_is_a_valid_due_date_and_not_yet_overdue() -> None:
    schedule = make_schedule(date(2026, 12, 5), None, BERLIN, NOW)
    assert schedule.starts_at is None
    assert not is_overdue(schedule.due_at, NOW)
    assert days_left(schedule.due_at, BERLIN, NOW) == 0
    assert is_overdue(schedule.due_at, NOW + timedelta(hours=2))
    assert days_left(schedule.due_at, BERLIN, NOW + timedelta(hours=2)) == -1


@pytest.mark.parametrize(
    ("due", "start", "zone", "field", "message"),
    [
        (date(2026, 12, 4), None, BERLIN, "due", "The due date has passed (today is 2026-12-05 in Europe/Berlin)."),
        # Still 5 December in Berlin, but 6 December already in Kiritimati: there the 5th has passed.
        (
            date(2026, 12, 5),
            None,
            "Pacific/Kiritimati",
            "due",
            "The due date has passed (today is 2026-12-06 in Pacific/Kiritimati).",
        ),
        (date(2026, 12, 20), date(2026, 12, 21), BERLIN, "starts", "The start date must be on or before the due date."),
        (date(2032, 1, 1), None, BERLIN, "due", f"The due date must be within {MAX_YEARS_AHEAD} years."),
        (date(2026, 12, 20), None, "Mars/Olympus_Mons", "time_zone", "Choose a time zone from the list."),
        (date(2026, 12, 20), None, "../../etc/passwd", "time_zone", "Choose a time zone from the list."),
        (date(2026, 12, 20), None, "", "time_zone", "Choose a time zone from the list."),
    ],
)
def test_impossible_schedules_are_refused_with_a_message_for_their_field(
    due: date, start: date | None, zone: str, field: str, message: str
) -> None:
    with pytest.raises(ScheduleError) as raised:
        make_schedule(due, start, zone, NOW)
    assert raised.value.field == field
    assert str(raised.value) == message


def test_a_start_in_the_past_is_fine() -> None:
    schedule = make_schedule(date(2026, 12, 20), date(2026, 1, 1), BERLIN, NOW)
    assert schedule.starts_at is not None and schedule.starts_at < NOW


def test_the_zone_list_holds_the_usual_zones() -> None:
    assert BERLIN in time_zones()
    assert is_time_zone("UTC") and is_time_zone("America/New_York")
    assert not is_time_zone("Europe/Atlantis")


@given(
    due=st.dates(min_value=date(2026, 12, 6), max_value=date(2031, 12, 1)),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"]),
    offset=st.integers(min_value=0, max_value=30),
)
def test_a_valid_schedule_reads_back_as_the_days_entered(due: date, zone: str, offset: int) -> None:
    start = due - timedelta(days=offset)
    schedule = make_schedule(due, start, zone, NOW)
    assert local_day(schedule.due_at, zone) == due
    assert schedule.starts_at is not None and local_day(schedule.starts_at, zone) == start
    assert schedule.starts_at < schedule.due_at
    assert not is_overdue(schedule.due_at, NOW)
    assert days_left(schedule.due_at, zone, NOW) >= 0
    # One second after the due moment it is overdue, and the due day is behind.
    after = schedule.due_at + timedelta(seconds=1)
    assert is_overdue(schedule.due_at, after)
    assert days_left(schedule.due_at, zone, after) == -1


# --- the course's access key ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"), [("", "open"), ("access: open\n", "open"), ("access: assigned\n", "assigned")]
)
def test_a_course_is_open_unless_it_says_assigned(line: str, expected: str) -> None:
    build = build_catalog(course_files(**{"demo/course.yml": line + COURSE_YML}))
    assert build.problems == []
    assert build.catalog.course("demo").access == expected


@pytest.mark.parametrize("value", ["private", "[assigned]", "true", "Assigned"])
def test_an_unknown_access_value_is_reported_with_its_line(value: str) -> None:
    build = build_catalog(course_files(**{"demo/course.yml": COURSE_YML + f"access: {value}\n"}))
    assert [str(problem) for problem in build.problems][0].startswith(
        "demo/course.yml:15: access must be one of open, assigned, not "
    )
    assert build.catalog.courses == ()
