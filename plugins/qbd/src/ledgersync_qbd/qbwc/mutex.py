"""One Web Connector call at a time per company, across every server process.

``StateStore.exclusive`` is a real cross-process lock, but on SQLite it holds the database's
write lock for as long as it is held, and the engine's own writes (claims, outcomes) would wait
behind it. So it is used only for a short test-and-set of a lease row; the call's work then runs
outside it, and the lease is dropped at the end (or expires if the process dies).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import time
from collections.abc import Iterator

from ledgersync import LedgerSyncError, StateStore

KEY = "qbwc:mutex"


class CompanyBusy(LedgerSyncError):
    """Another call of the same company held the lock for too long."""


@contextlib.contextmanager
def company_mutex(state: StateStore, *, hold_seconds: float = 120.0,
                  wait_seconds: float = 30.0) -> Iterator[None]:
    holder = secrets.token_hex(8)
    deadline = time.monotonic() + wait_seconds
    delay = 0.005
    while not _acquire(state, holder, hold_seconds):
        if time.monotonic() > deadline:
            raise CompanyBusy(f"company {state.company!r} is busy with another Web Connector "
                              "call", remedy="Run the update again in a minute")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    try:
        yield
    finally:
        with state.exclusive("qbwc") as conn:
            current = state.get(KEY, connection=conn)
            if isinstance(current, dict) and current.get("holder") == holder:
                state.delete(KEY, connection=conn)


def _acquire(state: StateStore, holder: str, hold_seconds: float) -> bool:
    now = dt.datetime.now(dt.UTC)
    with state.exclusive("qbwc") as conn:
        current = state.get(KEY, connection=conn)
        if isinstance(current, dict):
            until = dt.datetime.fromisoformat(current["until"])
            if until > now:
                return False
        state.put(KEY, {"holder": holder,
                        "until": (now + dt.timedelta(seconds=hold_seconds)).isoformat()},
                  connection=conn)
    return True
