"""The rules of notifications: kinds and who may choose them, the retry schedule, and when course reminders are due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core import notifications as rules

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 10, 22, 59, 59, tzinfo=UTC)

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))


def test_every_kind_mails_by_default_except_the_weekly_summary() -> None:
    assert {name: kind.mail_by_default for name, kind in rules.KINDS.items()} == {
        "assigned": True,
        "due_soon": True,
        "overdue": True,
        "certificate_issued": True,
        "design_comment": True,
        "essay_graded": True,
        "feedback_request": True,
        "weekly_summary": False,
    }


def test_learners_do_not_choose_the_weekly_summary_or_feedback_requests() -> None:
    learner = {kind.name for kind in rules.kinds_for("learner")}
    assert "weekly_summary" not in learner and "feedback_request" not in learner
    for role in ("trainer", "manager", "admin"):
        assert {kind.name for kind in rules.kinds_for(role)} == set(rules.KINDS)


@pytest.mark.parametrize(("chosen", "expected"), [(None, True), (True, True), (False, False)])
def test_a_choice_beats_the_default(chosen: bool | None, expected: bool) -> None:
    assert rules.wants_mail("assigned", chosen) is expected
    assert rules.wants_mail("weekly_summary", chosen) is (chosen is True)


def test_failed_mail_is_retried_after_growing_waits_then_given_up() -> None:
    waits = [rules.next_attempt(n, NOW) for n in range(1, rules.MAX_ATTEMPTS + 1)]
    assert [w - NOW for w in waits[:-1]] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
    ]
    assert waits[-1] is None and rules.MAX_ATTEMPTS == 6
    with pytest.raises(ValueError):
        rules.next_attempt(0, NOW)


@given(st.integers(min_value=1, max_value=rules.MAX_ATTEMPTS - 2))
def test_each_wait_is_longer_than_the_one_before(attempts: int) -> None:
    assert rules.next_attempt(attempts + 1, NOW) - NOW > rules.next_attempt(attempts, NOW) - NOW


@pytest.mark.parametrize(
    ("now", "starts_at", "expected"),
    [
        (NOW, None, ("assigned",)),
        (NOW, NOW + timedelta(days=1), ()),  # not started
        (DUE - timedelta(days=3), None, ("assigned", "due_soon")),  # the window opens
        (DUE - timedelta(days=3, seconds=1), None, ("assigned",)),
        (DUE, None, ("assigned", "due_soon")),  # the last second of the due day is still in time
        (DUE + timedelta(seconds=1), None, ("assigned", "overdue")),
    ],
)
def test_reminders_follow_the_start_and_the_due_moment(now, starts_at, expected) -> None:
    assert rules.reminders(now, starts_at, DUE, completed=False, due_soon_days=3) == expected


def test_nothing_for_a_learner_who_completed_the_course() -> None:
    for now in (NOW, DUE, DUE + timedelta(days=9)):
        assert rules.reminders(now, None, DUE, completed=True, due_soon_days=3) == ()


def test_a_moved_due_moment_makes_new_keys() -> None:
    later = DUE + timedelta(days=7)
    for kind in rules.COURSE_REMINDERS:
        assert rules.reminder_key(kind, 4, DUE) != rules.reminder_key(kind, 4, later)
    assert rules.reminder_key("due_soon", 4, DUE) == f"due_soon:4:{DUE.isoformat()}"


@given(now=moments, due=moments, start=st.none() | moments, days=st.integers(min_value=0, max_value=30))
def test_reminders_properties(now: datetime, due: datetime, start: datetime | None, days: int) -> None:
    found = rules.reminders(now, start, due, completed=False, due_soon_days=days)
    started = start is None or start <= now
    assert (found != ()) is started
    if found:
        assert found[0] == "assigned"
        assert not ("due_soon" in found and "overdue" in found)
        assert ("overdue" in found) is (now > due)
        assert ("due_soon" in found) is (due - timedelta(days=days) <= now <= due)
    assert set(found) <= set(rules.COURSE_REMINDERS)


@given(start=moments, due=moments, days=st.integers(min_value=0, max_value=30), steps=st.lists(moments, max_size=8))
def test_once_due_a_reminder_stays_due_until_another_replaces_it(start, due, days, steps) -> None:
    """Asking again later never takes "assigned" back: the job may run at any moments, in any order of runs."""
    for now in sorted(steps):
        found = rules.reminders(now, start, due, completed=False, due_soon_days=days)
        later = rules.reminders(now + timedelta(hours=1), start, due, completed=False, due_soon_days=days)
        if "assigned" in found:
            assert "assigned" in later
        if "overdue" in found:
            assert "overdue" in later
