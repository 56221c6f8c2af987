"""Extensions, created unbound and attached to the app in create_app()."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

from course.fast.login import CourseLoginManager

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
login_manager = CourseLoginManager()
csrf = CSRFProtect()
babel = Babel()

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def init_migrations(app: Flask) -> None:
    """Alembic through Flask-Migrate, for `flask db` and the code that upgrades a database (setup, tests).

    Not part of `create_app`: Flask-Migrate imports Alembic, about 11 MB in every server process that never
    migrates anything. `create_app` registers `MigrationsGroup` as `flask db` instead, which calls this first.
    """
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS))


class MigrationsGroup(click.Group):
    """`flask db …`: Flask-Migrate's command group, loaded only when one of its commands is run (see
    `init_migrations`). Click makes the context of the command it found; this one hands that to the real group,
    which then parses its own options (`--directory`, `-x`) and runs its subcommand."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: object
    ) -> click.Context:
        if parent is None:
            raise click.UsageError("run it as `flask db …`")
        init_migrations(parent.ensure_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


def lock_for_writing() -> None:
    """On SQLite, take the database's write lock now, before reading what the coming write depends on.

    PostgreSQL locks the rows such a read selects (`SELECT … FOR UPDATE`). SQLite has no row locks, and its
    driver starts a transaction only at the first INSERT, UPDATE or DELETE, so anything read before that may be
    changed by another request before this one writes. `BEGIN IMMEDIATE` takes SQLite's one write lock at once
    (waiting up to the busy timeout); until the commit no one else can write, and what this session reads is
    the latest. Readers are not held up (WAL). Nothing to do when the transaction has written already: it holds
    the lock since its first write. See docs/architecture.md, "Concurrent writes".
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def savepoint() -> Iterator[None]:
    """A savepoint inside the request's transaction, for a write a unique index may refuse (IntegrityError).

    On SQLite a SAVEPOINT outside a transaction starts one of its own, and releasing it commits: a later rollback
    (a mail that could not be sent, say) would not undo the write. Taking the write lock first makes the savepoint
    part of the request's transaction, as it is on PostgreSQL.
    """
    lock_for_writing()
    with db.session.begin_nested():
        yield
