"""Pull-mode export, for connectors the remote side calls: QuickBooks Desktop's Web Connector
asks for work (``sendRequestXML``) and later reports the outcome (``receiveResponseXML``),
possibly to another server process.

The protocol is the engine's, split in two: :meth:`PullQueue.claim` commits the intent (items
``in_flight`` under a lease, with their idempotency keys) and hands back export requests;
:meth:`PullQueue.held` finds the same items again from their ids and lease owner (kept in the
connector's session state); :meth:`PullQueue.succeed` / :meth:`PullQueue.fail` record each
outcome only while the lease is still held, and :meth:`PullQueue.succeed_many` records the
successes of a whole answer (a QuickBooks Desktop message set) in one transaction, each item
still fenced by its own lease. A lease that expires makes the items ``in_doubt``,
so the next session looks them up before sending anything again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs
import sqlalchemy as sa

from .._connector import ExportRequest, ExportResult
from .._ledger.database import read_connection
from .._ledger.schema import claimable, sync_items
from .claims import ClaimedItem, claim
from .context import EngineContext
from .export import ItemExporter
from .queries import ItemRef
from .runs import Scheduler, worker_id
from .statuses import Status


@attrs.frozen
class PulledItem:
    """A claimed item and the request to send for it."""

    _claimed: ClaimedItem = attrs.field(alias="claimed")
    #: What to send: the record, its idempotency key, the remote ids it references.
    request: ExportRequest

    @property
    def id(self) -> int:
        """The sync item's id (keep it in the session to find the item again)."""
        return self._claimed.id

    @property
    def owner(self) -> str:
        """The lease owner the item was claimed under (pass it to ``Ledger.pull``)."""
        return self._claimed.lease_owner

    @property
    def needs_lookup(self) -> bool:
        """True after a doubt: find the record remotely before sending it again."""
        return self._claimed.needs_lookup

    @property
    def claimed_at(self) -> dt.datetime | None:
        """When this process claimed it (the row's ``updated_at`` as the claim wrote it), or
        None for an item read again with :meth:`PullQueue.held`: see
        :meth:`PullQueue.unchanged`."""
        return self._claimed.claimed_at

    @property
    def ref(self) -> ItemRef:
        """Which item this is, as progress callbacks name items."""
        c = self._claimed
        return ItemRef(id=c.id, company=c.company, kind=c.kind, mms_id=c.mms_id,
                       operation=c.operation)


# Statements built once: SQLAlchemy keeps a statement object's cache key, so running the same
# object again neither builds it nor walks it to find its compiled form.
_DUE = sa.select(sa.func.count()).select_from(sync_items).where(
    sync_items.c.company == sa.bindparam("b_company"),
    claimable(),
    sync_items.c.next_attempt_at <= sa.bindparam("b_now"),
)
_UNCHANGED = sa.select(sync_items.c.id, sync_items.c.updated_at).where(
    sync_items.c.id.in_(sa.bindparam("b_ids", expanding=True)),
    sync_items.c.status == sa.bindparam("b_status"),
    sync_items.c.lease_owner == sa.bindparam("b_owner"),
)


