"""A Core SELECT compiled once per engine and run straight on the DB-API cursor.

SQLAlchemy's execution layer costs about 100 µs per call on top of a 30 µs SQLite query. The reads that the
most frequent pages make (who is this and what have they completed, on every logged-in request; the attempt
page's attempt; a learner's assignments on the home page) are worth running without it; all other code uses the
session as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
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
        dialect = engine.dialect
        for attempt in (1, 2):
            connection = engine.raw_connection()
            try:
                if dialect.name == "postgresql":
                    return _read_outside_transaction(connection.driver_connection, compiled.string, args)
                cursor = connection.cursor()
                cursor.execute(compiled.string, args)
                rows = cursor.fetchall()
                cursor.close()
                return rows
            except dialect.loaded_dbapi.Error as error:
                if attempt == 2 or not dialect.is_disconnect(error, connection.driver_connection, None):
                    raise
                # As SQLAlchemy does on a lost connection: the pool's other connections date from before the
                # restart too, so the pool starts afresh (its idle ones closed; the ones in use close when given back).
                connection.invalidate(error)
                engine.dispose()
            finally:
                connection.close()  # back to the pool (a no-op for an invalidated one)
        raise AssertionError("unreachable")


def _read_outside_transaction(connection: Any, sql: str, args: Any) -> list[tuple]:  # noqa: ANN401 - psycopg's
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()
    finally:
        if not connection.broken:  # a lost connection is thrown away, and refuses any change
            connection.autocommit = False  # as SQLAlchemy expects the connections of its pool
