"""What the Web Connector code needs of a company's connector state."""

from __future__ import annotations

from typing import Any, Protocol


class State(Protocol):
    """A :class:`ledgersync.StateStore`, or one Web Connector call's view of it
    (:class:`ledgersync_qbd.qbwc.callstate.CallState`)."""

    @property
    def company(self) -> str: ...

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any, *, ttl: float | None = None) -> None: ...

    def delete(self, key: str) -> None: ...
