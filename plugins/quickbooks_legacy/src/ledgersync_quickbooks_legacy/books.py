"""The books' receivable transactions for reconciliation: what the desktop confirmed.

The intermediary's copy answers for the desktop: an object with ``Synchronized`` true was
written to (or came from) the company file, and is queried with ``SynchronizedFilter
Synchronized`` and named by its QuickBooks id, the id the ledger links once a record is
confirmed. Objects still waiting in the cloud copy are not in the books; the ledger explains
those from its own staged items.

The path's object queries filter by synchronization state, errors and ids only (no
transaction-date filter is documented for them), so "as of a day" keeps the transactions whose
``TxnDate`` is on or before it, here. The cloud copy holds each object's current version: a
transaction edited or deleted in QuickBooks after that day shows as it is now.

References in a confirmed object may still carry the NG id they were written with (a customer
staged at the time); they are resolved to QuickBooks ids through the confirmed customers and
invoices. The path cannot void (see the exporter), so nothing is reported voided. Refunds went
to the desktop as journal entries (:mod:`~ledgersync_quickbooks_legacy.objects`): a journal
entry whose lines are all described "Refund", as the exporter writes them, is reported as the
refund it is (the ledger links the refund to it); any other journal entry as a journal entry.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

from ledgersync import BooksTransaction, ConnectorError

from .client import LegacyClient
from .codes import RESOURCES
from .objects import REFUND
from .settings import LegacySettings
from .xmlio import q, sub, text

ZERO = Decimal("0.00")
_KINDS = {"Invoice": "invoice", "CreditMemo": "credit_memo", "Payment": "payment",
          "JournalEntry": "journal_entry"}


def confirmed(client: LegacyClient, kind: str) -> list[ET.Element]:
    """Every object of ``kind`` the desktop has (``SynchronizedFilter Synchronized``)."""
    query = ET.Element(q(f"{kind}Query"))
    sub(query, "SynchronizedFilter", "Synchronized")
    return list(client.post(RESOURCES[kind], query).iter(q(kind)))


def _ids(obj: ET.Element) -> tuple[str | None, str | None]:
    """(QuickBooks id, NG id) of a queried object."""
    ident, external = obj.find(q("Id")), obj.find(q("ExternalKey"))
    qb = (ident.text or "").strip() if ident is not None and ident.get("idDomain") == "QB" \
        else None
    ng = (external.text or "").strip() if external is not None else None
    return qb, ng


def _resolve(element: ET.Element | None, by_ng: dict[str, str]) -> str | None:
    if element is None:
        return None
    value = (element.text or "").strip()
    return value if element.get("idDomain") == "QB" else by_ng.get(value)


def _amount(element: ET.Element | None, tag: str) -> Decimal:
    raw = text(element, tag) or "0"
    try:
        return Decimal(raw)
    except ArithmeticError:
        raise ConnectorError(f"the intermediary answered {tag} {raw!r}, not an amount",
                             code="answer", remedy="Report the answer to the maintainers",
                             sent=True) from None


def books_transactions(client: LegacyClient, settings: LegacySettings,
                       as_of: dt.date | None) -> list[BooksTransaction]:
    customers = {ng: qb for qb, ng in map(_ids, confirmed(client, "Customer"))
                 if qb and ng}
    objects = {kind: confirmed(client, kind) for kind in _KINDS}
    invoices = {ng: qb for qb, ng in map(_ids, objects["Invoice"]) if qb and ng}
    out: list[BooksTransaction] = []
    for kind, found in objects.items():
        for obj in found:
            qb, _ = _ids(obj)
            header = obj.find(q("Header"))
            day = text(header, "TxnDate")
            if qb is None or header is None or day is None:
                continue
            date = dt.date.fromisoformat(day)
            if as_of is not None and date > as_of:
                continue
            number = text(header, "DocNumber")
            lines = obj.findall(q("Line"))
            if kind == "JournalEntry":
                out += _journal(settings, qb, number, date, lines, customers)
                continue
            customer = _resolve(header.find(q("CustomerId")), customers)
            if customer is None:
                continue
            if kind == "Payment":
                applied = tuple(t for t in (_resolve(line.find(q("TxnId")), invoices)
                                            for line in lines) if t)
                out.append(BooksTransaction(
                    remote_id=qb, kind="payment", customer_id=customer, date=date,
                    receivable=-_amount(header, "TotalAmt"), applied_to=applied,
                    number=number))
                continue
            tax = _amount(header, "TaxAmount")
            total = sum((_amount(line, "Amount") for line in lines), ZERO) + tax
            sign = 1 if kind == "Invoice" else -1
            out.append(BooksTransaction(
                remote_id=qb, kind=_KINDS[kind], customer_id=customer, date=date,
                receivable=sign * total, tax=tax, number=number))
    return sorted(out, key=lambda t: (t.date, t.remote_id, t.customer_id))


def _journal(settings: LegacySettings, qb: str, number: str | None, date: dt.date,
             lines: list[ET.Element], customers: dict[str, str]) -> list[BooksTransaction]:
    """The receivable lines of a journal entry, one transaction per customer."""
    if not settings.ar_account_id:
        return []
    effect: dict[str, Decimal] = {}
    for line in lines:
        account = line.find(q("AccountId"))
        if account is None or (account.text or "").strip() != settings.ar_account_id:
            continue
        customer = _resolve(line.find(q("EntityId")), customers)
        if customer is None:
            continue
        sign = 1 if text(line, "PostingType") == "Debit" else -1
        effect[customer] = effect.get(customer, ZERO) + sign * _amount(line, "Amount")
    kind = "refund" if lines and all(text(line, "Desc") == REFUND for line in lines) \
        else "journal_entry"
    return [BooksTransaction(remote_id=qb, kind=kind, customer_id=customer,
                             date=date, receivable=amount, number=number)
            for customer, amount in sorted(effect.items())]
