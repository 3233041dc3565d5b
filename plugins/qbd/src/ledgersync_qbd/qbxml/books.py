"""What `ledgersync reconcile` reads from QuickBooks Desktop: the queries, and their answers
turned into rows kept in the company's state (JSON-ready) until the connector answers from them.

Two reads, each a few requests of one message set (see :mod:`ledgersync_qbd.qbwc.reads`):

* **transactions**: the receivable queries ``InvoiceQueryRq``, ``CreditMemoQueryRq``,
  ``ReceivePaymentQueryRq``, ``ARRefundCreditCardQueryRq``, ``CheckQueryRq`` (a refund of an
  overpayment is a check against Accounts Receivable, see :mod:`.transactions`) and
  ``JournalEntryQueryRq``, each with ``IncludeLineItems`` (credit memos also
  ``IncludeLinkedTxns``: the invoice a credit was applied to), paged with iterators; plus
  ``AccountQueryRq`` (which accounts are receivable) and ``ItemSalesTaxQueryRq`` (which lines
  are sales tax). Every date is read, without a ``TxnDateRangeFilter``: a reconciliation as of
  a date also asks for every date (is a transaction missing as of the date dated later in the
  books, or gone?), and one read answers both in one Web Connector update; each transaction
  carries its ``TxnDate``, so "as of" is applied to the rows;
* **account activity**: ``GeneralSummaryReportQueryRq`` of the ``TrialBalance`` for the period,
  and for a period with a start, a second one as of the day before it: the Trial Balance shows
  balance-sheet accounts as of its end date and income and expense accounts for its range, so a
  balance-sheet account's activity is the difference of the two; plus ``AccountQueryRq`` for
  each account's type and special type (the role ledgersync gives it).

Element order follows the qbXML 13.0 schema (``TxnDateRangeFilter`` before ``IncludeLineItems``,
``ReportPeriod`` after ``GeneralSummaryReportType``); a test checks every request against the
schema facts the sandbox keeps.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from ..xmlsafe import Element, text_of
from .lists import PAGE
from .refs import sub

#: label -> (query, QuickBooks transaction type) of the receivable transactions.
TXN_QUERIES: dict[str, tuple[str, str]] = {
    "invoices": ("InvoiceQueryRq", "Invoice"),
    "credit_memos": ("CreditMemoQueryRq", "CreditMemo"),
    "payments": ("ReceivePaymentQueryRq", "ReceivePayment"),
    "refunds": ("ARRefundCreditCardQueryRq", "ARRefundCreditCard"),
    "checks": ("CheckQueryRq", "Check"),
    "journal_entries": ("JournalEntryQueryRq", "JournalEntry"),
}
#: The labels of each read, in the order they are sent.
TRANSACTION_LABELS = (*TXN_QUERIES, "accounts", "tax_items")
ACTIVITY_LABELS = ("closing", "opening", "accounts")
#: The queries that are paged (qbXML 13.0 gives them ``iterator``).
ITERATED_LABELS = frozenset({*TXN_QUERIES, "tax_items"})
KINDS = {"Invoice": "invoice", "CreditMemo": "credit_memo", "ReceivePayment": "payment",
         "ARRefundCreditCard": "refund", "Check": "refund", "JournalEntry": "journal_entry"}
#: Account types whose Trial Balance figure is a balance as of the end date.
BALANCE_SHEET = frozenset({
    "AccountsPayable", "AccountsReceivable", "Bank", "CreditCard", "Equity", "FixedAsset",
    "LongTermLiability", "OtherAsset", "OtherCurrentAsset", "OtherCurrentLiability",
})
_ZERO = Decimal("0.00")


def labels_of(read: dict[str, Any]) -> tuple[str, ...]:
    if read["kind"] == "transactions":
        return TRANSACTION_LABELS
    return ACTIVITY_LABELS if read.get("start") else ("closing", "accounts")


def request(read: dict[str, Any], label: str, iterator_id: str | None = None) -> Element:
    """The query of ``label`` for ``read`` (a continuation page when ``iterator_id``)."""
    if label == "accounts":
        rq = Element("AccountQueryRq")
        sub(rq, "ActiveStatus", "All")  # an inactive account may still hold a balance
        return rq
    if label == "tax_items":
        rq = _paged("ItemSalesTaxQueryRq", iterator_id)
        if iterator_id is None:
            sub(rq, "ActiveStatus", "All")
        return rq
    if label in TXN_QUERIES:
        rq = _paged(TXN_QUERIES[label][0], iterator_id)
        if iterator_id is None:
            sub(rq, "IncludeLineItems", "true")
            if label == "credit_memos":
                sub(rq, "IncludeLinkedTxns", "true")
        return rq
    rq = Element("GeneralSummaryReportQueryRq")
    sub(rq, "GeneralSummaryReportType", "TrialBalance")
    period = sub(rq, "ReportPeriod")
    if label == "opening":
        before = dt.date.fromisoformat(str(read["start"])) - dt.timedelta(days=1)
        sub(period, "ToReportDate", before.isoformat())
    else:
        if read.get("start"):
            sub(period, "FromReportDate", str(read["start"]))
        sub(period, "ToReportDate", str(read["end"]))
    sub(rq, "ReportBasis", "Accrual")
    return rq


def _paged(tag: str, iterator_id: str | None) -> Element:
    if iterator_id is None:
        rq = Element(tag, {"iterator": "Start"})
    else:
        rq = Element(tag, {"iterator": "Continue", "iteratorID": iterator_id})
    sub(rq, "MaxReturned", str(PAGE))
    return rq


# -- answers as JSON-ready rows -----------------------------------------------------------------


def answer_rows(label: str, rets: tuple[Element, ...]) -> list[dict[str, Any]]:
    """What the answer to ``label`` says, in a form kept in the company's state."""
    if label == "accounts":
        return [_account(ret) for ret in rets if ret.tag == "AccountRet"]
    if label == "tax_items":
        return [{"list_id": text_of(ret, "ListID"), "name": text_of(ret, "Name")}
                for ret in rets]
    if label in ("closing", "opening"):
        return trial_balance_rows(rets[0]) if rets else []
    return [_txn(ret) for ret in rets]


