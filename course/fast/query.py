"""A Core SELECT compiled once per engine and run straight on the DB-API cursor.

SQLAlchemy's execution layer costs about 100 µs per call on top of a 30 µs SQLite query. The reads that the
most frequent pages make (who is this and what have they completed, on every logged-in request; the attempt
page's attempt; a learner's assignments on the home page) are worth running without it; all other code uses the
session as usual.
"""

from __future__ import annotations

import os
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
    """A read on a connection kept for such reads, in autocommit: outside any transaction.

    A connection from the pool would be taken and given back around every read (SQLAlchemy's checkout and
    checkin, the idle check, the reset), and switched to autocommit and back: with the reads of the attempt page
    (the learner, the attempt) about an eighth of its time on PostgreSQL (bench/app_only.py --database: 1.33 →
    1.18 ms). Taking one from `_idle` and putting it back is a list operation. There are as many as reads ever ran
    at once: one per sync worker (docs/operations.md counts them). A connection the server dropped (a restart) is
    thrown away and the read tried once more on a new one: it changes nothing, so that is safe.
    """
    dialect = engine.dialect
    for attempt in (1, 2):
        reader = _take(engine)
        try:
            with reader.connection.cursor() as cursor:
                cursor.execute(sql, args)
                rows = cursor.fetchall()
        except dialect.loaded_dbapi.Error as error:
            if attempt == 2 or not dialect.is_disconnect(error, reader.connection, None):
                _give_back(engine, reader)
                raise
            # As SQLAlchemy does on a lost connection: the pool's other connections date from before the restart
            # too, so the pool starts afresh (its idle ones closed; the ones in use close when given back), and
            # with it the reading connections (`_disposed`); this one is dropped, and so closed.
            engine.dispose()
        else:
            _give_back(engine, reader)
            return rows
    raise AssertionError("unreachable")


class _Reader:
    """A reading connection, taken from the engine's current pool and detached from it."""

    __slots__ = ("connection", "pid", "pool")

    def __init__(self, engine: Engine) -> None:
        pooled = engine.raw_connection()
        self.connection = pooled.driver_connection
        self.pid = os.getpid()
        self.pool = engine.pool  # a disposed engine has a new pool: readers of the old one are not given back
        pooled.detach()  # the pool forgets it: it neither counts it nor gives it to a request
        self.connection.autocommit = True

    def usable(self, engine: Engine) -> bool:
        """Made in this process, on the engine's current pool, and not lost."""
        return (
            self.pid == os.getpid()
            and self.pool is engine.pool
            and not (self.connection.closed or self.connection.broken)
        )

    def __del__(self) -> None:
        """Closes the connection as the reader is dropped; not in a forked child, where closing would end the
        parent's connection (psycopg leaves it open too)."""
        if getattr(self, "pid", None) == os.getpid():
            self.connection.close()


# Engine → its idle reading connections. `list.pop` and `append` are atomic, so threads share it without a lock.
_idle: weakref.WeakKeyDictionary[Engine, list[_Reader]] = weakref.WeakKeyDictionary()


def _take(engine: Engine) -> _Reader:
    idle = _idle.get(engine)
    if idle is None:
        idle = _idle[engine] = []
        if not event.contains(engine, "engine_disposed", _disposed):
            event.listen(engine, "engine_disposed", _disposed)
    while True:
        try:
            reader = idle.pop()
        except IndexError:
            return _Reader(engine)
        if reader.usable(engine):
            return reader
        # else dropped: made before a fork, or before the pool was replaced, or lost


def _give_back(engine: Engine, reader: _Reader) -> None:
    if reader.usable(engine):
        _idle.setdefault(engine, []).append(reader)


def _disposed(engine: Engine) -> None:
    """The idle reading connections close with the pool; those in use are dropped when their read ends."""
    _idle.pop(engine, None)
