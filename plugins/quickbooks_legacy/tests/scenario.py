"""A small, dated club year for the reconciliation tests (the sandbox's clock starts on
March 2, 2026): three members, two January invoices (one taxed), a February invoice and a
February payment, taken through both stages. "As of January 31" sees the January invoices
only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from ledgersync import (
    Invoice,
    InvoiceLine,
    Item,
    ItemFilter,
    Ledger,
    Member,
    Payment,
    PaymentApplication,
    Record,
    TaxRate,
)
from ledgersync.demo.dataset import ACCOUNTS
from ledgersync_quickbooks_legacy.sandbox import Sandbox

COMPANY = "club"
JANUARY_31 = dt.date(2026, 1, 31)
TAX = TaxRate(mms_id="TAX-STATE", name="State sales tax", rate=D("6"))
MEMBERS = tuple(Member(mms_id=f"M-{n}", display_name=f"Member {n}") for n in (1, 2, 3))
ITEMS = (Item(mms_id="DUES", name="Dues", income_account_id="4000"),
         Item(mms_id="SLIP", name="Slip", income_account_id="4100", taxable=True))


def invoice(mms_id: str, member: str, day: dt.date, amount: str, tax: str = "0") -> Invoice:
    item = "SLIP" if D(tax) else "DUES"
    return Invoice(mms_id=mms_id, member_id=member, number=mms_id, txn_date=day,
                   currency="USD", lines=(InvoiceLine(
                       item_id=item, quantity=D(1), rate=D(amount), amount=D(amount),
                       tax_rate_id="TAX-STATE" if D(tax) else None, tax_amount=D(tax)),))


INVOICES = (invoice("INV-1", "M-1", dt.date(2026, 1, 5), "450.00"),
            invoice("INV-2", "M-2", dt.date(2026, 1, 6), "200.00", "12.00"),
            invoice("INV-3", "M-1", dt.date(2026, 2, 3), "450.00"))
PAYMENT = Payment(mms_id="PAY-1", member_id="M-1", number="PAY-1",
                  txn_date=dt.date(2026, 2, 10), currency="USD", amount=D("450.00"),
                  applications=(PaymentApplication(invoice_id="INV-1", amount=D("450.00")),))


def records() -> list[Record]:
    return [*ACCOUNTS, TAX, *MEMBERS, *ITEMS, *INVOICES, PAYMENT]


def settle(ledger: Ledger, sandbox: Sandbox, *, rounds: int = 3) -> None:
    """Stage what is due, let the desktop sync, confirm; again for what waited on a QB id."""
    for _ in range(rounds):
        ledger.sync(COMPANY)
        sandbox.run_desktop()
        ledger.confirm_staged(COMPANY)


def link(ledger: Ledger, kind: str, mms_id: str) -> str:
    """The QuickBooks id the ledger links a record to."""
    ids = {item.external_id for item in ledger.items(
        ItemFilter(company=COMPANY, kind=kind, mms_id=mms_id), limit=None)
        if item.external_id and item.operation == "create"}
    assert len(ids) == 1, ids
    return ids.pop()
