"""What the planner and the recorder share for one company: its queue under each lease owner,
and outcomes recorded with the session's counts kept right."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import attrs

from ledgersync import (
    CompanyConfig,
    ExportResult,
    Ledger,
    PulledItem,
    PullQueue,
    Status,
)

from ..qbxml.model import BuildContext
from ..settings import QbdSettings
from .sessions import Entry, Session, Sessions


@attrs.frozen
class CompanyWork:
    ledger: Ledger
    sessions: Sessions
    config: CompanyConfig
    settings: QbdSettings
    #: Told of every item whose outcome a session records, with its new status (e.g. a
    #: progress bar of an embedding app); runs in the server's worker thread.
    on_item: Callable[[PulledItem, str], None] | None = None

    @property
    def name(self) -> str:
        return self.config.name

    def queue(self, owner: str) -> PullQueue:
        return self.ledger.pull(self.name, owner=owner)

    def build_context(self, entry: Entry) -> BuildContext:
        return BuildContext(self.name, self.settings, entry.edit_sequence)

    def held(self, entries: Iterable[Entry]) -> dict[int, PulledItem]:
        """The entries' items still in flight under their owners, rebuilt (an item whose
        lease ran out is missing: it comes back in doubt and is looked up then)."""
        by_owner: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            if entry.item is not None and entry.owner is not None:
                by_owner[entry.owner].append(entry.item)
        found: dict[int, PulledItem] = {}
        for owner, ids in by_owner.items():
            for pulled in self.queue(owner).held(ids):
                found[pulled.id] = pulled
        return found

    def succeed(self, session: Session, pulled: PulledItem, result: ExportResult) -> None:
        status = self.queue(pulled.owner).succeed(pulled, result)
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
