"""Building export requests: the record, the remote ids of what it references, its own link.

Reads only. A claimed batch is read in two queries (:meth:`RequestBuilder.prefetch`); the links
of successes not written yet (the completion group's overlay) count as links already, so an
invoice right after its customer in the same group needs no write first.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._connector import ExportRequest, Operation
from .._ledger.database import read_connection
from .._ledger.schema import mappings, sync_items
from .._records import Record, record_from_json
from . import statements
from .claims import ClaimedItem
from .context import EngineContext

#: (company, kind, MMS id) -> (remote id, version token) of a success not written yet.
Overlay = Mapping[tuple[str, str, str], tuple[str, str | None]]
OwnLink = tuple[str, str | None]


@attrs.frozen
class References:
    """Remote ids of an item's dependencies; ``staged`` names those that are intermediary
    ids of staged records (two-stage connectors) rather than the accounting system's ids."""

    ids: dict[tuple[str, str], str]
    staged: frozenset[tuple[str, str]] = frozenset()


class RequestBuilder:
    def __init__(self, ctx: EngineContext, overlay: Overlay) -> None:
        self.ctx = ctx
        self._overlay = overlay
        self._prefetched_refs: dict[int, list[Any]] = {}
        self._mapped_kinds: dict[tuple[str, str], bool] = {}
        self._prefetched_own: dict[tuple[str, str, str], OwnLink] = {}
        #: staged_ok() by company, for the batch (it asks the connector class every time).
        self._staged_ok: dict[str, frozenset[str]] = {}

    def resolve(self, item: ClaimedItem) -> tuple[References, list[str], OwnLink | None]:
        """Remote ids of what the item references, why any is missing, and its own link (or
        a person's mapping of the record itself, for a create)."""
        staged_ok = self._staged_ok.get(item.company)
        if staged_ok is None:
            staged_ok = self._staged_ok[item.company] = self.staged_ok(item.company)
        prefetched = self._from_prefetch(item, staged_ok)
        if prefetched is not None:
            references, missing, own = prefetched
        else:
            creates = self.ctx.connector_class(self.ctx.company(item.company)).supported_kinds
            with read_connection(self.ctx.engine) as conn:
                references, missing, own = _resolve_references(conn, item, self._overlay,
                                                               creates, staged_ok)
        if own is None and item.operation == Operation.CREATE.value and not missing:
            own = self._own_mapping(item)
        return references, missing, own

    def rebuild(self, item: ClaimedItem) -> ExportRequest:
        """The request of an item claimed earlier (pull mode: the answer comes later)."""
        record = read_record(item)
        with read_connection(self.ctx.engine) as conn:
            references, _missing, own = _resolve_references(
                conn, item, self._overlay, staged_ok=self.staged_ok(item.company))
        return build_request(item, record, references, own)

    def staged_ok(self, company: str) -> frozenset[str]:
        """Kinds whose staged records the company's connector lets dependents reference."""
        try:
            cls = self.ctx.connector_class(self.ctx.company(company))
        except Exception:  # noqa: BLE001 - an unusable connector fails when exporting instead
            return frozenset()
        return cls.staged_references if getattr(cls, "two_stage", False) else frozenset()

    def _own_mapping(self, item: ClaimedItem) -> OwnLink | None:
        if not self._mappings_exist(item.company, item.kind):
            return None
        with read_connection(self.ctx.engine) as conn:
            mapped = conn.execute(statements.OWN_MAPPING, {
                "b_company": item.company, "b_kind": item.kind,
                "b_mms_id": item.mms_id}).scalar()
        return (mapped, None) if mapped is not None else None

    def _mappings_exist(self, company: str, kind: str) -> bool:
        """Whether anyone mapped records of this kind (cached per batch: usually nobody did;
        :meth:`prefetch` reads it for the batch's creates with the rest)."""
        key = (company, kind)
        if key not in self._mapped_kinds:
            with read_connection(self.ctx.engine) as conn:
                self._mapped_kinds[key] = _any_mapping(conn, company, kind)
        return self._mapped_kinds[key]

    def prefetch(self, batch: Sequence[ClaimedItem]) -> None:
        """Read the references and own links of a claimed batch in two queries, so items
        whose dependencies are all there need no read of their own."""
        self._prefetched_refs = {item.id: [] for item in batch}
        self._prefetched_own = {}
        self._staged_ok = {}
        if not batch:
            return
        with read_connection(self.ctx.engine) as conn:
            for row in conn.execute(statements.REFERENCES_MANY[conn.dialect.name],
                                    {"b_items": [item.id for item in batch]}):
                self._prefetched_refs[row.item_id].append(row)
            for company in {item.company for item in batch}:
                keys = {(i.kind, i.mms_id) for i in batch if i.company == company}
                for link in conn.execute(
                        statements.OWN_LINKS_MANY[conn.dialect.name],
                        {"b_company": company,
                         **statements.pair_parameters(conn.dialect.name, keys)}):
                    if (link.kind, link.mms_id) in keys:
                        self._prefetched_own[(company, link.kind, link.mms_id)] = (
                            link.external_id, link.version_token)
            # Whether anyone mapped the kinds of creates without a link (see _own_mapping),
            # in this read rather than one of its own.
            for company, kind in {(i.company, i.kind) for i in batch
                                  if i.operation == _CREATE and (i.company, i.kind, i.mms_id)
                                  not in self._prefetched_own} - self._mapped_kinds.keys():
                self._mapped_kinds[(company, kind)] = _any_mapping(conn, company, kind)

    def forget_prefetch(self) -> None:
        self._staged_ok = {}
        self._mapped_kinds = {}
        self._prefetched_refs = {}
        self._prefetched_own = {}

    def _from_prefetch(
        self, item: ClaimedItem, staged_ok: frozenset[str]
    ) -> tuple[References, list[str], OwnLink | None] | None:
        rows = self._prefetched_refs.get(item.id)
        if rows is None:
            return None
        references, missing = _references_from(rows, item, self._overlay, staged_ok)
        if missing:
            return None  # read again: it may have arrived since, and the reason needs a read
        key = (item.company, item.kind, item.mms_id)
        return references, [], self._overlay.get(key, self._prefetched_own.get(key))


