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
    load = list(load)
    while (lease := _acquire(state, holder, hold_seconds, call, load)) is None:
        if time.monotonic() > deadline:
            raise CompanyBusy(f"company {state.company!r} is busy with another Web Connector "
                              "call", remedy="Run the update again in a minute")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    try:
        yield call
    finally:
        # The call's writes are durable before its answer leaves (:mod:`.callstate`); a call
        # that wrote nothing only drops its lease, which need not reach the disk.
        with state.exclusive("qbwc", durable=call.pending > 0) as conn:
            call.flush(conn)
            state.delete(KEY, only_if=lease, connection=conn)


def _acquire(state: StateStore, holder: str, hold_seconds: float, call: CallState,
             keys: list[str]) -> dict[str, str] | None:
    """Test-and-set of the lease row, with the call's keys read in the same statement as the
    lease. The transaction writes only the lease, so its commit does not wait for the disk:
    a lease lost to a power loss is a lease nobody holds after the restart. The lease taken,
    or None if another call holds it."""
    now = dt.datetime.now(dt.UTC)
    with state.exclusive("qbwc", durable=False) as conn:
        values = state.get_many([KEY, *keys], connection=conn)
        current = values.get(KEY)
        if isinstance(current, dict) and dt.datetime.fromisoformat(current["until"]) > now:
            return None
        lease = {"holder": holder,
                 "until": (now + dt.timedelta(seconds=hold_seconds)).isoformat()}
        state.put(KEY, lease, connection=conn)
        call.loaded(keys, values)
    return lease
