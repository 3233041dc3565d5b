"""Exporting claimed items: the engine's face for the scheduler and pull-mode queues.

The work is layered, each part importing only the ones below it:

- :mod:`.items` writes every change of an item (status, links, history);
- :mod:`.requests` reads what an item's request needs (references, own link);
- :mod:`.completion` decides when outcomes are written (successes in groups) and keeps the
  rest of a claimed batch leased;
- :mod:`.decisions` turns a resolution into the item's next status;
- :mod:`.attempts` runs one attempt through the hooks, retrying and classifying failures.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from .._connector import ExportRequest, ExportResult, Operation, PushConnector, StagedResult
from .._resolution import Action, Resolution
from .attempts import Attempts
from .claims import ClaimedItem
from .completion import Completion, Outcome
from .context import EngineContext
from .decisions import Decisions
from .requests import RequestBuilder, build_request, read_record

__all__ = ["ItemExporter", "Outcome"]


class ItemExporter:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.completion = Completion(ctx)
        self.requests = RequestBuilder(ctx, self.completion.overlay)
        self.decisions = Decisions(ctx, self.completion)
        self.attempts = Attempts(ctx, self.decisions)

    def process(self, item: ClaimedItem) -> Outcome:
        """Export one claimed item on its own and record the outcome (push connectors)."""
        prepared = self.prepare(item)
        if isinstance(prepared, Outcome):
            return prepared
        return self.export_prepared(item, prepared)

    def prepare(self, item: ClaimedItem) -> ExportRequest | Outcome:
        """The export request of a claimed item, or the outcome already recorded when there is
        nothing to send (a dependency is missing, it was linked meanwhile, or it is unreadable).
        """
        try:
            record = read_record(item)
        except Exception as exc:  # noqa: BLE001 - a payload the core cannot read needs a person
            return self.decisions.error(item, Resolution(
                action=Action.NEEDS_PERSON, code="payload",
                message=f"the stored record cannot be read: {exc}",
                remedy="Record it again from the MMS, then requeue",
            ))
        references, missing, own = self.requests.resolve(item)
        if missing:
            return self.decisions.block(item, "; ".join(missing))
        if item.operation == Operation.CREATE.value and own is not None:
            # A person linked or mapped it while it waited: nothing to write.
            return self.completion.synced(
                item, ExportResult(external_id=own[0], version_token=own[1], requests_made=0),
                reason="already linked to a remote record",
            )
        return build_request(item, record, references, own)

    def export_prepared(self, item: ClaimedItem, request: ExportRequest) -> Outcome:
        """Export a prepared item on its own (the push path after :meth:`prepare`)."""
        try:
            connector = self.ctx.connector(item.company)
        except Exception as exc:  # noqa: BLE001 - bad settings must pause, not crash the worker
            return self.decisions.apply(item, request, Resolution(
                action=Action.PAUSE_COMPANY, code="config",
                message=f"the connector of company {item.company!r} cannot start: {exc}",
                remedy="Fix the company's settings and run `ledgersync config check`, "
                "then `ledgersync companies resume`",
            ))
        if not isinstance(connector, PushConnector):
            return self.decisions.apply(item, request, Resolution(
                action=Action.PAUSE_COMPANY, code="config",
                message=f"connector {connector.name!r} of company {item.company!r} is "
                "pull-mode: its remote side asks for work, workers never export it",
                remedy="Serve its endpoint (e.g. `ledgersync serve`), then "
                "`ledgersync companies resume`",
            ))
        return self.attempts.export(item, connector, request)

    def needs_own_call(self, item: ClaimedItem, request: ExportRequest) -> bool:
        """Items that cannot ride in a batch: lookups after a doubt, and new members (the
        customer-mapping hook may link them without a write)."""
        return item.needs_lookup or (
            request.kind == "member" and request.operation is Operation.CREATE
        )

    def rebuild_request(self, item: ClaimedItem) -> ExportRequest:
        return self.requests.rebuild(item)

    def prefetch(self, batch: Sequence[ClaimedItem]) -> None:
        self.requests.prefetch(batch)

    def forget_prefetch(self) -> None:
        self.requests.forget_prefetch()

    def deliver(self, item: ClaimedItem, request: ExportRequest,
                answer: ExportResult | StagedResult | Exception) -> Outcome:
        """Record the remote's answer for an item of a batch or a pulled message set."""
        return self.attempts.deliver(item, request, answer)

    def fail(self, item: ClaimedItem, request: ExportRequest, error: Exception) -> Outcome:
        return self.attempts.fail(item, request, error)

    def release(self, item: ClaimedItem, reason: str) -> None:
        self.completion.release(item, reason)

    @contextlib.contextmanager
    def one_call(self) -> Iterator[None]:
        """Deliver the answers of one connector call (a batch): an outage counts once."""
        with self.completion.outages.one_call():
            yield

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        with self.completion.grouped():
            yield

    def flush(self) -> None:
        self.completion.flush()

    def flush_if_old(self) -> None:
        self.completion.flush_if_old()
