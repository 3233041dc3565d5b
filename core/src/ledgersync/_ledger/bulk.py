"""Inserting many rows of one table in one statement, on either backend.

SQLite runs in-process: the driver's ``executemany`` of the one-row INSERT is a C loop
without round trips. PostgreSQL gets the columns as arrays,
``INSERT ... SELECT * FROM unnest(...)``: one short statement the driver parses once and the
server plans once, where an ``executemany`` executes one statement per row and a multi-row
``VALUES`` list is a long new statement for every page (psycopg parses every such string in
Python before sending it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (every row names the same columns; a column left out gets its default
    only on SQLite, so name them all) into ``table`` in one statement."""
    if not rows:
        return
    names = list(rows[0])
    if len(rows) == 1 or conn.dialect.name not in ("postgresql", "sqlite"):
        conn.execute(sa.insert(table), list(rows))
        return
    if conn.dialect.name == "sqlite":
        _insert_sqlite(conn, table, names, rows)
        return
    columns = [table.c[name] for name in names]
    casts = ", ".join(f"%(p{i})b::{_array_type(conn, column)}"
                      for i, column in enumerate(columns))
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "
           f"SELECT * FROM unnest({casts})")
    params = {f"p{i}": _bound(conn, column, [row[name] for row in rows])
              for i, (name, column) in enumerate(zip(names, columns, strict=True))}
    conn.exec_driver_sql(sql, params)


def execute_many(conn: Connection, statement: sa.Executable,
                 rows: Sequence[Mapping[str, Any]]) -> None:
    """Execute a one-row statement (bound parameters only, no expanding IN) for every row.

    On SQLite the statement is compiled once and handed to the driver's ``executemany`` with
    each value passed through its type's bind processor, as SQLAlchemy does, minus the
    per-row bookkeeping that costs more than SQLite's own work. Elsewhere: SQLAlchemy's.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite" or len(rows) == 1:
        conn.execute(statement, list(rows))
        return
    sql, names, processors, fixed = _compiled(conn, statement)
    conn.exec_driver_sql(sql, _sqlite_parameters(names, processors, rows, fixed))


_COMPILED: dict[tuple[int, str], tuple[Any, str, list[str], list[Any], dict[str, Any]]] = {}


def _compiled(conn: Connection, statement: sa.Executable
              ) -> tuple[str, list[str], list[Any], dict[str, Any]]:
    key = (id(statement), conn.dialect.name)
    cached = _COMPILED.get(key)
    if cached is None or cached[0] is not statement:
        compiled = statement.compile(dialect=conn.dialect)  # type: ignore[attr-defined]
        names = list(compiled.positiontup or ())
        binds = compiled.binds
        processors = [_bind_processor(binds[name].type, conn.dialect) for name in names]
        fixed = {name: binds[name].effective_value for name in names}
        cached = (statement, compiled.string, names, processors, fixed)
        _COMPILED[key] = cached
    return cached[1], cached[2], cached[3], cached[4]


def _bind_processor(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> Any:
    """The bind processor SQLAlchemy itself applies: the backend's own type's (SQLite stores a
    timestamp as text with its microseconds, ``.000000`` included). The generic type's would
    hand the driver a datetime, which sqlite3 writes without a zero fraction: whole-second
    values written in bulk and one at a time would then compare unequal as text."""
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _sqlite_parameters(names: Sequence[str], processors: Sequence[Any],
                       rows: Sequence[Mapping[str, Any]],
                       fixed: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """The positional parameters of ``rows`` for the driver's executemany: each value passed
    through its bind processor (None stays None), a name a row lacks taking its ``fixed``
    value. Built a column at a time: a name bound twice (``b_now``) is processed once, and a
    value the previous row had too (one claim's timestamp) is not processed again."""
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows):
        # Rows naming different columns: one value at a time.
        return [tuple(_process(row[name] if name in row else (fixed or {})[name], process)
                      for name, process in zip(names, processors, strict=True))
                for row in rows]
    done: dict[str, list[Any]] = {}
    columns: list[list[Any]] = []
    for name, process in zip(names, processors, strict=True):
        column = done.get(name)
        if column is None:
            if name in keys:
                column = _processed([row[name] for row in rows], process)
            else:
                assert fixed is not None, name
                column = [_process(fixed[name], process)] * len(rows)
            done[name] = column
        columns.append(column)
    return list(zip(*columns, strict=True))


def _processed(values: list[Any], process: Any) -> list[Any]:
    if process is None:
        return values
    out: list[Any] = []
    last: Any = None
    last_out: Any = None
    for value in values:
        if value is None:
            out.append(None)
        elif value is last:
            out.append(last_out)
        else:
            last, last_out = value, process(value)
            out.append(last_out)
    return out


def _process(value: Any, process: Any) -> Any:
    return value if value is None or process is None else process(value)


def _insert_sqlite(conn: Connection, table: sa.Table, names: list[str],
                   rows: Sequence[Mapping[str, Any]]) -> None:
    """The driver's own executemany, each value passed through its column type's bind
    processor (what SQLAlchemy's executemany does, without its per-row bookkeeping)."""
    key = (table, tuple(names), conn.dialect.name)
    cached = _INSERTS.get(key)
    if cached is None:
        processors = [_bind_processor(table.c[name].type, conn.dialect) for name in names]
        sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "
               f"VALUES ({', '.join('?' for _ in names)})")
        cached = _INSERTS[key] = (sql, processors)
    sql, processors = cached
    conn.exec_driver_sql(sql, _sqlite_parameters(names, processors, rows))


#: The INSERT and bind processors of each (table, columns, dialect name) _insert_sqlite met.
_INSERTS: dict[tuple[sa.Table, tuple[str, ...], str], tuple[str, list[Any]]] = {}


def _array_type(conn: Connection, column: sa.Column[Any]) -> str:
    return f"{column.type.compile(dialect=conn.dialect)}[]"


def _bound(conn: Connection, column: sa.Column[Any], values: list[Any]) -> list[Any]:
    """The values as the column's type binds them (e.g. UTC timestamps), NULLs kept."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        return [None if v is None else kind.process_bind_param(v, conn.dialect)
                for v in values]
    return values
