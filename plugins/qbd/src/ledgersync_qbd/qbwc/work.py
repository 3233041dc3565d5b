"""What the planner and the recorder share for one company: its queue under each lease owner,
and outcomes recorded with the session's counts kept right."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping

import attrs

from ledgersync import (
    CompanyConfig,
    ExportResult,
    ItemFilter,
    Ledger,
    PulledItem,
    PullQueue,
    Status,
)

from ..qbxml.model import BuildContext
from ..settings import QbdSettings
from .sessions import Entry, Session, Sessions


@attrs.frozen
class _Sent:
    item: PulledItem
    #: The item's ``updated_at`` once claimed: any later change of the row (its lease ran out,
    #: another session claimed it) changes it.
    stamp: dt.datetime


class SentItems:
    """The items of the message sets this process sent, kept for the answers to those sets.

    Recording an answer needs each item of the set as it was claimed and sent. Read again
    from the ledger, that is the item, its references and its own link, item by item; the
    process that sent the set still has them. A set answered in another process (or after a
    restart, or pushed out by newer sets) has its items read again, as before.
    """

    def __init__(self, max_sets: int = 64) -> None:
        self.max_sets = max_sets
        self._sets: OrderedDict[str, dict[int, _Sent]] = OrderedDict()
        self._lock = threading.Lock()  # the server's worker threads share one service

    def keep(self, ledger: Ledger, set_id: str, items: Mapping[int, PulledItem]) -> None:
        if not items:
            return
        # Items claimed by this process carry the stamp their claim wrote; only those held
        # from an earlier set (read again since) need their row read for it.
        sent = {i: _Sent(item=p, stamp=p.claimed_at) for i, p in items.items()
                if p.claimed_at is not None}
        unstamped = sorted(set(items) - set(sent))
        if unstamped:
            for view in ledger.items(ItemFilter(ids=unstamped), limit=None):
                sent[view.id] = _Sent(item=items[view.id], stamp=view.updated_at)
        with self._lock:
            self._sets[set_id] = sent
            while len(self._sets) > self.max_sets:
                self._sets.popitem(last=False)

    def take(self, ledger: Ledger, company: str, set_id: str) -> dict[int, PulledItem]:
        """The items kept for ``set_id`` (then forgotten) that are still as they were sent:
        in flight under the same owner, the row unchanged since the claim (so under the same
        lease)."""
        with self._lock:
            sent = self._sets.pop(set_id, {})
        by_owner: dict[str, dict[int, dt.datetime]] = defaultdict(dict)
        for item_id, kept in sent.items():
            by_owner[kept.item.owner][item_id] = kept.stamp
        same: dict[int, PulledItem] = {}
        for owner, stamps in by_owner.items():
            for item_id in ledger.pull(company, owner=owner).unchanged(stamps):
                same[item_id] = sent[item_id].item
        return same


class _Successes(threading.local):
    """Successes waiting to be written together, per server thread (None: write at once)."""

    pending: list[tuple[Session, PulledItem, ExportResult]] | None = None


@attrs.frozen
class CompanyWork:
    ledger: Ledger
    sessions: Sessions
    config: CompanyConfig
    settings: QbdSettings
    #: Told of every item whose outcome a session records, with its new status (e.g. a
    #: progress bar of an embedding app); runs in the server's worker thread.
    on_item: Callable[[PulledItem, str], None] | None = None
    sent: SentItems = attrs.field(factory=SentItems)
    _successes: _Successes = attrs.field(factory=_Successes, init=False)

    @property
    def name(self) -> str:
        return self.config.name

    def queue(self, owner: str) -> PullQueue:
        return self.ledger.pull(self.name, owner=owner)

    def build_context(self, entry: Entry) -> BuildContext:
        return BuildContext(self.name, self.settings, entry.edit_sequence)

    def held(self, entries: Iterable[Entry], *, set_id: str | None = None
             ) -> dict[int, PulledItem]:
        """The entries' items still in flight under their owners (an item whose lease ran out
        is missing: it comes back in doubt and is looked up then). With ``set_id``, the items
        this process sent in that set and still holds unchanged are taken as they were sent;
        the others are read again and rebuilt."""
        entries = list(entries)
        kept = self.sent.take(self.ledger, self.name, set_id) if set_id is not None else {}
        found: dict[int, PulledItem] = {}
        by_owner: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            if entry.item is None or entry.owner is None:
                continue
            same = kept.get(entry.item)
            if same is not None and same.owner == entry.owner:
                found[entry.item] = same
            else:
                by_owner[entry.owner].append(entry.item)
        for owner, ids in by_owner.items():
            for pulled in self.queue(owner).held(ids):
                found[pulled.id] = pulled
        return found

    @contextlib.contextmanager
    def one_answer(self) -> Iterator[None]:
        """Write the successes recorded inside together when it ends: the answer to a set in
        one transaction (``PullQueue.succeed_many``) instead of one per item. Failures are
        still written at once, so they come before the set's successes in the history."""
        outer = self._successes.pending
        pending: list[tuple[Session, PulledItem, ExportResult]] = []
        self._successes.pending = pending
        try:
            yield
        finally:
            self._successes.pending = outer
            self._write_successes(pending)

    def succeed(self, session: Session, pulled: PulledItem, result: ExportResult) -> None:
        if self._successes.pending is not None:
            self._successes.pending.append((session, pulled, result))
            return
        status = self.queue(pulled.owner).succeed(pulled, result)
        self._count(session, status)
        self._tell(pulled, status)

    def _write_successes(self, pending: list[tuple[Session, PulledItem, ExportResult]]) -> None:
        by_owner: dict[str, list[tuple[Session, PulledItem, ExportResult]]] = defaultdict(list)
        for success in pending:
            by_owner[success[1].owner].append(success)
        for owner, successes in by_owner.items():
            statuses = self.queue(owner).succeed_many(
                [(pulled, result) for _session, pulled, result in successes])
            for (session, pulled, _result), status in zip(successes, statuses, strict=True):
                self._count(session, status)
                self._tell(pulled, status)

    def fail(self, session: Session, pulled: PulledItem, error: Exception) -> None:
        status = self.queue(pulled.owner).fail(pulled, error)
        self._count(session, status)
        if status is Status.ERROR:
            session.last_error = str(error)
        self._tell(pulled, status)

    def _tell(self, pulled: PulledItem, status: Status | None) -> None:
        if self.on_item is not None:
            self.on_item(pulled, status.value if status is not None else "lease_lost")

    def release(self, pulled: PulledItem, reason: str) -> None:
        self.queue(pulled.owner).release(pulled, reason)

    @staticmethod
    def _count(session: Session, status: Status | None) -> None:
        session.finished += 1
        if status is Status.SYNCED:
            session.synced += 1
        elif status is Status.ERROR:
            session.errors += 1