class PullQueue:
    """One company's queue as seen by a pull-mode connector."""

    def __init__(self, ctx: EngineContext, company: str, *, owner: str | None = None) -> None:
        """Not built directly: :meth:`ledgersync.Ledger.pull` returns one."""
        ctx.company(company)
        self._ctx = ctx
        self.company = company
        self.owner = owner or worker_id()
        self._exporter = ItemExporter(ctx)
        self._scheduler = Scheduler(ctx, owner=self.owner)

    def open_run(self, trigger: str = "pull") -> int | None:
        """Open a run (a sync log entry) for this company, unless one is open."""
        return self._scheduler.run_now(self.company, trigger=trigger)

    def claim(self, limit: int, *, lease_seconds: float | None = None) -> list[PulledItem]:
        """Claim up to ``limit`` due items and prepare their requests.

        Items that cannot be sent (a dependency missing, already linked, unreadable) are
        recorded as such here and not returned; so are new members the customer-mapping hook
        matched to an existing customer (linked) or refused (ambiguous), as in push mode.
        Claim again to fill the message set.
        """
        runs = self._scheduler.open_runs([self.company], include_pulled=True)
        run_id = runs.get(self.company)
        batch = claim(self._ctx, self.company, owner=self.owner, limit=limit, run_id=run_id,
                      lease_seconds=lease_seconds)
        pulled: list[PulledItem] = []
        if not batch:
            return pulled
        connector = self._ctx.connector(self.company)
        # The batch's references and own links in two reads, not one read per item.
        self._exporter.prefetch(batch)
        try:
            for item in batch:
                prepared = self._exporter.prepare(item)
                if not isinstance(prepared, ExportRequest):
                    continue
                if self._exporter.attempts.map_customer(item, prepared, connector) is None:
                    pulled.append(PulledItem(claimed=item, request=prepared))
        finally:
            self._exporter.forget_prefetch()
        return pulled

    def held(self, item_ids: list[int]) -> list[PulledItem]:
        """The items of ``item_ids`` still in flight under this queue's owner, rebuilt."""
        if not item_ids:
            return []
        with self._ctx.engine.connect() as conn:
            rows = conn.execute(sa.select(sync_items).where(
                sync_items.c.id.in_(item_ids),
                sync_items.c.status == Status.IN_FLIGHT.value,
                sync_items.c.lease_owner == self.owner,
            )).all()
        pulled: list[PulledItem] = []
        for row in sorted(rows, key=lambda r: item_ids.index(r.id)):
            item = ClaimedItem(
                id=row.id, company=row.company, kind=row.kind, mms_id=row.mms_id,
                operation=row.operation, payload=row.payload, generation=row.generation,
                idempotency_key=row.idempotency_key, attempts=row.attempts,
                needs_lookup=bool(row.needs_lookup), status_before=Status.IN_FLIGHT.value,
                lease_owner=self.owner, run_id=row.run_id,
            )
            prepared = self._exporter.rebuild_request(item)
            pulled.append(PulledItem(claimed=item, request=prepared))
        return pulled

    def unchanged(self, stamps: Mapping[int, dt.datetime]) -> set[int]:
        """Of the items ``stamps`` names (id -> :attr:`PulledItem.claimed_at`), those still
        in flight under this queue's owner whose row has not changed since that claim (so
        the items as claimed are still the ones to record), in one read."""
        if not stamps:
            return set()
        with read_connection(self._ctx.engine) as conn:
            rows = conn.execute(_UNCHANGED, {"b_ids": sorted(stamps), "b_owner": self.owner,
                                             "b_status": Status.IN_FLIGHT.value}).all()
        return {row.id for row in rows if row.updated_at == stamps[row.id]}

    def succeed(self, pulled: PulledItem, result: ExportResult) -> Status | None:
        """Record the remote's success for an item (after the ``ledgersync_export`` wrappers
        saw it, as for every export); returns the item's new status, or None when the lease
        was lost meanwhile and nothing was recorded."""
        return self._exporter.deliver(pulled._claimed, pulled.request, result).status

    def succeed_many(self, answers: Sequence[tuple[PulledItem, ExportResult]]
                     ) -> list[Status | None]:
        """Record the remote's successes for several items at once, e.g. every success in
        the answer to one message set; returns each item's new status, in order.

        Each answer goes through the ``ledgersync_export`` wrappers as in :meth:`succeed`,
        then the successes are written together: one transaction for up to the engine's
        ``completion_group`` items (a few statements, whatever their number) instead of one
        each. The lease still fences each item on its own: an item whose lease was lost
        meanwhile is not recorded (its late result is kept in the history) and gets None,
        while the others are written. An answer a wrapper turns into a failure is recorded
        as a failure, at once.

        Nothing is written before the call returns, so a crash in between leaves the items
        in flight: their leases run out, they come back in doubt and are looked up, never
        sent twice. Call it once the whole answer is read, before telling the remote side
        anything that depends on it (e.g. the progress it shows).
        """
        if not answers:
            return []
        with self._exporter.grouped():
            outcomes = [self._exporter.deliver(pulled._claimed, pulled.request, result)
                        for pulled, result in answers]
        lost = set(self._exporter.completion.lost)
        return [None if outcome.status is Status.SYNCED and pulled.id in lost
                else outcome.status
                for (pulled, _result), outcome in zip(answers, outcomes, strict=True)]

    def fail(self, pulled: PulledItem, error: Exception) -> Status | None:
        """Record a failure of an item: the ``ledgersync_export`` wrappers see it, then the
        connector classifies it and ``ledgersync_handle_error`` may override that; returns
        the item's new status, or None when the lease was lost."""
        return self._exporter.deliver(pulled._claimed, pulled.request, error).status

    def release(self, pulled: PulledItem, reason: str) -> None:
        """Give an item back unsent (no attempt spent)."""
        self._exporter.release(pulled._claimed, reason)

    def due(self) -> int:
        """How many items of the company a claim could take now (for progress and for
        telling the remote side whether there is work at all)."""
        with read_connection(self._ctx.engine) as conn:
            count = conn.execute(_DUE, {"b_company": self.company,
                                        "b_now": self._ctx.now()}).scalar_one()
        return int(count)

    def finish_run(self) -> bool:
        """Close the open run if nothing of the company is in flight or due soon."""
        runs = self._scheduler.open_runs([self.company], include_pulled=True)
        run_id = runs.get(self.company)
        return run_id is not None and self._scheduler.finish_if_idle(self.company, run_id)
