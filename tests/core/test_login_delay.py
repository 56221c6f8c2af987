"""The wait after failed logins: free at first, then growing, never past the ceiling."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from course.core.login_delay import LoginDelay

delays = st.builds(
    LoginDelay,
    free_failures=st.integers(0, 20),
    first_delay_seconds=st.floats(0.1, 600),
    max_delay_seconds=st.floats(600, 86_400),
)


@given(delays, st.integers(0, 10_000))
def test_the_wait_never_shrinks_with_more_failures_and_never_passes_the_ceiling(delay, failures) -> None:
    assert 0 <= delay.after(failures) <= delay.after(failures + 1) <= delay.max_delay_seconds


@given(delays, st.integers(0, 20))
def test_the_first_failures_are_free_and_the_next_one_waits(delay, failures) -> None:
    assert (delay.after(failures) == 0) == (failures < delay.free_failures)


def test_the_default_wait_doubles_from_two_seconds_to_a_quarter_of_an_hour() -> None:
    delay = LoginDelay()
    assert [delay.after(n) for n in range(4, 11)] == [0, 2, 4, 8, 16, 32, 64]
    assert delay.after(15) == 900 and delay.after(10**9) == 900
