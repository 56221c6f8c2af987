"""Migration 0009 writes the answer rows of the attempts submitted before it, as the submission writes them, on
SQLite and PostgreSQL (tests/web/test_migrations.py checks the schema itself)."""

from __future__ import annotations

import json

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from course.core.analytics.answers import answer_rows
from course.extensions import db
from tests.web.test_migrations import empty_database  # noqa: F401 - the fixture

ATTEMPTS = 2_500  # more than two of the migration's batches of 1,000 are submitted
SHAPES = [
    {
        "single": {"response": "a", "checked_at": None, "mark": 1.0, "max_mark": 1.0},
        "multiple": {"response": ["b", "a"], "checked_at": None, "mark": 1 / 3, "max_mark": 1.0},
        "numeric": {"response": {"text": "100.000", "value": 100000.0}, "checked_at": None, "mark": 0.1, "max_mark": 2},
        "free": {"response": "Unterstützung", "checked_at": None, "mark": 0, "max_mark": 1.0},
    },
    {"single": {"response": None, "checked_at": None, "mark": None, "max_mark": 1.0}, "odd": "not a dict"},
    {},
]


def insert_attempts(connection) -> None:  # noqa: ANN001 - a SQLAlchemy connection
    connection.execute(
        text(
            "INSERT INTO users (email, password_hash, display_name, role, created_at) "
            "VALUES ('a@example.org', '!', 'A', 'learner', :t)"
        ),
        {"t": "2026-12-01 10:00:00+00:00"},
    )
    connection.execute(
        text(
            "INSERT INTO content_revisions (path, number, status, source, checksum, created_at) "
            "VALUES ('quizzes/kam-pay/q.yml', 1, 'published', '', 'x', :t)"
        ),
        {"t": "2026-12-01 10:00:00+00:00"},
    )
    connection.execute(
        text(
            "INSERT INTO quiz_attempts (user_id, course_id, quiz_id, number, revision_id, seed, layout, status, "
            "started_at, answers) VALUES (1, 'kam-pay', :quiz, :number, 1, 1, '[]', :status, :t, :answers)"
        ),
        [
            {
                "quiz": f"quiz-{index % 3}",
                "number": index // 3 + 1,
                "status": "open" if index % 7 == 0 else "submitted",
                "t": "2026-12-01 10:00:00+00:00",
                "answers": json.dumps(SHAPES[index % len(SHAPES)]),
            }
            for index in range(ATTEMPTS)
        ],
    )


def test_0009_writes_the_rows_of_every_submitted_attempt_as_the_submission_does(empty_database) -> None:  # noqa: F811
    upgrade(revision="0008")
    with db.engine.begin() as connection:
        insert_attempts(connection)
    upgrade(revision="0009")
    with db.engine.connect() as connection:
        attempts = connection.execute(text("SELECT id, quiz_id, number, status, answers FROM quiz_attempts")).all()
        rows = connection.execute(text("SELECT * FROM quiz_answers")).mappings().all()
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row["attempt_id"], []).append(dict(row))
    expected = {}
    for attempt in attempts:
        if attempt.status != "submitted":
            continue
        answers = attempt.answers if isinstance(attempt.answers, dict) else json.loads(attempt.answers)
        own = {"attempt_id": attempt.id, "user_id": 1, "course_id": "kam-pay", "quiz_id": attempt.quiz_id}
        own["first_attempt"] = attempt.number == 1
        expected[attempt.id] = {row.question_id: {**own, **vars(row)} for row in answer_rows(answers)}
    submitted = sum(attempt.status == "submitted" for attempt in attempts)
    assert submitted > 2_000 and len(expected) == submitted
    assert {attempt_id: len(rows) for attempt_id, rows in found.items()} == {
        attempt_id: len(rows) for attempt_id, rows in expected.items() if rows
    }
    for attempt_id, rows in found.items():
        got = {row["question_id"]: {**row, "first_attempt": bool(row["first_attempt"])} for row in rows}
        assert got == expected[attempt_id]
    downgrade(revision="0008")
    upgrade()
    downgrade(revision="base")
