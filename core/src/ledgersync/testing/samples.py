"""A small, realistic set of records of every kind, for contract tests and examples."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .._records import (
    CreditMemo,
    GLAccount,
    Invoice,
    InvoiceLine,
    Item,
    JournalEntry,
    JournalLine,
    Member,
    Payment,
    PaymentApplication,
    Record,
    Refund,
    TaxRate,
    Terms,
)

D = Decimal


def sample_records(day: dt.date = dt.date(2026, 3, 2)) -> list[Record]:
    """One member's year in miniature: reference data, an invoice with tax, a part payment,
    a credit memo and its refund, and the journal entry behind a deposit.

    Ordered as an MMS might record them, not in dependency order, so a contract test also
    proves the engine orders the exports.
    """
    return [
        Invoice(
            mms_id="INV-9001", member_id="M-9001", number="9001", txn_date=day,
            due_date=day + dt.timedelta(days=30), currency="USD", terms_id="NET30",
            lines=(
                InvoiceLine(item_id="SLIP-30", description="Slip rental 30ft, March",
                            quantity=D("1"), rate=D("180.00"), amount=D("180.00"),
                            tax_rate_id="TAX-6.25", tax_amount=D("11.25")),
                InvoiceLine(item_id="DUES", description="Annual dues", quantity=D("1"),
                            rate=D("450.00"), amount=D("450.00")),
            ),
        ),
        Member(mms_id="M-9001", display_name="Ada Keel", first_name="Ada", last_name="Keel",
               email="ada.keel@example.org", account_number="9001"),
        GLAccount(mms_id="4000", number="4000", name="Dues income", account_type="income"),
        GLAccount(mms_id="4100", number="4100", name="Slip income", account_type="income"),
        GLAccount(mms_id="1000", number="1000", name="Operating bank", account_type="bank"),
        TaxRate(mms_id="TAX-6.25", name="State sales tax", rate=D("6.25")),
        Terms(mms_id="NET30", name="Net 30", due_days=30),
        Item(mms_id="SLIP-30", name="Slip rental 30ft", income_account_id="4100",
             unit_price=D("180.00"), taxable=True),
        Item(mms_id="DUES", name="Annual dues", income_account_id="4000",
             unit_price=D("450.00")),
        Payment(mms_id="PAY-9001", member_id="M-9001", txn_date=day + dt.timedelta(days=5),
                currency="USD", amount=D("300.00"), method="card", deposit_account_id="1000",
                applications=(PaymentApplication(invoice_id="INV-9001", amount=D("300.00")),)),
        CreditMemo(mms_id="CM-9001", member_id="M-9001", number="CM9001",
                   txn_date=day + dt.timedelta(days=6), currency="USD",
                   lines=(InvoiceLine(item_id="SLIP-30", description="Storm closure credit",
                                      quantity=D("1"), rate=D("50.00"), amount=D("50.00")),)),
        Refund(mms_id="RF-9001", member_id="M-9001", number="RF9001",
               txn_date=day + dt.timedelta(days=7), currency="USD", amount=D("50.00"),
               method="check", from_account_id="1000", credit_memo_id="CM-9001"),
        JournalEntry(mms_id="JE-9001", number="JE9001", txn_date=day + dt.timedelta(days=8),
                     currency="USD", lines=(
                         JournalLine(account_id="1000", debit=D("300.00"),
                                     description="Card deposit"),
                         JournalLine(account_id="4000", credit=D("300.00"),
                                     member_id="M-9001", description="Card deposit"),
                     )),
    ]
