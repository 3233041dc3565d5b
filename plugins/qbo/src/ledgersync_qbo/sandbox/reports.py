"""The Reports API: ``GET /v3/company/{realm}/reports/{ReportName}``.

Two reports, computed from the stored transactions' postings (:mod:`.postings`):

* ``GeneralLedger``: one section per account with activity, each transaction of the period a
  ``Data`` row, a ``Beginning Balance`` row first when the account had a balance before
  ``start_date`` (income and expense accounts start again each fiscal year), and a
  ``Total for ...`` summary. ``columns`` picks the columns (``debt_amt``, ``credit_amt``,
  ``subt_nat_amount`` ...); the ``ColType`` of each column is its key.
* ``TrialBalance``: each account's balance as of ``end_date`` on its debit or credit side:
  balance-sheet accounts since the beginning, income and expense accounts since the start of
  the fiscal year, earlier years' profit in a ``Retained Earnings`` row; a ``GrandTotal``.

The answer is the report object itself (``Header``, ``Columns``, ``Rows`` with ``ColData``),
not wrapped in an entity key. Dates are ``YYYY-MM-DD`` and ``start_date`` may not be after
``end_date``; an unknown report, a bad date, an unknown column or date macro is refused.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults
from .postings import Posting, all_postings
from .store import iso_s

if TYPE_CHECKING:
    from .company import Company

__all__ = ["REPORTS", "run_report"]

Obj = dict[str, Any]
ZERO = Decimal("0")
REPORTS = ("GeneralLedger", "TrialBalance")

#: GeneralLedger column keys Intuit documents, with their titles.
GL_COLUMNS = {
    "account_name": "Account", "chk_print_state": "Check Printed", "create_by": "Created By",
    "create_date": "Create Date", "cust_name": "Customer", "doc_num": "Num",
    "emp_name": "Employee", "inv_date": "Invoice Date", "is_adj": "Adj",
    "is_ap_paid": "A/P Paid", "is_ar_paid": "A/R Paid", "is_cleared": "Clr",
    "item_name": "Product/Service", "last_mod_by": "Last Modified By",
    "last_mod_date": "Last Modified", "memo": "Memo/Description", "name": "Name",
    "quantity": "Qty", "rate": "Rate", "split_acc": "Split", "tx_date": "Date",
    "txn_type": "Transaction Type", "vend_name": "Vendor", "debt_amt": "Debit",
    "credit_amt": "Credit", "subt_nat_amount": "Amount", "rbal_nat_amount": "Balance",
}
GL_DEFAULT_COLUMNS = ("tx_date", "txn_type", "doc_num", "name", "memo", "split_acc",
                      "subt_nat_amount", "rbal_nat_amount")
_MONEY_COLUMNS = frozenset({"debt_amt", "credit_amt", "subt_nat_amount", "rbal_nat_amount"})
_PROFIT_AND_LOSS = frozenset({"Income", "Other Income", "Expense", "Other Expense",
                              "Cost of Goods Sold"})
_TYPE_ORDER = ("Bank", "Accounts Receivable", "Other Current Asset", "Fixed Asset",
               "Other Asset", "Accounts Payable", "Credit Card", "Other Current Liability",
               "Long Term Liability", "Equity", "Income", "Cost of Goods Sold", "Expense",
               "Other Income", "Other Expense")
_TXN_TYPES = {"Invoice": "Invoice", "Payment": "Payment", "CreditMemo": "Credit Memo",
              "RefundReceipt": "Refund", "JournalEntry": "Journal Entry"}
_MACROS = ("today", "yesterday", "this month", "this month-to-date", "last month",
           "this fiscal year", "this fiscal year-to-date", "last fiscal year")


def run_report(co: Company, name: str, params: Mapping[str, str]) -> Obj:
    report = next((r for r in REPORTS if r.lower() == name.lower()), None)
    if report is None:
        raise faults.unsupported_operation(f"Could not find resource for relative : /reports/"
                                           f"{name}")
    method = params.get("accounting_method", "Accrual")
    if method.lower() not in ("accrual", "cash"):
        raise faults.invalid_enumeration("accounting_method", method)
    if method.lower() == "cash":
        raise faults.unsupported_operation("accounting_method=Cash (the sandbox keeps accrual "
                                           "books only)")
    start, end, macro = _period(co, params)
    with co.lock:
        postings = list(all_postings(co))
        accounts = {a["Id"]: a for a in co.store.all("Account")}
        customers = {c["Id"]: c for c in co.store.all("Customer")}
        if report == "GeneralLedger":
            columns = _columns(params.get("columns"))
            wanted = _ids(params.get("account"))
            rows = _general_ledger(co, postings, accounts, customers, start, end, columns,
                                   wanted)
            column_defs = [{"ColTitle": GL_COLUMNS[c], "ColType": c,
                            "MetaData": [{"Name": "ColKey", "Value": c}]} for c in columns]
        else:
            rows = _trial_balance(co, postings, accounts, end)
            column_defs = [{"ColTitle": "", "ColType": "Account"},
                           {"ColTitle": "Debit", "ColType": "Money"},
                           {"ColTitle": "Credit", "ColType": "Money"}]
        header: Obj = {"Time": iso_s(co.now()), "ReportName": report,
                       "ReportBasis": "Accrual", "StartPeriod": start.isoformat(),
                       "EndPeriod": end.isoformat(), "Currency": "USD",
                       "Option": [{"Name": "NoReportData",
                                   "Value": "false" if rows else "true"}]}
        if macro is not None:
            header["DateMacro"] = macro
        return {"Header": header, "Columns": {"Column": column_defs},
                "Rows": {"Row": rows} if rows else {}}


# -- parameters -----------------------------------------------------------------------------------


def _date(params: Mapping[str, str], key: str) -> date | None:
    raw = params.get(key)
    if raw is None:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise faults.invalid_report_date(key, raw) from None


def _period(co: Company, params: Mapping[str, str]) -> tuple[date, date, str | None]:
    start, end = _date(params, "start_date"), _date(params, "end_date")
    today = co.today()
    macro = params.get("date_macro")
    if macro is not None and start is None and end is None:
        if macro.lower() not in _MACROS:
            raise faults.invalid_enumeration("date_macro", macro)
        start, end = _macro(macro.lower(), today)
        return start, end, macro.lower()
    if start is None and end is None:
        return today.replace(day=1), today, "this month-to-date"
    if start is None:
        assert end is not None
        start = end.replace(day=1)
    if end is None:
        end = today
    if start > end:
        raise faults.invalid_report_date("start_date", start.isoformat(),
                                         f"start_date {start} is after end_date {end}")
    return start, end, None


def _macro(macro: str, today: date) -> tuple[date, date]:
    year_start = today.replace(month=1, day=1)
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "this month": (month_start, today.replace(
            day=calendar.monthrange(today.year, today.month)[1])),
        "this month-to-date": (month_start, today),
        "last month": (last_month_end.replace(day=1), last_month_end),
        "this fiscal year": (year_start, today.replace(month=12, day=31)),
        "this fiscal year-to-date": (year_start, today),
        "last fiscal year": (year_start.replace(year=today.year - 1),
                             year_start - timedelta(days=1)),
    }[macro]


def _columns(raw: str | None) -> tuple[str, ...]:
    if raw is None or not raw.strip():
        return GL_DEFAULT_COLUMNS
    columns = tuple(c.strip() for c in raw.split(",") if c.strip())
    for column in columns:
        if column not in GL_COLUMNS:
            raise faults.invalid_enumeration("columns", column)
    return columns


def _ids(raw: str | None) -> frozenset[str] | None:
    if raw is None or not raw.strip():
        return None
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


# -- rows -----------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _account_key(account: Obj) -> tuple[int, str]:
    kind = str(account.get("AccountType"))
    order = _TYPE_ORDER.index(kind) if kind in _TYPE_ORDER else len(_TYPE_ORDER)
    return order, str(account.get("Name", "")).casefold()


def _fiscal_start(co: Company, day: date) -> date:
    """The first day of the fiscal year holding ``day`` (CompanyInfo.FiscalYearStartMonth)."""
    info = co.store.get("CompanyInfo", "1") or {}
    name = str(info.get("FiscalYearStartMonth", "January"))
    month = list(calendar.month_name).index(name) if name in calendar.month_name else 1
    year = day.year if day.month >= month else day.year - 1
    return date(year, month, 1)


def _opening(co: Company, account: Obj, start: date) -> date | None:
    """From which date the balance before ``start`` counts (None: since the beginning)."""
    return _fiscal_start(co, start) if account.get("AccountType") in _PROFIT_AND_LOSS else None


def _general_ledger(co: Company, postings: list[Posting], accounts: Mapping[str, Obj],
                    customers: Mapping[str, Obj], start: date, end: date,
                    columns: tuple[str, ...], wanted: frozenset[str] | None) -> list[Obj]:
    by_txn: dict[tuple[str, str], list[Posting]] = defaultdict(list)
    by_account: dict[str, list[Posting]] = defaultdict(list)
    for posting in postings:
        by_txn[(posting.entity, posting.txn_id)].append(posting)
        by_account[posting.account_id].append(posting)
    sections: list[Obj] = []
    for account in sorted((accounts[a] for a in by_account if a in accounts),
                          key=_account_key):
        if wanted is not None and account["Id"] not in wanted:
            continue
        opening_from = _opening(co, account, start)
        before = [p for p in by_account[account["Id"]]
                  if p.txn_date < start.isoformat()
                  and (opening_from is None or p.txn_date >= opening_from.isoformat())]
        within = sorted((p for p in by_account[account["Id"]]
                         if start.isoformat() <= p.txn_date <= end.isoformat()),
                        key=lambda p: (p.txn_date, int(p.txn_id) if p.txn_id.isdigit() else 0))
        balance = sum((p.debit - p.credit for p in before), ZERO)
        if not within and not balance:
            continue
        rows: list[Obj] = []
        if balance:
            rows.append({"type": "Data", "ColData": [
                {"value": "Beginning Balance"} if i == 0 else
                {"value": _money(balance) if c == "rbal_nat_amount" else ""}
                for i, c in enumerate(columns)]})
        debit = credit = ZERO
        for posting in within:
            balance += posting.debit - posting.credit
            debit += posting.debit
            credit += posting.credit
            others = [p for p in by_txn[(posting.entity, posting.txn_id)]
                      if p.account_id != posting.account_id]
            rows.append({"type": "Data", "ColData": [
                _cell(c, posting, account, accounts, customers, others, balance)
                for c in columns]})
        totals = {"debt_amt": debit, "credit_amt": credit, "subt_nat_amount": debit - credit,
                  "rbal_nat_amount": balance}
        name = str(account["Name"])
        sections.append({
            "type": "Section",
            "Header": {"ColData": [{"value": name, "id": account["Id"]}]
                       + [{"value": ""} for _ in columns[1:]]},
            "Rows": {"Row": rows},
            "Summary": {"ColData": [{"value": f"Total for {name}"}] + [
                {"value": _money(totals[c]) if c in totals else ""} for c in columns[1:]]},
        })
    return sections


def _cell(column: str, posting: Posting, account: Obj, accounts: Mapping[str, Obj],
          customers: Mapping[str, Obj], others: Iterable[Posting], balance: Decimal) -> Obj:
    customer = customers.get(posting.customer_id or "")
    if column == "tx_date":
        return {"value": posting.txn_date}
    if column == "txn_type":
        return {"value": _TXN_TYPES[posting.entity], "id": posting.txn_id}
    if column == "doc_num":
        return {"value": posting.doc_number}
    if column in ("name", "cust_name"):
        if customer is None:
            return {"value": ""}
        return {"value": str(customer.get("DisplayName")), "id": customer["Id"]}
    if column == "memo":
        return {"value": posting.memo}
    if column == "account_name":
        return {"value": str(account["Name"]), "id": account["Id"]}
    if column == "split_acc":
        split = {p.account_id for p in others}
        if len(split) != 1:
            return {"value": "-Split-"}
        other = accounts.get(next(iter(split)), {})
        return {"value": str(other.get("Name", "")), "id": str(other.get("Id", ""))}
    if column == "debt_amt":
        return {"value": _money(posting.debit) if posting.debit else ""}
    if column == "credit_amt":
        return {"value": _money(posting.credit) if posting.credit else ""}
    if column == "subt_nat_amount":
        return {"value": _money(posting.debit - posting.credit)}
    if column == "rbal_nat_amount":
        return {"value": _money(balance)}
    return {"value": ""}  # documented columns the sandbox keeps nothing for


def _trial_balance(co: Company, postings: list[Posting], accounts: Mapping[str, Obj],
                   end: date) -> list[Obj]:
    year_start = _fiscal_start(co, end).isoformat()
    balances: dict[str, Decimal] = defaultdict(lambda: ZERO)
    retained = ZERO
    for posting in postings:
        if posting.txn_date > end.isoformat() or posting.account_id not in accounts:
            continue
        amount = posting.debit - posting.credit
        profit_and_loss = accounts[posting.account_id].get("AccountType") in _PROFIT_AND_LOSS
        if profit_and_loss and posting.txn_date < year_start:
            retained += amount
        else:
            balances[posting.account_id] += amount
    rows: list[Obj] = []
    total_debit = total_credit = ZERO
    for account in sorted((accounts[a] for a, v in balances.items() if v), key=_account_key):
        amount = balances[account["Id"]]
        total_debit += max(amount, ZERO)
        total_credit += max(-amount, ZERO)
        rows.append({"ColData": [{"value": str(account["Name"]), "id": account["Id"]},
                                 {"value": _money(amount) if amount > 0 else ""},
                                 {"value": _money(-amount) if amount < 0 else ""}]})
    if retained:
        total_debit += max(retained, ZERO)
        total_credit += max(-retained, ZERO)
        rows.append({"ColData": [{"value": "Retained Earnings"},
                                 {"value": _money(retained) if retained > 0 else ""},
                                 {"value": _money(-retained) if retained < 0 else ""}]})
    if rows:
        rows.append({"group": "GrandTotal", "type": "Section", "Summary": {"ColData": [
            {"value": "TOTAL"}, {"value": _money(total_debit)},
            {"value": _money(total_credit)}]}})
    return rows
