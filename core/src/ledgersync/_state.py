"""Small per-company state a connector keeps in the ledger, and locks shared by all workers.

Web Connector sessions, a stored batch composition, an OAuth refresh in progress: state that
must survive a restart and be visible to every process serving the company lives here, not in
process memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ._ledger.schema import connector_state
from ._ledger.types import utcnow


class StateStore:
    """JSON values by key for one company, optionally expiring."""

    def __init__(
        self, engine: Engine, company: str, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self._engine = engine
        self.company = company
        self._clock = clock

    def _key(self, key: str) -> Any:
        return sa.and_(connector_state.c.company == self.company, connector_state.c.key == key)

    def get(self, key: str, *, connection: Connection | None = None) -> Any:
        """The value stored under ``key``, or None if absent or expired."""
        query = sa.select(connector_state.c.value, connector_state.c.expires_at).where(
            self._key(key))
        if connection is not None:
            row = connection.execute(query).first()
        else:
            with self._engine.connect() as conn:
                row = conn.execute(query).first()
        if row is None or (row.expires_at is not None and row.expires_at <= self._clock()):
            return None
        return json.loads(row.value)

    def put(self, key: str, value: Any, *, ttl: float | None = None,
            connection: Connection | None = None) -> None:
        """Store ``value`` (JSON-serialisable) under ``key``, replacing what was there."""
        now = self._clock()
        expires = now + dt.timedelta(seconds=ttl) if ttl is not None else None
        text = json.dumps(value, sort_keys=True)

        def write(conn: Connection) -> None:
            updated = conn.execute(sa.update(connector_state).where(self._key(key)).values(
                value=text, expires_at=expires, updated_at=now))
            if updated.rowcount == 0:
                conn.execute(sa.insert(connector_state).values(
                    company=self.company, key=key, value=text, expires_at=expires,
                    updated_at=now))

        if connection is not None:
            write(connection)
        else:
            with self._engine.begin() as conn:
                write(conn)

    def delete(self, key: str, *, connection: Connection | None = None) -> None:
        if connection is not None:
            connection.execute(sa.delete(connector_state).where(self._key(key)))
            return
        with self._engine.begin() as conn:
            conn.execute(sa.delete(connector_state).where(self._key(key)))

    def keys(self, prefix: str = "") -> list[str]:
        """Live keys starting with ``prefix``."""
        now = self._clock()
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(connector_state.c.key).where(
                connector_state.c.company == self.company,
                connector_state.c.key.startswith(prefix, autoescape=True),
                sa.or_(connector_state.c.expires_at.is_(None),
                       connector_state.c.expires_at > now),
            ).order_by(connector_state.c.key)).all()
        return [row.key for row in rows]

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[Connection]:
        """Hold a lock named ``name`` for this company across every worker and process.

        Use it for work that must happen once at a time, such as refreshing an OAuth token
        (the refresh token rotates: two concurrent refreshes would lock the company out). The
        yielded connection is inside the locking transaction; write what the work produced
        through it so it commits atomically with the release of the lock.
        """
        key = f"lock:{name}"
        with self._engine.begin() as conn:
            # Make sure the row exists, then lock it (SQLite's BEGIN IMMEDIATE already holds
            # the database's write lock for the whole transaction).
            exists = conn.execute(sa.select(connector_state.c.key).where(self._key(key)))
            if exists.first() is None:
                conn.execute(sa.insert(connector_state).values(
                    company=self.company, key=key, value="null", updated_at=self._clock()))
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(connector_state.c.key).where(self._key(key))
                             .with_for_update())
            yield conn

