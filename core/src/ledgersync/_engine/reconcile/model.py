"""What a reconciliation reports: balances side by side, and the explanations of every
difference (a cause, the transactions behind it, a remedy that is a real command)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import attrs

ZERO = Decimal("0.00")


class Cause(enum.StrEnum):
    """Why a customer's or an account's balance differs between the MMS and the books."""

    NOT_SYNCED = "not_synced"  # pending, blocked, in error or staged: not in the books yet
    EDITED_IN_BOOKS = "edited_in_books"  # the linked transaction's amount changed there
    DELETED_IN_BOOKS = "deleted_in_books"  # the linked transaction (or customer) is gone there
    TAX_DIFFERS = "tax_differs"  # the books computed another sales tax than the MMS
    APPLIED_ELSEWHERE = "applied_elsewhere"  # a payment applied to another invoice there
    POSTED_OUTSIDE = "posted_outside"  # a transaction in the books no ledger item links to
    ROUNDING = "rounding"  # cents lost to per-line rounding
    ACCEPTED = "accepted"  # a person noted the difference as accepted (`ledgersync note`)


@attrs.frozen(kw_only=True)
class Explanation:
    """A transaction whose state explains (part of) a difference, with its cause and what to
    do about it. ``item_id`` is None for a transaction the ledger has no item for (posted
    outside ledgersync); ``remote_id`` is the books' id when the books have it.

    ``amount`` is the part of the difference it explains, books minus MMS (an invoice not
    synced yet explains minus its amount). A payment applied to another invoice explains no
    amount of its customer's total (0.00): it is an open-item difference.
    """

    item_id: int | None
    kind: str
    mms_id: str | None
    amount: Decimal
    status: str | None
    reason: str | None
    cause: Cause = Cause.NOT_SYNCED
    remedy: str | None = None
    remote_id: str | None = None
    #: The transaction's date (the MMS document's, else the books').
    date: dt.date | None = None
    #: For an ACCEPTED explanation: the cause the person accepted.
    accepted_cause: Cause | None = None
    #: The notes people made on the transaction (`ledgersync note`), "who: text", oldest first.
    notes: tuple[str, ...] = ()


def unexplained(difference: Decimal, explanations: tuple[Explanation, ...]) -> Decimal:
    """What is left of a difference once every explanation's part is taken off."""
    return difference - sum((e.amount for e in explanations), ZERO)


@attrs.frozen(kw_only=True)
class CustomerBalance:
    member_id: str | None
    external_id: str | None
    mms: Decimal
    remote: Decimal
    explanations: tuple[Explanation, ...] = ()

    @property
    def difference(self) -> Decimal:
        return self.remote - self.mms

    @property
    def ties_out(self) -> bool:
        return self.difference == 0

    @property
    def unexplained(self) -> Decimal:
        """The part of the difference no explanation accounts for (shown, never hidden)."""
        return unexplained(self.difference, self.explanations)


@attrs.frozen(kw_only=True)
class SignOff:
    """A reconciliation a person signed: what it found, who signed it and when (UTC)."""

    id: int
    company: str
    kind: str  # "customers" or "accounts"
    period_start: dt.date | None
    as_of: dt.date
    total_mms: Decimal
    total_books: Decimal
    differences: int
    signed_by: str
    signed_at: dt.datetime
    #: The report as it was signed: totals, every difference and its explanations.
    body: dict[str, object] = attrs.field(factory=dict, eq=False, repr=False)


@attrs.frozen(kw_only=True)
class ReconcileReport:
    company: str
    as_of: dt.date | None
    customers: tuple[CustomerBalance, ...]
    not_exported: Decimal  # receivable of no-go and cleared transactions, left out on purpose
    #: Receivable of staged transactions: accepted by an intermediary, not yet in the books
    #: (each is also an explanation of its customer's difference).
    awaiting_confirmation: Decimal = ZERO
    #: "transactions" when the books listed their transactions (every difference explained
    #: from both sides), "balances" when the connector answered balances only (differences
    #: explained from the ledger's side alone).
    source: str = "transactions"
    #: The last sign-off of this company's customers on or before ``as_of``: where it starts.
    starts_from: SignOff | None = None

    @property
    def mismatches(self) -> tuple[CustomerBalance, ...]:
        return tuple(c for c in self.customers if not c.ties_out)

    @property
    def open_items(self) -> tuple[CustomerBalance, ...]:
        """Customers whose total ties out but whose transactions differ (a payment applied to
        another invoice in the books)."""
        return tuple(c for c in self.customers if c.ties_out and c.explanations)

    @property
    def total_mms(self) -> Decimal:
        return sum((c.mms for c in self.customers), ZERO)

    @property
    def total_remote(self) -> Decimal:
        return sum((c.remote for c in self.customers), ZERO)

    @property
    def unexplained(self) -> Decimal:
        return sum((abs(c.unexplained) for c in self.customers), ZERO)

    @property
    def ties_out(self) -> bool:
        return not self.mismatches


@attrs.frozen(kw_only=True)
class AccountBalance:
    """One GL account: its debits and credits in the MMS (computed from the ledger's records)
    and in the books over the period. ``account_id`` is the MMS account id, or the role
    (``receivable``, ...) of an account the MMS does not name."""

    account_id: str
    external_id: str | None
    name: str
    role: str | None
    mms_debit: Decimal
    mms_credit: Decimal
    books_debit: Decimal
    books_credit: Decimal
    explanations: tuple[Explanation, ...] = ()

    @property
    def mms(self) -> Decimal:
        return self.mms_debit - self.mms_credit

    @property
    def books(self) -> Decimal:
        return self.books_debit - self.books_credit

    @property
    def difference(self) -> Decimal:
        return self.books - self.mms

    @property
    def ties_out(self) -> bool:
        return self.difference == 0

    @property
    def unexplained(self) -> Decimal:
        return unexplained(self.difference, self.explanations)


@attrs.frozen(kw_only=True)
class AccountsReport:
    """A trial-balance tie-out of the accounts ledgersync posts to, over ``start``..``end``
    (``start`` None: balances as of ``end``)."""

    company: str
    start: dt.date | None
    end: dt.date
    accounts: tuple[AccountBalance, ...]
    #: MMS accounts the records post to that no ``gl_account`` link or mapping names, each
    #: with the amount posted (they cannot be compared until mapped).
    unmapped: tuple[tuple[str, Decimal], ...] = ()
    starts_from: SignOff | None = None

    @property
    def mismatches(self) -> tuple[AccountBalance, ...]:
        return tuple(a for a in self.accounts if not a.ties_out)

    @property
    def ties_out(self) -> bool:
        return not self.mismatches and not self.unmapped
