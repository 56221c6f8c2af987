"""A Core SELECT compiled once per engine and run straight on the DB-API cursor.

SQLAlchemy's execution layer costs about 100 µs per call on top of a 30 µs SQLite query. The reads that the
most frequent pages make (who is this and what have they completed, on every logged-in request; the attempt
page's attempt; a learner's assignments on the home page) are worth running without it; all other code uses the
session as usual.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.sql import Select

Processor = Callable[[Any], Any] | None


class FastQuery:
    def __init__(self, statement: Select, *, typed: bool = False) -> None:
        """`typed`: each value converted by its column's type as SQLAlchemy would (a date from SQLite's text, say);
        otherwise values come as the driver gives them."""
        self.statement = statement
        self.typed = typed
        self._compiled: dict[tuple[str, str, str], tuple[Any, list[Processor]]] = {}

    def _compile(self, engine: Engine) -> tuple[Any, list[Processor]]:
        """The compiled statement and, for a typed query with any conversions, one converter per column."""
        dialect = engine.dialect
        key = (dialect.name, str(dialect.driver), str(dialect.paramstyle))  # what the SQL text depends on
        found = self._compiled.get(key)
        if found is None:
            processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in (self.statement.selected_columns if self.typed else ())
            ]
            found = (self.statement.compile(dialect=dialect), processors if any(processors) else [])
            self._compiled[key] = found  # a race only compiles the same statement twice
        return found

    def all(self, engine: Engine, **params: object) -> list[tuple]:
        """Rows as plain tuples, columns in the order the statement selects them.

        On PostgreSQL the read runs outside a transaction (autocommit), so giving the connection back to the pool
        needs no ROLLBACK: one round trip instead of three with the ping. A connection the server dropped (a
        restart) is thrown away and the read tried once more on a new one: it changes nothing, so that is safe.
        """
        compiled, processors = self._compile(engine)
        rows = self._rows(engine, compiled, params)
        if not processors:
            return rows
        return [
            tuple(value if convert is None else convert(value) for convert, value in zip(processors, row, strict=True))
            for row in rows
        ]

    def _rows(self, engine: Engine, compiled: Any, params: dict[str, object]) -> list[tuple]:  # noqa: ANN401 - Compiled
        values = compiled.construct_params(params)
        args = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
        if engine.dialect.name == "postgresql":
            return _read_on_own_connection(engine, compiled.string, args)
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(compiled.string, args)
            rows = cursor.fetchall()
            cursor.close()
            return rows
        finally:
            connection.close()  # back to the pool


def _read_on_own_connection(engine: Engine, sql: str, args: Any) -> list[tuple]:  # noqa: ANN401 - psycopg's
    """A read on the thread's own connection in autocommit, outside any transaction.

    A connection from the pool would be taken and given back around every read (SQLAlchemy's checkout and
    checkin, the idle check, the reset), and switched to autocommit and back: with the reads of the attempt page
    (the learner, the attempt) about an eighth of its time on PostgreSQL (bench/app_only.py --database: 1.33 →
    1.18 ms). A connection the server dropped (a restart) is thrown away and the read tried once more on a new
    one: it changes nothing, so that is safe. Each thread holds one such connection per engine besides the pool's
    (docs/operations.md counts them).
    """
    dialect = engine.dialect
    for attempt in (1, 2):
        connection = _reader(engine)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
                return cursor.fetchall()
        except dialect.loaded_dbapi.Error as error:
            if attempt == 2 or not dialect.is_disconnect(error, connection, None):
                raise
            # As SQLAlchemy does on a lost connection: the pool's other connections date from before the restart
            # too, so the pool starts afresh (its idle ones closed; the ones in use close when given back), and
            # with it every thread's own reading connection (`_disposed`).
            engine.dispose()
    raise AssertionError("unreachable")


class _Reader:
    """A thread's own reading connection on one engine's current pool."""

    __slots__ = ("connection", "pid", "pool")

    def __init__(self, engine: Engine) -> None:
        pooled = engine.raw_connection()
        self.connection = pooled.driver_connection
        self.pid = os.getpid()
        self.pool = engine.pool  # a disposed engine has a new pool: its readers are replaced too
        pooled.detach()  # the pool forgets it: it neither counts it nor gives it to a request
        self.connection.autocommit = True

    def usable(self, engine: Engine) -> bool:
        return (
            self.pid == os.getpid()
            and self.pool is engine.pool
            and not (self.connection.closed or self.connection.broken)
        )

    def __del__(self) -> None:
        """Closes the connection: a reader is dropped when its thread ends, its engine is disposed or it is replaced.
        Not in a forked child, where closing would end the parent's connection (psycopg leaves it open too)."""
        if getattr(self, "pid", None) == os.getpid():
            self.connection.close()


_local = threading.local()


def _reader(engine: Engine) -> Any:  # noqa: ANN401 - psycopg's connection
    readers: weakref.WeakKeyDictionary[Engine, _Reader] | None = getattr(_local, "readers", None)
    if readers is None:
        readers = _local.readers = weakref.WeakKeyDictionary()
    reader = readers.get(engine)
    if reader is None or not reader.usable(engine):
        if not event.contains(engine, "engine_disposed", _disposed):
            event.listen(engine, "engine_disposed", _disposed)
        readers[engine] = reader = _Reader(engine)  # the one it replaces is closed as it is dropped
    return reader.connection


def _disposed(engine: Engine) -> None:
    """This thread's reader (the only one of a test, a command) is closed at once, so no connection outlives the
    engine's pool; other threads replace theirs at their next read."""
    getattr(_local, "readers", {}).pop(engine, None)
