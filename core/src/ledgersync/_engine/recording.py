"""Recording MMS records as sync items: new work, updates, voids, and no work at all.

A record is queued once per company whose connector supports its kind. The same content
recorded again is no work; changed content replaces the queued version while nothing of it has
been sent, and otherwise becomes an ``update`` item sent after the version in flight.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from .._config import CompanyConfig
from .._connector import Operation
from .._ledger.schema import reference_records, sync_items
from .._records import Record, canonical_json
from .._resolution import Vote
from . import items, statements
from .context import KIND_PRIORITY, EngineContext, idempotency_key
from .statuses import Status, needs_approval

#: Kinds whose newest version is kept apart for reconciliation (``reference_records``).
REFERENCE_KINDS = frozenset({"gl_account", "item", "tax_rate"})

#: Statuses whose content may be replaced in place: nothing of the current version can have
#: reached the remote (never sent, or refused outright, or found absent after a doubt).
_REPLACEABLE = frozenset(
    {
        Status.AWAITING_APPROVAL,
        Status.PENDING,
        Status.BLOCKED,
        Status.NO_GO,
        Status.CLEARED,
        Status.ERROR,
        # Two-phase outcomes: the changed record is what goes to the intermediary next.
        Status.REJECTED,
        Status.CONFLICT,
        Status.ORPHANED,
    }
)


@attrs.define
class RecordSummary:
    """What recording did, per outcome: ``new``, ``updated``, ``unchanged``, ``voided``,
    ``unsupported`` (the company's connector does not export that kind)."""

    counts: Counter[str] = attrs.field(factory=Counter)

    def __getitem__(self, outcome: str) -> int:
        return self.counts[outcome]

    def merge(self, other: RecordSummary) -> None:
        self.counts.update(other.counts)


def payload_and_hash(record: Record) -> tuple[str, str]:
    """The record's canonical JSON, stored as the item's payload, and its content hash (the
    same text hashed: one serialisation a record)."""
    payload = canonical_json(record)
    return payload, hashlib.sha256(payload.encode("utf-8")).hexdigest()


#: Records read and written together: one read of their existing items per company, one
#: multi-row insert of the new ones (with their dependencies and first events).
CHUNK = 500


@attrs.define
class _Call:
    """What one ``record`` call reads once and the new items it has not inserted yet."""

    conn: Connection
    actor: str
    ctx: EngineContext
    in_sync: dict[str, dt.date | None]
    pending: list[items.NewItem] = attrs.field(factory=list)
    _supported: dict[str, frozenset[str]] = attrs.field(factory=dict)

    def supports(self, company: CompanyConfig, kind: str) -> bool:
        """Whether the company's connector exports ``kind`` (its class looked up once)."""
        if company.name not in self._supported:
            self._supported[company.name] = frozenset(
                self.ctx.connector_class(company).supported_kinds)
        return kind in self._supported[company.name]

    def flush(self) -> None:
        """Insert the new items waiting, before any other write (the rows, ids and history
        come out exactly as if each record had been recorded on its own)."""
        if self.pending:
            pending, self.pending = self.pending, []
            items.insert_items(self.conn, pending, actor=self.actor)


class Recorder:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def record(
        self,
        records: Iterable[Record],
        *,
        conn: Connection,
        companies: Sequence[str] | None = None,
        actor: str = "mms",
    ) -> RecordSummary:
        """Queue ``records`` for each company (all configured companies by default).

        Records are handled in chunks whose (kind, MMS id) pairs are distinct: a chunk's
        existing items are read in one query per company and its new items inserted in a few
        multi-row statements; a record repeated within the call starts a new chunk, so it sees
        what its first occurrence wrote.
        """
        targets = [self.ctx.company(name) for name in (companies or self.ctx.config.companies)]
        summary = RecordSummary()
        # The in-sync date stored with `ledgersync companies set-in-sync-date`, else the config's.
        in_sync = {c.name: self.ctx.ensure_company_row(conn, c.name) or c.in_sync_date
                   for c in targets}
        call = _Call(conn=conn, actor=actor, ctx=self.ctx, in_sync=in_sync)
        chunk: list[Record] = []
        keys: set[tuple[str, str]] = set()
        for record in records:
            key = (record.kind, record.mms_id)
            if key in keys or len(chunk) >= CHUNK:
                self._record_chunk(call, targets, chunk, summary)
                chunk, keys = [], set()
            chunk.append(record)
            keys.add(key)
        if chunk:
            self._record_chunk(call, targets, chunk, summary)
        return summary

    def _record_chunk(self, call: _Call, targets: Sequence[CompanyConfig],
                      chunk: Sequence[Record], summary: RecordSummary) -> None:
        existing = {company.name: self._existing(call, company, chunk)
                    for company in targets}
        for record in chunk:
            payload, digest = payload_and_hash(record)
            if record.kind in REFERENCE_KINDS:
                self._keep_reference(call.conn, record, payload, digest)
            for company in targets:
                if not call.supports(company, record.kind):
                    summary.counts["unsupported"] += 1
                    continue
                rows = existing[company.name].get((record.kind, record.mms_id), {})
                outcome = _without_writing(record, rows, digest)
                if outcome == "new":
                    call.pending.append(self._new_item(
                        call, company, record, Operation.CREATE, payload, digest))
                elif outcome is None:
                    call.flush()
                    outcome = self._record_one(call, company, record, rows, payload, digest)
                summary.counts[outcome] += 1
        call.flush()

    def _existing(self, call: _Call, company: CompanyConfig, chunk: Sequence[Record]
                  ) -> dict[tuple[str, str], dict[str, Row[Any]]]:
        """The items of the chunk's records in ``company``, by (kind, MMS id) and operation
        (the exact pairs are kept here: see statements.by_pairs)."""
        wanted = {(r.kind, r.mms_id) for r in chunk if call.supports(company, r.kind)}
        found: dict[tuple[str, str], dict[str, Row[Any]]] = {}
        if not wanted:
            return found
        dialect = call.conn.dialect.name
        if len(wanted) == 1:
            # One record (an MMS saving one invoice): its key's own index lookup, cheaper for
            # PostgreSQL to plan each time than the join of a list (statements.by_pairs).
            [(kind, mms_id)] = wanted
            rows = call.conn.execute(_EXISTING_ONE, {
                "b_company": company.name, "b_kind": kind, "b_mms_id": mms_id})
        else:
            rows = call.conn.execute(_EXISTING[dialect], {
                "b_company": company.name, **statements.pair_parameters(dialect, wanted)})
        for row in rows:
            if (row.kind, row.mms_id) in wanted:
                found.setdefault((row.kind, row.mms_id), {})[row.operation] = row
        return found

    def _keep_reference(self, conn: Connection, record: Record, payload: str,
                        digest: str) -> None:
        """The newest version of a reference record, for reconciliation (see the table)."""
        key = (reference_records.c.kind == record.kind,
               reference_records.c.mms_id == record.mms_id)
        known = conn.execute(sa.select(reference_records.c.payload_hash).where(*key)).first()
        if known is not None and known.payload_hash == digest:
            return
        values = {"payload": payload, "payload_hash": digest,
                  "updated_at": self.ctx.now()}
        # An upsert: another process may record the same account at the same moment.
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)
        conn.execute(insert(reference_records).values(
            kind=record.kind, mms_id=record.mms_id, **values).on_conflict_do_update(
            index_elements=["kind", "mms_id"], set_=values))

    # -- one record, one company, with items already ---------------------------------------------

    def _record_one(
        self, call: _Call, company: CompanyConfig, record: Record, rows: dict[str, Row[Any]],
        payload: str, digest: str,
    ) -> str:
        create = rows.get(Operation.CREATE.value)
        if getattr(record, "voided", False):
            return self._record_void(call, company, record, payload, digest, create, rows)
        assert create is not None  # a new record is inserted in bulk (_without_writing)
        update = rows.get(Operation.UPDATE.value)
        if update is None and _replaceable(create):
            self._replace(call, company, record, create, payload, digest)
            return "updated"
        if update is None:
            call.pending.append(self._new_item(call, company, record, Operation.UPDATE,
                                               payload, digest))
            call.flush()
        elif _replaceable(update) or update.status == Status.SYNCED:
            self._replace(call, company, record, update, payload, digest)
        else:
            self._defer(call, company, update, payload, digest)
        return "updated"

    def _record_void(
        self,
        call: _Call,
        company: CompanyConfig,
        record: Record,
        payload: str,
        digest: str,
        create: Row[Any] | None,
        rows: dict[str, Row[Any]],
    ) -> str:
        assert create is not None  # voided before it was ever queued: _without_writing
        if _replaceable(create) and rows.get(Operation.UPDATE.value) is None:
            self._set_status(
                call, company, create, Status.CLEARED,
                "voided in the MMS before it was exported", payload=payload, digest=digest,
            )
            return "voided"
        call.pending.append(self._new_item(call, company, record, Operation.VOID, payload,
                                           digest))
        call.flush()
        return "voided"

    # -- writes ----------------------------------------------------------------------------------

    def _initial_status(
        self,
        call: _Call,
        company: CompanyConfig,
        record: Record,
        mark: str | None = None,
        mark_reason: str | None = None,
    ) -> tuple[Status, str | None]:
        if mark == "no_go":
            return Status.NO_GO, mark_reason or "marked do-not-export"
        if mark != "go":
            reasons: list[str] = []
            date = record.document_date()
            in_sync = call.in_sync[company.name]
            if date is not None and in_sync is not None and date < in_sync:
                reasons.append(
                    f"dated {date.isoformat()}, before the in-sync date {in_sync.isoformat()}"
                )
            votes = self.ctx.plugins.votes(company, record)
            reasons.extend(v.reason for v in votes if v.vote is Vote.NO_GO)
            if reasons:
                return Status.NO_GO, "; ".join(reasons)
        if needs_approval(company, record.kind):
            return Status.AWAITING_APPROVAL, "waits for review"
        return Status.PENDING, None

    def _new_item(
        self,
        call: _Call,
        company: CompanyConfig,
        record: Record,
        operation: Operation,
        payload: str,
        digest: str,
    ) -> items.NewItem:
        now = self.ctx.now()
        status, reason = self._initial_status(call, company, record)
        return items.NewItem(
            values={
                "company": company.name,
                "kind": record.kind,
                "mms_id": record.mms_id,
                "operation": operation.value,
                "status": status.value,
                "status_reason": reason,
                "priority": KIND_PRIORITY.get(record.kind, 9),
                "document_date": record.document_date(),
                "member_id": record.customer_mms_id(),
                "payload": payload,
                "payload_hash": digest,
                "generation": 1,
                "idempotency_key": idempotency_key(
                    company.name, record.kind, record.mms_id, operation.value, 1
                ),
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            },
            dependencies=dependencies_of(record, operation),
            reason=reason or f"recorded ({operation.value})",
            at=now,
        )

    def _replace(
        self,
        call: _Call,
        company: CompanyConfig,
        record: Record,
        row: Row[Any],
        payload: str,
        digest: str,
    ) -> None:
        status, reason = self._initial_status(call, company, record, row.mark, row.mark_reason)
        self._set_status(
            call, company, row, status, reason or "changed in the MMS",
            payload=payload, digest=digest, record=record,
        )
        items.replace_dependencies(call.conn, row,
                                   dependencies_of(record, Operation(row.operation)))

    def _set_status(
        self,
        call: _Call,
        company: CompanyConfig,
        row: Row[Any],
        status: Status,
        reason: str | None,
        *,
        payload: str,
        digest: str,
        record: Record | None = None,
    ) -> None:
        now = self.ctx.now()
        generation = row.generation + 1
        values: dict[str, object] = {
            "payload": payload,
            "payload_hash": digest,
            "generation": generation,
            "idempotency_key": idempotency_key(
                company.name, row.kind, row.mms_id, row.operation, generation
            ),
            "attempts": 0,
            "next_attempt_at": now,
            "error_code": None,
            "error_message": None,
            "error_remedy": None,
        }
        if record is not None:
            values["document_date"] = record.document_date()
            values["member_id"] = record.customer_mms_id()
        if not items.move(call.conn, row, row.status, status, actor=call.actor, reason=reason,
                          at=now, values=values):
            # A worker claimed it since it was read: the new content follows the one in flight.
            self._defer(call, company, row, payload, digest)

    def _defer(
        self,
        call: _Call,
        company: CompanyConfig,
        row: Row[Any],
        payload: str,
        digest: str,
    ) -> None:
        now = self.ctx.now()
        items.set_fields(call.conn, row, {"deferred_payload": payload, "deferred_hash": digest,
                                          "updated_at": now})
        items.note(call.conn, row, company=company.name, at=now, actor=call.actor,
                   reason="changed in the MMS while the previous version is being sent; "
                   "the new version follows it")


