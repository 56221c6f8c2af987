"""A Core statement compiled once per engine and run straight on the DB-API cursor.

SQLAlchemy's execution layer costs about 100 µs per call on top of a 30 µs SQLite query. The reads that the
most frequent pages make (who is this and what have they completed, on every logged-in request; the attempt
page's attempt; a learner's assignments on the home page) and the writes of a quiz submission on the page lane
are worth running without it; all other code uses the session as usual.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.sql import Executable

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    statement: Any  # SQLAlchemy's Compiled
    binders: dict[str, Processor]  # parameter name → its type's conversion, for the parameters that have one
    processors: list[Processor]  # for a typed query with any conversions, one per column; else empty
    # The values the statement holds itself (literals) by name, when its parameters need no more than these and
    # the caller's values by name; None: SQLAlchemy's `construct_params` (about 1 µs per parameter) works them out
    fixed: dict[str, object] | None
    required: frozenset[str]  # the names a caller must give
    # With `fixed`, for a driver that takes arguments by position: each one's name, conversion and literal value
    positions: tuple[tuple[str, Processor, object], ...] | None


class FastQuery:
    def __init__(self, statement: Executable, *, typed: bool = False, columns: Sequence[str] | None = None) -> None:
        """`typed`: each value converted by its column's type as SQLAlchemy would (a date from SQLite's text, say);
        otherwise values come as the driver gives them. Parameters are always converted by their types (JSON
        serialised, say), as SQLAlchemy would. `columns`: those an INSERT without values sets, by name (the
        parameters' names, as SQLAlchemy compiles it for them)."""
        self.statement = statement
        self.typed = typed
        self.columns = columns
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}

    def _compile(self, engine: Engine) -> _Compiled:
        dialect = engine.dialect
        key = (dialect.name, str(dialect.driver), str(dialect.paramstyle))  # what the SQL text depends on
        found = self._compiled.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.columns)
            binds = _binds(compiled)
            binders = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in binds}
            plain = not compiled.escaped_bind_names and all(
                not bind.expanding and bind.callable is None and (bind.key == name or not bind.required)
                for name, bind in binds
            )
            processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in (self.statement.selected_columns if self.typed else ())
            ]
            fixed = {name: bind.value for name, bind in binds if not bind.required} if plain else None
            found = _Compiled(
                compiled,
                {name: binder for name, binder in binders.items() if binder is not None},
                processors if any(processors) else [],
                fixed,
                frozenset(name for name, bind in binds if bind.required),
                tuple((name, binders.get(name), fixed.get(name)) for name in compiled.positiontup)
                if fixed is not None and compiled.positional
                else None,
            )
            self._compiled[key] = found  # a race only compiles the same statement twice
        return found

    def prepared(self, engine: Engine, **params: object) -> tuple[str, Any]:
        """The SQL text and the driver's arguments for `params`, for a caller that runs it on a cursor of its own
        (several writes in one transaction)."""
        return _arguments(self._compile(engine), params)

    def prepared_many(self, engine: Engine, rows: Sequence[dict[str, object]]) -> tuple[str, list[Any]]:
        """The SQL text and each row's arguments, for the driver's `executemany`."""
        compiled = self._compile(engine)
        return compiled.statement.string, [_arguments(compiled, row)[1] for row in rows]

    def all(self, engine: Engine, **params: object) -> list[tuple]:
        """Rows as plain tuples, columns in the order the statement selects them.

        On PostgreSQL the read runs outside a transaction (autocommit), so giving the connection back to the pool
        needs no ROLLBACK: one round trip instead of three with the ping. A connection the server dropped (a
        restart) is thrown away and the read tried once more on a new one: it changes nothing, so that is safe. A
        statement that writes (one statement is one transaction) may run here only if sending it twice is safe:
        the lane's quiz submission is, as its UPDATE requires the attempt still open (course/fast/submission.py).
        """
        compiled = self._compile(engine)
        rows = self._rows(engine, *_arguments(compiled, params))
        processors = compiled.processors
        if not processors:
            return rows
        return [
            tuple(value if convert is None else convert(value) for convert, value in zip(processors, row, strict=True))
            for row in rows
        ]

    def _rows(self, engine: Engine, sql: str, args: Any) -> list[tuple]:  # noqa: ANN401 - the driver's
        if not _keeps_connections(engine):
            connection = engine.raw_connection()
            try:
                return _fetch(connection, sql, args)
            finally:
                connection.close()  # back to the pool
        return _read_on_own_connection(engine, sql, args)