#: json.loads(text, parse_float=Decimal) builds a new decoder per call; one serves them all.
_PAYLOAD_DECODER = json.JSONDecoder(parse_float=Decimal)


_CREATE = Operation.CREATE.value
#: Operation(value) looks the value up through the enum machinery; a dict is cheaper.
_OPERATIONS = {operation.value: operation for operation in Operation}

#: Whether a company has any mapping of a kind.
_ANY_MAPPING = sa.select(mappings.c.mms_id).where(
    mappings.c.company == sa.bindparam("b_company"),
    mappings.c.kind == sa.bindparam("b_kind")).limit(1)


def _any_mapping(conn: Connection, company: str, kind: str) -> bool:
    return conn.execute(_ANY_MAPPING, {"b_company": company, "b_kind": kind}
                        ).first() is not None


def read_record(item: ClaimedItem) -> Record:
    return record_from_json(_PAYLOAD_DECODER.decode(item.payload))


def build_request(
    item: ClaimedItem, record: Record, references: References, own: OwnLink | None
) -> ExportRequest:
    external_id, version_token = own if own else (None, None)
    return ExportRequest(
        item_id=item.id, company=item.company, kind=item.kind,
        operation=_OPERATIONS.get(item.operation) or Operation(item.operation), record=record,
        idempotency_key=item.idempotency_key, attempt=item.attempts,
        external_id=external_id, version_token=version_token, references=references.ids,
        intermediary_id=item.intermediary_id, staged_references=references.staged,
    )


def _resolve_references(
    conn: Connection, item: ClaimedItem, overlay: Overlay,
    creates: Collection[str] | None = None, staged_ok: frozenset[str] = frozenset(),
) -> tuple[References, list[str], OwnLink | None]:
    """Remote ids of everything the item depends on, what is missing, and its own link.
    ``creates``: the kinds the company's connector creates (None: assume every kind);
    ``staged_ok``: kinds whose staged records may be referenced by intermediary id."""
    rows = conn.execute(statements.REFERENCES, {"b_item": item.id}).all()
    references, missing = _references_from(rows, item, overlay, staged_ok)
    reasons = [_why_missing(conn, item.company, row.kind, row.mms_id, row.field, creates)
               for row in missing]
    own_row = conn.execute(statements.OWN_LINK, {
        "b_company": item.company, "b_kind": item.kind, "b_mms_id": item.mms_id}).first()
    own = (own_row.external_id, own_row.version_token) if own_row else None
    return references, reasons, overlay.get((item.company, item.kind, item.mms_id), own)


def _references_from(
    rows: Sequence[Any], item: ClaimedItem, overlay: Overlay,
    staged_ok: frozenset[str] = frozenset(),
) -> tuple[References, list[Any]]:
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
    return References(references, frozenset(staged)), missing


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
    if dep.status == "staged":
        return (f"waits for {name} {mms_id!r} ({field}) to be confirmed by the accounting "
                "system (it is staged)")
    return f"waits for {name} {mms_id!r} ({field}), now {dep.status}"


def _map_verb(kind: str) -> str:
    return {"member": "customer", "gl_account": "account", "tax_rate": "tax"}.get(kind, kind)
