"""Balances read back from Intacct over the XML API, for `ledgersync reconcile`.

Posted GLENTRY lines are read with the ``query`` function (offset paging, 2000 a page) and
summed here: debits minus credits per account number, and the A/R lines per CUSTOMERID. The
receivable transactions join those lines (by BATCHNO) to their GLBATCH headers, whose
REFERENCENO says which MMS record each one is (:mod:`~ledgersync_sage.books`). Account
activity is Intacct's own trial balance (``get_trialbalance`` for a date range), named from
GLACCOUNT. "As of a day" filters on the entry date (GLENTRY ``ENTRY_DATE``, GLBATCH
``BATCH_DATE``), the date the entry posts to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation

from ledgersync import AccountActivity, BooksTransaction

from .books import PostedBatch, PostedLine, TrialBalanceRow, activity, transactions
from .errors import IntacctFailure
from .functions import Filter, get_trialbalance, query
from .gateway import XmlGateway
from .settings import SageSettings

ZERO = Decimal("0.00")
_FORMAT = "%m/%d/%Y"


class Reports:
    def __init__(self, gateway: XmlGateway, settings: SageSettings, *,
                 page_size: int = 2000, as_of_day: dt.date | None = None) -> None:
        self.gateway = gateway
        self.settings = settings
        self.page_size = page_size  # rows a query page holds (Intacct's maximum: 2000)
        self.as_of_day = as_of_day

    def as_of(self, day: dt.date) -> Reports:
        """The same reports, counting entries dated up to ``day`` only."""
        return Reports(self.gateway, self.settings, page_size=self.page_size, as_of_day=day)

    def _where(self, extra: list[Filter], date_field: str) -> Filter:
        where: list[Filter] = [("equalto", "STATE", "Posted"), *extra]
        if self.as_of_day is not None:
            where.append(("lessthanorequalto", date_field, self.as_of_day.strftime(_FORMAT)))
        return ("and", where) if len(where) > 1 else where[0]

    def _lines(self, extra: list[Filter], *more: str) -> Iterator[dict[str, str]]:
        return self.gateway.query_all(
            "GLENTRY", ["RECORDNO", "BATCHNO", "ACCOUNTNO", "TR_TYPE", "AMOUNT", "CUSTOMERID",
                        *more],
            self._where(extra, "ENTRY_DATE"), orderby="RECORDNO", pagesize=self.page_size)

    @staticmethod
    def _signed(row: Mapping[str, str]) -> Decimal:
        amount = Decimal(row.get("AMOUNT") or "0")
        return amount if row.get("TR_TYPE") == "1" else -amount

    def account_balances(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for row in self._lines([]):
            account = row.get("ACCOUNTNO", "")
            out[account] = out.get(account, ZERO) + self._signed(row)
        return out

    def customer_balances(self) -> dict[str, Decimal]:
        """A/R per customer: the A/R account's lines by CUSTOMERID."""
        out: dict[str, Decimal] = {}
        rows = self._lines([("equalto", "ACCOUNTNO", self.settings.ar_account)])
        for row in rows:
            customer = row.get("CUSTOMERID") or ""
            if customer:
                out[customer] = out.get(customer, ZERO) + self._signed(row)
        return out

    def books_transactions(self) -> list[BooksTransaction]:
        """The posted entries that move a customer's receivable (see :mod:`.books`)."""
        accounts: list[Filter] = [("equalto", "ACCOUNTNO", self.settings.ar_account)]
        if self.settings.tax_payable_account:
            accounts.append(("equalto", "ACCOUNTNO", self.settings.tax_payable_account))
        condition: Filter = ("or", accounts) if len(accounts) > 1 else accounts[0]
        rows = list(self._lines([condition], "DOCUMENT"))
        wanted = {row.get("BATCHNO", "") for row in rows if row.get("CUSTOMERID")}
        if not wanted:
            return []
        # Lines name their entry by BATCHNO; the ledger links the entry's RECORDNO.
        headers = {row.get("BATCHNO", ""): row for row in self.gateway.query_all(
            "GLBATCH", ["RECORDNO", "BATCHNO", "BATCH_DATE", "REFERENCENO"],
            self._where([], "BATCH_DATE"), orderby="RECORDNO", pagesize=self.page_size)
            if row.get("BATCHNO") in wanted}
        batches = [PostedBatch(key=row["RECORDNO"], date=_day(row.get("BATCH_DATE", "")),
                               number=number or None, reference=row.get("REFERENCENO") or None)
                   for number, row in headers.items()]
        lines = [PostedLine(batch=headers[row["BATCHNO"]]["RECORDNO"],
                            account=row.get("ACCOUNTNO", ""), signed=self._signed(row),
                            customer=row.get("CUSTOMERID") or None,
                            document=row.get("DOCUMENT") or None)
                 for row in rows if row.get("BATCHNO") in headers]
        return transactions(self.settings, batches, lines)

    def account_activity(self, start: dt.date | None, end: dt.date) -> list[AccountActivity]:
        """Intacct's trial balance from ``start`` to ``end``. With ``start`` None (balances as
        of ``end``) the period starts at the first posted entry, so the debits and credits
        are every one posted; a starting balance left (none in a company whose entries all
        came through the API) is folded into its side."""
        if start is not None and start > end:
            raise IntacctFailure(f"the period starts on {start} after it ends on {end}",
                                 level="local", sent=False)
        first = start or min(self._first_day(), end)
        result = self.gateway.one(get_trialbalance("ls-trialbalance", first, end),
                                  unique_id=False)
        rows = [TrialBalanceRow(account=row.get("glaccountno", ""),
                                start_balance=_money(row, "startbalance"),
                                debits=_money(row, "debits") + _money(row, "adjdebits"),
                                credits=_money(row, "credits") + _money(row, "adjcredits"),
                                end_balance=_money(row, "endbalance"))
                for row in result.records()]
        names = {row.get("ACCOUNTNO", ""): row.get("TITLE", "")
                 for row in self.gateway.query_all("GLACCOUNT", ["ACCOUNTNO", "TITLE"],
                                                   pagesize=self.page_size)}
        return activity(self.settings, rows, names, since_beginning=start is None)

    def _first_day(self) -> dt.date:
        """The date of the earliest posted entry (today's date stands in for none)."""
        result = self.gateway.one(query(
            "ls-query-first-entry", "GLBATCH", ["BATCH_DATE"], ("equalto", "STATE", "Posted"),
            pagesize=1, orderby="BATCH_DATE"), unique_id=False)
        rows = result.records()
        return _day(rows[0]["BATCH_DATE"]) if rows else dt.date.max


def _day(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, _FORMAT).date()  # noqa: DTZ007 - a date only
    except ValueError:
        raise IntacctFailure(f"Intacct answered a journal entry date {value!r} that is not "
                             "mm/dd/yyyy", level="result", sent=False) from None


def _money(row: Mapping[str, str], field: str) -> Decimal:
    try:
        return Decimal(row.get(field) or "0")
    except InvalidOperation:
        raise IntacctFailure(f"the trial balance's {field} for account "
                             f"{row.get('glaccountno', '?')} is not a number: "
                             f"{row.get(field)!r}", level="result", sent=False) from None
