"""GeneralSummaryReportQueryRq: the Trial Balance, computed from the stored transactions.

What each transaction posts (QuickBooks' own double entries for them):

* an invoice debits its A/R account with its total and credits each line's account (the
  ``OverrideItemAccountRef``, else the item's income account; a sales-tax item's line goes to
  the sales tax liability); a credit memo is the mirror image;
* a payment debits its deposit account (Undeposited Funds when none is named) and credits A/R;
* a credit-card refund debits A/R and credits the account it was paid from;
* a check credits its bank account and debits each expense line's account;
* a journal entry posts its lines. Voided transactions post nothing; deleted ones are gone.

The Trial Balance shows balance-sheet accounts (assets, liabilities, equity) as of
``ToReportDate`` and income and expense accounts for ``FromReportDate``..``ToReportDate``,
each in its Debit or Credit column, accounts with nothing posted left out. ``ReportPeriod``
with a From date after the To date is 3030, as QuickBooks answers. Only ``TrialBalance`` and
the ``ReportPeriod`` filter are modelled: another report type, a ``ReportDateMacro`` or a
report filter is answered 1030 (not supported by this implementation), never a made-up report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from .context import Context, Handler, Outcome, account_type, date_of
from .status import INVALID_DATE_RANGE, UNSUPPORTED_MESSAGE, QbError
from .store import ZERO, ListRecord, Store, TxnRecord
from .xml import Element, money, sub, text_of

BALANCE_SHEET = frozenset({
    "AccountsPayable", "AccountsReceivable", "Bank", "CreditCard", "Equity", "FixedAsset",
    "LongTermLiability", "OtherAsset", "OtherCurrentAsset", "OtherCurrentLiability",
})
_MODELLED_FILTERS = frozenset({"GeneralSummaryReportType", "DisplayReport", "ReportPeriod",
                               "ReportBasis", "ReturnRows", "ReturnColumns", "ReportCalendar"})


def special_account(store: Store, special: str) -> ListRecord | None:
    for record in store.lists_of(("Account",)):
        found = record.fields.get("SpecialAccountType")
        if found and (found[0].text or "").strip() == special:
            return record
    return None


def _item_account(store: Store, item_id: str | None) -> str | None:
    item = store.lists.get(item_id or "")
    if item is None:
        return None
    if item.list_type == "ItemSalesTax":
        liability = special_account(store, "SalesTaxPayable")
        return liability.list_id if liability else None
    for tag in ("SalesOrPurchase", "SalesAndPurchase"):
        for block in item.fields.get(tag, []):
            for ref_tag in ("AccountRef", "IncomeAccountRef"):
                found = block.find(ref_tag)
                if found is None:
                    continue
                # The item was added naming its account by ListID or by FullName.
                account = store.find_list(("Account",), list_id=text_of(found, "ListID"),
                                          full_name=text_of(found, "FullName"))
                if account is not None:
                    return account.list_id
    return None


def _ar(store: Store, txn: TxnRecord) -> str | None:
    if "ARAccountRef" in txn.refs:
        return txn.refs["ARAccountRef"]
    found = special_account(store, "AccountsReceivable")
    if found is not None:
        return found.list_id
    return next((a.list_id for a in store.lists_of(("Account",))
                 if account_type(a) == "AccountsReceivable"), None)


def postings(store: Store, txn: TxnRecord) -> list[tuple[str, Decimal]]:
    """(account ListID, debit - credit) of every entry ``txn`` posts."""
    if txn.voided:
        return []
    out: list[tuple[str | None, Decimal]] = []
    kind = txn.txn_type
    if kind in ("Invoice", "CreditMemo"):
        sign = Decimal(1) if kind == "Invoice" else Decimal(-1)
        out.append((_ar(store, txn), sign * txn.total))
        for line in txn.lines:
            account = line.refs.get("OverrideItemAccountRef") or _item_account(
                store, line.refs.get("ItemRef"))
            out.append((account, -sign * line.amount))
    elif kind == "ReceivePayment":
        deposit = txn.refs.get("DepositToAccountRef")
        if deposit is None:
            funds = special_account(store, "UndepositedFunds")
            deposit = funds.list_id if funds else None
        out += [(deposit, txn.total), (_ar(store, txn), -txn.total)]
    elif kind == "ARRefundCreditCard":
        out += [(_ar(store, txn), txn.total), (txn.refs.get("RefundFromAccountRef"), -txn.total)]
    elif kind == "Check":
        out.append((txn.refs.get("AccountRef"), -txn.total))
        out += [(line.refs.get("AccountRef"), line.amount) for line in txn.lines]
    elif kind == "JournalEntry":
        out += [(line.refs.get("AccountRef"),
                 line.amount if line.kind == "JournalDebitLine" else -line.amount)
                for line in txn.lines]
    return [(account, amount) for account, amount in out if account is not None and amount]


def trial_balance(store: Store, start: date | None, end: date | None) -> dict[str, Decimal]:
    """Net debit per account ListID: balance-sheet accounts up to ``end``, the others from
    ``start`` to ``end`` (see the module docstring)."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for txn in store.txns.values():
        if end is not None and txn.txn_date > end:
            continue
        before = start is not None and txn.txn_date < start
        for account_id, amount in postings(store, txn):
            account = store.lists.get(account_id)
            if before and (account is None or account_type(account) not in BALANCE_SHEET):
                continue
            totals[account_id] += amount
    return {k: v for k, v in totals.items() if v != ZERO}


