"""Reference data: members (customers), items, GL accounts, tax rates and payment terms."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import ClassVar, cast

import attrs

from .base import (
    Record,
    Reference,
    check_bool,
    check_count,
    check_id,
    check_rate,
    check_text,
    fail,
    ref,
    to_decimal,
    to_optional_decimal,
    to_optional_text,
    to_text,
    unique_references,
)


class AccountType(enum.StrEnum):
    """The kind of a GL account, in the terms both QuickBooks and Intacct can map."""

    INCOME = "income"
    OTHER_INCOME = "other_income"
    EXPENSE = "expense"
    ASSET = "asset"
    BANK = "bank"
    ACCOUNTS_RECEIVABLE = "accounts_receivable"
    LIABILITY = "liability"
    OTHER_CURRENT_LIABILITY = "other_current_liability"
    EQUITY = "equity"
    COST_OF_GOODS_SOLD = "cost_of_goods_sold"


def _to_account_type(value: AccountType | str) -> AccountType:
    """Parse "income" to AccountType.INCOME; an unknown value passes through to the check."""
    raw: object = value
    if isinstance(raw, str) and not isinstance(raw, AccountType):
        try:
            return AccountType(raw.strip().lower())
        except ValueError:
            pass
    return cast(AccountType, raw)


@attrs.frozen(kw_only=True)
class Address:
    """A postal address; every part is optional."""

    line1: str | None = attrs.field(default=None, converter=to_optional_text)
    line2: str | None = attrs.field(default=None, converter=to_optional_text)
    city: str | None = attrs.field(default=None, converter=to_optional_text)
    region: str | None = attrs.field(default=None, converter=to_optional_text)
    postal_code: str | None = attrs.field(default=None, converter=to_optional_text)
    country: str | None = attrs.field(default=None, converter=to_optional_text)


@attrs.frozen(kw_only=True)
class Member(Record):
    """A member of the organisation: a customer in the accounting system."""

    kind: ClassVar[str] = "member"

    display_name: str = attrs.field(converter=to_text)
    first_name: str | None = attrs.field(default=None, converter=to_optional_text)
    last_name: str | None = attrs.field(default=None, converter=to_optional_text)
    company_name: str | None = attrs.field(default=None, converter=to_optional_text)
    email: str | None = attrs.field(default=None, converter=to_optional_text)
    phone: str | None = attrs.field(default=None, converter=to_optional_text)
    account_number: str | None = attrs.field(default=None, converter=to_optional_text)
    billing_address: Address | None = None
    active: bool = True

    def _check(self) -> None:
        check_text(self, "display_name", self.display_name)
        for name in ("first_name", "last_name", "company_name", "email", "phone", "account_number"):
            check_text(self, name, getattr(self, name), required=False)
        address: object = self.billing_address
        if address is not None:
            if not isinstance(address, Address):
                fail(self, "billing_address", f"expected an Address, got {type(address).__name__}")
            for field in attrs.fields(Address):
                path = f"billing_address.{field.name}"
                check_text(self, path, getattr(address, field.name), required=False)
        check_bool(self, "active", self.active)

    def customer_mms_id(self) -> str:
        # A member is its own customer: its AR balance is the one its documents touch.
        return self.mms_id


@attrs.frozen(kw_only=True)
class Item(Record):
    """Something the organisation sells: dues, a fee, a slip rental."""

    kind: ClassVar[str] = "item"

    name: str = attrs.field(converter=to_text)
    description: str | None = attrs.field(default=None, converter=to_optional_text)
    income_account_id: str | None = attrs.field(default=None, converter=to_optional_text)
    unit_price: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    taxable: bool = False
    active: bool = True

    def _check(self) -> None:
        check_text(self, "name", self.name)
        check_text(self, "description", self.description, required=False)
        check_id(self, "income_account_id", self.income_account_id, required=False)
        if self.unit_price is not None:
            # Negative prices are legitimate: discount and credit items.
            check_rate(self, "unit_price", self.unit_price, signed=True)
        check_bool(self, "taxable", self.taxable)
        check_bool(self, "active", self.active)

    def references(self) -> tuple[Reference, ...]:
        return unique_references([ref("gl_account", self.income_account_id, "income_account_id")])


@attrs.frozen(kw_only=True)
class GLAccount(Record):
    """An account of the general ledger."""

    kind: ClassVar[str] = "gl_account"

    number: str = attrs.field(converter=to_text)
    name: str = attrs.field(converter=to_text)
    account_type: AccountType = attrs.field(converter=_to_account_type)
    active: bool = True

    def _check(self) -> None:
        check_text(self, "number", self.number)
        check_text(self, "name", self.name)
        account_type: object = self.account_type
        if not isinstance(account_type, AccountType):
            choices = ", ".join(t.value for t in AccountType)
            fail(self, "account_type", f"unknown account type {account_type!r}; one of {choices}")
        check_bool(self, "active", self.active)


@attrs.frozen(kw_only=True)
class TaxRate(Record):
    """A sales tax rate, as a percentage (8.25 means 8.25 %)."""

    kind: ClassVar[str] = "tax_rate"

    name: str = attrs.field(converter=to_text)
    rate: Decimal = attrs.field(converter=to_decimal)
    agency: str | None = attrs.field(default=None, converter=to_optional_text)
    active: bool = True

    def _check(self) -> None:
        check_text(self, "name", self.name)
        check_rate(self, "rate", self.rate, maximum=100)
        check_text(self, "agency", self.agency, required=False)
        check_bool(self, "active", self.active)


@attrs.frozen(kw_only=True)
class Terms(Record):
    """Payment terms: due in ``due_days``, optionally a discount for paying early."""

    kind: ClassVar[str] = "terms"

    name: str = attrs.field(converter=to_text)
    due_days: int
    discount_percent: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    discount_days: int = 0

    def _check(self) -> None:
        check_text(self, "name", self.name)
        check_count(self, "due_days", self.due_days)
        check_rate(self, "discount_percent", self.discount_percent, maximum=100)
        check_count(self, "discount_days", self.discount_days)
