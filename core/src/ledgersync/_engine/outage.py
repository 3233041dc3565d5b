"""The accounting system as a whole is unreachable: back off the company, not each item.

A timeout or a refused connection says nothing about the record being sent. Counting it as
the item's failed attempt burned every item's attempts during an outage (about 3 hours of it
put everything in ``error``), and trying each item in turn made one run of 71 items spend over
10 minutes on 120 lookups. So a failure whose resolution code is ``timeout`` or ``network``
(the convention connectors classify transport failures with, see ``_resolution.py``) spends no
attempt, and after :data:`THRESHOLD` of them in a row for a company, the company backs off as a
whole (its ``throttled_until``, so no worker claims it), growing from one minute to fifteen.
The first failure's time is kept in the company's state so `ledgersync status` can say since
when the system is unreachable; the next success clears it. The items of one connector call (a
batch) whose answer is lost share one unanswered request: they count once (:meth:`one_call`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from .._resolution import Action, Resolution
from .._state import StateStore
from .context import EngineContext

OUTAGE_CODES = frozenset({"timeout", "network"})
THRESHOLD = 3
FIRST_BACKOFF_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 900.0
#: The key of the company's state that records an outage (``since``, ``failures``, ``last``).
STATE_KEY = "ledgersync.unreachable"


def is_outage(resolution: Resolution) -> bool:
    return (resolution.code in OUTAGE_CODES
            and resolution.action in (Action.RETRY, Action.IN_DOUBT))


class OutageTracker:
    """Consecutive transport failures per company, as this process saw them."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()
        self._call = threading.local()  # .counted: companies counted in this call, or None

    @contextlib.contextmanager
    def one_call(self) -> Iterator[None]:
        """The failures delivered inside count once per company: they answer one call."""
        self._call.counted = set()
        try:
            yield
        finally:
            self._call.counted = None

    def failed(self, company: str, message: str) -> float | None:
        """Count a transport failure; returns how long the company should back off (seconds)
        once :data:`THRESHOLD` failures came in a row, else None."""
        now = self.ctx.now()
        counted: set[str] | None = getattr(self._call, "counted", None)
        if counted is not None:
            if company in counted:
                return None  # the call's first failure was counted (and backed off if due)
            counted.add(company)
        with self._lock:
            count = self._failures.get(company, 0) + 1
            self._failures[company] = count
        state = StateStore(self.ctx.engine, company, clock=self.ctx.now)
        seen = state.get(STATE_KEY)
        since = seen.get("since") if isinstance(seen, dict) else None
        state.put(STATE_KEY, {"since": since or now.isoformat(), "failures": count,
                              "last": now.isoformat(), "message": message[:300]})
        if count < THRESHOLD:
            return None
        doublings = count - THRESHOLD
        return float(min(FIRST_BACKOFF_SECONDS * 2 ** min(doublings, 10), MAX_BACKOFF_SECONDS))

    def succeeded(self, company: str) -> None:
        """A write went through: the outage, if this process saw one, is over."""
        if company not in self._failures:
            return  # the usual case, read without the lock (a dict lookup is atomic)
        with self._lock:
            if self._failures.pop(company, None) is None:
                return
        StateStore(self.ctx.engine, company, clock=self.ctx.now).delete(STATE_KEY)


def unreachable_since(engine_ctx: EngineContext, company: str) -> dict[str, str] | None:
    """The recorded outage of ``company`` (``since``, ``last``, ``message``), or None."""
    seen = StateStore(engine_ctx.engine, company, clock=engine_ctx.now).get(STATE_KEY)
    return seen if isinstance(seen, dict) else None
