"""Exporting one claimed item: dependencies, in-doubt lookup, customer mapping, the remote write,
and what each kind of failure does to the item."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Collection, Iterator, Sequence
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._config import CompanyConfig
from .._connector import Connector, ExportRequest, ExportResult, Operation, StagedResult
from .._errors import ConnectorError
from .._ledger.database import read_connection
from .._ledger.schema import companies, links, mappings, sync_items
from .._records import Member, Record, record_from_json
from .._resolution import Action, Resolution
from . import statements
from .backoff import backoff_seconds
from .claims import ClaimedItem, add_requests, extend_leases, fenced_update
from .context import EngineContext, event_row, idempotency_key, insert_events
from .statuses import Status, check_transition

log = logging.getLogger(__name__)

#: Extra immediate tries within one attempt, for token refreshes and stale version tokens.
_IMMEDIATE_RETRIES = 2


@attrs.frozen(kw_only=True)
class _PendingSync:
    """A success not written yet (see :meth:`ItemExporter.grouped`)."""

    item: ClaimedItem
    result: ExportResult
    warnings: str | None
    level: str
    message: str
    extra_requests: int
    at: dt.datetime


@attrs.frozen
class Outcome:
    """What happened to one item, for the run's counts and the caller's loop."""

    status: Status | None  # None when the lease was lost and nothing was recorded
    level: str  # "info", "warning" or "error"
    stop_company: bool = False  # throttled or paused: release the rest of the batch


class ItemExporter:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._last_heartbeat: dict[tuple[str, str], dt.datetime] = {}
        self._grouping = False
        self._prefetched_refs: dict[int, list[Any]] = {}
        self._mapped_kinds: dict[tuple[str, str], bool] = {}
        self._prefetched_own: dict[tuple[str, str, str], tuple[str, str | None]] = {}
        self._pending: list[_PendingSync] = []
        # Links of the group's successes, not written yet: (company, kind, MMS id) -> ids.
        self._overlay: dict[tuple[str, str, str], tuple[str, str | None]] = {}
        self._staged_ok: dict[str, frozenset[str]] = {}

    def process(self, item: ClaimedItem) -> Outcome:
        """Export one claimed item and record the outcome (push-mode connectors)."""
        prepared = self.prepare(item)
        if isinstance(prepared, Outcome):
            return prepared
        company = self.ctx.company(item.company)
        try:
            connector = self.ctx.connector(item.company)
        except Exception as exc:  # noqa: BLE001 - bad settings must pause, not crash the worker
            return self._apply(item, company, prepared, exc, Resolution(
                action=Action.PAUSE_COMPANY, code="config",
                message=f"the connector of company {item.company!r} cannot start: {exc}",
                remedy="Fix the company's settings and run `ledgersync config check`, "
                "then `ledgersync companies resume`",
            ))
        return self._export(item, company, connector, prepared, prepared.record)

    def prepare(self, item: ClaimedItem) -> ExportRequest | Outcome:
        """The export request of a claimed item, or the outcome already recorded when there is
        nothing to send (a dependency is missing, it was linked meanwhile, or it is unreadable).
        """
        try:
            record = record_from_json(json.loads(item.payload, parse_float=Decimal))
        except Exception as exc:  # noqa: BLE001 - a payload the core cannot read needs a person
            return self._finish_error(
                item, Resolution(
                    action=Action.NEEDS_PERSON, code="payload",
                    message=f"the stored record cannot be read: {exc}",
                    remedy="Record it again from the MMS, then requeue",
                ),
            )
        staged_ok = self.staged_ok(item.company)
        prefetched = self._from_prefetch(item, staged_ok)
        if prefetched is not None:
            references, missing, own = prefetched
        else:
            with read_connection(self.ctx.engine) as conn:
                creates = self.ctx.connector_class(self.ctx.company(item.company)).supported_kinds
                references, missing, own = _resolve_references(conn, item, self._overlay,
                                                               staged_ok, creates)
        if missing:
            return self._block(item, "; ".join(missing))
        operation = Operation(item.operation)
        if own is None and operation is Operation.CREATE:
            own = self._own_mapping(item)
        external_id, version_token = own if own else (None, None)
        if operation is Operation.CREATE and external_id is not None:
            # A person linked or mapped it while it waited: nothing to write.
            return self._synced(
                item, ExportResult(external_id=external_id, version_token=version_token,
                                   requests_made=0),
                reason="already linked to a remote record",
            )
        return _request(item, record, references, own)

    def staged_ok(self, company: str) -> frozenset[str]:
        """Kinds whose staged records the company's connector lets dependents reference."""
        if company not in self._staged_ok:
            try:
                cls = self.ctx.connector_class(self.ctx.company(company))
                self._staged_ok[company] = cls.staged_references if cls.two_stage else frozenset()
            except Exception:  # noqa: BLE001 - an unusable connector fails in process() instead
                self._staged_ok[company] = frozenset()
        return self._staged_ok[company]

    # -- the remote part -----------------------------------------------------------------------

    def _export(
        self,
        item: ClaimedItem,
        company: CompanyConfig,
        connector: Connector,
        request: ExportRequest,
        record: Record,
    ) -> Outcome:
        requests_before = 0
        for _ in range(_IMMEDIATE_RETRIES + 1):
            try:
                if item.needs_lookup:
                    found = connector.lookup(request)
                    requests_before += 1
                    if found is not None:
                        return self._synced(
                            item, found, reason="found in the accounting system after a doubt; "
                            "nothing was sent again", extra_requests=requests_before,
                        )
                if (
                    isinstance(record, Member)
                    and request.operation is Operation.CREATE
                    and not item.needs_lookup
                ):
                    match = self.ctx.plugins.map_customer(company, record, connector)
                    if match is not None:
                        return self._synced(
                            item,
                            ExportResult(external_id=match.external_id, requests_made=1),
                            reason=f"matched to existing customer {match.display_name!r} by "
                            f"{match.matched_by}",
                        )
                result = self.ctx.plugins.export(company, request, connector)
                return self._synced(item, result, reason=None, extra_requests=requests_before)
            except Exception as exc:  # noqa: BLE001 - every failure is classified below
                resolution = self._classify(company, connector, request, exc)
                if resolution.action is Action.REFRESH_AUTH:
                    try:
                        connector.refresh_auth()
                        continue
                    except Exception as refresh_exc:  # noqa: BLE001 - classified like any other
                        resolution = self._classify(company, connector, request, refresh_exc)
                        exc = refresh_exc
                if resolution.action is Action.REREAD:
                    try:
                        fresh = connector.lookup(request)
                    except Exception as lookup_exc:  # noqa: BLE001 - classified like any other
                        return self._apply(item, company, request, lookup_exc,
                                           self._classify(company, connector, request,
                                                          lookup_exc))
                    if fresh is not None and fresh.version_token:
                        request = attrs.evolve(request, version_token=fresh.version_token)
                        continue
                return self._apply(item, company, request, exc, resolution)
        return self._apply(item, company, request, None, Resolution(
            action=Action.RETRY, message="credentials or version token kept going stale",
        ))

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

    # -- batches and pull-mode connectors --------------------------------------------------------

    def _own_mapping(self, item: ClaimedItem) -> tuple[str, str | None] | None:
        if not self._mappings_exist(item.company, item.kind):
            return None
        with read_connection(self.ctx.engine) as conn:
            mapped = conn.execute(statements.OWN_MAPPING, {
                "b_company": item.company, "b_kind": item.kind,
                "b_mms_id": item.mms_id}).scalar()
        return (mapped, None) if mapped is not None else None

    def _mappings_exist(self, company: str, kind: str) -> bool:
        """Whether anyone mapped records of this kind (cached per batch: usually nobody did)."""
        key = (company, kind)
        if key not in self._mapped_kinds:
            with read_connection(self.ctx.engine) as conn:
                self._mapped_kinds[key] = conn.execute(sa.select(mappings.c.mms_id).where(
                    mappings.c.company == company, mappings.c.kind == kind).limit(1)
                ).first() is not None
        return self._mapped_kinds[key]

    def prefetch(self, batch: Sequence[ClaimedItem]) -> None:
        """Read the references and own links of a claimed batch in two queries, so items
        whose dependencies are all there need no read of their own."""
        self._prefetched_refs = {item.id: [] for item in batch}
        self._prefetched_own = {}
        if not batch:
            return
        with read_connection(self.ctx.engine) as conn:
            for row in conn.execute(statements.REFERENCES_MANY,
                                    {"b_items": [item.id for item in batch]}):
                self._prefetched_refs[row.item_id].append(row)
            for company in {item.company for item in batch}:
                keys = {(i.kind, i.mms_id) for i in batch if i.company == company}
                for link in conn.execute(statements.OWN_LINKS_MANY, {
                        "b_company": company, "b_kinds": sorted({k for k, _ in keys}),
                        "b_ids": sorted({m for _, m in keys})}):
                    if (link.kind, link.mms_id) in keys:
                        self._prefetched_own[(company, link.kind, link.mms_id)] = (
                            link.external_id, link.version_token)

    def forget_prefetch(self) -> None:
        self._mapped_kinds = {}
        self._prefetched_refs = {}
        self._prefetched_own = {}

    def _from_prefetch(
        self, item: ClaimedItem, staged_ok: frozenset[str]
    ) -> tuple[_References, list[str], tuple[str, str | None] | None] | None:
        rows = self._prefetched_refs.get(item.id)
        if rows is None:
            return None
        references, missing = _references_from(rows, item, self._overlay, staged_ok)
        if missing:
            return None  # read again: it may have arrived since, and the reason needs a read
        key = (item.company, item.kind, item.mms_id)
        return references, [], self._overlay.get(key, self._prefetched_own.get(key))

    def rebuild_request(self, item: ClaimedItem) -> ExportRequest:
        """The request of an item claimed earlier (pull mode: the answer comes later)."""
        record = record_from_json(json.loads(item.payload, parse_float=Decimal))
        with read_connection(self.ctx.engine) as conn:
            references, _missing, own = _resolve_references(
                conn, item, self._overlay, self.staged_ok(item.company))
        return _request(item, record, references, own)

    def needs_own_call(self, item: ClaimedItem, request: ExportRequest) -> bool:
        """Items that cannot ride in a batch: lookups after a doubt, and new members (the
        customer-mapping hook may link them without a write)."""
        return item.needs_lookup or (
            request.kind == "member" and request.operation is Operation.CREATE
        )

    def export_prepared(self, item: ClaimedItem, request: ExportRequest) -> Outcome:
        """Export a prepared item on its own (the push path after :meth:`prepare`)."""
        company = self.ctx.company(item.company)
        connector = self.ctx.connector(item.company)
        return self._export(item, company, connector, request, request.record)

    def succeed(self, item: ClaimedItem, result: ExportResult | StagedResult) -> Outcome:
        """Record a remote success reported outside :meth:`process` (a batch, a pull)."""
        return self._synced(item, result, reason=None)

    def fail(self, item: ClaimedItem, request: ExportRequest, error: Exception) -> Outcome:
        """Classify a failure reported outside :meth:`process` and record what it means."""
        company = self.ctx.company(item.company)
        connector = self.ctx.connector(item.company)
        resolution = self._classify(company, connector, request, error)
        if resolution.action is Action.REFRESH_AUTH:
            try:
                connector.refresh_auth()
            except Exception as refresh_error:  # noqa: BLE001 - classified like any other
                return self._apply(item, company, request, refresh_error,
                                   self._classify(company, connector, request, refresh_error))
            return self._finish(
                item, Status.PENDING, level="info", reason="credentials refreshed; retry now",
                values={"attempts": item.attempts - 1, "next_attempt_at": self.ctx.now()},
            )
        return self._apply(item, company, request, error, resolution)

    # -- recording outcomes --------------------------------------------------------------------

    def _apply(
        self,
        item: ClaimedItem,
        company: CompanyConfig,
        request: ExportRequest,
        exc: BaseException | None,
        resolution: Resolution,
    ) -> Outcome:
        now = self.ctx.now()
        action = resolution.action
        if action is Action.LINK_EXISTING:
            assert resolution.external_id is not None
            return self._synced(
                item,
                ExportResult(external_id=resolution.external_id,
                             version_token=resolution.version_token),
                reason=f"linked to the existing remote record: {resolution.message}",
            )
        if action is Action.THROTTLE:
            wait = resolution.retry_after if resolution.retry_after is not None else 60.0
            until = now + dt.timedelta(seconds=wait)
            with self.ctx.engine.begin() as conn:
                conn.execute(
                    sa.update(companies).where(companies.c.name == item.company)
                    .values(throttled_until=until, updated_at=now)
                )
            return self._finish(
                item, Status.RETRY_WAIT, level="warning", stop_company=True,
                reason=f"throttled: waiting {wait:g} s ({resolution.message})",
                values={"attempts": item.attempts - 1, "next_attempt_at": until},
                code=resolution.code,
            )
        if action is Action.PAUSE_COMPANY:
            with self.ctx.engine.begin() as conn:
                conn.execute(
                    sa.update(companies).where(companies.c.name == item.company).values(
                        paused_reason=resolution.message, paused_remedy=resolution.remedy,
                        paused_at=now, updated_at=now,
                    )
                )
            status = Status.IN_DOUBT if item.needs_lookup else Status.PENDING
            return self._finish(
                item, status, level="error", stop_company=True,
                reason=f"company paused: {resolution.message}",
                values={"attempts": item.attempts - 1, "next_attempt_at": now},
                code=resolution.code,
            )
        if action is Action.IN_DOUBT:
            if item.attempts >= self.ctx.settings.max_attempts:
                # Still no answer: a person decides; the next attempt still looks it up first.
                return self._finish_error(item, attrs.evolve(
                    resolution, action=Action.NEEDS_PERSON,
                    message=f"{resolution.message}; still unknown after {item.attempts} "
                    "attempts whether the accounting system has it",
                    remedy=f"Check whether {request.describe()} exists in the accounting "
                    "system. If it does, link it with `ledgersync map`; either way requeue it: "
                    "ledgersync looks it up before sending it again",
                ))
            delay = self._backoff(item.attempts)
            return self._finish(
                item, Status.IN_DOUBT, level="warning",
                reason=f"{resolution.message}; will look it up before sending again",
                values={"needs_lookup": True,
                        "next_attempt_at": now + dt.timedelta(seconds=delay)},
                code=resolution.code,
            )
        if action in (Action.RETRY, Action.REFRESH_AUTH, Action.REREAD):
            if item.attempts >= self.ctx.settings.max_attempts:
                return self._finish_error(item, attrs.evolve(
                    resolution, action=Action.NEEDS_PERSON,
                    message=f"{resolution.message} (gave up after {item.attempts} attempts)",
                    remedy=resolution.remedy
                    or "Check the accounting system is reachable, then requeue the item",
                ))
            delay = self._backoff(item.attempts)
            return self._finish(
                item, Status.RETRY_WAIT, level="warning",
                reason=f"{resolution.message}; retry in {delay:.0f} s",
                values={"next_attempt_at": now + dt.timedelta(seconds=delay),
                        "error_code": resolution.code, "error_message": resolution.message},
                code=resolution.code,
            )
        return self._finish_error(item, resolution)

    def _backoff(self, attempt: int) -> float:
        settings = self.ctx.settings
        return backoff_seconds(
            attempt, base=settings.backoff_base_seconds, cap=settings.backoff_cap_seconds
        )

    def _finish_error(self, item: ClaimedItem, resolution: Resolution) -> Outcome:
        return self._finish(
            item, Status.ERROR, level="error", reason=resolution.message, code=resolution.code,
            values={"error_code": resolution.code, "error_message": resolution.message,
                    "error_remedy": resolution.remedy},
        )

    def _block(self, item: ClaimedItem, reason: str) -> Outcome:
        return self._finish(
            item, Status.BLOCKED, level="warning", reason=reason,
            values={"attempts": item.attempts - 1},
        )

    def _synced(
        self,
        item: ClaimedItem,
        result: ExportResult | StagedResult,
        *,
        reason: str | None,
        extra_requests: int = 0,
    ) -> Outcome:
        if isinstance(result, StagedResult):
            return self._staged(item, result, reason=reason, extra_requests=extra_requests)
        warnings = "; ".join(result.warnings) if result.warnings else None
        level = "warning" if warnings else "info"
        message = "; ".join(p for p in (reason, warnings) if p) or f"synced as {result.external_id}"
        done = _PendingSync(item=item, result=result, warnings=warnings, level=level,
                            message=message, extra_requests=extra_requests, at=self.ctx.now())
        if self._grouping:
            self._pending.append(done)
            self._overlay[(item.company, item.kind, item.mms_id)] = (
                result.external_id, result.version_token)
            if len(self._pending) >= self.ctx.settings.completion_group:
                self.flush()
            return Outcome(Status.SYNCED, level)
        if not self._write_synced([done]):
            return Outcome(None, "warning")  # the lease was lost; kept in the history only
        return Outcome(Status.SYNCED, level)

    def _staged(
        self,
        item: ClaimedItem,
        result: StagedResult,
        *,
        reason: str | None,
        extra_requests: int = 0,
    ) -> Outcome:
        """Stage one done: the intermediary has it; no link until the desktop confirms."""
        check_transition(f"{item.kind} {item.mms_id!r}", Status.IN_FLIGHT, Status.STAGED)
        self.flush()  # the history keeps the order in which outcomes happened
        now = self.ctx.now()
        warnings = "; ".join(result.warnings) if result.warnings else None
        message = "; ".join(p for p in (reason, warnings) if p) or (
            f"accepted by the intermediary as {result.intermediary_id}; "
            "waits for the accounting system to confirm it")
        with self.ctx.engine.begin() as conn:
            done = fenced_update(conn, item, {
                "status": Status.STAGED.value, "status_reason": message,
                "intermediary_id": result.intermediary_id,
                "version_token": result.version_token, "staged_at": now,
                "needs_lookup": False, "lease_owner": None, "lease_expires_at": None,
                "error_code": None, "error_message": None, "error_remedy": None,
                "updated_at": now,
            })
            if not done:
                return self._lease_lost(conn, item, f"staged as {result.intermediary_id}")
            insert_events(conn, [event_row(
                item_id=item.id, company=item.company, kind=item.kind, at=now,
                actor=item.lease_owner, from_status=Status.IN_FLIGHT.value,
                to_status=Status.STAGED.value, reason=message,
                level="warning" if warnings else "info", run_id=item.run_id,
            )])
            if item.kind in self.staged_ok(item.company):
                # Dependents may reference the intermediary id: release them now.
                unblock_dependents(conn, item.company, item.kind, item.mms_id, now,
                                    reason=f"{item.kind.replace('_', ' ')} {item.mms_id!r} "
                                    "staged")
            add_requests(conn, item.company, result.requests_made - 1 + extra_requests)
            self._heartbeat(conn, item, now)
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
                self._write_synced(pending)
            finally:
                self._overlay.clear()

    def flush_if_old(self) -> None:
        """Write the group if its oldest success waited longer than the engine allows."""
        if self._pending and (self.ctx.now() - self._pending[0].at).total_seconds() >= (
                self.ctx.settings.completion_group_seconds):
            self.flush()

    def _write_synced(self, group: list[_PendingSync]) -> list[_PendingSync]:
        """Record the successes of ``group``; returns those whose lease still held."""
        now = self.ctx.now()
        with self.ctx.engine.begin() as conn:
            written: list[_PendingSync] = []
            for done in group:
                item, result = done.item, done.result
                fenced = conn.execute(statements.SYNCED, {
                    "b_id": item.id, "b_owner": item.lease_owner, "b_reason": done.warnings,
                    "b_external_id": result.external_id,
                    "b_version_token": result.version_token, "b_now": done.at,
                }).rowcount == 1
                follows = False
                if not fenced:
                    # Either the lease is gone, or a newer MMS version waits: the slow path.
                    fenced = fenced_update(conn, item, {
                        "status": Status.SYNCED.value, "status_reason": done.warnings,
                        "external_id": result.external_id,
                        "version_token": result.version_token, "needs_lookup": False,
                        "lease_owner": None, "lease_expires_at": None, "error_code": None,
                        "error_message": None, "error_remedy": None, "synced_at": done.at,
                        "updated_at": done.at,
                    })
                    if not fenced:
                        self._lease_lost(conn, item, f"synced as {result.external_id}")
                        continue
                    follows = True
                # The sync itself goes into the history first: what it sets off comes after.
                conn.execute(statements.INSERT_EVENT, [event_row(
                    item_id=item.id, company=item.company, kind=item.kind, at=done.at,
                    actor=item.lease_owner, from_status=Status.IN_FLIGHT.value,
                    to_status=Status.SYNCED.value, reason=done.message, level=done.level,
                    run_id=item.run_id,
                )])
                if follows:
                    follow_deferred(conn, item, now)
                written.append(done)
            _link_all(conn, written)
            _unblock_all(conn, written, now)
            extra: dict[str, int] = {}
            for done in written:
                cost = done.result.requests_made - 1 + done.extra_requests
                extra[done.item.company] = extra.get(done.item.company, 0) + cost
            for company, cost in extra.items():
                add_requests(conn, company, cost)
            if written:
                self._heartbeat(conn, written[-1].item, now)
        return written

    def _finish(
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
        check_transition(f"{item.kind} {item.mms_id!r}", Status.IN_FLIGHT, status)
        self.flush()  # the history keeps the order in which outcomes happened
        now = self.ctx.now()
        with self.ctx.engine.begin() as conn:
            done = fenced_update(conn, item, {
                "status": status.value, "status_reason": reason, "lease_owner": None,
                "lease_expires_at": None, "updated_at": now, **values,
            })
            if not done:
                return self._lease_lost(conn, item, f"{status.value}: {reason}")
            self._heartbeat(conn, item, now)
            insert_events(conn, [event_row(
                item_id=item.id, company=item.company, kind=item.kind, at=now,
                actor=item.lease_owner, from_status=Status.IN_FLIGHT.value,
                to_status=status.value, reason=reason, code=code, level=level,
                run_id=item.run_id,
            )])
        return Outcome(status, level, stop_company=stop_company)

    def _heartbeat(self, conn: Connection, item: ClaimedItem, now: dt.datetime) -> None:
        """Keep the rest of this worker's batch leased, once half the lease has passed (the
        claim itself set the lease, so the first item of a batch never needs it)."""
        key = (item.lease_owner, item.company)
        last = self._last_heartbeat.setdefault(key, now)
        if (now - last).total_seconds() >= self.ctx.settings.lease_seconds / 2:
            extend_leases(self.ctx, conn, item.lease_owner, item.company)
            self._last_heartbeat[key] = now

    def _lease_lost(self, conn: Connection, item: ClaimedItem, result: str) -> Outcome:
        # Keep the late result in the history for the reconciler; never overwrite the item.
        insert_events(conn, [event_row(
            item_id=item.id, company=item.company, kind=item.kind, at=self.ctx.now(),
            actor=item.lease_owner, level="warning", run_id=item.run_id,
            reason=f"result arrived after the lease was lost and was not applied ({result})",
        )])
        return Outcome(None, "warning")

    def release(self, item: ClaimedItem, reason: str) -> None:
        """Give a claimed but unstarted item back (shutdown, throttle): no attempt is spent."""
        status = Status.IN_DOUBT if item.needs_lookup else Status.PENDING
        self._finish(item, status, level="info", reason=reason,
                     values={"attempts": item.attempts - 1, "next_attempt_at": self.ctx.now()})


@attrs.frozen
class _References:
    """Remote ids of an item's dependencies; ``staged`` names those that are intermediary
    ids of staged records rather than the accounting system's ids."""

    ids: dict[tuple[str, str], str]
    staged: frozenset[tuple[str, str]] = frozenset()


def _request(
    item: ClaimedItem,
    record: Record,
    references: _References,
    own: tuple[str, str | None] | None,
) -> ExportRequest:
    external_id, version_token = own if own else (None, None)
    return ExportRequest(
        item_id=item.id, company=item.company, kind=item.kind,
        operation=Operation(item.operation), record=record,
        idempotency_key=item.idempotency_key, attempt=item.attempts,
        external_id=external_id, version_token=version_token, references=references.ids,
        intermediary_id=item.intermediary_id, staged_references=references.staged,
    )


def _unknown(exc: BaseException) -> Resolution:
    if isinstance(exc, ConnectorError) and not exc.sent:
        return Resolution(action=Action.RETRY, message=str(exc), code=exc.code)
    return Resolution(
        action=Action.IN_DOUBT, message=f"unexpected failure: {type(exc).__name__}: {exc}"
    )


def _resolve_references(
    conn: Connection,
    item: ClaimedItem,
    overlay: dict[tuple[str, str, str], tuple[str, str | None]],
    staged_ok: frozenset[str],
    creates: Collection[str] | None = None,
) -> tuple[_References, list[str], tuple[str, str | None] | None]:
    """Remote ids of everything the item depends on, what is missing, and its own link.
    ``creates``: the kinds the company's connector creates (None: assume every kind)."""
    rows = conn.execute(statements.REFERENCES, {"b_item": item.id}).all()
    references, missing = _references_from(rows, item, overlay, staged_ok)
    reasons = [_why_missing(conn, item.company, row.kind, row.mms_id, row.field, creates)
               for row in missing]
    own_row = conn.execute(statements.OWN_LINK, {
        "b_company": item.company, "b_kind": item.kind, "b_mms_id": item.mms_id}).first()
    own = (own_row.external_id, own_row.version_token) if own_row else None
    return references, reasons, overlay.get((item.company, item.kind, item.mms_id), own)


def _references_from(
    rows: Sequence[Any],
    item: ClaimedItem,
    overlay: dict[tuple[str, str, str], tuple[str, str | None]],
    staged_ok: frozenset[str] = frozenset(),
) -> tuple[_References, list[Any]]:
    """Resolved references, and the dependency rows that have no remote id yet."""
    references: dict[tuple[str, str], str] = {}
    staged: set[tuple[str, str]] = set()
    missing: list[Any] = []
    for row in rows:
        remote = row.mapped or row.linked
        if remote is None and (item.company, row.kind, row.mms_id) in overlay:
            remote = overlay[(item.company, row.kind, row.mms_id)][0]
        if remote is None and row.staged is not None and row.kind in staged_ok:
            remote = row.staged
            staged.add((row.kind, row.mms_id))
        if remote is not None:
            references[(row.kind, row.mms_id)] = remote
        else:
            missing.append(row)
    return _References(references, frozenset(staged)), missing


def _why_missing(conn: Connection, company: str, kind: str, mms_id: str, field: str,
                 creates: Collection[str] | None = None) -> str:
    dep = conn.execute(
        sa.select(sync_items.c.status, sync_items.c.status_reason).where(
            sync_items.c.company == company, sync_items.c.kind == kind,
            sync_items.c.mms_id == mms_id, sync_items.c.operation == Operation.CREATE.value,
        )
    ).first()
    name = kind.replace("_", " ")
    if dep is None and creates is not None and kind not in creates:
        # The connector never creates this kind (QuickBooks accounts, items, tax codes are
        # set up by the bookkeeper): recording it again cannot help, a mapping does.
        return (
            f"waits for {name} {mms_id!r} ({field}), which this connector does not create: "
            f"map it: `ledgersync map {_map_verb(kind)} {company} {mms_id} <remote id>`"
        )
    if dep is None:
        return (
            f"waits for {name} {mms_id!r} ({field}), which is neither recorded nor mapped: "
            f"record it from the MMS or map it with `ledgersync map {_map_verb(kind)}`"
        )
    if dep.status == Status.STAGED.value:
        return (f"waits for {name} {mms_id!r} ({field}) to be confirmed by the accounting "
                "system (it is staged)")
    return f"waits for {name} {mms_id!r} ({field}), now {dep.status}"


def _map_verb(kind: str) -> str:
    return {"member": "customer", "gl_account": "account", "tax_rate": "tax"}.get(kind, kind)


def _link_all(conn: Connection, group: list[_PendingSync]) -> None:
    """Link every record of the group to its remote id (one upsert for all new links)."""
    upserts = []
    for done in group:
        if done.item.operation == Operation.VOID.value:
            _link(conn, done.item, done.result, done.at)
            continue
        upserts.append({
            "b_company": done.item.company, "b_kind": done.item.kind,
            "b_mms_id": done.item.mms_id, "b_external_id": done.result.external_id,
            "b_version_token": done.result.version_token, "b_now": done.at,
        })
    if upserts:
        conn.execute(statements.LINK_UPSERT[conn.dialect.name], upserts)


def _link(conn: Connection, item: ClaimedItem, result: ExportResult, now: dt.datetime) -> None:
    key = (links.c.company == item.company, links.c.kind == item.kind,
           links.c.mms_id == item.mms_id)
    if item.operation == Operation.VOID.value:
        conn.execute(sa.update(links).where(*key).values(
            version_token=result.version_token, updated_at=now))
        return
    conn.execute(statements.LINK_UPSERT[conn.dialect.name], {
        "b_company": item.company, "b_kind": item.kind, "b_mms_id": item.mms_id,
        "b_external_id": result.external_id, "b_version_token": result.version_token,
        "b_now": now,
    })


def _unblock_all(conn: Connection, group: list[_PendingSync], now: dt.datetime) -> None:
    """Release what waited for the records of the group (one statement where possible)."""
    if not group:
        return
    if len(group) == 1 or not conn.dialect.update_returning:
        for done in group:
            unblock_dependents(conn, done.item.company, done.item.kind, done.item.mms_id, now)
        return
    released: list[Any] = []
    for company in sorted({d.item.company for d in group}):
        mine = [d.item for d in group if d.item.company == company]
        released += conn.execute(statements.UNBLOCK_MANY_RETURNING, {
            "b_company": company, "b_kinds": sorted({i.kind for i in mine}),
            "b_ids": sorted({i.mms_id for i in mine}), "b_now": now}).all()
    if released:
        insert_events(conn, [event_row(
            item_id=row.id, company=row.company, kind=row.kind, at=now, actor="engine",
            from_status=Status.BLOCKED.value, to_status=Status.PENDING.value,
            reason="a record it waits for synced",
        ) for row in released])


def unblock_dependents(
    conn: Connection, company: str, kind: str, mms_id: str, now: dt.datetime,
    *, reason: str | None = None,
) -> None:
    params = {"b_company": company, "b_kind": kind, "b_mms_id": mms_id, "b_now": now}
    reason = reason or f"{kind.replace('_', ' ')} {mms_id!r} synced"
    if not conn.dialect.update_returning:  # SQLite older than 3.35
        waiting = conn.execute(statements.WAITING_ITEMS, params).all()
        unblock_items(conn, company, waiting, now, reason=reason)
        return
    released = conn.execute(statements.UNBLOCK_RETURNING, params).all()
    if released:
        insert_events(conn, [event_row(
            item_id=row.id, company=company, kind=row.kind, at=now, actor="engine",
            from_status=Status.BLOCKED.value, to_status=Status.PENDING.value, reason=reason,
        ) for row in released])


def unblock_items(
    conn: Connection, company: str, rows: Any, now: dt.datetime, *, reason: str,
    actor: str = "engine",
) -> int:
    """Move blocked items back to pending; the worker re-checks their other dependencies."""
    ids = [row.id for row in rows]
    if not ids:
        return 0
    conn.execute(
        sa.update(sync_items)
        .where(sync_items.c.id.in_(ids), sync_items.c.status == Status.BLOCKED.value)
        .values(status=Status.PENDING.value, status_reason=None, next_attempt_at=now,
                updated_at=now)
    )
    insert_events(conn, [event_row(
        item_id=row.id, company=company, kind=row.kind, at=now, actor=actor,
        from_status=Status.BLOCKED.value, to_status=Status.PENDING.value, reason=reason,
    ) for row in rows])
    return len(ids)


def follow_deferred(conn: Connection, item: ClaimedItem | Any, now: dt.datetime) -> None:
    """A version recorded while this one was in flight becomes the next one to send."""
    row = conn.execute(
        sa.select(sync_items.c.deferred_payload, sync_items.c.deferred_hash,
                  sync_items.c.generation)
        .where(sync_items.c.id == item.id, sync_items.c.deferred_hash.is_not(None))
    ).first()
    if row is None:
        return
    generation = row.generation + 1
    conn.execute(sa.update(sync_items).where(sync_items.c.id == item.id).values(
        status=Status.PENDING.value, payload=row.deferred_payload, payload_hash=row.deferred_hash,
        deferred_payload=None, deferred_hash=None, generation=generation, attempts=0,
        idempotency_key=idempotency_key(item.company, item.kind, item.mms_id, item.operation,
                                        generation),
        next_attempt_at=now, status_reason="a newer version from the MMS follows",
    ))
    insert_events(conn, [event_row(
        item_id=item.id, company=item.company, kind=item.kind, at=now, actor="engine",
        from_status=Status.SYNCED.value, to_status=Status.PENDING.value,
        reason="a newer version recorded while this one was in flight follows",
    )])
