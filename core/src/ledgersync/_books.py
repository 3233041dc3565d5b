"""What the accounting system answers for reconciliation: its receivable transactions and its
account activity, in the connector's own ids.

A connector fills these from the books (QBO reports and queries, qbXML report or transaction
queries, Intacct's trial balance); the engine compares them with the ledger and explains every
difference (``_engine/reconcile.py``). Amounts are Decimal, in the company's currency.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import attrs

ZERO = Decimal("0.00")

#: The transaction kinds that move a customer's receivable, in ledger terms.
RECEIVABLE_KINDS = ("invoice", "payment", "credit_memo", "refund", "journal_entry")


class AccountRole(enum.StrEnum):
    """What an account is to ledgersync when the MMS does not name it: the receivable account,
    where payments wait before a deposit, and where sales tax owed is kept. An account the MMS
    names (an income account, a bank account) is matched by its ``gl_account`` link instead."""

    RECEIVABLE = "receivable"
    UNDEPOSITED_FUNDS = "undeposited_funds"
    TAX_PAYABLE = "tax_payable"


@attrs.frozen(kw_only=True)
class BooksTransaction:
    """One transaction in the books that moves a customer's receivable, as the books show it.

    ``remote_id`` is the id ledgersync links the transaction by (the ``external_id`` an export
    returned), so the engine can tell a synced transaction from one entered by hand.
    ``receivable`` is signed: an invoice or refund raises the customer's balance (positive), a
    payment or credit memo lowers it (negative). ``tax`` is the sales tax the books computed on
    it; ``applied_to`` the remote ids of the invoices a payment or credit memo is applied to.
    A voided transaction is reported with ``voided=True`` and ``receivable`` zero.
    """

    remote_id: str
    kind: str
    customer_id: str
    date: dt.date
    receivable: Decimal
    tax: Decimal = ZERO
    applied_to: tuple[str, ...] = ()
    #: The document number people see (invoice number), for the report.
    number: str | None = None
    voided: bool = False
    #: False when the books do not record which invoices it is applied to (a payment posted
    #: as a journal entry): its ``applied_to`` is then not compared with the MMS's.
    applications_tracked: bool = True

    def __attrs_post_init__(self) -> None:
        if self.kind not in RECEIVABLE_KINDS:
            raise ValueError(f"unknown receivable kind {self.kind!r}; one of {RECEIVABLE_KINDS}")
        for name in ("receivable", "tax"):
            if not isinstance(getattr(self, name), Decimal):
                raise TypeError(f"BooksTransaction.{name} must be a Decimal")


@attrs.frozen(kw_only=True)
class AccountActivity:
    """Debits and credits posted to one account of the books over a period (or up to a date).

    ``account_id`` is the remote id the ``gl_account`` links point to; ``role`` says which of
    ledgersync's implicit accounts it is, when it is one (see :class:`AccountRole`).
    """

    account_id: str
    name: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    role: AccountRole | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("debit", "credit"):
            if not isinstance(getattr(self, name), Decimal):
                raise TypeError(f"AccountActivity.{name} must be a Decimal")

    @property
    def net(self) -> Decimal:
        """Debit minus credit: positive for an asset that grew, negative for income earned."""
        return self.debit - self.credit
