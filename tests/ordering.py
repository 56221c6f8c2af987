"""The longest test files start first, so that the parallel run does not end with one long file on one worker.

pytest-xdist (`--dist loadfile`) hands each worker one file at a time, in the order the tests were collected
(`--no-loadscope-reorder`; by default it orders files by their number of tests, which put the few but long browser
and two-server files last, each then running alone while the other workers sat idle). The order comes from
tests/file_seconds.json: how long each file took in a whole run, written by `pytest --record-file-seconds` (a run
of some files updates theirs). A file not recorded yet counts as the median, so a new file neither jumps the queue
nor waits for the tail; within a file the tests keep their order.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

RECORD = Path(__file__).with_name("file_seconds.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-file-seconds",
        action="store_true",
        help=f"after a run that passed, write each test file's seconds (setup, call, teardown) to {RECORD.name}",
    )


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def recorded() -> dict[str, float]:
    return json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.exists() else {}


def longest_first(items: list[pytest.Item], seconds: dict[str, float]) -> list[pytest.Item]:
    """The items with the files that took longest first; the tests of a file stay together and in order."""
    typical = statistics.median(seconds.values()) if seconds else 0.0
    return sorted(items, key=lambda item: -seconds.get(file_of(item.nodeid), typical))


@pytest.hookimpl(trylast=True)  # after the folders' own hooks have marked and filtered the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items[:] = longest_first(items, recorded())


class SecondsRecorder:
    """Adds up each file's test phases as the reports come in (from every worker, in the controlling process)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[file_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if session.testsfailed or not self.seconds:
            return  # a failed file may have stopped early: its seconds would be too few
        seconds = {**recorded(), **{name: round(value, 1) for name, value in self.seconds.items()}}
        ordered = dict(sorted(seconds.items()))
        RECORD.write_text(json.dumps(ordered, indent=1) + "\n", encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("record_file_seconds") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(SecondsRecorder(), "file-seconds-recorder")