def _account(ret: Element) -> dict[str, Any]:
    return {"list_id": text_of(ret, "ListID"),
            "name": text_of(ret, "FullName") or text_of(ret, "Name"),
            "account_type": text_of(ret, "AccountType"),
            "special": text_of(ret, "SpecialAccountType")}


def _txn(ret: Element) -> dict[str, Any]:
    lines = []
    for line in ret:
        tag = str(line.tag)
        if not tag.endswith("LineRet") and tag not in ("JournalDebitLine", "JournalCreditLine"):
            continue
        lines.append({
            "item": text_of(line, "ItemRef/ListID"),
            "account": text_of(line, "AccountRef/ListID"),
            "customer": text_of(line, "CustomerRef/ListID") or text_of(line, "EntityRef/ListID"),
            "amount": text_of(line, "Amount") or "0",
            "credit": tag == "JournalCreditLine",
        })
    applied = [text_of(a, "TxnID") for a in ret
               if a.tag in ("AppliedToTxnRet", "RefundAppliedToTxnRet")
               and _money(text_of(a, "Amount") or text_of(a, "RefundAmount")) != _ZERO]
    linked = [text_of(a, "TxnID") for a in ret.findall("LinkedTxn")
              if text_of(a, "TxnType") == "Invoice"]
    subtotal = text_of(ret, "Subtotal")
    total = (text_of(ret, "TotalAmount") or text_of(ret, "Amount")
             or (str(_money(subtotal) + _money(text_of(ret, "SalesTaxTotal")))
                 if subtotal is not None else None))
    return {
        "txn_id": text_of(ret, "TxnID"), "type": str(ret.tag).removesuffix("Ret"),
        "customer": text_of(ret, "CustomerRef/ListID"), "date": text_of(ret, "TxnDate"),
        "number": text_of(ret, "RefNumber"), "total": total,
        "tax_total": text_of(ret, "SalesTaxTotal") or "0", "memo": text_of(ret, "Memo") or "",
        "applied_to": [t for t in [*applied, *linked] if t], "lines": lines,
    }


def trial_balance_rows(ret: Element) -> list[dict[str, Any]]:
    """(account name, debit, credit) of each account row of a Trial Balance ``ReportRet``,
    its columns found by their ``ColType`` (Label, Debit, Credit)."""
    columns = {text_of(desc, "ColType"): desc.get("colID") for desc in ret.findall("ColDesc")}
    data = ret.find("ReportData")
    rows = []
    for row in data.findall("DataRow") if data is not None else []:
        row_data = row.find("RowData")
        values = {col.get("colID"): col.get("value") for col in row.findall("ColData")}
        name = (row_data.get("value") if row_data is not None else None) \
            or values.get(columns.get("Label"))
        if not name or (row_data is not None and row_data.get("rowType") != "account"):
            continue
        rows.append({"name": name,
                     "debit": values.get(columns.get("Debit")) or "0",
                     "credit": values.get(columns.get("Credit")) or "0"})
    return rows


