"""The parallel run's order: the files that took longest start first, each file's tests together and in order."""

from __future__ import annotations

from types import SimpleNamespace

from tests.ordering import longest_first


def test_the_longest_recorded_files_come_first_and_a_new_file_counts_as_the_median() -> None:
    items = [
        SimpleNamespace(nodeid=nodeid)
        for nodeid in (
            "tests/a.py::one",
            "tests/a.py::two",
            "tests/new.py::one",
            "tests/b.py::Class::one",
            "tests/b.py::Class::two",
            "tests/c.py::one",
            "tests/d.py::one",
        )
    ]
    seconds = {"tests/a.py": 1.0, "tests/b.py": 90.0, "tests/c.py": 10.0, "tests/d.py": 20.0}

    ordered = [item.nodeid for item in longest_first(items, seconds)]

    assert ordered == [
        "tests/b.py::Class::one",
        "tests/b.py::Class::two",
        "tests/d.py::one",
        "tests/new.py::one",  # the median of 1, 10, 20 and 90 is 15
        "tests/c.py::one",
        "tests/a.py::one",
        "tests/a.py::two",
    ]


def test_without_a_record_the_collected_order_stays() -> None:
    items = [SimpleNamespace(nodeid=f"tests/{name}.py::test") for name in "zyx"]

    assert longest_first(items, {}) == items
