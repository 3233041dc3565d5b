"""Reconciliation: accounts receivable per customer in the MMS (as recorded in the ledger)
against the accounting system, with the transactions that explain every difference.

This replaces the monthly by-hand comparison today's MMS products ask bookkeepers to do.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa

from .._connector import Operation
from .._ledger.database import read_connection
from .._ledger.schema import links, sync_items
from .._records import JournalEntry, Record, record_from_json
from .context import EngineContext
from .statuses import Status

_AR_KINDS = ("invoice", "payment", "credit_memo", "refund", "journal_entry")
_NOT_FOR_EXPORT = (Status.NO_GO.value, Status.CLEARED.value)
ZERO = Decimal("0.00")


class Cause(enum.StrEnum):
    """Why a customer's or an account's balance differs between the MMS and the books."""

    NOT_SYNCED = "not_synced"  # pending, blocked, in error or staged: not in the books yet
    EDITED_IN_BOOKS = "edited_in_books"  # the linked transaction's amount changed there
    DELETED_IN_BOOKS = "deleted_in_books"  # the linked transaction (or customer) is gone there
    TAX_DIFFERS = "tax_differs"  # the books computed another sales tax than the MMS
    APPLIED_ELSEWHERE = "applied_elsewhere"  # a payment applied to another invoice there
    POSTED_OUTSIDE = "posted_outside"  # a transaction in the books no ledger item links to
    ROUNDING = "rounding"  # cents lost to per-line rounding
    ACCEPTED = "accepted"  # a person noted the difference as accepted (`ledgersync note`)


@attrs.frozen(kw_only=True)
class Explanation:
    """A transaction whose state explains (part of) a difference, with its cause and what to
    do about it. ``item_id`` is None for a transaction the ledger has no item for (posted
    outside ledgersync); ``remote_id`` is the books' id when the books have it."""

    item_id: int | None
    kind: str
    mms_id: str | None
    amount: Decimal
    status: str | None
    reason: str | None
    cause: Cause = Cause.NOT_SYNCED
    remedy: str | None = None
    remote_id: str | None = None


@attrs.frozen(kw_only=True)
class CustomerBalance:
    member_id: str | None
    external_id: str | None
    mms: Decimal
    remote: Decimal
    explanations: tuple[Explanation, ...] = ()

    @property
    def difference(self) -> Decimal:
        return self.remote - self.mms

    @property
    def ties_out(self) -> bool:
        return self.difference == 0


@attrs.frozen(kw_only=True)
class ReconcileReport:
    company: str
    as_of: dt.date | None
    customers: tuple[CustomerBalance, ...]
    not_exported: Decimal  # receivable of no-go and cleared transactions, left out on purpose
    #: Receivable of staged transactions: accepted by an intermediary, not yet in the books
    #: (each is also an explanation of its customer's difference).
    awaiting_confirmation: Decimal = ZERO

    @property
    def mismatches(self) -> tuple[CustomerBalance, ...]:
        return tuple(c for c in self.customers if not c.ties_out)

    @property
    def total_mms(self) -> Decimal:
        return sum((c.mms for c in self.customers), ZERO)

    @property
    def total_remote(self) -> Decimal:
        return sum((c.remote for c in self.customers), ZERO)

    @property
    def ties_out(self) -> bool:
        return not self.mismatches


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
    sign = {"invoice": 1, "refund": 1, "payment": -1, "credit_memo": -1}.get(record.kind, 0)
    if member is None or sign == 0:
        return {}
    return {member: sign * total}


def _latest(rows: list[Any]) -> tuple[Record, Any, list[Any]]:
    """The newest MMS version of one record and the item that carries it."""
    by_op = {row.operation: row for row in rows}
    carrier = by_op.get(Operation.VOID.value) or by_op.get(Operation.UPDATE.value) \
        or by_op[Operation.CREATE.value]
    payload = carrier.deferred_payload or carrier.payload
    return record_from_json(json.loads(payload, parse_float=Decimal)), carrier, rows


def reconcile(ctx: EngineContext, company: str, as_of: dt.date | None = None
              ) -> ReconcileReport:
    ctx.company(company)
    with read_connection(ctx.engine) as conn:
        rows = conn.execute(sa.select(sync_items).where(
            sync_items.c.company == company, sync_items.c.kind.in_(_AR_KINDS),
        ).order_by(sync_items.c.id)).all()
        # Which MMS accounts are receivable: from the GL accounts recorded for any company
        # (a connector that maps accounts, such as QBO, never queues them for its own).
        accounts = conn.execute(sa.select(sync_items.c.mms_id, sync_items.c.payload).where(
            sync_items.c.kind == "gl_account")).all()
        member_links = {
            r.mms_id: r.external_id for r in conn.execute(sa.select(links).where(
                links.c.company == company, links.c.kind == "member"))
        }
    ar_accounts = {
        r.mms_id for r in accounts
        if json.loads(r.payload).get("account_type") == "accounts_receivable"
    }
    grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        if row.kind != "gl_account":
            grouped[(row.kind, row.mms_id)].append(row)

    mms: dict[str, Decimal] = defaultdict(lambda: ZERO)
    explanations: dict[str, list[Explanation]] = defaultdict(list)
    not_exported = ZERO
    staged = ZERO
    for group in grouped.values():
        record, carrier, items = _latest(group)
        date = record.document_date()
        if as_of is not None and date is not None and date > as_of:
            continue
        for member, amount in receivable(record, ar_accounts).items():
            if carrier.status in _NOT_FOR_EXPORT:
                not_exported += amount
                continue
            mms[member] += amount
            for item in items:
                if item.status == Status.SYNCED.value or item.status in _NOT_FOR_EXPORT:
                    continue
                reason = item.error_message or item.status_reason
                if item.status == Status.STAGED.value:
                    staged += amount
                    reason = (f"staged as {item.intermediary_id}: not in the books until the "
                              "accounting system confirms it")
                explanations[member].append(Explanation(
                    item_id=item.id, kind=item.kind, mms_id=item.mms_id, amount=amount,
                    status=item.status, reason=reason,
                ))

    connector = ctx.connector(company)
    remote = {key: Decimal(value) for key, value in connector.customer_balances(as_of).items()}
    by_external = {external: member for member, external in member_links.items()}
    customers: list[CustomerBalance] = []
    for member in sorted(set(mms) | {by_external[e] for e in remote if e in by_external}):
        external = member_links.get(member)
        customers.append(CustomerBalance(
            member_id=member, external_id=external, mms=mms.get(member, ZERO),
            remote=remote.get(external, ZERO) if external else ZERO,
            explanations=tuple(explanations.get(member, ())),
        ))
    for external, balance in sorted(remote.items()):
        if external not in by_external and balance != 0:
            customers.append(CustomerBalance(member_id=None, external_id=external, mms=ZERO,
                                             remote=balance))
    return ReconcileReport(company=company, as_of=as_of, customers=tuple(customers),
                           not_exported=not_exported, awaiting_confirmation=staged)