def _money(value: str | None) -> Decimal:
    try:
        return Decimal(value) if value else _ZERO
    except InvalidOperation:
        return _ZERO


# -- rows the connector answers with -------------------------------------------------------------


def books_rows(parts: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each receivable transaction as a :class:`ledgersync.BooksTransaction`'s fields (strings
    for amounts and dates), from the answers of one transactions read."""
    receivable = {a["list_id"] for a in parts.get("accounts", [])
                  if a.get("account_type") == "AccountsReceivable"}
    tax_items = {t["list_id"] for t in parts.get("tax_items", [])}
    out: list[dict[str, Any]] = []
    for label in TXN_QUERIES:
        for txn in parts.get(label, []):
            out.extend(_books_row(txn, receivable, tax_items))
    return out


def _books_row(txn: dict[str, Any], receivable: set[str], tax_items: set[str]
               ) -> list[dict[str, Any]]:
    kind = KINDS[txn["type"]]
    lines = txn["lines"]
    total = _money(txn["total"])
    voided = str(txn.get("memo", "")).startswith("VOID:") and total == _ZERO
    effects: dict[str, Decimal] = {}
    if txn["type"] in ("Check", "JournalEntry"):
        # Only the lines on Accounts Receivable move a customer's balance.
        for line in lines:
            if line["account"] in receivable and line["customer"]:
                amount = _money(line["amount"]) * (-1 if line["credit"] else 1)
                effects[line["customer"]] = effects.get(line["customer"], _ZERO) + amount
        if not effects and not (voided and txn["type"] == "JournalEntry"):
            return []  # a check or journal entry that does not touch receivable
    elif txn["customer"]:
        if txn["type"] == "ReceivePayment" and total == _ZERO and not txn["applied_to"]:
            return []  # the zero-amount payment that applies a credit memo moves nothing
        sign = -1 if txn["type"] in ("CreditMemo", "ReceivePayment") else 1
        effects[txn["customer"]] = sign * total
    tax = _money(txn["tax_total"]) + sum(
        (_money(line["amount"]) for line in lines if line["item"] in tax_items), _ZERO)
    base = {"remote_id": txn["txn_id"], "kind": kind, "date": txn["date"],
            "tax": str(tax if not voided else _ZERO), "applied_to": txn["applied_to"],
            "number": txn["number"], "voided": voided}
    if voided and not effects:
        customer = txn["customer"] or next((ln["customer"] for ln in lines if ln["customer"]),
                                           None)
        return [{**base, "customer_id": customer, "receivable": "0.00"}] if customer else []
    return [{**base, "customer_id": customer, "receivable": str(_ZERO if voided else amount)}
            for customer, amount in effects.items()]


def activity_rows(parts: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Debit and credit per account over the read's period (see the module docstring)."""
    accounts = {a["name"]: a for a in parts.get("accounts", []) if a.get("name")}
    closing = {r["name"]: _money(r["debit"]) - _money(r["credit"])
               for r in parts.get("closing", [])}
    opening = {r["name"]: _money(r["debit"]) - _money(r["credit"])
               for r in parts.get("opening", [])}
    out = []
    for name in sorted(set(accounts) | set(closing), key=str.casefold):
        account = accounts.get(name, {})
        net = closing.get(name, _ZERO)
        if account.get("account_type") in BALANCE_SHEET:
            net -= opening.get(name, _ZERO)
        out.append({"account_id": name, "name": name, "list_id": account.get("list_id"),
                    "debit": str(net if net > 0 else _ZERO),
                    "credit": str(-net if net < 0 else _ZERO),
                    "role": role_of(account)})
    return out


def role_of(account: dict[str, Any]) -> str | None:
    """Which of ledgersync's implicit accounts this is (:class:`ledgersync.AccountRole`)."""
    if account.get("account_type") == "AccountsReceivable":
        return "receivable"
    if account.get("special") == "UndepositedFunds":
        return "undeposited_funds"
    if account.get("special") == "SalesTaxPayable":
        return "tax_payable"
    return None
