"""A harbor whose books tie out: three members, GL accounts, a sales tax, invoices (one taxed)
and a payment, all synced to the fake books. Each test then creates one cause of a
difference in the books (or the ledger) and reads what `reconcile` makes of it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import ledgersync
from ledgersync import Ledger

D = Decimal
DAY = dt.date(2026, 3, 2)


def invoice(mms_id: str, member: str, amount: str, *, day: dt.date = DAY,
            tax: str | None = None, account: str = "4000") -> ledgersync.Invoice:
    line: dict[str, Any] = {"account_id": account, "quantity": D(1), "rate": D(amount),
                            "amount": D(amount)}
    if tax is not None:
        line.update(tax_rate_id="TX", tax_amount=D(tax))
    return ledgersync.Invoice(mms_id=mms_id, member_id=member, number=mms_id, txn_date=day,
                              currency="USD", lines=[ledgersync.InvoiceLine(**line)])


def payment(mms_id: str, member: str, invoice_id: str, amount: str, *,
            day: dt.date = dt.date(2026, 3, 10)) -> ledgersync.Payment:
    return ledgersync.Payment(
        mms_id=mms_id, member_id=member, txn_date=day, currency="USD", amount=D(amount),
        applications=[ledgersync.PaymentApplication(invoice_id=invoice_id, amount=D(amount))])


@pytest.fixture
def harbor(world: Any) -> Ledger:
    ledger: Ledger = world.open(map_accounts=False)
    ledger.record([
        ledgersync.GLAccount(mms_id="1000", number="1000", name="Bank", account_type="bank"),
        ledgersync.GLAccount(mms_id="4000", number="4000", name="Dues income",
                             account_type="income"),
        ledgersync.TaxRate(mms_id="TX", name="County tax", rate=D("8.25")),
        ledgersync.Member(mms_id="M1", display_name="Ada"),
        ledgersync.Member(mms_id="M2", display_name="Bo"),
        ledgersync.Member(mms_id="M3", display_name="Cy"),
        invoice("I1", "M1", "100.00", tax="8.25"),
        invoice("I2", "M2", "80.00"),
        invoice("I3", "M1", "40.00"),
        payment("P1", "M1", "I1", "50.00"),
    ])
    ledger.sync("harbor")
    return ledger


def explanations(report: Any) -> list[Any]:
    return [e for row in (getattr(report, "customers", None) or report.accounts)
            for e in row.explanations]
