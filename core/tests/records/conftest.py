"""Sample records for the record tests: one valid record of each kind, with overrides."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from ledgersync._records import (
    AccountType,
    Address,
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

DAY = datetime.date(2024, 3, 1)


class Samples:
    """Builders of valid records; keyword overrides replace fields to make invalid ones."""

    def member(self, **over: Any) -> Member:
        fields: dict[str, Any] = {
            "mms_id": "M-1",
            "display_name": "Ada Lovelace",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.org",
            "billing_address": Address(line1="1 Dock Road", city="Annapolis", country="US"),
        }
        return Member(**{**fields, **over})

    def item(self, **over: Any) -> Item:
        fields: dict[str, Any] = {
            "mms_id": "DUES",
            "name": "Annual dues",
            "income_account_id": "GL-4000",
            "unit_price": "120.00",
        }
        return Item(**{**fields, **over})

    def gl_account(self, **over: Any) -> GLAccount:
        fields: dict[str, Any] = {
            "mms_id": "GL-4000",
            "number": "4000",
            "name": "Dues income",
            "account_type": AccountType.INCOME,
        }
        return GLAccount(**{**fields, **over})

    def tax_rate(self, **over: Any) -> TaxRate:
        fields: dict[str, Any] = {"mms_id": "TX-MD", "name": "Maryland", "rate": "6.000"}
        return TaxRate(**{**fields, **over})

    def terms(self, **over: Any) -> Terms:
        fields: dict[str, Any] = {"mms_id": "NET30", "name": "Net 30", "due_days": 30}
        return Terms(**{**fields, **over})

    def line(self, **over: Any) -> InvoiceLine:
        fields: dict[str, Any] = {
            "item_id": "DUES",
            "quantity": "2",
            "rate": "12.50",
            "amount": "25.00",
        }
        return InvoiceLine(**{**fields, **over})

    def invoice(self, **over: Any) -> Invoice:
        fields: dict[str, Any] = {
            "mms_id": "INV-1",
            "member_id": "M-1",
            "number": "1001",
            "txn_date": DAY,
            "due_date": DAY + datetime.timedelta(days=30),
            "currency": "USD",
            "lines": (
                self.line(),
                self.line(
                    item_id=None,
                    account_id="GL-4100",
                    quantity="1",
                    rate="10",
                    amount="10.00",
                    tax_rate_id="TX-MD",
                    tax_amount="0.60",
                ),
            ),
            "terms_id": "NET30",
        }
        return Invoice(**{**fields, **over})

    def payment(self, **over: Any) -> Payment:
        fields: dict[str, Any] = {
            "mms_id": "PAY-1",
            "member_id": "M-1",
            "number": "CHK 511",
            "txn_date": DAY,
            "currency": "USD",
            "amount": "50.00",
            "method": "check",
            "deposit_account_id": "GL-1000",
            "applications": (
                PaymentApplication(invoice_id="INV-1", amount="35.60"),
                PaymentApplication(invoice_id="INV-2", amount="10.00"),
            ),
        }
        return Payment(**{**fields, **over})

    def credit_memo(self, **over: Any) -> CreditMemo:
        fields: dict[str, Any] = {
            "mms_id": "CM-1",
            "member_id": "M-1",
            "number": "CM1001",
            "txn_date": DAY,
            "currency": "USD",
            "lines": (self.line(),),
            "applied_to_invoice_id": "INV-1",
        }
        return CreditMemo(**{**fields, **over})

    def refund(self, **over: Any) -> Refund:
        fields: dict[str, Any] = {
            "mms_id": "RF-1",
            "member_id": "M-1",
            "txn_date": DAY,
            "currency": "USD",
            "amount": "25.00",
            "from_account_id": "GL-1000",
            "credit_memo_id": "CM-1",
        }
        return Refund(**{**fields, **over})

    def journal_entry(self, **over: Any) -> JournalEntry:
        fields: dict[str, Any] = {
            "mms_id": "JE-1",
            "txn_date": DAY,
            "currency": "USD",
            "lines": (
                JournalLine(account_id="GL-2400", debit="100.00", description="Deferred dues"),
                JournalLine(
                    account_id="GL-4000",
                    credit="100.00",
                    member_id="M-1",
                    dimensions={"class": "Marina", "location": "Dock A"},
                ),
            ),
        }
        return JournalEntry(**{**fields, **over})

    def of_kind(self, kind: str) -> Record:
        builder = getattr(self, kind)
        record: Record = builder()
        return record


@pytest.fixture
def samples() -> Samples:
    return Samples()
