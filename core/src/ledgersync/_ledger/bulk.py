"""Inserting many rows of one table in one statement, on either backend.

SQLite runs in-process: an ``executemany`` of the one-row INSERT is a C loop without round
trips. PostgreSQL gets the columns as arrays, ``INSERT ... SELECT * FROM unnest(...)``: one
short statement the driver parses once and the server plans once, where an ``executemany``
executes one statement per row and a multi-row ``VALUES`` list is a long new statement for
every page (psycopg parses every such string in Python before sending it).
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
    if conn.dialect.name != "postgresql" or len(rows) == 1:
        conn.execute(sa.insert(table), list(rows))
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    casts = ", ".join(f"%(p{i})b::{_array_type(conn, column)}"
                      for i, column in enumerate(columns))
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "
           f"SELECT * FROM unnest({casts})")
    params = {f"p{i}": _bound(conn, column, [row[name] for row in rows])
              for i, (name, column) in enumerate(zip(names, columns, strict=True))}
    conn.exec_driver_sql(sql, params)


def _array_type(conn: Connection, column: sa.Column[Any]) -> str:
    return f"{column.type.compile(dialect=conn.dialect)}[]"


def _bound(conn: Connection, column: sa.Column[Any], values: list[Any]) -> list[Any]:
    """The values as the column's type binds them (e.g. UTC timestamps), NULLs kept."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        return [None if v is None else kind.process_bind_param(v, conn.dialect)
                for v in values]
    return values
