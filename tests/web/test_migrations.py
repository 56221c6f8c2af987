"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from course.app import create_app
from course.extensions import db


@pytest.fixture
def empty_database(backend, request, tmp_path, monkeypatch) -> Iterator[None]:
    """An app context on an empty database with no tables; afterwards the schema is left as other tests expect."""
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    with app.app_context():
        if backend == "postgresql":
            _empty_schema()
        yield
        if backend == "postgresql":
            _empty_schema()
            db.create_all()
        db.engine.dispose()


def _empty_schema() -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


def test_upgrade_matches_models_and_downgrade_removes_everything(empty_database) -> None:
    upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_certificates_issued_before_0006_take_their_row_id_as_status_index(empty_database) -> None:
    upgrade(revision="0005")
    with db.engine.begin() as connection:
        for public_id in ("a" * 26, "b" * 26):
            connection.execute(
                text(
                    "INSERT INTO certificates (public_id, course_id, record, signature, key_id, issued_at) "
                    "VALUES (:p, 'kam-pay', '{}', 'sig', 'kid', CURRENT_TIMESTAMP)"
                ),
                {"p": public_id},
            )
    upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, status_index FROM certificates ORDER BY id")).all()
    assert [(row.id, row.status_index) for row in rows] == [(1, 1), (2, 2)]
    downgrade(revision="base")
