"""The rules of background jobs: when a failed job is tried again, and how far along a job is.

A job that fails is tried again after a wait that grows with each attempt, so a passing fault (a database restart,
a full disk cleared by an operator) costs a few seconds, and a lasting one does not keep a runner busy; after the
last attempt it is given up as "failed" and waits for an admin (docs/operations.md, "Background jobs").
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

STATES = ("queued", "running", "done", "failed")
FINISHED = ("done", "failed")

# The wait after the 1st, 2nd, ... failed attempt; later attempts wait as long as the last one.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)


def retry_at(attempts: int, max_attempts: int, now: datetime) -> datetime | None:
    """When to try a job again after its `attempts`-th attempt failed, or None when it has had all it may."""
    if attempts < 1:
        raise ValueError("a job that was not tried cannot have failed")
    if attempts >= max_attempts:
        return None
    return now + BACKOFF[min(attempts, len(BACKOFF)) - 1]


def percent(done: int, total: int | None) -> int | None:
    """How far along a job is, 0–100, or None while it does not know how much there is to do."""
    if not total or total < 0:
        return None
    return max(0, min(100, (100 * done) // total))


def next_slot(now: datetime, every: timedelta) -> datetime:
    """The start of the next interval of length `every` after `now`, counted from the Unix epoch: every server
    computes the same moments, so a periodic job queued by any of them is the same run (docs/operations.md,
    "Background jobs")."""
    step = int(every.total_seconds())
    if step < 1:
        raise ValueError("a periodic job needs an interval of at least one second")
    seconds = math.floor(now.timestamp())  # not int(): before 1970 it would round up
    return datetime.fromtimestamp(seconds - seconds % step + step, UTC)
