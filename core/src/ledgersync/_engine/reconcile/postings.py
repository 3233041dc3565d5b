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
#: name, or ("item", item id) for an item line (the item's income account).
AccountKey = tuple[str, str]

RECEIVABLE: AccountKey = ("role", AccountRole.RECEIVABLE.value)
UNDEPOSITED: AccountKey = ("role", AccountRole.UNDEPOSITED_FUNDS.value)
TAX: AccountKey = ("role", AccountRole.TAX_PAYABLE.value)


def postings(record: Record) -> dict[AccountKey, Decimal]:
    """Net debit per account of ``record`` (a voided record posts nothing); an item line
    without an account of its own posts to ("item", item id): the tie-out resolves it to the
    item's income account (or, where the books' items are accounts, to the item's mapping)."""
    net: dict[AccountKey, Decimal] = defaultdict(lambda: ZERO)
    if getattr(record, "voided", False):
        return {}
    if isinstance(record, Invoice | CreditMemo):
        sign = Decimal(1) if isinstance(record, Invoice) else Decimal(-1)
        net[RECEIVABLE] += sign * record.total()
        for line in record.lines:
            key = ("account", line.account_id) if line.account_id else ("item", line.item_id or "")
            net[key] -= sign * line.amount
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
