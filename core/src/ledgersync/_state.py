"""Small per-company state a connector keeps in the ledger, and locks shared by all workers.

Web Connector sessions, a stored batch composition, an OAuth refresh in progress: state that
must survive a restart and be visible to every process serving the company lives here, not in
process memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from ._ledger.database import read_connection
from ._ledger.schema import connector_state
from ._ledger.types import utcnow

#: ``StateStore.delete``'s "whatever the value".
_ANY: Any = object()


class StateStore:
    """JSON values by key for one company, optionally expiring."""

    def __init__(
        self, engine: Engine, company: str, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self._engine = engine
        self.company = company
        self._clock = clock

    def get(self, key: str, *, connection: Connection | None = None) -> Any:
        """The value stored under ``key``, or None if absent or expired."""
        return self.get_many([key], connection=connection).get(key)

    def get_many(self, keys: Iterable[str], *, connection: Connection | None = None
                 ) -> dict[str, Any]:
        """The live values of ``keys``, read in one statement (absent and expired keys are
        left out). Without ``connection``, a read-only transaction: on SQLite it does not
        take the database's write lock."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        params = {"b_company": self.company, "b_keys": wanted}
        if connection is not None:
            rows = connection.execute(_GET_MANY, params).all()
        else:
            with read_connection(self._engine) as conn:
                rows = conn.execute(_GET_MANY, params).all()
        now = self._clock()
        return {row.key: json.loads(row.value) for row in rows
                if row.expires_at is None or row.expires_at > now}

    def put(self, key: str, value: Any, *, ttl: float | None = None,
            connection: Connection | None = None) -> None:
        """Store ``value`` (JSON-serialisable) under ``key``, replacing what was there."""
        self.put_many([(key, value, ttl)], connection=connection)

    def put_many(self, values: Iterable[tuple[str, Any, float | None]], *,
                 connection: Connection | None = None) -> None:
        """Store each ``(key, value, ttl)``, replacing what was there: one upsert statement
        on SQLite and PostgreSQL."""
        now = self._clock()
        rows = [{"company": self.company, "key": key,
                 "value": json.dumps(value, sort_keys=True),
                 "expires_at": now + dt.timedelta(seconds=ttl) if ttl is not None else None,
                 "updated_at": now} for key, value, ttl in values]
        if not rows:
            return
        if connection is not None:
            _upsert(connection, rows)
        else:
            with self._engine.begin() as conn:
                _upsert(conn, rows)

    def delete(self, key: str, *, only_if: Any = _ANY,
               connection: Connection | None = None) -> None:
        """Remove ``key``; with ``only_if``, only while its value is still that one."""
        params = {"b_company": self.company, "b_key": key}
        query = _DELETE
        if only_if is not _ANY:
            query = _DELETE_IF
            params["b_value"] = json.dumps(only_if, sort_keys=True)
        if connection is not None:
            connection.execute(query, params)
            return
        with self._engine.begin() as conn:
            conn.execute(query, params)

    def delete_many(self, keys: Iterable[str], *, connection: Connection) -> None:
        wanted = sorted(set(keys))
        if wanted:
            connection.execute(_DELETE_MANY, {"b_company": self.company, "b_keys": wanted})

    def keys(self, prefix: str = "") -> list[str]:
        """Live keys starting with ``prefix``."""
        now = self._clock()
        with read_connection(self._engine) as conn:
            rows = conn.execute(sa.select(connector_state.c.key).where(
                connector_state.c.company == self.company,
                connector_state.c.key.startswith(prefix, autoescape=True),
                sa.or_(connector_state.c.expires_at.is_(None),
                       connector_state.c.expires_at > now),
            ).order_by(connector_state.c.key)).all()
        return [row.key for row in rows]

    @contextlib.contextmanager
    def exclusive(self, name: str, *, durable: bool = True) -> Iterator[Connection]:
        """Hold a lock named ``name`` for this company across every worker and process.

        Use it for work that must happen once at a time, such as refreshing an OAuth token
        (the refresh token rotates: two concurrent refreshes would lock the company out). The
        yielded connection is inside the locking transaction; write what the work produced
        through it so it commits atomically with the release of the lock.

        ``durable=False``: the transaction's commit does not wait for the disk (SQLite:
        ``synchronous=NORMAL`` for it; PostgreSQL: ``synchronous_commit = off``). It is
        visible to every other connection at once and survives a crash of the process; a
        power loss may lose it, but only together with every commit after it (both logs are
        written in order, and the next durable commit flushes everything before it). For
        writes that need not outlive the machine, such as a lease that expires anyway.
        """
        key = f"lock:{name}"
        with self._engine.connect() as conn:
            relaxed = None if durable else _relax_sqlite(conn)
            try:
                with conn.begin():
                    if conn.dialect.name == "postgresql" and not durable:
                        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    # SQLite's BEGIN IMMEDIATE already holds the database's write lock for the
                    # whole transaction; elsewhere, lock the lock's row (made on first use).
                    if conn.dialect.name != "sqlite":
                        self._lock_row(conn, key)
                    yield conn
            finally:
                # An invalidated connection is discarded with its setting.
                if relaxed is not None and not conn.invalidated:
                    _raw(conn).execute(f"PRAGMA synchronous = {relaxed}")

    def _lock_row(self, conn: Connection, key: str) -> None:
        params = {"b_company": self.company, "b_key": key}
        if conn.execute(_LOCK_ROW, params).first() is not None:
            return
        row = {"company": self.company, "key": key, "value": "null",
               "updated_at": self._clock()}
        # PostgreSQL only (SQLite needs no row): two first uses at once make one row.
        conn.execute(pg_insert(connector_state).values(**row).on_conflict_do_nothing())
        conn.execute(_LOCK_ROW, params)


