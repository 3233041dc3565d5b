"""What the ledger knows for a reconciliation: every transaction recorded for a company (its
newest version, its items and their statuses, its remote id), the links of customers and
accounts, the reference records (items, GL accounts, tax rates) and the notes people made."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..._books import RECEIVABLE_KINDS
from ..._connector import Operation
from ..._ledger.schema import links, mappings, sync_items
from ..._ledger.schema import reference_records as kept
from ..._records import JournalEntry, Record, record_from_json
from ..statuses import Status
from .model import ZERO

#: Left out of the comparison on purpose (and reported apart).
NOT_FOR_EXPORT = (Status.NO_GO.value, Status.CLEARED.value)


@attrs.frozen(kw_only=True)
class Document:
    """One MMS transaction as the ledger holds it for a company."""

    kind: str
    mms_id: str
    record: Record
    #: The status of the item carrying the newest version (void, else update, else create).
    status: str
    items: tuple[Any, ...]
    #: The books' id of the transaction (its link), None until it is synced.
    remote_id: str | None

    @property
    def item_id(self) -> int:
        """The item a command about the whole record takes: its create item."""
        for item in self.items:
            if item.operation == Operation.CREATE.value:
                return int(item.id)
        return int(self.items[0].id)

    @property
    def date(self) -> dt.date | None:
        return self.record.document_date()

    @property
    def voided(self) -> bool:
        return bool(getattr(self.record, "voided", False))

    @property
    def left_out(self) -> bool:
        """No-go or cleared: not exported on purpose."""
        return self.status in NOT_FOR_EXPORT

    def waiting(self) -> list[Any]:
        """Its items not in the books yet (neither synced nor left out on purpose)."""
        return [i for i in self.items if i.status != Status.SYNCED.value
                and i.status not in NOT_FOR_EXPORT]

    @property
    def number(self) -> str | None:
        number = getattr(self.record, "number", None)
        return str(number) if number else None

    def label(self) -> str:
        name = self.kind.replace("_", " ")
        return f"{name} {self.mms_id}" + (f" (#{self.number})" if self.number
                                          and self.number != self.mms_id else "")


def receivable(record: Record, ar_accounts: set[str]) -> dict[str, Decimal]:
    """What a record adds to each member's receivable (negative: reduces it)."""
    if getattr(record, "voided", False):
        return {}
    if isinstance(record, JournalEntry):
        effect: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in record.lines:
            if line.member_id and line.account_id in ar_accounts:
                effect[line.member_id] += line.debit - line.credit
        return dict(effect)
    member = record.customer_mms_id()
    total = Decimal(record.total()) if hasattr(record, "total") else ZERO
    sign = SIGNS.get(record.kind, 0)
    if member is None or sign == 0:
        return {}
    return {member: sign * total}


#: Whether a document raises (1) or lowers (-1) its customer's receivable.
SIGNS = {"invoice": 1, "refund": 1, "payment": -1, "credit_memo": -1}


def tax_of(record: Record) -> Decimal:
    """The sales tax the MMS computed on a document (0 for one without tax lines)."""
    lines = getattr(record, "lines", ())
    return sum((getattr(line, "tax_amount", ZERO) for line in lines), ZERO)


def _latest(rows: Iterable[Any]) -> tuple[Record, Any]:
    by_op = {row.operation: row for row in rows}
    carrier = by_op.get(Operation.VOID.value) or by_op.get(Operation.UPDATE.value) \
        or by_op[Operation.CREATE.value]
    payload = carrier.deferred_payload or carrier.payload
    return record_from_json(json.loads(payload, parse_float=Decimal)), carrier


@attrs.frozen(kw_only=True)
class LedgerSide:
    """Everything the ledger holds that a reconciliation of one company reads."""

    company: str
    documents: tuple[Document, ...]
    #: member MMS id -> the books' customer id.
    member_links: dict[str, str]
    #: (kind, MMS id) -> remote id, for GL accounts, items and tax rates (links or mappings).
    references: dict[tuple[str, str], str]
    #: The newest recorded reference records (any company: a connector that maps accounts
    #: never queues them for its own), by (kind, MMS id).
    reference_records: dict[tuple[str, str], Record]

    @property
    def ar_accounts(self) -> set[str]:
        return {mms for (kind, mms), rec in self.reference_records.items()
                if kind == "gl_account" and str(getattr(rec, "account_type", "")) ==
                "accounts_receivable"}

    #: The documents by (kind, MMS id) and by (kind, remote id), built once.
    by_key: dict[tuple[str, str], Document] = attrs.field(init=False)
    by_remote: dict[tuple[str, str], Document] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "by_key", {(d.kind, d.mms_id): d for d in self.documents})
        object.__setattr__(self, "by_remote", {(d.kind, d.remote_id): d
                                               for d in self.documents if d.remote_id})

    def document(self, kind: str, mms_id: str) -> Document | None:
        return self.by_key.get((kind, mms_id))


_REFERENCE_KINDS = ("gl_account", "item", "tax_rate")


def read_ledger(conn: Connection, company: str) -> LedgerSide:
    rows = conn.execute(sa.select(sync_items).where(
        sync_items.c.company == company, sync_items.c.kind.in_(RECEIVABLE_KINDS),
    ).order_by(sync_items.c.id)).all()
    company_links = {(r.kind, r.mms_id): r.external_id for r in conn.execute(
        sa.select(links.c.kind, links.c.mms_id, links.c.external_id).where(
            links.c.company == company))}
    company_mappings = {(r.kind, r.mms_id): r.external_id for r in conn.execute(
        sa.select(mappings.c.kind, mappings.c.mms_id, mappings.c.external_id).where(
            mappings.c.company == company))}
    grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        grouped[(row.kind, row.mms_id)].append(row)
    documents = []
    for (kind, mms_id), group in grouped.items():
        record, carrier = _latest(group)
        documents.append(Document(kind=kind, mms_id=mms_id, record=record,
                                  status=carrier.status, items=tuple(group),
                                  remote_id=company_links.get((kind, mms_id))))
    reference_rows = conn.execute(sa.select(
        sync_items.c.kind, sync_items.c.mms_id, sync_items.c.operation, sync_items.c.payload,
        sync_items.c.deferred_payload).where(sync_items.c.kind.in_(_REFERENCE_KINDS))
        .order_by(sync_items.c.id)).all()
    by_reference: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in reference_rows:
        by_reference[(row.kind, row.mms_id)].append(row)
    reference_records = {key: _latest(group)[0] for key, group in by_reference.items()}
    # Kept whichever company exports them (none does where every connector maps them).
    for row in conn.execute(sa.select(kept.c.kind, kept.c.mms_id, kept.c.payload)):
        reference_records[(row.kind, row.mms_id)] = record_from_json(
            json.loads(row.payload, parse_float=Decimal))
    member_links = {mms: ext for (kind, mms), ext in company_mappings.items()
                    if kind == "member"}
    member_links.update({mms: ext for (kind, mms), ext in company_links.items()
                         if kind == "member"})
    references = {key: ext for key, ext in company_links.items() if key[0] in _REFERENCE_KINDS}
    references.update({key: ext for key, ext in company_mappings.items()
                       if key[0] in _REFERENCE_KINDS})
    return LedgerSide(company=company, documents=tuple(documents), member_links=member_links,
                      references=references, reference_records=reference_records)
