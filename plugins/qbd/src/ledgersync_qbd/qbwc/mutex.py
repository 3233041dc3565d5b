"""One Web Connector call at a time per company, across every server process.

``StateStore.exclusive`` is a real cross-process lock, but on SQLite it holds the database's
write lock for as long as it is held, and the engine's own writes (claims, outcomes) would wait
behind it. So it is used only for a short test-and-set of a lease row; the call's work then runs
outside it, and the lease is dropped at the end (or expires if the process dies), in the
transaction that also writes the call's state (:mod:`.callstate`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import time
from collections.abc import Iterable, Iterator
from typing import Any

from ledgersync import LedgerSyncError, StateStore

from .callstate import CallState

KEY = "qbwc:mutex"


class CompanyBusy(LedgerSyncError):
    """Another call of the same company held the lock for too long."""


@contextlib.contextmanager
def company_mutex(state: StateStore, *, load: Iterable[str] = (), clock: Any = None,
                  hold_seconds: float = 120.0, wait_seconds: float = 30.0
                  ) -> Iterator[CallState]:
    """Hold the company's Web Connector lock; yields the call's view of the company's state
    (see :mod:`.callstate`), with ``load`` read in the transaction that took the lock. The
    call's writes are committed with the release."""
    call = CallState(state, clock)
    holder = secrets.token_hex(8)
    deadline = time.monotonic() + wait_seconds
    delay = 0.005
    while not _acquire(state, holder, hold_seconds, call, load):
        if time.monotonic() > deadline:
            raise CompanyBusy(f"company {state.company!r} is busy with another Web Connector "
                              "call", remedy="Run the update again in a minute")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    try:
        yield call
    finally:
        with state.exclusive("qbwc") as conn:
            call.flush(conn)
            current = state.get(KEY, connection=conn)
            if isinstance(current, dict) and current.get("holder") == holder:
                state.delete(KEY, connection=conn)


def _acquire(state: StateStore, holder: str, hold_seconds: float, call: CallState,
             load: Iterable[str]) -> bool:
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
        call.load(load, conn)
    return True
