"""The general-ledger postings of an MMS record, as the books should hold them: which account
each amount debits (positive) or credits (negative).

An invoice debits receivable and credits each line's account (the line's own, else its item's
income account) and tax payable; a credit memo reverses that; a payment debits its deposit
account (else undeposited funds) and credits receivable; a refund debits receivable and credits
the account it was paid from; a journal entry posts its lines as written.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ..._books import AccountRole
from ..._records import CreditMemo, Invoice, JournalEntry, Payment, Record, Refund
from .model import ZERO

#: ("account", MMS GL account id), ("role", an AccountRole) for an account the MMS does not
#: name, or ("item", item id) for an item line whose item names no income account.
AccountKey = tuple[str, str]

RECEIVABLE: AccountKey = ("role", AccountRole.RECEIVABLE.value)
UNDEPOSITED: AccountKey = ("role", AccountRole.UNDEPOSITED_FUNDS.value)
TAX: AccountKey = ("role", AccountRole.TAX_PAYABLE.value)


def postings(record: Record, income_accounts: dict[str, str | None]) -> dict[AccountKey, Decimal]:
    """Net debit per account of ``record`` (a voided record posts nothing).
    ``income_accounts`` maps an item id to its income account id."""
    net: dict[AccountKey, Decimal] = defaultdict(lambda: ZERO)
    if getattr(record, "voided", False):
        return {}
    if isinstance(record, Invoice | CreditMemo):
        sign = Decimal(1) if isinstance(record, Invoice) else Decimal(-1)
        net[RECEIVABLE] += sign * record.total()
        for line in record.lines:
            net[line_account(line.account_id, line.item_id, income_accounts)] -= \
                sign * line.amount
            if line.tax_amount:
                net[TAX] -= sign * line.tax_amount
    elif isinstance(record, Payment):
        deposit = ("account", record.deposit_account_id) if record.deposit_account_id \
            else UNDEPOSITED
        net[deposit] += record.amount
        net[RECEIVABLE] -= record.amount
    elif isinstance(record, Refund):
        net[RECEIVABLE] += record.amount
        net[("account", record.from_account_id)] -= record.amount
    elif isinstance(record, JournalEntry):
        for jline in record.lines:
            net[("account", jline.account_id)] += jline.debit - jline.credit
    return {key: amount for key, amount in net.items() if amount}


def line_account(account_id: str | None, item_id: str | None,
                 income_accounts: dict[str, str | None]) -> AccountKey:
    if account_id:
        return ("account", account_id)
    income = income_accounts.get(item_id or "")
    return ("account", income) if income else ("item", item_id or "")
