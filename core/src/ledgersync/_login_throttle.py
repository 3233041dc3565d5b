"""Failed sign-ins counted per key (a user name, a client address), for every door into
ledgersync: the Accounting Sync page and the QuickBooks Desktop plugin's Web Connector endpoint.

A password check is slow (scrypt), so guessing is slow but not stopped. After ``max_failures``
failures of a key within ``window_seconds`` the key is locked out for ``lockout_seconds``:
its sign-ins are refused without checking the password, which also spares the CPU. The counts
live in this process; several server processes each keep their own, which bounds guessing per
process (a reverse proxy in front can limit by address across them; docs/operations.md). Memory
is bounded: at most ``max_keys`` keys are tracked, the longest-unused forgotten first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import attrs


@attrs.define
class _Failures:
    count: int = 0
    first: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Whether a sign-in may be tried now, and the record of the ones that failed."""

    def __init__(self, *, max_failures: int = 5, window_seconds: float = 900.0,
                 lockout_seconds: float = 900.0, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.lockout_seconds = lockout_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> float | None:
        """Seconds until every one of ``keys`` may try again, or None when they may now."""
        now = self._clock()
        with self._lock:
            waits = [entry.locked_until - now for key in keys
                     if (entry := self._failures.get(key)) is not None
                     and entry.locked_until > now]
        return max(waits) if waits else None

    def allowed(self, *keys: str) -> bool:
        """False while any of ``keys`` is locked out."""
        return self.retry_after(*keys) is None

    def failed(self, *keys: str) -> None:
        """Count a failed sign-in against each of ``keys``."""
        now = self._clock()
        with self._lock:
            for key in keys:
                entry = self._failures.pop(key, None) or _Failures(first=now)
                if now - entry.first > self.window_seconds:
                    entry = _Failures(first=now)
                entry.count += 1
                if entry.count >= self.max_failures:
                    entry.locked_until = now + self.lockout_seconds
                self._failures[key] = entry
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of ``keys`` (a right password ends the count)."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def tracked(self) -> int:
        """How many keys are counted now (bounded by ``max_keys``)."""
        with self._lock:
            return len(self._failures)
