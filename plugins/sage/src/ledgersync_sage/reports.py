"""Balances read back from Intacct, for `ledgersync reconcile` and the per-account tie-out.

Posted GLENTRY lines are read with the ``query`` function (offset paging, 2000 a page) and
summed here: debits minus credits per account number, and the A/R lines per CUSTOMERID.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal

from .functions import Filter
from .gateway import XmlGateway
from .settings import SageSettings

ZERO = Decimal("0.00")


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

    def _lines(self, extra: list[Filter]) -> Iterator[dict[str, str]]:
        where: list[Filter] = [("equalto", "STATE", "Posted"), *extra]
        if self.as_of_day is not None:
            where.append(("lessthanorequalto", "ENTRY_DATE",
                          self.as_of_day.strftime("%m/%d/%Y")))
        return self.gateway.query_all(
            "GLENTRY", ["RECORDNO", "ACCOUNTNO", "TR_TYPE", "AMOUNT", "CUSTOMERID"],
            ("and", where) if len(where) > 1 else where[0], orderby="RECORDNO",
            pagesize=self.page_size)

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
