"""One attempt at an item, however it travels: alone, in a batch, or pulled by the remote side.

Every item passes the same steps and hooks:

1. a new member is offered to ``ledgersync_map_customer`` first (a match links it, no write);
2. the write goes through ``ledgersync_export``: a single item as the call itself; an item of a
   batch or of a pulled message set as the answer the remote already gave (see
   :meth:`ledgersync._plugins.PluginHost.export_answered`), so the export wrappers see every
   item with its answer;
3. a failure is classified by the connector and offered to ``ledgersync_handle_error``, then
   recorded by :class:`~.decisions.Decisions`. Token refreshes and stale version tokens are
   retried within the attempt.
"""

from __future__ import annotations

import logging

import attrs

from .._config import CompanyConfig
from .._connector import (
    Connector,
    ExportRequest,
    ExportResult,
    Operation,
    PushConnector,
    StagedResult,
)
from .._errors import ConnectorError
from .._records import Member
from .._resolution import Action, Resolution
from .claims import ClaimedItem
from .completion import Outcome
from .context import EngineContext
from .decisions import Decisions

log = logging.getLogger(__name__)

#: Extra immediate tries within one attempt, for token refreshes and stale version tokens.
_IMMEDIATE_RETRIES = 2


@attrs.frozen
class _Success:
    """What the remote side (or the mapping hook) answered, before the ledger records it."""

    result: ExportResult | StagedResult
    reason: str | None = None


class Attempts:
    def __init__(self, ctx: EngineContext, decisions: Decisions) -> None:
        self.ctx = ctx
        self.decisions = decisions
        self.completion = decisions.completion

    # -- steps shared by every path ------------------------------------------------------------

    def map_customer(self, item: ClaimedItem, request: ExportRequest,
                     connector: Connector) -> Outcome | None:
        """Offer a new member to the customer-mapping hook before it is handed out to be
        written (pull mode); the outcome when that settled the item (matched and linked, or
        refused as ambiguous), None when it is to be written."""
        try:
            matched = self._mapping_step(item, request, connector)
        except Exception as exc:  # noqa: BLE001 - classified like a failed write
            return self.fail(item, request, exc, connector=connector)
        return None if matched is None else self.completion.synced(
            item, matched.result, reason=matched.reason)

    def deliver(self, item: ClaimedItem, request: ExportRequest,
                answer: ExportResult | StagedResult | Exception) -> Outcome:
        """Record the remote's answer for an item written in a batch or a pulled message set,
        after the ``ledgersync_export`` wrappers saw it (they may also adjust or replace it)."""
        company = self.ctx.company(item.company)
        connector = self.ctx.connector(item.company)
        try:
            result = self.ctx.plugins.export_answered(company, request, connector, answer)
        except Exception as exc:  # noqa: BLE001 - classified below
            return self.fail(item, request, exc, connector=connector)
        return self.completion.synced(item, result, reason=None)

    def fail(self, item: ClaimedItem, request: ExportRequest, error: Exception, *,
             connector: Connector | None = None) -> Outcome:
        """Classify a failure reported outside a single export and record what it means."""
        company = self.ctx.company(item.company)
        connector = connector or self.ctx.connector(item.company)
        resolution = self._classify(company, connector, request, error)
        if resolution.action is Action.REFRESH_AUTH:
            try:
                connector.refresh_auth()
            except Exception as refresh_error:  # noqa: BLE001 - classified like any other
                return self.decisions.apply(
                    item, request, self._classify(company, connector, request, refresh_error))
            return self.decisions.retry_now(item, "credentials refreshed; retry now")
        return self.decisions.apply(item, request, resolution)

    # -- a single push export ------------------------------------------------------------------

    def export(self, item: ClaimedItem, connector: PushConnector[object],
               request: ExportRequest) -> Outcome:
        company = self.ctx.company(item.company)
        requests_before = 0
        for _ in range(_IMMEDIATE_RETRIES + 1):
            # Only the remote calls and the hooks are inside: a failure of the ledger while it
            # records the success (a full group is written then) is not the remote's failure,
            # and the connector must not classify it (it would put a written item in doubt).
            try:
                success: _Success | None = None
                if item.needs_lookup:
                    found = connector.lookup(request)
                    requests_before += 1
                    if found is not None:
                        success = _Success(found, reason="found in the accounting system "
                                           "after a doubt; nothing was sent again")
                if success is None:
                    success = self._mapping_step(item, request, connector)
                if success is None:
                    success = _Success(self.ctx.plugins.export(company, request, connector))
            except Exception as exc:  # noqa: BLE001 - every failure is classified below
                resolution = self._classify(company, connector, request, exc)
                if resolution.action is Action.REFRESH_AUTH:
                    try:
                        connector.refresh_auth()
                        continue
                    except Exception as refresh_exc:  # noqa: BLE001 - classified like any other
                        resolution = self._classify(company, connector, request, refresh_exc)
                if resolution.action is Action.REREAD:
                    try:
                        token = connector.current_version(request)
                    except Exception as reread_exc:  # noqa: BLE001 - classified like any other
                        return self.decisions.apply(item, request, self._classify(
                            company, connector, request, reread_exc))
                    if token:
                        request = attrs.evolve(request, version_token=token)
                        continue
                return self.decisions.apply(item, request, resolution)
            return self.completion.synced(item, success.result, reason=success.reason,
                                          extra_requests=requests_before)
        return self.decisions.apply(item, request, Resolution(
            action=Action.RETRY, message="credentials or version token kept going stale",
        ))

    def _mapping_step(self, item: ClaimedItem, request: ExportRequest,
                      connector: Connector) -> _Success | None:
        """A new member's customer-mapping step: the match, if the hook found one (raises:
        the caller classifies failures and records the match)."""
        record = request.record
        if not (isinstance(record, Member) and request.operation is Operation.CREATE
                and not item.needs_lookup):
            return None
        match = self.ctx.plugins.map_customer(self.ctx.company(item.company), record,
                                              connector)
        if match is None:
            return None
        return _Success(
            ExportResult(external_id=match.external_id, requests_made=1),
            reason=f"matched to existing customer {match.display_name!r} by "
            f"{match.matched_by}",
        )

    def _classify(
        self,
        company: CompanyConfig,
        connector: Connector,
        request: ExportRequest,
        exc: Exception,
    ) -> Resolution:
        try:
            proposed = connector.classify_error(exc, request)
        except Exception:
            log.exception("connector %s could not classify %r", connector.name, exc)
            proposed = _unknown(exc)
        return self.ctx.plugins.handle_error(company, request, exc, proposed)


def _unknown(exc: BaseException) -> Resolution:
    if isinstance(exc, ConnectorError) and not exc.sent:
        return Resolution(action=Action.RETRY, message=str(exc), code=exc.code)
    return Resolution(
        action=Action.IN_DOUBT, message=f"unexpected failure: {type(exc).__name__}: {exc}"
    )
