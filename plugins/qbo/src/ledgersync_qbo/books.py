"""What QuickBooks Online answers for `ledgersync reconcile`: its receivable transactions as of
a date (from the query API) and its debits and credits per account (from the Reports API).

Receivable transactions: every Invoice, Payment, CreditMemo, RefundReceipt and JournalEntry
with ``TxnDate <= as_of`` (all of them without a date), read page by page (``ORDERBY Id``
with ``STARTPOSITION``; reads are retried by the client). Signs as the books count them: an
invoice raises the customer's balance; a payment and a credit memo lower it; a journal entry
moves it by its Accounts Receivable lines that name a customer (one transaction per customer
on it), and is the ``refund`` the ledger links when the exporter wrote it for one; a refund
receipt reverses a sale and never touches A/R, so it is listed with a zero receivable. QBO
shows a voided invoice or payment with every amount zero and ``Voided`` in front of its
``PrivateNote``; it is listed with ``voided=True``. A zero-total payment that is not voided
is how QBO applies a credit memo to an invoice: it moves no receivable and is left out.

Account activity: with a start date, the ``GeneralLedger`` report with the ``debt_amt`` and
``credit_amt`` columns, summed per account section (the ``Beginning Balance`` row is the
balance before the period, not activity in it). Without one, the same report from
:data:`BEGINNING`, so every account's debits and credits since the books began; QBO's
``TrialBalance`` would not do, since it shows balances and restarts income and expense
accounts at each fiscal year. Each account's :class:`~ledgersync.AccountRole` comes from its
``AccountType`` / ``AccountSubType``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgersync import AccountActivity, AccountRole, BooksTransaction

from .client import QboClient
from .errors import QboError

Obj = dict[str, Any]
ZERO = Decimal("0.00")
#: The first day asked for when activity "since the beginning" is wanted: the Reports API
#: documents no earliest date, and no QuickBooks Online company has books before this.
BEGINNING = dt.date(1900, 1, 1)
_KINDS = {"Invoice": "invoice", "Payment": "payment", "CreditMemo": "credit_memo",
          "RefundReceipt": "refund", "JournalEntry": "journal_entry"}
_COLUMNS = "tx_date,txn_type,doc_num,debt_amt,credit_amt"
#: The note the exporter writes on a refund it books as a journal entry (mapping.marker).
_REFUND_NOTE = re.compile(r"(?:^|\s)mms:refund:\S")


# -- receivable transactions ----------------------------------------------------------------------


def books_transactions(client: QboClient, as_of: dt.date | None) -> list[BooksTransaction]:
    """``as_of`` None: every transaction, future-dated ones too, as the customers' ``Balance``
    counts them (and as the ledger side of a reconcile without a date does)."""
    receivable_accounts = {str(a["Id"]) for a in client.query_all(
        "Account", "AccountType = 'Accounts Receivable'", include_inactive=True)}
    out: list[BooksTransaction] = []
    conditions = [] if as_of is None else [f"TxnDate <= '{as_of.isoformat()}'"]
    for entity, kind in _KINDS.items():
        for obj in client.query_all(entity, *conditions):
            out.extend(_transactions(entity, kind, obj, receivable_accounts))
    return out


def is_voided(obj: Mapping[str, Any]) -> bool:
    """QBO's voided invoice or payment: total zero and "Voided" opening its PrivateNote."""
    note = obj.get("PrivateNote")
    return (_amount(obj.get("TotalAmt")) == 0 and isinstance(note, str)
            and note.startswith("Voided"))


def _transactions(entity: str, kind: str, obj: Obj, receivable_accounts: set[str]
                  ) -> Iterator[BooksTransaction]:
    voided = is_voided(obj)
    if entity == "JournalEntry" and _REFUND_NOTE.search(str(obj.get("PrivateNote") or "")):
        kind = "refund"  # refund_style "journal_entry": the ledger links it as the refund
    common: dict[str, Any] = {
        "remote_id": str(obj["Id"]), "kind": kind,
        "date": dt.date.fromisoformat(str(obj["TxnDate"])[:10]),
        "number": str(obj["DocNumber"]) if obj.get("DocNumber") else None,
        "voided": voided}
    if entity == "JournalEntry":
        for name, amount in _journal_receivable(obj, receivable_accounts).items():
            yield BooksTransaction(customer_id=name, receivable=amount, **common)
        return
    customer = _ref(obj, "CustomerRef")
    if customer is None:
        return  # a refund receipt for no customer: nobody's receivable
    total = _amount(obj.get("TotalAmt"))
    if entity == "Payment" and total == 0 and not voided:
        return  # a credit memo applied to an invoice (see the module docstring)
    sign = {"Invoice": 1, "Payment": -1, "CreditMemo": -1, "RefundReceipt": 0}[entity]
    tax = _amount((obj.get("TxnTaxDetail") or {}).get("TotalTax"))
    applied = tuple(str(link["TxnId"]) for line in obj.get("Line") or []
                    for link in line.get("LinkedTxn") or []
                    if entity == "Payment" and link.get("TxnType") == "Invoice")
    yield BooksTransaction(customer_id=customer, receivable=ZERO if voided else sign * total,
                           tax=tax, applied_to=applied, **common)


