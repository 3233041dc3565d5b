"""The record types: what an MMS hands to ledgersync, validated at the door."""

from .base import Dimensions, Record, Reference, Transaction, round_to_currency
from .codec import RECORD_TYPES, canonical_json, record_from_json, record_to_json
from .currency import CURRENCY_MINOR_UNITS, is_known_currency, minor_units
from .reference import AccountType, Address, GLAccount, Item, Member, TaxRate, Terms
from .transactions import (
    CreditMemo,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentApplication,
    Refund,
)

__all__ = [
    "CURRENCY_MINOR_UNITS",
    "RECORD_TYPES",
    "AccountType",
    "Address",
    "CreditMemo",
    "Dimensions",
    "GLAccount",
    "Invoice",
    "InvoiceLine",
    "Item",
    "JournalEntry",
    "JournalLine",
    "Member",
    "Payment",
    "PaymentApplication",
    "Record",
    "Reference",
    "Refund",
    "TaxRate",
    "Terms",
    "Transaction",
    "canonical_json",
    "is_known_currency",
    "minor_units",
    "record_from_json",
    "record_to_json",
    "round_to_currency",
]
