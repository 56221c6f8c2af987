"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from course.app import create_app
from course.extensions import db, init_migrations
from course.models import MediaFile


@pytest.fixture
def empty_database(backend, request, tmp_path, monkeypatch) -> Iterator[None]:
    """An app context on an empty database with no tables; afterwards the schema is left as other tests expect."""
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    init_migrations(app)
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


def test_0014_moves_the_legacy_folders_images_into_the_database_and_back(empty_database) -> None:
    """The upgrade copies the images earlier versions kept in MEDIA_DIR (default <instance>/media), with the time
    of their latest upload; the downgrade writes back those the folder lacks."""
    image = b"\x89PNG\r\n\x1a\n" + b"any bytes: they were checked when they were uploaded"
    name = hashlib.sha256(image).hexdigest() + ".png"
    uploaded = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    folder = Path(current_app.instance_path) / "media"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(image)
    os.utime(folder / name, (uploaded.timestamp(), uploaded.timestamp()))
    (folder / "notes.txt").write_text("not an image the app wrote")
    (folder / ("0" * 64 + ".gif")).write_bytes(b"GIF89a")
    (folder / ".upload-x.part").write_bytes(b"half an upload")

    upgrade()
    rows = db.session.execute(
        select(MediaFile.name, MediaFile.media_type, MediaFile.size, MediaFile.data, MediaFile.uploaded_at)
    ).all()
    db.session.rollback()
    assert [tuple(row) for row in rows] == [(name, "image/png", len(image), image, uploaded)]
    assert (folder / name).read_bytes() == image  # kept: the operator deletes the folder

    (folder / name).unlink()
    downgrade(revision="0013")
    assert (folder / name).read_bytes() == image
    assert (folder / name).stat().st_mtime == uploaded.timestamp()
    assert not inspect(db.engine).has_table("media_files")
    downgrade(revision="base")


def test_0014_without_a_legacy_folder_creates_an_empty_table(empty_database) -> None:
    folder = Path(current_app.instance_path) / "media"
    upgrade()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM media_files")).scalar_one() == 0
    assert not folder.exists()
    downgrade(revision="base")
    assert not folder.exists()
