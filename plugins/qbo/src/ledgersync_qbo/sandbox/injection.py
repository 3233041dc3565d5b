"""Fault injection: make the next matching request(s) fail the way QBO can fail."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from . import faults

__all__ = ["HTTP_STATUSES", "Injection", "Injector"]

# ints in this set are HTTP statuses; other ints (and all strings) are QBO fault codes.
HTTP_STATUSES = frozenset({400, 401, 403, 404, 408, 429, 500, 502, 503, 504})


@dataclass
class Injection:
    code: str | None          # QBO fault code, or None for a bare HTTP status
    status: int               # HTTP status of the answer
    entity: str | None        # lower-case entity/endpoint name to match, None = any
    realm_id: str | None
    remaining: int
    http200: bool = False     # answer HTTP 200 with the Fault body
    after_write: bool = False  # perform the write, then answer the failure
    in_batch: bool = False    # also a batch request carrying a write of ``entity``

    def fault(self) -> faults.QBOFault:
        if self.code is not None:
            fault = faults.catalog_fault(self.code)
        elif self.status >= 500:
            fault = faults.system_failure(self.status)
        else:
            fault = faults.QBOFault(faults.FaultError(
                str(self.status), "Injected error", f"Injected HTTP {self.status}"),
                status=self.status)
        if self.http200:
            fault.status = 200
        return fault


class Injector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Injection] = []
        self.fired: list[Injection] = []

    def add(self, fault: int | str, *, entity: str | None = None, times: int = 1,
            http200: bool = False, after_write: bool = False,
            realm_id: str | None = None, in_batch: bool = False) -> Injection:
        if times < 1:
            raise ValueError("times must be >= 1")
        if isinstance(fault, int) and fault in HTTP_STATUSES:
            code: str | None = {401: "3200", 403: "3100", 429: "3001"}.get(fault)
            status = fault
        else:
            code = str(fault)
            status = {"3200": 401, "3100": 403, "3001": 429}.get(code, 0)
            if status == 0:
                status = faults.catalog_fault(code).status
        if after_write and status < 500 and code is None:
            raise ValueError("after_write needs a 5xx status or a QBO fault code")
        if in_batch and not entity:
            raise ValueError("in_batch needs an entity")
        injection = Injection(code, status, entity.lower() if entity else None, realm_id,
                              times, http200, after_write, in_batch)
        with self._lock:
            self._pending.append(injection)
        return injection

    def take(self, *, realm_id: str, entity: str, is_write: bool, after_write: bool,
             carried: frozenset[str] = frozenset()) -> Injection | None:
        """The first pending injection matching this request (consumes one use).

        ``carried``: the entities a batch request writes (lower case). A fault of the HTTP
        request (an authentication failure, a 5xx) fails the whole batch in QBO, so an
        ``in_batch`` injection for one of them fails the batch that carries it."""
        with self._lock:
            for injection in self._pending:
                if injection.after_write != after_write:
                    continue
                if injection.after_write and not is_write:
                    continue
                if injection.entity is not None and injection.entity != entity.lower() and not (
                        injection.in_batch and injection.entity in carried):
                    continue
                if injection.realm_id is not None and injection.realm_id != realm_id:
                    continue
                injection.remaining -= 1
                if injection.remaining == 0:
                    self._pending.remove(injection)
                self.fired.append(injection)
                return injection
        return None

    def pending(self) -> list[Injection]:
        with self._lock:
            return list(self._pending)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