# The statements are built once: SQLAlchemy keeps a statement object's cache key, so running
# the same object again skips building it and looking up its compiled form costs no walk.
_C = connector_state.c
_ONE_KEY = (_C.company == sa.bindparam("b_company"), _C.key == sa.bindparam("b_key"))
_SOME_KEYS = (_C.company == sa.bindparam("b_company"),
              _C.key.in_(sa.bindparam("b_keys", expanding=True)))
_GET_MANY = sa.select(_C.key, _C.value, _C.expires_at).where(*_SOME_KEYS)
_DELETE = sa.delete(connector_state).where(*_ONE_KEY)
_DELETE_IF = _DELETE.where(_C.value == sa.bindparam("b_value"))
_DELETE_MANY = sa.delete(connector_state).where(*_SOME_KEYS)
_LOCK_ROW = sa.select(_C.key).where(*_ONE_KEY).with_for_update()


def _upsert_of(insert: Any) -> Any:
    return insert.on_conflict_do_update(
        index_elements=[_C.company, _C.key],
        set_={"value": insert.excluded.value, "expires_at": insert.excluded.expires_at,
              "updated_at": insert.excluded.updated_at})


# Both supported backends (SQLite, PostgreSQL: _ledger/database.py) speak ON CONFLICT.
_UPSERTS = {"sqlite": _upsert_of(sqlite_insert(connector_state)),
            "postgresql": _upsert_of(pg_insert(connector_state))}


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(_UPSERTS[conn.dialect.name], rows)


def _raw(conn: Connection) -> Any:
    return conn.connection.driver_connection


def _relax_sqlite(conn: Connection) -> int | None:
    """Set SQLite's ``synchronous`` to NORMAL on ``conn`` for its next transaction; the level
    to restore after it, or None if nothing changed. SQLite takes the setting only outside a
    transaction, so it goes to the driver's connection before SQLAlchemy begins one."""
    if conn.dialect.name != "sqlite":
        return None
    info = conn.connection.info
    level = info.get("ledgersync_synchronous")
    if level is None:
        level = int(_raw(conn).execute("PRAGMA synchronous").fetchone()[0])
        info["ledgersync_synchronous"] = level
    if level <= 1:  # already NORMAL (1) or OFF (0)
        return None
    _raw(conn).execute("PRAGMA synchronous = NORMAL")
    return int(level)
