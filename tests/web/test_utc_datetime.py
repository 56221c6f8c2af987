"""Every datetime column stores UTC and reads back timezone-aware in UTC, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import DateTime, bindparam, create_engine, func, select, text, update
from sqlalchemy.exc import StatementError

from course.dbtypes import UTCDateTime, render_migration_type
from course.extensions import db
from course.models import LessonProgress, QuizAttempt, User, utcnow
from tests.quiz_helpers import COURSE, MANDATE

BERLIN_SUMMER = timezone(timedelta(hours=2))
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")


def _learner() -> User:
    user = User(email="ada@example.org", password_hash="!", display_name="Ada")
    db.session.add(user)
    db.session.flush()
    return user


def _is_utc(moment: datetime) -> bool:
    return moment.tzinfo is UTC


def test_every_datetime_column_of_the_models_uses_the_utc_type() -> None:
    columns = [column for table in db.metadata.sorted_tables for column in table.columns]
    moments = [column for column in columns if isinstance(column.type, (DateTime, UTCDateTime))]
    assert len(moments) >= 15
    assert all(isinstance(column.type, UTCDateTime) for column in moments), [
        str(column) for column in moments if not isinstance(column.type, UTCDateTime)
    ]


def test_values_read_back_are_aware_utc_through_the_orm_and_core(app: Flask) -> None:
    with app.app_context():
        user = _learner()
        db.session.add(LessonProgress(user_id=user.id, course_id=COURSE, lesson_id="a"))
        db.session.commit()
        db.session.expire_all()
        progress = db.session.scalar(select(LessonProgress))
        assert _is_utc(progress.completed_at) and _is_utc(db.session.get(User, user.id).created_at)
        newest = db.session.scalar(select(func.max(LessonProgress.completed_at)))  # aggregates keep the type
        assert _is_utc(newest) and newest == progress.completed_at
        assert abs(utcnow() - newest) < timedelta(minutes=1)  # comparable with now, no TypeError


def test_an_instant_in_another_zone_is_stored_as_the_same_instant_in_utc(app: Flask) -> None:
    local = datetime(2026, 3, 1, 10, 30, 15, 123456, tzinfo=BERLIN_SUMMER)
    with app.app_context():
        user = _learner()
        db.session.add(LessonProgress(user_id=user.id, course_id=COURSE, lesson_id="a", completed_at=local))
        db.session.commit()
        db.session.expire_all()
        stored = db.session.scalar(select(LessonProgress.completed_at))
        assert stored == local and _is_utc(stored)
        assert stored.isoformat() == "2026-03-01T08:30:15.123456+00:00"
        # Comparisons in SQL use the same instant too.
        assert db.session.scalar(select(func.count()).where(LessonProgress.completed_at >= local)) == 1
        assert (
            db.session.scalar(
                select(func.count()).where(LessonProgress.completed_at > local + timedelta(microseconds=1))
            )
            == 0
        )
        if db.engine.dialect.name == "sqlite":  # the text SQLite keeps is UTC, so it sorts as time does
            raw = db.session.scalar(text("SELECT completed_at FROM lesson_progress"))
            assert raw.startswith("2026-03-01 08:30:15")


def test_a_naive_datetime_is_refused_and_nothing_is_stored(app: Flask) -> None:
    naive = datetime(2026, 3, 1, 10, 30)  # noqa: DTZ001 - naive on purpose
    with app.app_context():
        user = _learner()
        db.session.add(LessonProgress(user_id=user.id, course_id=COURSE, lesson_id="a", completed_at=naive))
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0
        # Also through a prepared Core statement whose parameter takes the column's type.
        statement = update(QuizAttempt).where(QuizAttempt.id == 1).values(submitted_at=bindparam("when"))
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.execute(statement, {"when": naive})
        db.session.rollback()


def test_postgresql_answers_in_utc_whatever_the_sessions_time_zone(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no session time zone")
        moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
        user = _learner()
        db.session.add(LessonProgress(user_id=user.id, course_id=COURSE, lesson_id="a", completed_at=moment))
        db.session.flush()
        db.session.execute(text("SET LOCAL TIME ZONE 'America/New_York'"))
        raw = db.session.execute(text("SELECT completed_at FROM lesson_progress")).scalar_one()
        assert raw.utcoffset() == timedelta(hours=-4)  # what the driver alone would give
        db.session.expire_all()
        stored = db.session.scalar(select(LessonProgress.completed_at))
        assert _is_utc(stored) and stored == moment and stored.isoformat() == "2026-07-01T12:00:00+00:00"
        db.session.rollback()


def test_the_api_writes_times_as_utc_with_an_offset(client, make_user, login_as) -> None:
    learner = login_as(make_user(locale="en"))
    started = learner.post(f"/api/v1/courses/{COURSE}/quizzes/{MANDATE}/attempts").get_json()
    fetched = learner.get(f"/api/v1/attempts/{started['id']}").get_json()  # read back from the database
    assert ISO_UTC.match(started["started_at"]) and fetched["started_at"] == started["started_at"]
    assert fetched["submitted_at"] is None


def test_the_column_type_is_the_one_the_migrations_create(app: Flask) -> None:
    with app.app_context():
        dialect = db.engine.dialect
        assert str(UTCDateTime().compile(dialect=dialect)) == str(DateTime(timezone=True).compile(dialect=dialect))


def test_autogenerate_writes_the_plain_column_type() -> None:
    """What migrations/env.py hands Alembic: a new migration says sa.DateTime(timezone=True), never the app's type."""
    engine = create_engine("sqlite://")
    with engine.connect() as connection:  # an empty database: autogenerate writes every table
        context = MigrationContext.configure(connection, opts={"target_metadata": db.metadata})
        operations = produce_migrations(context, db.metadata).upgrade_ops
    engine.dispose()
    plain = render_python_code(operations, render_item=render_migration_type)
    assert "sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False)" in plain
    assert "course." not in plain  # a migration never imports the app
    assert "course.dbtypes.UTCDateTime" in render_python_code(operations)  # what the hook prevents
