"""Drift: records changed or deleted in the QuickBooks Desktop company file after ledgersync
wrote them, found through the Web Connector's own sessions.

QuickBooks Desktop cannot be called, so a drift check is a message set of its own in the next
session, when one is due (``drift_minutes`` in the company's settings, or asked for with
`ledgersync qbd drift COMPANY`): the AR queries with ``ModifiedDateRangeFilter`` (customers
with ``FromModifiedDate``) since the last check, ``TxnDeletedQueryRq`` and
``ListDeletedQueryRq`` for what was deleted. Every returned record linked to an MMS record is
compared with the MMS version the ledger synced (total, date, customer, number; a customer's
name and active flag); our own writes come back too and compare equal. Each difference is
written into the sync log (on the item and the latest run) and kept for `ledgersync status`
with its remedy until a later check sees the record agree again (after `ledgersync resync` or
`unlink`) or a person accepts the QuickBooks edit (`ledgersync qbd drift COMPANY --accept`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from ledgersync import (
    CreditMemo,
    Invoice,
    ItemFilter,
    JournalEntry,
    Ledger,
    Member,
    Payment,
    Record,
    Refund,
    Status,
)

from ..qbxml.customers import customer_name
from ..qbxml.document import Rs
from ..qbxml.refs import sub
from ..settings import QbdSettings
from ..state import State
from ..xmlsafe import Element, text_of

REQUESTED = "qbwc:drift:requested"
WATERMARK = "qbwc:drift:since"
CHECKED_AT = "qbwc:drift:checked_at"
FINDINGS = "qbwc:drift:findings"
#: Changes are read again from a little before the last check: clocks of the two machines
#: differ, and reading a change twice is harmless (the comparison is the same).
OVERLAP = dt.timedelta(minutes=10)
#: label -> (query, kind of the records it returns)
TXN_QUERIES: dict[str, tuple[str, str]] = {
    "invoices": ("InvoiceQueryRq", "invoice"),
    "credit_memos": ("CreditMemoQueryRq", "credit_memo"),
    "payments": ("ReceivePaymentQueryRq", "payment"),
    "refunds": ("ARRefundCreditCardQueryRq", "refund"),
    "checks": ("CheckQueryRq", "refund"),
    "journal_entries": ("JournalEntryQueryRq", "journal_entry"),
}
DELETED_TXN_TYPES = ("ARRefundCreditCard", "Check", "CreditMemo", "Invoice", "JournalEntry",
                     "ReceivePayment")
LABELS = (*TXN_QUERIES, "customers", "deleted_txns", "deleted_customers")
_WITH_TOTAL = (Invoice, CreditMemo, Payment, Refund, JournalEntry)
_KINDS = ("member", "invoice", "credit_memo", "payment", "refund", "journal_entry")


def request_check(state: State) -> None:
    state.put(REQUESTED, True)


def due(state: State, settings: QbdSettings, now: dt.datetime) -> bool:
    """A check was asked for, or the schedule says one is due."""
    if state.get(REQUESTED):
        return True
    if not settings.drift_minutes:
        return False
    last = state.get(CHECKED_AT)
    if not isinstance(last, str):
        return True  # the first session sets the starting point
    return now - dt.datetime.fromisoformat(last) >= dt.timedelta(minutes=settings.drift_minutes)


def since(state: State) -> str:
    """Where the next check starts (the last check, less the overlap; else the beginning)."""
    last = state.get(WATERMARK)
    start = (dt.datetime.fromisoformat(last) - OVERLAP if isinstance(last, str)
             else dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    return start.isoformat(timespec="seconds")


def request(label: str, start: str) -> Element:
    """The query of ``label`` for what changed since ``start``."""
    if label in TXN_QUERIES:
        rq = Element(TXN_QUERIES[label][0])
        window = sub(rq, "ModifiedDateRangeFilter")
        sub(window, "FromModifiedDate", start)
        sub(rq, "IncludeLineItems", "true")
        return rq
    if label == "customers":
        rq = Element("CustomerQueryRq")
        sub(rq, "ActiveStatus", "All")
        sub(rq, "FromModifiedDate", start)
        return rq
    kind = "Txn" if label == "deleted_txns" else "List"
    rq = Element(f"{kind}DeletedQueryRq")
    for type_name in (DELETED_TXN_TYPES if kind == "Txn" else ("Customer",)):
        sub(rq, f"{kind}DelType", type_name)
    window = sub(rq, "DeletedDateRangeFilter")
    sub(window, "FromDeletedDate", start)
    return rq


@attrs.frozen
class Finding:
    kind: str
    mms_id: str
    item_id: int
    what: str
    external_id: str
    deleted: bool
    differences: tuple[str, ...]

    def problem(self) -> str:
        head = f"{self.what} {self.external_id} (MMS {self.kind} {self.mms_id})"
        if self.deleted:
            return f"{head} was deleted in QuickBooks"
        return f"{head} was changed in QuickBooks: {'; '.join(self.differences)}"

    def remedy(self, company: str) -> str:
        selector = f"--company {company} --kind {self.kind} --mms-id {self.mms_id}"
        if self.deleted:
            return (f"`ledgersync unlink {selector}` writes it again at the next update, or "
                    f"accept the deletion: `ledgersync qbd drift {company} --accept "
                    f"{self.kind} {self.mms_id}`")
        return (f"`ledgersync resync {selector}` puts the MMS version back at the next update, "
                f"or keep the QuickBooks edit: `ledgersync qbd drift {company} --accept "
                f"{self.kind} {self.mms_id}` (and correct the MMS to match)")


def record(ledger: Ledger, company: str, settings: QbdSettings, state: State,
           answers: dict[str, Rs | None], started: dt.datetime) -> list[Finding] | None:
    """Compare the answers of one check and keep the findings; None when the check is
    incomplete (an answer missing or refused: the next session checks again)."""
    if any(rs is None or (not rs.ok and rs.status not in (1, 500)) for rs in answers.values()):
        return None
    linked = _linked(ledger, company)
    members = {mms_id: ext for (kind, ext), (_k, _i, mms_id) in linked.items()
               if kind == "member"}
    findings: dict[tuple[str, str], Finding | None] = {}
    for label, rs in answers.items():
        assert rs is not None
        for ret in rs.rets:
            for key, finding in _compare(ledger, company, settings, label, ret, linked,
                                         members):
                if findings.get(key) is None:
                    findings[key] = finding
    _update_store(state, company, findings)
    runs = ledger.runs(company=company, limit=1)
    run_id = runs[0].id if runs else None
    new = [f for f in findings.values() if f is not None]
    for finding in new:
        ledger.note(company, f"{finding.problem()}; {finding.remedy(company)}",
                    item_id=finding.item_id, kind=finding.kind, code="drift", run_id=run_id,
                    actor="qbd-drift")
    state.put(WATERMARK, started.isoformat())
    state.put(CHECKED_AT, started.isoformat())
    state.delete(REQUESTED)
    return new


def _update_store(state: State, company: str,
                  findings: dict[tuple[str, str], Finding | None]) -> None:
    stored = state.get(FINDINGS)
    kept: dict[str, Any] = dict(stored) if isinstance(stored, dict) else {}
    for (kind, mms_id), finding in findings.items():
        key = f"{kind}:{mms_id}"
        if finding is None:
            kept.pop(key, None)  # the record agrees again (resynced, written anew)
        else:
            kept[key] = {"problem": finding.problem(), "remedy": finding.remedy(company)}
    state.put(FINDINGS, kept)


def accept(state: State, kind: str, mms_id: str) -> bool:
    """A person keeps the QuickBooks edit: the finding leaves `status`."""
    stored = state.get(FINDINGS)
    if not isinstance(stored, dict) or f"{kind}:{mms_id}" not in stored:
        return False
    kept = dict(stored)
    del kept[f"{kind}:{mms_id}"]
    state.put(FINDINGS, kept)
    return True


def problems(state: State) -> list[tuple[str, str]]:
    stored = state.get(FINDINGS)
    if not isinstance(stored, dict):
        return []
    return [(str(v["problem"]), str(v["remedy"])) for _k, v in sorted(stored.items())]


def _linked(ledger: Ledger, company: str) -> dict[tuple[str, str], tuple[str, int, str]]:
    """(kind, QuickBooks id) -> (kind, item id, MMS id) for every synced record; the newest
    item of a record wins (a reissued refund has a new TxnID)."""
    newest: dict[tuple[str, str], tuple[int, str]] = {}
    items = ledger.items(ItemFilter(company=company, status=[Status.SYNCED]), limit=None)
    for item in sorted(items, key=lambda i: i.id):
        if item.external_id is not None and item.kind in _KINDS:
            newest[(item.kind, item.mms_id)] = (item.id, item.external_id)
    # A record's current QuickBooks id only: a reissued refund's old TxnID is not ours.
    return {(kind, external): (kind, item_id, mms_id)
            for (kind, mms_id), (item_id, external) in newest.items()}


def _compare(ledger: Ledger, company: str, settings: QbdSettings, label: str, ret: Element,
             linked: dict[tuple[str, str], tuple[str, int, str]], members: dict[str, str]
             ) -> Iterable[tuple[tuple[str, str], Finding | None]]:
    tag = str(ret.tag)
    if tag in ("TxnDeletedRet", "ListDeletedRet"):
        kinds = _KINDS[1:] if tag == "TxnDeletedRet" else ("member",)
        remote = text_of(ret, "TxnID") or text_of(ret, "ListID") or ""
        for kind in kinds:
            if (kind, remote) in linked:
                _k, item_id, mms_id = linked[(kind, remote)]
                current = ledger.recorded(company, kind, mms_id)
                if current is None or getattr(current, "voided", False):
                    return  # our own delete of a voided payment, or a reissue's old refund
                what = text_of(ret, "TxnDelType") or text_of(ret, "ListDelType") or kind
                yield (kind, mms_id), Finding(kind, mms_id, item_id, what, remote, True, ())
        return
    kind = "member" if label == "customers" else TXN_QUERIES[label][1]
    remote = text_of(ret, "ListID") or text_of(ret, "TxnID") or ""
    if (kind, remote) not in linked:
        return
    _k, item_id, mms_id = linked[(kind, remote)]
    current = ledger.recorded(company, kind, mms_id)
    if current is None or getattr(current, "voided", False):
        return
    differences = _differences(current, ret, settings, members)
    what = tag.removesuffix("Ret")
    yield (kind, mms_id), (Finding(kind, mms_id, item_id, what, remote, False,
                                   tuple(differences)) if differences else None)


def _money(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        return None


def _quickbooks_total(ret: Element) -> Decimal | None:
    tag = str(ret.tag)
    if tag == "InvoiceRet":
        subtotal = _money(text_of(ret, "Subtotal"))
        tax = _money(text_of(ret, "SalesTaxTotal")) or Decimal(0)
        return None if subtotal is None else subtotal + tax
    if tag == "CheckRet":
        return _money(text_of(ret, "Amount"))
    if tag == "JournalEntryRet":
        lines = [_money(text_of(line, "Amount")) for line in ret.findall("JournalDebitLine")]
        return sum((amount for amount in lines if amount is not None), Decimal(0)) \
            if lines else None
    return _money(text_of(ret, "TotalAmount"))


def _differences(current: Record, ret: Element, settings: QbdSettings,
                 members: dict[str, str]) -> list[str]:
    out: list[str] = []
    if isinstance(current, Member):
        name = customer_name(current, settings.customer_name)
        found = text_of(ret, "Name")
        if found is not None and found != name:
            out.append(f"name {name!r} → {found!r}")
        if text_of(ret, "IsActive") == "false" and current.active:
            out.append("made inactive")
        return out
    expected = current.total() if isinstance(current, _WITH_TOTAL) else None
    total = _quickbooks_total(ret)
    if expected is not None and total is not None and total != expected:
        out.append(f"total {expected:.2f} → {total:.2f}")
    date = text_of(ret, "TxnDate")
    txn_date = getattr(current, "txn_date", None)
    if txn_date is not None and date is not None and date != txn_date.isoformat():
        out.append(f"date {txn_date.isoformat()} → {date}")
    customer = text_of(ret, "CustomerRef/ListID") or text_of(ret, "PayeeEntityRef/ListID")
    member_id = current.customer_mms_id()
    linked = members.get(member_id) if member_id else None
    if customer and linked and customer != linked:
        out.append(f"customer {linked} → {customer}")
    return out
