"""Pacing requests the way QBO counts them, across every worker of the company.

The engine limits claims per company (requests a minute and at once); QBO counts differently:
over a *sliding* minute, with batch requests limited apart (40 a minute) on top of the 500
requests they count in. An engine window that fills at the start of each minute can therefore
put up to twice the limit into one sliding minute, and every 429 costs a minute's wait. So the
connector also keeps QBO's own count: each API request takes a slot in a sliding minute stored
in the connector state (one small transaction under ``state.exclusive``), waiting briefly for
one when the minute is full; a batch takes a batch slot too, or is told to go item by item.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ledgersync import ConnectorContext

from .errors import QboError

KEY = "qbo.pace"
LOCK = "qbo-pace"
#: A slot is free again a minute after QBO *received* the request, which is a little after we
#: counted it: one second of margin keeps a request at the window's edge from a 429.
WINDOW = 61.0


class Pacer:
    def __init__(self, context: ConnectorContext, *, requests_per_minute: int,
                 batches_per_minute: int, max_wait: float = 90.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.context = context
        self.requests_per_minute = requests_per_minute
        self.batches_per_minute = batches_per_minute
        self.max_wait = max_wait
        self._sleep = sleep

    def _now(self) -> float:
        return self.context.utcnow().timestamp()

    def _take(self, *, batch: bool) -> float:
        """Record one request (and one batch) now if the minute allows; else the seconds
        until it would (0.0 means taken). A batch never waits: -1.0 when its minute is full."""
        state = self.context.state
        now = self._now()
        with state.exclusive(LOCK) as conn:
            stored: Any = state.get(KEY, connection=conn) or {}
            requests = [t for t in stored.get("r", []) if t > now - WINDOW]
            batches = [t for t in stored.get("b", []) if t > now - WINDOW]
            if batch and len(batches) >= self.batches_per_minute:
                return -1.0
            if len(requests) >= self.requests_per_minute:
                return float(requests[0]) + WINDOW - now
            requests.append(now)
            if batch:
                batches.append(now)
            state.put(KEY, {"r": requests, "b": batches}, connection=conn)
        return 0.0

    def request(self) -> None:
        """Wait for a request slot (QBO would answer 429 and a minute's wait otherwise)."""
        waited_from = self._now()
        while True:
            wait = self._take(batch=False)
            if wait <= 0:
                return
            if self._now() - waited_from > self.max_wait:
                raise QboError("the company's QuickBooks requests for this minute are spent",
                               code="3001", status=429, retry_after=max(wait, 1.0),
                               sent=False)
            # Short naps, re-reading the clock: it may run faster than real time (tests).
            self._sleep(min(wait, 0.25))

    def batch(self) -> bool:
        """Take a batch slot and its request slot now; False when the batch minute is full
        (the caller sends the items one by one, each pacing itself)."""
        waited_from = self._now()
        while True:
            wait = self._take(batch=True)
            if wait < 0:
                return False
            if wait == 0:
                return True
            if self._now() - waited_from > self.max_wait:
                return False
            self._sleep(min(wait, 0.25))

    def batch_wait(self) -> float:
        """Seconds until the batch minute has room again (0.0 if it has now)."""
        stored: Any = self.context.state.get(KEY) or {}
        now = self._now()
        batches = sorted(t for t in stored.get("b", []) if t > now - WINDOW)
        if len(batches) < self.batches_per_minute:
            return 0.0
        return float(batches[0]) + WINDOW - now