def _binds(compiled: Any) -> list[tuple[str, Any]]:  # noqa: ANN401 - SQLAlchemy's Compiled and BindParameter
    """Each parameter of the compiled statement, once, by the name its SQL text uses (as `construct_params`
    goes through them)."""
    return [(name, bind) for bind, name in compiled.bind_names.items()]


def _arguments(compiled: _Compiled, params: dict[str, object]) -> tuple[str, Any]:
    statement = compiled.statement
    if compiled.fixed is None:
        values = statement.construct_params(params)
    elif missing := compiled.required.difference(params):
        raise TypeError(f"no value for the parameters {', '.join(sorted(missing))}")
    elif compiled.positions is not None:  # straight into the driver's tuple (a submission's rows make seven)
        args = []
        for name, binder, fixed in compiled.positions:
            value = params.get(name, fixed)
            args.append(value if binder is None else binder(value))
        return statement.string, tuple(args)
    else:
        values = {**compiled.fixed, **params}
    for name, binder in compiled.binders.items():
        if name in values:
            values[name] = binder(values[name])
    args = tuple(values[name] for name in statement.positiontup) if statement.positional else values
    return statement.string, args


def _fetch(connection: Any, sql: str, args: Any) -> list[tuple]:  # noqa: ANN401 - the driver's
    cursor = connection.cursor()
    try:
        cursor.execute(sql, args)
        return cursor.fetchall()
    finally:
        cursor.close()


def _keeps_connections(engine: Engine) -> bool:
    """PostgreSQL, and SQLite in a file: a database in memory lives in its pool's one connection."""
    name, url = engine.dialect.name, engine.url
    if name == "postgresql":
        return True
    return name == "sqlite" and url.database not in (None, "", ":memory:") and url.query.get("mode") != "memory"


def _read_on_own_connection(engine: Engine, sql: str, args: Any) -> list[tuple]:  # noqa: ANN401 - the driver's
    """A read on a connection kept for the fast path, outside any transaction (PostgreSQL: in autocommit).

    A connection from the pool would be taken and given back around every read (SQLAlchemy's checkout and
    checkin, the idle check, the reset), and on PostgreSQL switched to autocommit and back: with the reads of the
    attempt page (the learner, the attempt) about an eighth of its time on PostgreSQL (bench/app_only.py
    --database: 1.33 → 1.18 ms). Taking one from `_idle` and putting it back is a list operation. There are as
    many as reads ever ran at once: one per sync worker (docs/operations.md counts them). A connection the server
    dropped (a restart) is thrown away and the read tried once more on a new one: it changes nothing, so that is
    safe.
    """
    dialect = engine.dialect
    for attempt in (1, 2):
        reader = _take(engine)
        try:
            rows = _fetch(reader.connection, sql, args)
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


@contextmanager
def kept_connection(engine: Engine) -> Iterator[Any]:
    """SQLite in a file: one of the fast path's kept connections for a transaction of the caller's own (the page
    lane's submission), which must end it (commit or rollback) before the block ends. Elsewhere a pool's."""
    if engine.dialect.name != "sqlite" or not _keeps_connections(engine):
        connection = engine.raw_connection()
        try:
            yield connection
        finally:
            connection.close()  # back to the pool
        return
    reader = _take(engine)
    try:
        yield reader.connection
    except BaseException:
        reader.connection.rollback()
        raise
    finally:
        _give_back(engine, reader)


class _Reader:
    """A connection kept for the fast path, taken from the engine's current pool and detached from it."""

    __slots__ = ("connection", "known_lost", "pid", "pool")

    def __init__(self, engine: Engine) -> None:
        pooled = engine.raw_connection()
        self.connection = pooled.driver_connection
        self.pid = os.getpid()
        self.pool = engine.pool  # a disposed engine has a new pool: readers of the old one are not given back
        pooled.detach()  # the pool forgets it: it neither counts it nor gives it to a request
        # psycopg knows when its connection is lost; a SQLite file's is not. SQLite's driver begins a transaction
        # only before a write, so its reads here run outside one as they do in PostgreSQL's autocommit.
        self.known_lost = engine.dialect.name == "postgresql"
        if self.known_lost:
            self.connection.autocommit = True

    def usable(self, engine: Engine) -> bool:
        """Made in this process, on the engine's current pool, and not lost."""
        if self.pid != os.getpid() or self.pool is not engine.pool:
            return False
        return not (self.known_lost and (self.connection.closed or self.connection.broken))

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
