"""Failed Web Connector logins, counted per user name and per client address.

A password is checked with scrypt (tens of milliseconds), so guessing is slow but not stopped:
200 wrong passwords went through at 27 a second. After ``max_failures`` failures within
``window``, the user name or the address is locked out for ``lockout``: its logins are refused
("nvu", as for a wrong password) without checking the password, which also spares the CPU.
The counts live in this process; several server processes each keep their own, which bounds
guessing per process (a reverse proxy in front can limit by address across processes; see
docs/operations.md). Memory is bounded: at most ``max_keys`` names and addresses are tracked,
the longest-unused forgotten first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import attrs

MAX_NAME_CHARS = 64  # user names longer than this are counted (and logged) by their prefix


@attrs.define
class _Failures:
    count: int = 0
    first: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Whether a login may be tried now, and the record of the ones that failed."""

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

    def allowed(self, username: str, address: str | None) -> bool:
        """False while the user name or the address is locked out."""
        now = self._clock()
        with self._lock:
            return not any(self._locked(key, now) for key in _keys(username, address))

    def failed(self, username: str, address: str | None) -> None:
        now = self._clock()
        with self._lock:
            for key in _keys(username, address):
                entry = self._failures.pop(key, None) or _Failures(first=now)
                if now - entry.first > self.window_seconds:
                    entry = _Failures(first=now)
                entry.count += 1
                if entry.count >= self.max_failures:
                    entry.locked_until = now + self.lockout_seconds
                self._failures[key] = entry
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, username: str, address: str | None) -> None:
        with self._lock:
            for key in _keys(username, address):
                self._failures.pop(key, None)

    def _locked(self, key: str, now: float) -> bool:
        entry = self._failures.get(key)
        return entry is not None and entry.locked_until > now


def _keys(username: str, address: str | None) -> list[str]:
    keys = ["user:" + username[:MAX_NAME_CHARS]]
    if address:
        keys.append("addr:" + address)
    return keys


def loggable(username: str) -> str:
    """A user name as it may appear in a log line: capped, so a 1 MB name cannot flood it."""
    if len(username) <= MAX_NAME_CHARS:
        return repr(username)
    return f"{username[:MAX_NAME_CHARS]!r}... ({len(username)} characters)"