def _journal_receivable(obj: Obj, receivable_accounts: set[str]) -> dict[str, Decimal]:
    effect: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in obj.get("Line") or []:
        detail = line.get("JournalEntryLineDetail") or {}
        entity = detail.get("Entity") or {}
        customer = _ref(entity, "EntityRef") if entity.get("Type") == "Customer" else None
        if customer is None or _ref(detail, "AccountRef") not in receivable_accounts:
            continue
        amount = _amount(line.get("Amount"))
        effect[customer] += amount if detail.get("PostingType") == "Debit" else -amount
    return dict(effect)


def balances(transactions: list[BooksTransaction]) -> dict[str, Decimal]:
    """Receivable per customer id: the books' A/R aging total as of the transactions' date."""
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for txn in transactions:
        out[txn.customer_id] += txn.receivable
    return dict(out)


# -- account activity -----------------------------------------------------------------------------


def role_of(account: Mapping[str, Any]) -> AccountRole | None:
    if account.get("AccountType") == "Accounts Receivable":
        return AccountRole.RECEIVABLE
    subtype = account.get("AccountSubType")
    if subtype == "UndepositedFunds":
        return AccountRole.UNDEPOSITED_FUNDS
    if subtype == "SalesTaxPayable":
        return AccountRole.TAX_PAYABLE
    return None


def account_activity(client: QboClient, start: dt.date | None, end: dt.date
                     ) -> list[AccountActivity]:
    first = start or BEGINNING
    if first > end:
        raise ValueError(f"the period starts on {first} after it ends on {end}")
    accounts = {str(a["Id"]): a for a in client.query_all("Account", include_inactive=True)}
    report = client.report("GeneralLedger", {
        "start_date": first.isoformat(), "end_date": end.isoformat(),
        "accounting_method": "Accrual", "columns": _COLUMNS})
    keys = _column_keys(report)
    totals: dict[str, list[Decimal]] = {}
    names: dict[str, str] = {}
    for account_id, name, row in _data_rows(report.get("Rows") or {}):
        values = dict(zip(keys, row.get("ColData") or [], strict=False))
        if not (values.get("txn_type") or {}).get("id"):
            continue  # "Beginning Balance" and other rows that are no transaction
        sums = totals.setdefault(account_id, [ZERO, ZERO])
        sums[0] += _amount((values.get("debt_amt") or {}).get("value"))
        sums[1] += _amount((values.get("credit_amt") or {}).get("value"))
        names[account_id] = name
    out: list[AccountActivity] = []
    for account_id, (debit, credit) in totals.items():
        account = accounts.get(account_id, {})
        out.append(AccountActivity(account_id=account_id,
                                   name=str(account.get("Name") or names[account_id]),
                                   debit=debit, credit=credit, role=role_of(account)))
    # The implicit accounts are answered even when quiet, so a missing posting shows as a
    # difference against zero rather than as an account the books do not know.
    for account_id, account in accounts.items():
        role = role_of(account)
        if role is not None and account_id not in totals and account.get("Active", True):
            out.append(AccountActivity(account_id=account_id, name=str(account.get("Name")),
                                       role=role))
    return sorted(out, key=lambda a: (len(a.account_id), a.account_id))


def _column_keys(report: Obj) -> list[str]:
    keys: list[str] = []
    for column in (report.get("Columns") or {}).get("Column") or []:
        meta = {m.get("Name"): m.get("Value") for m in column.get("MetaData") or []}
        keys.append(str(meta.get("ColKey") or column.get("ColType") or ""))
    if "debt_amt" not in keys or "credit_amt" not in keys or "txn_type" not in keys:
        raise QboError("QuickBooks answered the GeneralLedger report without the txn_type, "
                       "debt_amt and credit_amt columns asked for", code="http-200",
                       status=200)
    return keys


def _data_rows(rows: Obj, account: tuple[str, str] | None = None
               ) -> Iterator[tuple[str, str, Obj]]:
    """Each Data row with the account of the innermost section holding it (sub-accounts
    are sections inside their parent's)."""
    for row in rows.get("Row") or []:
        if row.get("type") == "Section" or "Header" in row or "Rows" in row:
            head = ((row.get("Header") or {}).get("ColData") or [{}])[0]
            here = (str(head["id"]), str(head.get("value", ""))) if head.get("id") else account
            yield from _data_rows(row.get("Rows") or {}, here)
        elif account is not None and row.get("ColData"):
            yield account[0], account[1], row


def _ref(obj: Mapping[str, Any] | None, key: str) -> str | None:
    ref = (obj or {}).get(key)
    value = ref.get("value") if isinstance(ref, dict) else ref
    return None if value in (None, "") else str(value)


def _amount(value: Any) -> Decimal:
    if value in (None, ""):
        return ZERO
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise QboError(f"QuickBooks answered an amount that is not a number: {value!r}",
                       code="http-200", status=200) from None
