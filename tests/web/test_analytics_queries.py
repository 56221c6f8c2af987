"""The analytics pages cost the same number of SQL queries with 3 learners as with 30: nothing loads per learner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event

from course.extensions import db
from tests.jobs import ask, run_jobs
from tests.quiz_helpers import client_for, faster_apps
from tests.web.test_analytics_seed import COURSE, MANDATE, add_attempt, add_learner, course_of

PAGES = (
    f"/studio/courses/{COURSE}/learners",
    f"/studio/courses/{COURSE}/learners?status=in_progress&sort=sandbox&dir=desc&q=learner",
    f"/studio/courses/{COURSE}/learners/{{learner}}",
    f"/studio/courses/{COURSE}/quizzes",
    f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics",
    f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics?attempts=all",
    f"/studio/courses/{COURSE}/sandbox",
)


@pytest.fixture
def app(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Flask:
    return faster_apps(make_app, monkeypatch)()


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001 - event signature
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_learners(app: Flask, start: int, count: int) -> int:
    """`count` learners with some of everything: lessons, quiz attempts and results, designs, a certificate."""
    course = course_of(app)
    last = 0
    for number in range(start, start + count):
        last = add_learner(
            app,
            f"Learner {number:03d}",
            lessons=number % 7,
            quizzes={quiz.id: (10.0 * (number % 10), number % 2 == 0) for quiz in course.quizzes[: number % 4]},
            sandbox={"defend": float(number % 100), "growth": float((3 * number) % 100)},
            certificate="valid" if number % 5 == 0 else ("revoked" if number % 7 == 0 else None),
        )
        add_attempt(app, last, MANDATE, {"pay-depends-on": ("visits" if number % 3 else "mandate-carried-out", 0)})
        add_attempt(app, last, MANDATE, {"pay-depends-on": ("mandate-carried-out", 1)}, number=2)
    return last


def queries_per_page(app: Flask, learner: int) -> dict[str, int]:
    trainer = add_learner(app, f"Coach {learner}", role="trainer", locale="en")
    client = client_for(app, type("U", (), {"id": trainer})())
    counts = {}
    for page in PAGES:
        url = page.format(learner=learner)
        client.get(url)  # warm-up: the catalog and per-process caches
        with counted(app) as statements:
            assert client.get(url).status_code == 200
        counts[page] = len(statements)
    return counts


def queries_for_the_csv(app: Flask, name: str) -> int:
    """The statements the learners CSV's background job runs (the job's claim and result included)."""
    trainer = add_learner(app, name, role="trainer", locale="en")
    ask(client_for(app, type("U", (), {"id": trainer})()), f"/studio/courses/{COURSE}/learners.csv")
    with counted(app) as statements:
        assert run_jobs(app) == 1
    return len(statements)


@pytest.mark.usefixtures("steady_frame_origins")
def test_query_count_does_not_grow_with_the_number_of_learners(app: Flask) -> None:
    few = queries_per_page(app, add_learners(app, 0, 3))
    few_csv = queries_for_the_csv(app, "Coach CSV 1")
    many = queries_per_page(app, add_learners(app, 3, 27))
    assert many == few
    assert max(few.values()) <= 8
    assert queries_for_the_csv(app, "Coach CSV 2") == few_csv
