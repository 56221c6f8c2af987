"""The group reports' arithmetic over plain data: on time or late, completions per week, score histograms.

A member's course is *completed* at one moment (the reports take the first certificate's issue; see
course/reports/operations.py); against the group's due date that is on time, late, or, without a completion,
overdue or not yet due. Without a due date (the course is not assigned to the group) there is no on time or late:
a member has completed or is still open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from course.core.analytics.tables import score_bin

ON_TIME = "on_time"
LATE = "late"
OVERDUE = "overdue"
NOT_DUE = "not_due"
COMPLETED = "completed"  # completed, and the course has no due date for this group
OPEN = "open"  # not completed, and no due date
CLASSES = (ON_TIME, LATE, OVERDUE, NOT_DUE, COMPLETED, OPEN)
MAX_WEEKS = 104  # two years of weeks; earlier completions are in the first week's running total


def classify(completed_at: datetime | None, due_at: datetime | None, now: datetime) -> str:
    """Where one member stands against the due date: a completion at the due moment itself is on time."""
    if due_at is None:
        return COMPLETED if completed_at is not None else OPEN
    if completed_at is not None:
        return ON_TIME if completed_at <= due_at else LATE
    return OVERDUE if now > due_at else NOT_DUE


@dataclass(frozen=True)
class Headline:
    """The report's numbers at a glance; `on_time`, `late`, `overdue` and `not_due` are 0 without a due date."""

    members: int
    completed: int
    on_time: int
    late: int
    overdue: int
    not_due: int  # not completed and not due yet, or, without a due date, not completed

    @property
    def open(self) -> int:
        return self.members - self.completed


def headline(completions: Sequence[datetime | None], due_at: datetime | None, now: datetime) -> Headline:
    """Counts over the members' completion moments (None: not completed)."""
    counts = dict.fromkeys(CLASSES, 0)
    for completed_at in completions:
        counts[classify(completed_at, due_at, now)] += 1
    completed = counts[ON_TIME] + counts[LATE] + counts[COMPLETED]
    return Headline(
        members=len(completions),
        completed=completed,
        on_time=counts[ON_TIME],
        late=counts[LATE],
        overdue=counts[OVERDUE],
        not_due=counts[NOT_DUE] + counts[OPEN],
    )


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of the ISO week a moment falls in."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def iso_week(moment: datetime) -> tuple[int, int]:
    """The (ISO year, ISO week number) of a moment in UTC, as the weekly summary's key uses it."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return year, week


@dataclass(frozen=True)
class Week:
    start: date  # the Monday
    new: int  # completions in this week
    total: int  # completions up to the end of this week


def weekly_completions(
    completions: Iterable[datetime], start: datetime, now: datetime, max_weeks: int = MAX_WEEKS
) -> list[Week]:
    """Completions per ISO week (UTC) from the week of `start` to the week of `now`, with the running total.

    At most `max_weeks` weeks, the last ones: completions before the first week shown count in its total, not in
    its `new`. A completion after `now` (a clock skew) counts in the last week; one before `start` in the first.
    """
    first, last = week_start(min(start, now)), week_start(now)
    weeks = (last - first).days // 7 + 1
    truncated = weeks > max_weeks
    if truncated:
        first = last - timedelta(weeks=max_weeks - 1)
        weeks = max_weeks
    new = [0] * weeks
    earlier = 0  # before the first week shown, when the weeks were cut
    for moment in completions:
        index = (week_start(moment) - first).days // 7
        if index < 0 and truncated:
            earlier += 1
        else:
            new[min(max(index, 0), weeks - 1)] += 1
    result, total = [], earlier
    for index, count in enumerate(new):
        total += count
        result.append(Week(first + timedelta(weeks=index), count, total))
    return result


def histogram(scores: Iterable[float | None]) -> tuple[int, ...]:
    """Ten 10-point bins of 0–100 scores (a perfect 100 in the top bin); None (no score yet) is left out."""
    bins = [0] * 10
    for score in scores:
        if score is not None:
            bins[score_bin(score)] += 1
    return tuple(bins)
