"""Due dates of course assignments: the trainer gives calendar days in a time zone, the database keeps moments.

A due date means "by the end of that day where the trainer is": 23:59:59 on the due day in the chosen zone,
stored in UTC. A start date means "from the beginning of that day" in the same zone. Showing them back, the
moments are turned into days in the zone they were entered in, so a learner in Berlin and one in Lisbon read the
same due date the trainer wrote. (Not to be confused with `core.assignment`, the sandbox account a learner draws.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from course.core.errors import N_, CourseError

MAX_YEARS_AHEAD = 5  # a due date further off is almost certainly a typo (2062 for 2026)
END_OF_DAY = time(23, 59, 59)


class ScheduleError(CourseError):
    """A due date, start date or time zone the form must refuse; `field` names the form field to show it at."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        self.field = field
        super().__init__(message, **params)


@dataclass(frozen=True)
class Schedule:
    """When an assignment starts (None: at once) and is due, as UTC moments, and the zone they were given in."""

    starts_at: datetime | None
    due_at: datetime
    time_zone: str


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA zone names this machine knows, sorted; the only ones a form accepts."""
    return tuple(sorted(available_timezones()))


def is_time_zone(name: str) -> bool:
    return name in _zone_set()


@cache
def _zone_set() -> frozenset[str]:
    return frozenset(time_zones())


def end_of_day(day: date, zone: str) -> datetime:
    """The last second of `day` in `zone`, in UTC."""
    return datetime.combine(day, END_OF_DAY, ZoneInfo(zone)).astimezone(UTC)


def start_of_day(day: date, zone: str) -> datetime:
    """The first moment of `day` in `zone`, in UTC."""
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


def local_day(moment: datetime, zone: str) -> date:
    """The calendar day `moment` falls on in `zone`."""
    return moment.astimezone(ZoneInfo(zone)).date()


def make_schedule(due: date, start: date | None, zone: str, now: datetime) -> Schedule:
    """Turn the days a trainer entered into UTC moments, refusing what cannot be meant. Raises ScheduleError."""
    if not is_time_zone(zone):
        raise ScheduleError("time_zone", N_("Choose a time zone from the list."))
    today = local_day(now, zone)
    latest = _years_later(today, MAX_YEARS_AHEAD)
    if due < today:
        raise ScheduleError(
            "due", N_("The due date has passed (today is %(today)s in %(zone)s)."), today=today.isoformat(), zone=zone
        )
    if due > latest:
        raise ScheduleError("due", N_("The due date must be within %(years)d years."), years=MAX_YEARS_AHEAD)
    if start is not None and start > due:
        raise ScheduleError("starts", N_("The start date must be on or before the due date."))
    if start is not None and not _years_later(today, -MAX_YEARS_AHEAD) <= start <= latest:
        raise ScheduleError("starts", N_("The start date must be within %(years)d years."), years=MAX_YEARS_AHEAD)
    return Schedule(
        starts_at=start_of_day(start, zone) if start is not None else None,
        due_at=end_of_day(due, zone),
        time_zone=zone,
    )


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def is_overdue(due_at: datetime, now: datetime) -> bool:
    """Past the last second of the due day."""
    return now > due_at


def days_left(due_at: datetime, zone: str, now: datetime) -> int:
    """Whole calendar days from today to the due day in the assignment's zone: 0 on the due day, negative after."""
    return (local_day(due_at, zone) - local_day(now, zone)).days


def has_started(starts_at: datetime | None, now: datetime) -> bool:
    return starts_at is None or starts_at <= now
