"""A small, dated club year for the reconciliation tests: three members, two December
invoices (one taxed), a January invoice and a January payment. "As of December 31" sees the
December invoices only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import attrs

from ledgersync import (
    Invoice,
    InvoiceLine,
    Item,
    Ledger,
    Member,
    Payment,
    PaymentApplication,
    Record,
    TaxRate,
)
from ledgersync.demo.dataset import ACCOUNTS

DECEMBER_31 = dt.date(2026, 12, 31)
TAX = TaxRate(mms_id="TAX", name="State sales tax", rate=D("6"))
MEMBERS = tuple(Member(mms_id=f"M-{n}", display_name=f"Member {n}") for n in (1, 2, 3))
ITEMS = (Item(mms_id="DUES", name="Dues", income_account_id="4000"),
         Item(mms_id="SLIP", name="Slip", income_account_id="4100", taxable=True))


def invoice(mms_id: str, member: str, day: dt.date, amount: str, tax: str = "0",
            *, voided: bool = False) -> Invoice:
    item = "SLIP" if D(tax) else "DUES"
    return Invoice(mms_id=mms_id, member_id=member, number=mms_id.removeprefix("INV-"),
                   txn_date=day, currency="USD", voided=voided, lines=(InvoiceLine(
                       item_id=item, quantity=D(1), rate=D(amount), amount=D(amount),
                       tax_rate_id="TAX" if D(tax) else None, tax_amount=D(tax)),))


INVOICES = (invoice("INV-1", "M-1", dt.date(2026, 12, 5), "450.00"),
            invoice("INV-2", "M-2", dt.date(2026, 12, 6), "200.00", "12.00"),
            invoice("INV-3", "M-3", dt.date(2027, 1, 3), "450.00"))
PAYMENT = Payment(mms_id="PAY-1", member_id="M-1", txn_date=dt.date(2027, 1, 10),
                  currency="USD", amount=D("450.00"),
                  applications=(PaymentApplication(invoice_id="INV-1", amount=D("450.00")),))


def records() -> list[Record]:
    return [*ACCOUNTS, TAX, *MEMBERS, *ITEMS, *INVOICES, PAYMENT]


def voided(record: Invoice) -> Invoice:
    return attrs.evolve(record, voided=True)


def link(ledger: Ledger, company: str, kind: str, mms_id: str) -> str:
    """The remote id the ledger links a record to."""
    from ledgersync import ItemFilter

    ids = {item.external_id for item in ledger.items(
        ItemFilter(company=company, kind=kind, mms_id=mms_id), limit=None)
        if item.external_id and item.operation == "create"}
    assert len(ids) == 1, ids
    return ids.pop()
