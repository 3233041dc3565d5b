"""Transactions: invoices, payments, credit memos, refunds and journal entries.

Their lines live in ``lines.py``; each transaction checks its own lines (see there why).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import ClassVar

import attrs

from .base import (
    MAX_DOC_NUMBER_LENGTH,
    Reference,
    Transaction,
    check_date,
    check_id,
    check_positive_money,
    check_text,
    exact_sum,
    fail,
    ref,
    to_decimal,
    to_optional_text,
    to_text,
    unique_references,
)
from .lines import (
    InvoiceLine,
    JournalLine,
    PaymentApplication,
    check_invoice_lines,
    check_journal_line,
    invoice_line_references,
    invoice_lines_total,
    to_applications,
    to_invoice_lines,
    to_journal_lines,
)

__all__ = [
    "CreditMemo",
    "Invoice",
    "InvoiceLine",
    "JournalEntry",
    "JournalLine",
    "Payment",
    "PaymentApplication",
    "Refund",
]


def _check_number(record: Transaction, value: object, *, required: bool) -> None:
    check_text(record, "number", value, required=required, max_length=MAX_DOC_NUMBER_LENGTH)


@attrs.frozen(kw_only=True)
class Invoice(Transaction):
    """A bill to a member: dues, fees, rentals."""

    kind: ClassVar[str] = "invoice"

    member_id: str = attrs.field(converter=to_text)
    number: str = attrs.field(converter=to_text)
    due_date: datetime.date | None = None
    lines: tuple[InvoiceLine, ...] = attrs.field(converter=to_invoice_lines)
    terms_id: str | None = attrs.field(default=None, converter=to_optional_text)
    memo: str | None = attrs.field(default=None, converter=to_optional_text)

    def _check(self) -> None:
        super()._check()
        check_id(self, "member_id", self.member_id)
        _check_number(self, self.number, required=True)
        due = check_date(self, "due_date", self.due_date, required=False)
        if due is not None and due < self.txn_date:
            fail(self, "due_date", f"{due} is before the invoice date {self.txn_date}")
        check_invoice_lines(self, self.lines)
        check_id(self, "terms_id", self.terms_id, required=False)
        check_text(self, "memo", self.memo, required=False)

    def total(self) -> Decimal:
        return invoice_lines_total(self.lines)

    def customer_mms_id(self) -> str:
        return self.member_id

    def references(self) -> tuple[Reference, ...]:
        return unique_references(
            [
                ref("member", self.member_id, "member_id"),
                *invoice_line_references(self.lines),
                ref("terms", self.terms_id, "terms_id"),
            ]
        )


@attrs.frozen(kw_only=True)
class Payment(Transaction):
    """Money received from a member, applied to none, some or all of their invoices."""

    kind: ClassVar[str] = "payment"

    member_id: str = attrs.field(converter=to_text)
    number: str | None = attrs.field(default=None, converter=to_optional_text)
    amount: Decimal = attrs.field(converter=to_decimal)
    method: str | None = attrs.field(default=None, converter=to_optional_text)
    deposit_account_id: str | None = attrs.field(default=None, converter=to_optional_text)
    applications: tuple[PaymentApplication, ...] = attrs.field(
        default=(), converter=to_applications
    )

    def _check(self) -> None:
        super()._check()
        check_id(self, "member_id", self.member_id)
        _check_number(self, self.number, required=False)
        amount = check_positive_money(self, "amount", self.amount, self.currency)
        check_text(self, "method", self.method, required=False)
        check_id(self, "deposit_account_id", self.deposit_account_id, required=False)
        first_at: dict[str, int] = {}
        for i, application in enumerate(self.applications):
            at = f"applications[{i}]"
            if not isinstance(application, PaymentApplication):
                fail(self, at, f"expected a PaymentApplication, got {type(application).__name__}")
            check_id(self, f"{at}.invoice_id", application.invoice_id)
            if application.invoice_id in first_at:
                fail(
                    self,
                    f"{at}.invoice_id",
                    f"invoice {application.invoice_id!r} is already applied at "
                    f"applications[{first_at[application.invoice_id]}]",
                )
            first_at[application.invoice_id] = i
            check_positive_money(self, f"{at}.amount", application.amount, self.currency)
        applied = exact_sum(a.amount for a in self.applications)
        if applied > amount:
            fail(
                self,
                "applications",
                f"applications total {applied}, more than the payment amount {amount}",
            )

    def total(self) -> Decimal:
        return self.amount

    def unapplied(self) -> Decimal:
        """The part of the payment not applied to any invoice (a credit on the member)."""
        return self.amount - exact_sum(a.amount for a in self.applications)

    def customer_mms_id(self) -> str:
        return self.member_id

    def references(self) -> tuple[Reference, ...]:
        return unique_references(
            [
                ref("member", self.member_id, "member_id"),
                ref("gl_account", self.deposit_account_id, "deposit_account_id"),
                *(
                    ref("invoice", a.invoice_id, f"applications[{i}].invoice_id")
                    for i, a in enumerate(self.applications)
                ),
            ]
        )


@attrs.frozen(kw_only=True)
class CreditMemo(Transaction):
    """A credit to a member, optionally applied to one invoice."""

    kind: ClassVar[str] = "credit_memo"

    member_id: str = attrs.field(converter=to_text)
    number: str = attrs.field(converter=to_text)
    lines: tuple[InvoiceLine, ...] = attrs.field(converter=to_invoice_lines)
    applied_to_invoice_id: str | None = attrs.field(default=None, converter=to_optional_text)
    memo: str | None = attrs.field(default=None, converter=to_optional_text)

    def _check(self) -> None:
        super()._check()
        check_id(self, "member_id", self.member_id)
        _check_number(self, self.number, required=True)
        check_invoice_lines(self, self.lines)
        check_id(self, "applied_to_invoice_id", self.applied_to_invoice_id, required=False)
        check_text(self, "memo", self.memo, required=False)

    def total(self) -> Decimal:
        return invoice_lines_total(self.lines)

    def customer_mms_id(self) -> str:
        return self.member_id

    def references(self) -> tuple[Reference, ...]:
        return unique_references(
            [
                ref("member", self.member_id, "member_id"),
                *invoice_line_references(self.lines),
                ref("invoice", self.applied_to_invoice_id, "applied_to_invoice_id"),
            ]
        )


@attrs.frozen(kw_only=True)
class Refund(Transaction):
    """Money paid back to a member from a bank account, optionally against a credit memo."""

    kind: ClassVar[str] = "refund"

    member_id: str = attrs.field(converter=to_text)
    number: str | None = attrs.field(default=None, converter=to_optional_text)
    amount: Decimal = attrs.field(converter=to_decimal)
    method: str | None = attrs.field(default=None, converter=to_optional_text)
    from_account_id: str = attrs.field(converter=to_text)
    credit_memo_id: str | None = attrs.field(default=None, converter=to_optional_text)
    memo: str | None = attrs.field(default=None, converter=to_optional_text)

    def _check(self) -> None:
        super()._check()
        check_id(self, "member_id", self.member_id)
        _check_number(self, self.number, required=False)
        check_positive_money(self, "amount", self.amount, self.currency)
        check_text(self, "method", self.method, required=False)
        check_id(self, "from_account_id", self.from_account_id)
        check_id(self, "credit_memo_id", self.credit_memo_id, required=False)
        check_text(self, "memo", self.memo, required=False)

    def total(self) -> Decimal:
        return self.amount

    def customer_mms_id(self) -> str:
        return self.member_id

    def references(self) -> tuple[Reference, ...]:
        return unique_references(
            [
                ref("member", self.member_id, "member_id"),
                ref("gl_account", self.from_account_id, "from_account_id"),
                ref("credit_memo", self.credit_memo_id, "credit_memo_id"),
            ]
        )


@attrs.frozen(kw_only=True)
class JournalEntry(Transaction):
    """A balanced set of debits and credits, e.g. deferred dues recognised monthly."""

    kind: ClassVar[str] = "journal_entry"

    number: str | None = attrs.field(default=None, converter=to_optional_text)
    lines: tuple[JournalLine, ...] = attrs.field(converter=to_journal_lines)
    memo: str | None = attrs.field(default=None, converter=to_optional_text)

    @property
    def member_id(self) -> None:
        """A journal entry belongs to no single member (its lines may name several)."""
        return None

    def _check(self) -> None:
        super()._check()
        _check_number(self, self.number, required=False)
        if len(self.lines) < 2:
            fail(self, "lines", f"a journal entry needs at least two lines, got {len(self.lines)}")
        for i, line in enumerate(self.lines):
            check_journal_line(self, f"lines[{i}]", line)
        check_text(self, "memo", self.memo, required=False)
        debits = exact_sum(line.debit for line in self.lines)
        credits = exact_sum(line.credit for line in self.lines)
        if debits != credits:
            fail(self, "lines", f"debits {debits} do not equal credits {credits}")

    def total(self) -> Decimal:
        return exact_sum(line.debit for line in self.lines)

    def references(self) -> tuple[Reference, ...]:
        refs: list[Reference | None] = []
        for i, line in enumerate(self.lines):
            refs.append(ref("gl_account", line.account_id, f"lines[{i}].account_id"))
            refs.append(ref("member", line.member_id, f"lines[{i}].member_id"))
        return unique_references(refs)
