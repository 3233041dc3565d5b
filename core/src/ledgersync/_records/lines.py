"""The lines of transactions, and their checks.

Lines carry no checks of their own: the parent checks them, so that an error names the parent
record and the line's index (``invoice 'INV-7': lines[2].quantity: must not be negative``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs

from .base import (
    Dimensions,
    Reference,
    Transaction,
    check_id,
    check_money,
    check_rate,
    check_text,
    exact_sum,
    fail,
    multiply,
    ref,
    round_to_currency,
    to_decimal,
    to_dimensions,
    to_optional_text,
    to_text,
)


@attrs.frozen(kw_only=True)
class InvoiceLine:
    """One line of an invoice or credit memo: an item or a GL account, quantity x rate."""

    item_id: str | None = attrs.field(default=None, converter=to_optional_text)
    account_id: str | None = attrs.field(default=None, converter=to_optional_text)
    description: str | None = attrs.field(default=None, converter=to_optional_text)
    quantity: Decimal = attrs.field(converter=to_decimal)
    rate: Decimal = attrs.field(converter=to_decimal)
    amount: Decimal = attrs.field(converter=to_decimal)
    tax_rate_id: str | None = attrs.field(default=None, converter=to_optional_text)
    tax_amount: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)


@attrs.frozen(kw_only=True)
class PaymentApplication:
    """The part of a payment applied to one invoice."""

    invoice_id: str = attrs.field(converter=to_text)
    amount: Decimal = attrs.field(converter=to_decimal)


@attrs.frozen(kw_only=True)
class JournalLine:
    """One debit or credit of a journal entry, optionally for a member and with dimensions.

    ``dimensions`` (class, location, department, ...) accepts a mapping or (name, value) pairs
    and is kept as pairs sorted by name, so that it is hashable and order carries no meaning.
    """

    account_id: str = attrs.field(converter=to_text)
    debit: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    credit: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    member_id: str | None = attrs.field(default=None, converter=to_optional_text)
    description: str | None = attrs.field(default=None, converter=to_optional_text)
    dimensions: Dimensions = attrs.field(default=(), converter=to_dimensions)


def to_invoice_lines(value: Iterable[InvoiceLine]) -> tuple[InvoiceLine, ...]:
    return tuple(value)


def to_applications(value: Iterable[PaymentApplication]) -> tuple[PaymentApplication, ...]:
    return tuple(value)


def to_journal_lines(value: Iterable[JournalLine]) -> tuple[JournalLine, ...]:
    return tuple(value)


# ---------------------------------------------------------------------------------- invoice lines


def check_invoice_lines(record: Transaction, lines: tuple[InvoiceLine, ...]) -> None:
    if not lines:
        fail(record, "lines", "at least one line is required")
    for i, line in enumerate(lines):
        _check_invoice_line(record, f"lines[{i}]", line)


def _check_invoice_line(record: Transaction, at: str, line: object) -> None:
    if not isinstance(line, InvoiceLine):
        fail(record, at, f"expected an InvoiceLine, got {type(line).__name__}")
    check_id(record, f"{at}.item_id", line.item_id, required=False)
    check_id(record, f"{at}.account_id", line.account_id, required=False)
    if line.item_id is None and line.account_id is None:
        fail(record, at, "a line with no item or account; give item_id or account_id")
    check_text(record, f"{at}.description", line.description, required=False)
    quantity = check_rate(record, f"{at}.quantity", line.quantity)
    # Negative rates and amounts are legitimate: discount lines.
    rate = check_rate(record, f"{at}.rate", line.rate, signed=True)
    amount = check_money(record, f"{at}.amount", line.amount, record.currency, signed=True)
    expected = round_to_currency(multiply(quantity, rate), record.currency)
    if amount != expected:
        problem = f"expected {expected} (quantity {quantity} x rate {rate}), given {amount}"
        fail(record, f"{at}.amount", problem)
    check_id(record, f"{at}.tax_rate_id", line.tax_rate_id, required=False)
    tax = check_money(record, f"{at}.tax_amount", line.tax_amount, record.currency)
    if tax > 0 and line.tax_rate_id is None:
        fail(record, f"{at}.tax_rate_id", "a line with a tax_amount needs a tax_rate_id")


def invoice_line_references(lines: tuple[InvoiceLine, ...]) -> list[Reference | None]:
    refs: list[Reference | None] = []
    for i, line in enumerate(lines):
        refs.append(ref("item", line.item_id, f"lines[{i}].item_id"))
        refs.append(ref("gl_account", line.account_id, f"lines[{i}].account_id"))
        refs.append(ref("tax_rate", line.tax_rate_id, f"lines[{i}].tax_rate_id"))
    return refs


def invoice_lines_total(lines: tuple[InvoiceLine, ...]) -> Decimal:
    """Sum of amount + tax_amount over the lines."""
    return exact_sum(exact_sum((line.amount, line.tax_amount)) for line in lines)


# ---------------------------------------------------------------------------------- journal lines


def check_journal_line(record: Transaction, at: str, line: object) -> None:
    if not isinstance(line, JournalLine):
        fail(record, at, f"expected a JournalLine, got {type(line).__name__}")
    check_id(record, f"{at}.account_id", line.account_id)
    debit = check_money(record, f"{at}.debit", line.debit, record.currency)
    credit = check_money(record, f"{at}.credit", line.credit, record.currency)
    if debit and credit:
        fail(record, at, "a line has a debit or a credit, not both")
    if not debit and not credit:
        fail(record, at, "a line needs a debit or a credit greater than zero")
    check_id(record, f"{at}.member_id", line.member_id, required=False)
    check_text(record, f"{at}.description", line.description, required=False)
    _check_dimensions(record, f"{at}.dimensions", line.dimensions)


def _check_dimensions(record: Transaction, at: str, dimensions: object) -> None:
    shape = "expected an object of dimension name to value, both strings"
    if not isinstance(dimensions, tuple):
        fail(record, at, shape)
    names: set[str] = set()
    for pair in dimensions:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            fail(record, at, shape)
        name, value = pair
        if not isinstance(name, str) or not isinstance(value, str):
            fail(record, at, shape)
        if not name:
            fail(record, at, "a dimension name must not be blank")
        if name in names:
            fail(record, f"{at}.{name}", "the same dimension is given twice")
        names.add(name)
        check_text(record, f"{at}.{name}", value)
