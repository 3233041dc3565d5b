"""Recording MMS records as sync items: new work, updates, voids, and no work at all.

A record is queued once per company whose connector supports its kind. The same content
recorded again is no work; changed content replaces the queued version while nothing of it has
been sent, and otherwise becomes an ``update`` item sent after the version in flight.
"""

from __future__ import annotations

import json
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
from .._records import Record, record_to_json
from .._resolution import Vote
from . import items
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


def payload_json(record: Record) -> str:
    return json.dumps(record_to_json(record), sort_keys=True, separators=(",", ":"))


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
        """Queue ``records`` for each company (all configured companies by default)."""
        targets = [self.ctx.company(name) for name in (companies or self.ctx.config.companies)]
        summary = RecordSummary()
        for company in targets:
            self.ctx.ensure_company_row(conn, company.name)
        for record in records:
            if record.kind in REFERENCE_KINDS:
                self._keep_reference(conn, record)
            for company in targets:
                summary.counts[self._record_one(conn, company, record, actor)] += 1
        return summary

    def _keep_reference(self, conn: Connection, record: Record) -> None:
        """The newest version of a reference record, for reconciliation (see the table)."""
        digest = record.content_hash()
        key = (reference_records.c.kind == record.kind,
               reference_records.c.mms_id == record.mms_id)
        known = conn.execute(sa.select(reference_records.c.payload_hash).where(*key)).first()
        if known is not None and known.payload_hash == digest:
            return
        values = {"payload": payload_json(record), "payload_hash": digest,
                  "updated_at": self.ctx.now()}
        # An upsert: another process may record the same account at the same moment.
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)
        conn.execute(insert(reference_records).values(
            kind=record.kind, mms_id=record.mms_id, **values).on_conflict_do_update(
            index_elements=["kind", "mms_id"], set_=values))

    # -- one record, one company ---------------------------------------------------------------

    def _record_one(
        self, conn: Connection, company: CompanyConfig, record: Record, actor: str
    ) -> str:
        if record.kind not in self.ctx.connector_class(company).supported_kinds:
            return "unsupported"
        rows = {
            row.operation: row
            for row in conn.execute(
                sa.select(sync_items).where(
                    sync_items.c.company == company.name,
                    sync_items.c.kind == record.kind,
                    sync_items.c.mms_id == record.mms_id,
                )
            )
        }
        digest = record.content_hash()
        payload = payload_json(record)
        create = rows.get(Operation.CREATE.value)
        if getattr(record, "voided", False):
            return self._record_void(conn, company, record, payload, digest, create, rows, actor)
        if create is None:
            self._insert(conn, company, record, Operation.CREATE, payload, digest, actor)
            return "new"
        update = rows.get(Operation.UPDATE.value)
        latest = update if update is not None else create
        if digest in (latest.payload_hash, latest.deferred_hash) and latest.deferred_hash in (
            None,
            digest,
        ):
            return "unchanged"
        if update is None and _replaceable(create):
            self._replace(conn, company, record, create, payload, digest, actor)
            return "updated"
        if update is None:
            self._insert(conn, company, record, Operation.UPDATE, payload, digest, actor)
        elif _replaceable(update) or update.status == Status.SYNCED:
            self._replace(conn, company, record, update, payload, digest, actor)
        else:
            self._defer(conn, company, update, payload, digest, actor)
        return "updated"

    def _record_void(
        self,
        conn: Connection,
        company: CompanyConfig,
        record: Record,
        payload: str,
        digest: str,
        create: Row[Any] | None,
        rows: dict[str, Row[Any]],
        actor: str,
    ) -> str:
        if create is None:
            return "unchanged"  # voided before it was ever queued: nothing to undo remotely
        if create.status == Status.CLEARED and create.payload_hash == digest:
            return "unchanged"  # the same void recorded again
        if _replaceable(create) and rows.get(Operation.UPDATE.value) is None:
            self._set_status(
                conn, company, create, Status.CLEARED, actor,
                "voided in the MMS before it was exported", payload=payload, digest=digest,
            )
            return "voided"
        void = rows.get(Operation.VOID.value)
        if void is not None:
            return "unchanged"
        self._insert(conn, company, record, Operation.VOID, payload, digest, actor)
        return "voided"

    # -- writes ----------------------------------------------------------------------------------

    def _initial_status(
        self,
        conn: Connection,
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
            in_sync = self.ctx.in_sync_date(conn, company)
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

    def _insert(
        self,
        conn: Connection,
        company: CompanyConfig,
        record: Record,
        operation: Operation,
        payload: str,
        digest: str,
        actor: str,
    ) -> None:
        now = self.ctx.now()
        status, reason = self._initial_status(conn, company, record)
        items.insert_item(
            conn,
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
            actor=actor,
            reason=reason or f"recorded ({operation.value})",
            at=now,
        )

    def _replace(
        self,
        conn: Connection,
        company: CompanyConfig,
        record: Record,
        row: Row[Any],
        payload: str,
        digest: str,
        actor: str,
    ) -> None:
        status, reason = self._initial_status(conn, company, record, row.mark, row.mark_reason)
        self._set_status(
            conn, company, row, status, actor, reason or "changed in the MMS",
            payload=payload, digest=digest, record=record,
        )
        items.replace_dependencies(conn, row, dependencies_of(record, Operation(row.operation)))

    def _set_status(
        self,
        conn: Connection,
        company: CompanyConfig,
        row: Row[Any],
        status: Status,
        actor: str,
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
        if not items.move(conn, row, row.status, status, actor=actor, reason=reason, at=now,
                          values=values):
            # A worker claimed it since it was read: the new content follows the one in flight.
            self._defer(conn, company, row, payload, digest, actor)

    def _defer(
        self,
        conn: Connection,
        company: CompanyConfig,
        row: Row[Any],
        payload: str,
        digest: str,
        actor: str,
    ) -> None:
        now = self.ctx.now()
        items.set_fields(conn, row, {"deferred_payload": payload, "deferred_hash": digest,
                                     "updated_at": now})
        items.note(conn, row, company=company.name, at=now, actor=actor,
                   reason="changed in the MMS while the previous version is being sent; "
                   "the new version follows it")


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