def general_summary_report(ctx: Context, rq: Element) -> Outcome:
    report_type = text_of(rq, "GeneralSummaryReportType")
    present = {str(child.tag) for child in rq}
    if report_type != "TrialBalance" or present - _MODELLED_FILTERS:
        raise QbError(UNSUPPORTED_MESSAGE)
    period = rq.find("ReportPeriod")
    start = end = None
    if period is not None:
        if text_of(period, "FromReportDate") is not None:
            start = date_of(period, "FromReportDate", date.min)
        if text_of(period, "ToReportDate") is not None:
            end = date_of(period, "ToReportDate", date.max)
    if start is not None and end is not None and start > end:
        raise QbError(INVALID_DATE_RANGE)
    basis = text_of(rq, "ReportBasis") or "Accrual"
    if basis == "Cash":
        raise QbError(UNSUPPORTED_MESSAGE)  # cash basis is not modelled
    totals = trial_balance(ctx.store, start, end)
    accounts = sorted((ctx.store.lists[k] for k in totals if k in ctx.store.lists),
                      key=lambda a: a.full_name.casefold())
    return Outcome([_report(accounts, totals, end or ctx.store.now().date())])


def _report(accounts: Iterable[ListRecord], totals: dict[str, Decimal], end: date) -> Element:
    ret = Element("ReportRet")
    sub(ret, "ReportTitle", "Trial Balance")
    sub(ret, "ReportSubtitle", f"As of {end:%B} {end.day}, {end.year}")
    sub(ret, "ReportBasis", "Accrual")
    rows = list(accounts)
    sub(ret, "NumRows", str(len(rows) + 1))
    sub(ret, "NumColumns", "3")
    sub(ret, "NumColTitleRows", "1")
    for col_id, (title, col_type, data_type) in enumerate(
            (("", "Label", "STRTYPE"), ("Debit", "Debit", "AMTTYPE"),
             ("Credit", "Credit", "AMTTYPE")), start=1):
        desc = sub(ret, "ColDesc")
        desc.set("colID", str(col_id))
        desc.set("dataType", data_type)
        heading = sub(desc, "ColTitle")
        heading.set("titleRow", "1")
        if title:
            heading.set("value", title)
        sub(desc, "ColType", col_type)
    data = sub(ret, "ReportData")
    debit_total = credit_total = ZERO
    number = 0
    for number, account in enumerate(rows, start=1):
        net = totals[account.list_id]
        row = sub(data, "DataRow")
        row.set("rowNumber", str(number))
        _row_data(row, "account", account.full_name)
        _col(row, 1, account.full_name)
        if net > 0:
            _col(row, 2, money(net))
            debit_total += net
        else:
            _col(row, 3, money(-net))
            credit_total -= net
    total = sub(data, "TotalRow")
    total.set("rowNumber", str(number + 1))
    _col(total, 1, "TOTAL")
    _col(total, 2, money(debit_total))
    _col(total, 3, money(credit_total))
    return ret


def _row_data(row: Element, row_type: str, value: str) -> None:
    data = sub(row, "RowData")
    data.set("rowType", row_type)
    data.set("value", value)


def _col(row: Element, col_id: int, value: str) -> None:
    col = sub(row, "ColData")
    col.set("colID", str(col_id))
    col.set("value", value)


HANDLERS: dict[str, Handler] = {"GeneralSummaryReportQueryRq": general_summary_report}
