"""Bulk writes: one INSERT or UPDATE compiled once, then run for thousands of rows through the cursor.

``Connection.execute(statement, rows)`` redoes per row what only needs doing once per statement: it
rebuilds every row's full parameter set (constants such as ``updated_at`` included) and runs each
value's bind processor (UTC conversion and datetime formatting for the constants, JSON for lists and
objects). In a catalog import that was about a quarter of the time. A :class:`BulkStatement` compiles
the statement for the connection's dialect exactly as ``execute`` would, processes constants and scalar
column defaults once, and per row runs only the processors of the values that vary (JSON); the rows
go to the DBAPI ``executemany`` through ``exec_driver_sql``, inside the connection's transaction and
events. What reaches the database is what ``execute`` would have sent (``tests/test_bulk.py`` holds
both paths to it on SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Insert, Update
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["BulkStatement"]

_Processor = Callable[[Any], Any]


class _Slot:
    """Stands for "the row's value at ``index``" while the statement's parameters are worked out."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class BulkStatement:
    """``statement`` for rows whose values are given in ``keys`` order (tuples, not dicts)."""

    def __init__(self, conn: Connection, statement: Insert | Update, keys: Sequence[str]) -> None:
        self._conn = conn
        dialect = conn.dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
        assert isinstance(compiled, SQLCompiler)
        if compiled.effective_returning or compiled.post_compile_params or compiled.postfetch:
            raise ValueError("bulk statements take no RETURNING, expanding parameters or server-side values")
        self.sql = compiled.string
        slots = {key: _Slot(i) for i, key in enumerate(keys)}
        params = compiled.construct_params(slots, escape_names=False)
        defaults = _scalar_defaults(compiled)
        types = {name: bind.type for bind, name in compiled.bind_names.items()}
        names = list(compiled.positiontup or ()) if compiled.positional else list(params)
        sources: list[int] = []
        constants: list[Any] = []
        self._processors: list[tuple[int, _Processor]] = []
        for position, name in enumerate(names):
            value = params[name] if name not in defaults else defaults[name]
            process = types[name].dialect_impl(dialect).bind_processor(dialect)
            if isinstance(value, _Slot):
                sources.append(value.index)
                if process is not None:
                    self._processors.append((position, process))
            else:
                sources.append(len(keys) + len(constants))
                constants.append(value if process is None else process(value))
        self._constants = tuple(constants)
        self._pick: Callable[[tuple[Any, ...]], tuple[Any, ...]] = (
            itemgetter(*sources) if len(sources) > 1 else lambda row: (row[sources[0]],)
        )
        escaped = compiled.escaped_bind_names
        self._names: tuple[str, ...] | None = (
            None if compiled.positional else tuple(escaped.get(name, name) for name in names)
        )

    def _parameters(self, row: Sequence[Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = self._pick((*row, *self._constants))
        if self._processors:
            processed = list(values)
            for position, process in self._processors:
                processed[position] = process(processed[position])
            values = tuple(processed)
        return values if self._names is None else dict(zip(self._names, values, strict=True))

    def execute(self, rows: Iterable[Sequence[Any]]) -> int:
        """Run the statement once per row (one ``executemany``); returns how many rows were given."""
        parameters = [self._parameters(row) for row in rows]
        if parameters:
            self._conn.exec_driver_sql(self.sql, parameters)
        return len(parameters)


def _scalar_defaults(compiled: SQLCompiler) -> dict[str, Any]:
    """Column defaults SQLAlchemy would fill in per row (``reserved = 0``); only plain values are supported."""
    found: dict[str, Any] = {}
    for columns, attribute in ((compiled.insert_prefetch, "default"), (compiled.update_prefetch, "onupdate")):
        for column in columns:
            default = getattr(column, attribute)
            if default is None or not default.is_scalar:
                raise ValueError(f"column {column.key!r} has a computed default; bulk statements take plain values")
            found[column.key] = default.arg
    return found