#: Items of a chunk's records in one company, by dialect (see statements.by_pairs).
_EXISTING = {dialect: statements.by_pairs(
    sa.select(sync_items).where(sync_items.c.company == sa.bindparam("b_company")),
    sync_items, dialect) for dialect in ("postgresql", "sqlite")}
_EXISTING_ONE = sa.select(sync_items).where(
    sync_items.c.company == sa.bindparam("b_company"),
    sync_items.c.kind == sa.bindparam("b_kind"),
    sync_items.c.mms_id == sa.bindparam("b_mms_id"))


def _without_writing(record: Record, rows: dict[str, Row[Any]], digest: str) -> str | None:
    """The outcome when it needs no write but a new create (``new``, ``unchanged``), None when
    the item's existing rows must change."""
    create = rows.get(Operation.CREATE.value)
    if getattr(record, "voided", False):
        if create is None:
            return "unchanged"  # voided before it was ever queued: nothing to undo remotely
        if create.status == Status.CLEARED and create.payload_hash == digest:
            return "unchanged"  # the same void recorded again
        if _replaceable(create) and rows.get(Operation.UPDATE.value) is None:
            return None
        return "unchanged" if rows.get(Operation.VOID.value) is not None else None
    if create is None:
        return "new"
    update = rows.get(Operation.UPDATE.value)
    latest = update if update is not None else create
    if digest in (latest.payload_hash, latest.deferred_hash) and latest.deferred_hash in (
        None,
        digest,
    ):
        return "unchanged"
    return None


def _replaceable(row: Row[Any]) -> bool:
    return Status(row.status) in _REPLACEABLE and not row.needs_lookup


def dependencies_of(record: Record, operation: Operation) -> list[dict[str, str]]:
    """What an item of ``record`` waits for: what it references, and for an update or a void
    the record itself (it must exist remotely first)."""
    deps = [{"kind": ref.kind, "mms_id": ref.mms_id, "field": ref.field}
            for ref in record.references()]
    if operation is not Operation.CREATE:
        deps.append({"kind": record.kind, "mms_id": record.mms_id,
                     "field": "(the record itself)"})
    return deps
