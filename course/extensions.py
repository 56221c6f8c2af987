"""Extensions, created unbound and attached to the app in create_app()."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import Babel
from flask_migrate import Migrate
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
migrate = Migrate()
login_manager = CourseLoginManager()
csrf = CSRFProtect()
babel = Babel()


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
