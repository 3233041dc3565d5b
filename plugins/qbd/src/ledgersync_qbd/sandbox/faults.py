"""Fault injection for tests and benchmarks (consumed by the message-set processor).

* :meth:`FaultPlan.inject_status` - the next ``times`` matching requests answer ``code``.
  Error codes (>= 1000, e.g. 3175/3180 "in use", 3260) are answered *instead of* running the
  request; warning codes (500-999, e.g. 530) are attached to a request that ran successfully;
  info codes below 500 replace the status of a request that ran.
* :meth:`FaultPlan.raise_hresult` - the next message set is not run at all; the request
  processor fails with that HRESULT and message (what QBWC reports in ``receiveResponseXML``'s
  ``hresult``/``message`` with an empty ``response``).
* :meth:`FaultPlan.lose_next_response` - the next message set *is* run and its response is
  produced, but flagged ``lost``: the simulated Web Connector must not deliver it, modelling a
  response lost between QuickBooks and the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class InjectedStatus:
    code: int
    request_type: str | None
    remaining: int
    message: str | None = None


@dataclass
class FaultPlan:
    statuses: list[InjectedStatus] = field(default_factory=list)
    hresults: list[tuple[str, str]] = field(default_factory=list)
    lose_count: int = 0

    def inject_status(self, code: int, *, request_type: str | None = None, times: int = 1,
                      message: str | None = None) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        self.statuses.append(InjectedStatus(code, request_type, times, message))

    def raise_hresult(self, hresult: str, message: str) -> None:
        self.hresults.append((hresult, message))

    def lose_next_response(self, count: int = 1) -> None:
        self.lose_count += count

    def take_hresult(self) -> tuple[str, str] | None:
        return self.hresults.pop(0) if self.hresults else None

    def take_lost(self) -> bool:
        if self.lose_count:
            self.lose_count -= 1
            return True
        return False

    def take_status(self, request_type: str) -> InjectedStatus | None:
        for injected in self.statuses:
            if injected.request_type in (None, request_type):
                injected.remaining -= 1
                if injected.remaining == 0:
                    self.statuses.remove(injected)
                return injected
        return None

    def clear(self) -> None:
        self.statuses.clear()
        self.hresults.clear()
        self.lose_count = 0
