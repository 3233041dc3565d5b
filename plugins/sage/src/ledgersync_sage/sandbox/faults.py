"""Failures the sandbox can be told to produce, as Intacct and its CDN produce them.

- ``lost``: the request is processed, then the answer never arrives (over HTTP a 524 page, as
  the CDN sends when it cuts the connection while Intacct keeps processing; in process a
  dropped connection);
- ``timeout``: processed, then the answer comes too late (over HTTP after ``delay`` seconds;
  in process a read timeout);
- ``http_503``: refused before processing with an HTML 503 page (nothing ran);
- ``throttle``: refused with HTTP 429 and ``GW-0010`` (nothing ran);
- ``expire_session``: every session ends before the request is read.

Each fault fires on the next request whose body contains ``match`` (any request when None),
``times`` times.
"""

from __future__ import annotations

import threading

import attrs

KINDS = ("lost", "timeout", "http_503", "throttle", "expire_session")


@attrs.define
class Fault:
    kind: str = attrs.field(validator=attrs.validators.in_(KINDS))
    match: str | None = None
    times: int = 1
    delay: float = 2.0


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.fired: list[str] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, body: bytes) -> Fault | None:
        """The fault that fires on this request, if any (spending one of its times)."""
        text = body.decode("utf-8", "replace")
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and (fault.match is None or fault.match in text):
                    fault.times -= 1
                    self.fired.append(fault.kind)
                    return fault
        return None

    def pending(self) -> int:
        with self._lock:
            return sum(f.times for f in self._faults)
