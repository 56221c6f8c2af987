"""bench/run.py's own set-up steps."""

from __future__ import annotations

import subprocess

import pytest

from bench import run


def test_the_quiz_tool_has_time_for_the_attempts_it_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long run's first pool (100,000 attempts at about 4 ms each) must not hit the three minutes that suit
    every other set-up step: the tool timed out at 31,100 attempts when its limit was fixed."""
    limits = []

    def tool(command: list[str], **options: object) -> subprocess.CompletedProcess:
        limits.append(options["timeout"])
        return subprocess.CompletedProcess(command, 0, stdout='{"made": 100000}\n', stderr="")

    monkeypatch.setattr(run.subprocess, "run", tool)
    assert run.run_quiz_tool({}, "--make", "100000", making=100_000) == {"made": 100_000}
    assert run.run_quiz_tool({}, "--check", "sent.tsv") == {"made": 100_000}
    assert limits[0] >= 100_000 * 0.004 * 3, "three times the measured cost at least"
    assert limits[1] == run.SETUP_TIMEOUT_S
