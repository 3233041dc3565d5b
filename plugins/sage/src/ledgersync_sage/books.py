"""What Intacct's general ledger says for reconciliation, transport-neutral: the receivable
transactions per customer and the activity per account.

ledgersync posts every MMS transaction as one journal entry (GLBATCH) whose REFERENCENO says
what it is (``LS-INV-<mms id>``, see :func:`~ledgersync_sage.posting.reference_no`), linked by
its RECORDNO. So the books' side of a customer's receivable is the posted lines of the A/R
account that carry the customer as CUSTOMERID, grouped by entry: each entry with such lines
is one :class:`~ledgersync.BooksTransaction` per customer it names. An entry ledgersync did not
write (no reference of ours: entered by hand, or posted by Intacct's own A/R module to the same
account) is a ``journal_entry`` the ledger has no link to. A void is the reversing entry
``LS-...-VOID``: the pair is reported as one voided transaction under the original's RECORDNO
(the id the ledger links), the reversal alone when the original is gone.

A payment's or credit memo's ``applied_to`` is the DOCUMENT of its A/R lines: ledgersync
writes the RECORDNO of each invoice entry a part settles there (:mod:`.posting`), and a
bookkeeper who applies it elsewhere changes it. Tax is what the entry credits to the tax
payable account.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from ledgersync import AccountActivity, AccountRole, BooksTransaction

from .settings import SageSettings

ZERO = Decimal("0.00")
_KINDS = {"INV": "invoice", "CM": "credit_memo", "PAY": "payment", "RF": "refund",
          "JE": "journal_entry"}
_VOID = "-VOID"


@attrs.frozen(kw_only=True)
class PostedLine:
    """One posted GLENTRY, as either transport reads it: ``signed`` is debit positive."""

    batch: str
    account: str
    signed: Decimal
    customer: str | None = None
    #: GLENTRY DOCUMENT: on an A/R line, the invoice entry it settles.
    document: str | None = None


@attrs.frozen(kw_only=True)
class PostedBatch:
    """The header of a posted GLBATCH: its key (RECORDNO), number people see and reference."""

    key: str
    date: dt.date
    number: str | None = None
    reference: str | None = None


def ledgersync_kind(settings: SageSettings, reference: str | None) -> str | None:
    """The record kind of one of our references (``LS-INV-…`` is an invoice), else None."""
    if not reference or not reference.startswith(f"{settings.reference_prefix}-"):
        return None
    code = reference[len(settings.reference_prefix) + 1:].split("-", 1)[0]
    return _KINDS.get(code)


def transactions(settings: SageSettings, batches: Iterable[PostedBatch],
                 lines: Iterable[PostedLine], *,
                 applications_tracked: bool = True) -> list[BooksTransaction]:
    """The receivable transactions of ``batches`` (see the module docstring).
    ``applications_tracked`` is False when the lines were read without their DOCUMENT (the
    REST transport): a payment's applications are then unknown, not "none"."""
    headers = {batch.key: batch for batch in batches}
    receivable: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    documents: dict[tuple[str, str], set[str]] = defaultdict(set)
    tax: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.account == settings.ar_account and line.customer:
            receivable[line.batch][line.customer] += line.signed
            if line.document:
                documents[(line.batch, line.customer)].add(line.document)
        elif settings.tax_payable_account and line.account == settings.tax_payable_account:
            tax[line.batch] -= line.signed  # tax payable is credited on a sale
    by_reference = {h.reference: h for h in headers.values() if h.reference}
    voided: set[str] = set()  # original keys whose reversal is posted
    reversals: set[str] = set()  # reversal keys folded into their original
    for header in headers.values():
        reference = header.reference or ""
        original = by_reference.get(reference.removesuffix(_VOID)) if reference.endswith(
            _VOID) else None
        if original is not None and original.key in receivable:
            voided.add(original.key)
            reversals.add(header.key)
    out: list[BooksTransaction] = []
    for key, customers in receivable.items():
        posted = headers.get(key)
        if posted is None or key in reversals:
            continue  # a line of an entry not (yet) readable, or a void folded in
        kind = ledgersync_kind(settings, posted.reference) or "journal_entry"
        for customer, amount in sorted(customers.items()):
            is_void = key in voided
            entry_tax = tax.get(key, ZERO) if kind in ("invoice", "credit_memo") else ZERO
            applied = tuple(sorted(documents.get((key, customer), ()))) if kind in (
                "payment", "credit_memo") and not is_void else ()
            out.append(BooksTransaction(
                remote_id=key, kind=kind, customer_id=customer, date=posted.date,
                receivable=ZERO if is_void else amount,
                tax=ZERO if is_void else abs(entry_tax), applied_to=applied,
                number=posted.number, voided=is_void,
                applications_tracked=applications_tracked or kind not in (
                    "payment", "credit_memo")))
    return sorted(out, key=lambda t: (t.date, t.remote_id, t.customer_id))


@attrs.frozen(kw_only=True)
class TrialBalanceRow:
    """One account of Intacct's trial balance for a period."""

    account: str
    start_balance: Decimal
    debits: Decimal
    credits: Decimal
    end_balance: Decimal


def roles(settings: SageSettings) -> dict[str, AccountRole]:
    """The accounts the settings name, with what each is to ledgersync."""
    out = {settings.ar_account: AccountRole.RECEIVABLE}
    if settings.undeposited_funds_account:
        out[settings.undeposited_funds_account] = AccountRole.UNDEPOSITED_FUNDS
    if settings.tax_payable_account:
        out[settings.tax_payable_account] = AccountRole.TAX_PAYABLE
    return out


def activity(settings: SageSettings, rows: Sequence[TrialBalanceRow], names: dict[str, str],
             *, since_beginning: bool) -> list[AccountActivity]:
    """Trial-balance rows as account activity. ``since_beginning``: the caller asked for
    balances as of the end date, so each starting balance is folded into the period's side
    it stands on (debit minus credit is then the ending balance)."""
    role_of = roles(settings)
    out = []
    for row in rows:
        debit, credit = row.debits, row.credits
        if since_beginning:
            debit += max(row.start_balance, ZERO)
            credit += max(-row.start_balance, ZERO)
        out.append(AccountActivity(account_id=row.account, name=names.get(row.account, ""),
                                   debit=debit, credit=credit, role=role_of.get(row.account)))
    return sorted(out, key=lambda a: a.account_id)
