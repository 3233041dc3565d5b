"""Recording a held item's outcome: successes written in groups, every other outcome at once,
and the heartbeat that keeps the rest of a claimed batch leased meanwhile.

All writes go through :mod:`.items`; this layer decides only *when* they happen.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import attrs
from sqlalchemy.engine import Connection

from .._connector import ExportResult, StagedResult
from . import items
from .claims import ClaimedItem, add_requests, extend_leases
from .context import EngineContext
from .outage import OutageTracker
from .statuses import Status


@attrs.frozen
class Outcome:
    """What happened to one item, for the run's counts and the caller's loop."""

    status: Status | None  # None when the lease was lost and nothing was recorded
    level: str  # "info", "warning" or "error"
    stop_company: bool = False  # throttled or paused: release the rest of the batch


#: The outcome of a success by level (immutable: one instance of each serves every item).
_SYNCED = {level: Outcome(Status.SYNCED, level) for level in ("info", "warning")}


@attrs.frozen(kw_only=True)
class _PendingSync:
    """A success not written yet (see :meth:`Completion.grouped`)."""

    write: items.SyncedWrite
    extra_requests: int


class Completion:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.outages = OutageTracker(ctx)
        self._last_heartbeat: dict[tuple[str, str], dt.datetime] = {}
        self._grouping = False
        self._pending: list[_PendingSync] = []
        #: Links of the group's successes, not written yet: (company, kind, MMS id) -> ids.
        self.overlay: dict[tuple[str, str, str], tuple[str, str | None]] = {}
        #: Ids of the current group's successes whose lease was gone when the group was
        #: written (nothing recorded but the history); emptied when a group begins.
        self.lost: list[int] = []

    def synced(
        self,
        item: ClaimedItem,
        result: ExportResult | StagedResult,
        *,
        reason: str | None,
        extra_requests: int = 0,
    ) -> Outcome:
        self.outages.succeeded(item.company)
        if isinstance(result, StagedResult):
            return self.staged(item, result, reason=reason, extra_requests=extra_requests)
        warnings = "; ".join(result.warnings) if result.warnings else None
        level = "warning" if warnings else "info"
        if reason or warnings:
            message = "; ".join(p for p in (reason, warnings) if p)
        else:
            message = f"synced as {result.external_id}"
        done = _PendingSync(write=items.SyncedWrite(
            item=item, result=result, warnings=warnings, level=level, message=message,
            at=self.ctx.now()), extra_requests=extra_requests)
        if self._grouping:
            self._pending.append(done)
            self.overlay[(item.company, item.kind, item.mms_id)] = (
                result.external_id, result.version_token)
            if len(self._pending) >= self.ctx.settings.completion_group:
                self.flush()
            return _SYNCED[level]
        if not self._write_synced([done]):
            return Outcome(None, "warning")  # the lease was lost; kept in the history only
        return _SYNCED[level]

    def staged(
        self,
        item: ClaimedItem,
        result: StagedResult,
        *,
        reason: str | None,
        extra_requests: int = 0,
    ) -> Outcome:
        """Stage one of a two-stage write: recorded at once (it links nothing to batch)."""
        self.flush()  # the history keeps the order in which outcomes happened
        now = self.ctx.now()
        warnings = "; ".join(result.warnings) if result.warnings else None
        message = "; ".join(p for p in (reason, warnings) if p) or (
            f"accepted by the intermediary as {result.intermediary_id}; "
            "waits for the accounting system to confirm it")
        cls = self.ctx.connector_class(self.ctx.company(item.company))
        with self.ctx.engine.begin() as conn:
            if not items.write_staged(conn, item, result, message=message,
                                      level="warning" if warnings else "info", at=now,
                                      release_dependents=item.kind in cls.staged_references):
                return Outcome(None, "warning")
            add_requests(self.ctx, conn, item.company, result.requests_made - 1 + extra_requests)
            self._heartbeat(conn, item.lease_owner, item.company, now)
        return Outcome(Status.STAGED, "info")

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        """Record successes of the items processed inside in few transactions.

        No transaction stays open meanwhile (the items simply stay ``in_flight`` under their
        lease until the group is written), and the links of the group's items are visible
        to the items after them at once. A crash before the write leaves those items to the
        lease reaper: ``in_doubt``, looked up, never sent twice.
        """
        self._grouping = True
        self.lost = []
        try:
            yield
        finally:
            self._grouping = False
            self.flush()

    def flush(self) -> None:
        """Write the successes waiting in the group, if any."""
        if self._pending:
            pending, self._pending = self._pending, []
            try:
                written = self._write_synced(pending)
                self.lost.extend(done.write.item.id for done in pending
                                 if done.write.item.id not in written)
            finally:
                self.overlay.clear()

    def flush_if_old(self) -> None:
        """Write the group if its oldest success waited longer than the engine allows."""
        if self._pending and (self.ctx.now() - self._pending[0].write.at).total_seconds() >= (
                self.ctx.settings.completion_group_seconds):
            self.flush()

    def _write_synced(self, group: list[_PendingSync]) -> set[int]:
        """Record the successes of ``group``; returns the ids of those whose lease held."""
        now = self.ctx.now()
        with self.ctx.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # The commit need not wait for the disk: successes already wait in a group
                # before they are written (see grouped()), and one lost to a database crash is
                # the same as one lost to a worker crash: still in flight under its lease, then
                # in doubt, looked up, never sent twice. The next claim's commit is durable
                # and, the log being sequential, makes this one durable too.
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            written = items.write_synced(conn, [done.write for done in group], now)
            kept = {id(write) for write in written}
            extra: dict[str, int] = {}
            for done in group:
                if id(done.write) in kept:
                    cost = done.write.result.requests_made - 1 + done.extra_requests
                    company = done.write.item.company
                    extra[company] = extra.get(company, 0) + cost
            for company, cost in extra.items():
                add_requests(self.ctx, conn, company, cost)
            if written:
                last = written[-1].item
                self._heartbeat(conn, last.lease_owner, last.company, now)
        return {write.item.id for write in written}

    def finish(
        self,
        item: ClaimedItem,
        status: Status,
        *,
        level: str,
        reason: str,
        values: dict[str, Any],
        code: str | None = None,
        stop_company: bool = False,
    ) -> Outcome:
        """Record any outcome but a success, at once and under the lease."""
        self.flush()  # the history keeps the order in which outcomes happened
        now = self.ctx.now()
        with self.ctx.engine.begin() as conn:
            if not items.finish(conn, item, status, reason=reason, at=now, values=values,
                                level=level, code=code):
                return Outcome(None, "warning")
            self._heartbeat(conn, item.lease_owner, item.company, now)
        return Outcome(status, level, stop_company=stop_company)

    def block(self, item: ClaimedItem, reason: str) -> Outcome:
        """A dependency has no remote id yet: wait for it (no attempt spent), unless it arrived
        since the references were read (then the item is ready again at once)."""
        self.flush()
        now = self.ctx.now()
        with self.ctx.engine.begin() as conn:
            status = items.block(conn, item, reason=reason, at=now,
                                 values={"attempts": item.attempts - 1})
            if status is None:
                return Outcome(None, "warning")
            self._heartbeat(conn, item.lease_owner, item.company, now)
        return Outcome(status, "warning" if status is Status.BLOCKED else "info")

    def release(self, item: ClaimedItem, reason: str) -> None:
        """Give a claimed but unstarted item back (shutdown, throttle): no attempt is spent."""
        status = Status.IN_DOUBT if item.needs_lookup else Status.PENDING
        self.finish(item, status, level="info", reason=reason,
                    values={"attempts": item.attempts - 1, "next_attempt_at": self.ctx.now()})

    def _heartbeat(self, conn: Connection, owner: str, company: str, now: dt.datetime) -> None:
        """Keep the rest of this worker's batch leased, once half the lease has passed (the
        claim itself set the lease, so the first item of a batch never needs it)."""
        key = (owner, company)
        last = self._last_heartbeat.setdefault(key, now)
        if (now - last).total_seconds() >= self.ctx.settings.lease_seconds / 2:
            extend_leases(self.ctx, conn, owner, company)
            self._last_heartbeat[key] = now
