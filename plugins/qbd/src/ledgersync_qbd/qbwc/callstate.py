"""One company's connector state as one Web Connector call sees it under the company mutex.

A call reads and writes a handful of keys (its session, the outstanding set, the set to let
QuickBooks forget, the host it talks to, list pages); written one by one, each was its own
transaction, and on SQLite with ``synchronous=FULL`` each commit waits for the disk. Under the
mutex nobody else writes these keys, so the call keeps its writes here and commits them in the
transaction that releases the mutex: one commit per call, before its answer leaves the server
(the Web Connector never sees an answer whose state was not stored).

What the call wrote, it reads back from here; the rest comes from the store (and is kept, so a
key is read once per call). Everything written here is written even when the call fails half
way, as it was when each write committed at once; a crash before the release loses the call's
writes together, which leaves the state of before the call: the outstanding set (if any) is
still there to be asked about, and items claimed meanwhile come back in doubt when their lease
runs out.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Connection

from ledgersync import StateStore

from ..state import State

__all__ = ["CallState", "State"]


class CallState:
    """Reads through to ``store``; writes kept until :meth:`flush`.

    Values are kept as JSON text, as the store keeps them: what a caller does to a value it
    got or put changes nothing here.
    """

    def __init__(self, store: StateStore, clock: Any = None) -> None:
        self.store = store
        self._clock = clock
        self._read: dict[str, str] = {}
        #: key -> (JSON text, ttl, expiry) to put, or None to delete; in the order written.
        self._written: dict[str, tuple[str, float | None, dt.datetime | None] | None] = {}

    @property
    def company(self) -> str:
        return self.store.company

    def _now(self) -> dt.datetime:
        return self._clock() if self._clock is not None else dt.datetime.now(dt.UTC)

    def loaded(self, keys: Iterable[str], values: dict[str, Any]) -> None:
        """Keep ``values`` (read by the caller in the transaction that took the mutex, with
        :meth:`StateStore.get_many`) as the call's reads of ``keys``; a key missing from
        ``values`` is absent."""
        for key in keys:
            if key not in self._written:
                self._read[key] = json.dumps(values.get(key))

    def get(self, key: str) -> Any:
        if key in self._written:
            written = self._written[key]
            if written is None:
                return None
            text, _ttl, expires = written
            return json.loads(text) if expires is None or expires > self._now() else None
        if key not in self._read:
            self._read[key] = json.dumps(self.store.get(key))
        return json.loads(self._read[key])

    def put(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        expires = self._now() + dt.timedelta(seconds=ttl) if ttl is not None else None
        self._written.pop(key, None)  # the order of the last writes
        self._written[key] = (json.dumps(value, sort_keys=True), ttl, expires)

    def delete(self, key: str) -> None:
        self._written.pop(key, None)
        self._written[key] = None

    @property
    def pending(self) -> int:
        """Writes not committed yet."""
        return len(self._written)

    def flush(self, connection: Connection) -> None:
        """Write what the call wrote, in ``connection``'s transaction (two statements at most:
        the puts in one upsert, the deletes in one)."""
        written, self._written = self._written, {}
        puts = [(key, json.loads(change[0]), change[1])
                for key, change in written.items() if change is not None]
        deletes = [key for key, change in written.items() if change is None]
        self.store.put_many(puts, connection=connection)
        self.store.delete_many(deletes, connection=connection)
        for key, change in written.items():
            self._read[key] = "null" if change is None else change[0]
