"""Batch requests whose retry is the same batch, paced to QBO's batches-per-minute limit.

QBO's ``requestid`` protects a batch as a whole, not its items: if a batch's
answer is lost and its items come back grouped differently, a new batch would write them
again. So the composition of every batch (its items, bIds, bodies and request id) is stored in
the connector state *before* it is sent, and any later export or lookup of one of its items
resends exactly that batch, which QBO replays. The first answer obtained is kept in the state
too, so the other items of the batch take their outcome from it without another request; the
entry is removed once every item has taken its outcome.

Batches are paced (:mod:`ledgersync_qbo.pacing`) to ``batches_per_minute`` per company across
all workers (QBO: 40 per app and realm); a new group that finds the minute's batches spent is
sent item by item instead, each request paced in its turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ledgersync import ConnectorContext

from . import jsonio, requestids
from .client import QboClient
from .errors import QboError, from_fault
from .pacing import Pacer

Obj = dict[str, Any]
PREFIX = "qbo.batch:"
#: Stored batches expire after this long (QBO's requestid retention is undocumented).
KEEP_SECONDS = 7 * 24 * 3600.0


@attrs.frozen
class Entry:
    """One create to batch: the item's idempotency key, the entity and its body."""

    key: str
    entity: str
    body: Obj


@attrs.frozen
class Sent:
    """An item's outcome: the entity QBO returned, or the fault/failure that stopped it;
    ``requests`` is 1 for the item that carried the HTTP request, 0 for the others."""

    entity: Obj | None = None
    error: Exception | None = None
    requests: int = 0


class BatchSender:
    def __init__(self, client: QboClient, context: ConnectorContext, pacer: Pacer, *,
                 batch_items: int) -> None:
        self.client = client
        self.context = context
        self.pacer = pacer
        self.batch_items = batch_items

    # -- stored compositions ----------------------------------------------------------------------

    def stored(self) -> list[Obj]:
        """Batches sent (or about to be) whose items have not all taken their outcome."""
        state = self.context.state
        found = [state.get(key) for key in state.keys(PREFIX)]
        return [_thaw(b) for b in found if isinstance(b, dict)]

    def stored_for(self, key: str) -> Obj | None:
        return next((b for b in self.stored() if key in b["keys"]), None)

    def _save(self, batch: Obj) -> None:
        self.context.state.put(PREFIX + batch["rid"], _freeze(batch), ttl=KEEP_SECONDS)

    # -- sending ----------------------------------------------------------------------------------

    def send(self, entries: Sequence[Entry], single: Any) -> dict[str, Sent]:
        """Outcomes by key. ``single(entry)`` sends one entry on its own (when the minute's
        batch budget is spent) and returns the created entity or raises."""
        outcomes: dict[str, Sent] = {}
        wanted = {e.key for e in entries}
        for batch in self.stored():
            mine = wanted & set(batch["keys"]) - set(outcomes)
            if mine:
                outcomes.update(self._resend(batch, mine))
        fresh = [e for e in entries if e.key not in outcomes]
        for start in range(0, len(fresh), self.batch_items):
            group = fresh[start:start + self.batch_items]
            if len(group) == 1 or not self.pacer.batch():
                for entry in group:
                    outcomes[entry.key] = _single(single, entry)
                continue
            outcomes.update(self._send_new(group))
        return outcomes

    def _send_new(self, group: Sequence[Entry]) -> dict[str, Sent]:
        ordered = sorted(group, key=lambda e: e.key)
        items = [{"bId": requestids.bid(i), "operation": "create", e.entity: e.body}
                 for i, e in enumerate(ordered)]
        batch: Obj = {"rid": requestids.for_batch(e.key for e in ordered), "items": items,
                      "keys": {e.key: requestids.bid(i) for i, e in enumerate(ordered)},
                      "entities": {requestids.bid(i): e.entity for i, e in enumerate(ordered)},
                      "results": None}
        self._save(batch)  # before the call: a retry must resend exactly this batch
        return self._deliver(batch, set(batch["keys"]))

    def _resend(self, batch: Obj, keys: set[str]) -> dict[str, Sent]:
        if batch["results"] is None and not self.pacer.batch():
            wait = self.pacer.batch_wait()
            error = QboError("the company's batch budget for this minute is spent; a stored "
                             "batch must be resent as it was", code="3001", status=429,
                             retry_after=max(wait, 1.0), sent=False)
            return {key: Sent(error=error) for key in keys}
        return self._deliver(batch, keys)

    def _deliver(self, batch: Obj, keys: set[str]) -> dict[str, Sent]:
        carried = 0
        if batch["results"] is None:
            try:
                answers = self.client.batch(batch["items"], requestid=batch["rid"],
                                            prepaid=True)
            except Exception as exc:  # noqa: BLE001 - every item of the call is told
                return {key: Sent(error=exc, requests=1 if i == 0 else 0)
                        for i, key in enumerate(sorted(keys))}
            batch["results"] = {str(a.get("bId")): a for a in answers}
            carried = 1
        outcomes: dict[str, Sent] = {}
        for index, key in enumerate(sorted(keys)):
            bid = batch["keys"][key]
            answer = batch["results"].get(bid)
            requests = carried if index == 0 else 0
            outcomes[key] = _outcome(answer, batch["entities"][bid], requests)
        remaining = {k: v for k, v in batch["keys"].items() if k not in keys}
        if remaining:
            batch["keys"] = remaining
            self._save(batch)
        else:
            self.context.state.delete(PREFIX + batch["rid"])
        return outcomes

    def lookup(self, key: str) -> Sent | None:
        """The outcome of an item that rode in a stored batch (resending the batch if its
        answer never arrived); None when the item was in no stored batch."""
        batch = self.stored_for(key)
        if batch is None:
            return None
        return self._resend(batch, {key})[key]


def _outcome(answer: Obj | None, entity: str, requests: int) -> Sent:
    if answer is None:
        return Sent(error=QboError("QuickBooks' batch answer did not include the item",
                                   code="http-200", status=200), requests=requests)
    if "Fault" in answer:
        return Sent(error=from_fault(answer["Fault"], status=200), requests=requests)
    found = answer.get(entity)
    if not isinstance(found, dict):
        return Sent(error=QboError(f"QuickBooks' batch answer had no {entity}",
                                   code="http-200", status=200), requests=requests)
    return Sent(entity=found, requests=requests)


def _single(single: Any, entry: Entry) -> Sent:
    try:
        return Sent(entity=single(entry), requests=1)
    except Exception as exc:  # noqa: BLE001 - reported per item, as export_batch does
        return Sent(error=exc, requests=1)


def _freeze(batch: Obj) -> Obj:
    """Bodies and answers hold Decimal money: kept as exact JSON text in the state."""
    return {**batch, "items": jsonio.dumps(batch["items"]).decode("utf-8"),
            "results": (jsonio.dumps(batch["results"]).decode("utf-8")
                        if batch["results"] is not None else None)}


def _thaw(batch: Obj) -> Obj:
    return {**batch, "items": jsonio.loads(batch["items"]),
            "results": jsonio.loads(batch["results"]) if batch["results"] is not None else None}
