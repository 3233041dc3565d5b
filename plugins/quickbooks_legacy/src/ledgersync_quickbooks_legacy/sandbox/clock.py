"""The sandbox's clock: real time by default, or a time the tests set and move."""

from __future__ import annotations

import datetime as dt


class Clock:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now if self._now is not None else dt.datetime.now(dt.UTC)

    def set(self, when: dt.datetime) -> None:
        self._now = when

    def advance(self, seconds: float = 0.0, **delta: float) -> dt.datetime:
        self._now = self.now() + dt.timedelta(seconds=seconds, **delta)
        return self._now


def stamp(when: dt.datetime) -> str:
    """ISO 8601 UTC as the service wrote it (``2013-06-04T16:48:24Z``)."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
