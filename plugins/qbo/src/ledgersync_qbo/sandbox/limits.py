"""Per-realm throttling: requests per minute, batch requests per minute, concurrency.

QBO answers 429 with fault 3001 (an XML body). Whether it sends ``Retry-After`` is
unconfirmed, so the header is off unless configured.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass

from .clock import Clock

__all__ = ["Admission", "Throttle"]

WINDOW = 60.0


@dataclass(frozen=True)
class Admission:
    allowed: bool
    reason: str = ""  # "rate", "batch-rate" or "concurrency" when refused


class Throttle:
    def __init__(self, clock: Clock, *, per_minute: int, batch_per_minute: int,
                 max_concurrent: int) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.batch_per_minute = batch_per_minute
        self.max_concurrent = max_concurrent
        self._lock = threading.Lock()
        self._requests: dict[str, deque[float]] = defaultdict(deque)
        self._batches: dict[str, deque[float]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)
        self.refused = 0

    @staticmethod
    def _prune(window: deque[float], now: float) -> None:
        while window and window[0] <= now - WINDOW:
            window.popleft()

    def acquire(self, realm_id: str, *, batch: bool = False) -> Admission:
        """Admit one request (call :meth:`release` when it finishes) or refuse it."""
        now = self.clock.now().timestamp()
        with self._lock:
            requests = self._requests[realm_id]
            self._prune(requests, now)
            if len(requests) >= self.per_minute:
                self.refused += 1
                return Admission(False, "rate")
            if batch:
                batches = self._batches[realm_id]
                self._prune(batches, now)
                if len(batches) >= self.batch_per_minute:
                    self.refused += 1
                    return Admission(False, "batch-rate")
            if self._in_flight[realm_id] >= self.max_concurrent:
                self.refused += 1
                return Admission(False, "concurrency")
            requests.append(now)
            if batch:
                self._batches[realm_id].append(now)
            self._in_flight[realm_id] += 1
            return Admission(True)

    def release(self, realm_id: str) -> None:
        with self._lock:
            self._in_flight[realm_id] = max(0, self._in_flight[realm_id] - 1)

    def in_flight(self, realm_id: str) -> int:
        with self._lock:
            return self._in_flight[realm_id]

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._batches.clear()
