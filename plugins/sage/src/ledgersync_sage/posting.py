"""MMS transactions as balanced general-ledger entries (transport-neutral).

The posting map, per company: an invoice debits A/R (the member as CUSTOMERID) and credits each
line's income account (its item's, or the line's own GL account) and tax payable (the tax
rate's mapped account, else ``tax_payable_account``); a credit memo is the mirror image; a
payment debits its deposit account (else undeposited funds) and credits A/R; a refund debits
A/R and credits the account it was paid from; a journal entry keeps its lines. The A/R line of
a payment applied to invoices is split per invoice, each part carrying the invoice's entry
(RECORDNO) in the line's DOCUMENT, as does a credit memo applied to an invoice, so the books
record what each settles (reconciliation reads it back). A void is the reversing entry. Every
entry gets a deterministic REFERENCENO, so an uncertain post can be found again before
anything is sent twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from ledgersync import (
    CreditMemo,
    ExportRequest,
    Invoice,
    InvoiceLine,
    JournalEntry,
    Operation,
    Payment,
    Record,
    Refund,
)

from .errors import UnmappedError
from .settings import SageSettings

ZERO = Decimal("0")
JOURNAL_KINDS = frozenset({"invoice", "credit_memo", "payment", "refund", "journal_entry"})
_CODES = {"invoice": "INV", "credit_memo": "CM", "payment": "PAY", "refund": "RF",
          "journal_entry": "JE"}
_TITLES = {"invoice": "Invoice", "credit_memo": "Credit memo", "payment": "Payment",
           "refund": "Refund", "journal_entry": "Journal entry"}


@attrs.frozen(kw_only=True)
class EntryLine:
    """One GLENTRY: a debit or credit of a positive amount, with Intacct dimension fields."""

    account: str
    debit: bool
    amount: Decimal
    description: str
    dimensions: tuple[tuple[str, str], ...] = ()
    #: GLENTRY DOCUMENT: the invoice entry an A/R line settles (XML only, see rest.py).
    document: str | None = None

    def signed(self) -> Decimal:
        return self.amount if self.debit else -self.amount


@attrs.frozen(kw_only=True)
class Entry:
    """One journal entry (GLBATCH) ready for either transport."""

    reference_no: str
    date: dt.date
    title: str
    lines: tuple[EntryLine, ...]
    currency: str

    def debits(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.debit), ZERO)

    def credits(self) -> Decimal:
        return sum((line.amount for line in self.lines if not line.debit), ZERO)


def reference_no(settings: SageSettings, kind: str, mms_id: str, operation: Operation) -> str:
    """``LS-INV-<mms id>`` (``-VOID`` for the reversal): the same for every attempt."""
    suffix = "-VOID" if operation is Operation.VOID else ""
    return f"{settings.reference_prefix}-{_CODES[kind]}-{mms_id}{suffix}"


class _Lines:
    """Collects signed amounts per (account, description, dimensions), then nets them."""

    def __init__(self, request: ExportRequest, settings: SageSettings) -> None:
        self.request = request
        self.settings = settings
        self.amounts: dict[tuple[str, str, tuple[tuple[str, str], ...], str | None],
                           Decimal] = {}

    def add(self, account: str, signed: Decimal, description: str,
            dimensions: Iterable[tuple[str, str]] = (), *, member: str | None = None,
            document: str | None = None) -> None:
        if signed == 0:
            return
        dims = dict(self._dimensions(dimensions))
        if member is not None and self.settings.create_customers:
            dims.setdefault("CUSTOMERID", self.request.ref("member", member))
        key = (account, description, tuple(sorted(dims.items())), document)
        self.amounts[key] = self.amounts.get(key, ZERO) + signed

    def invoice_entry(self, invoice_id: str | None) -> str | None:
        """The RECORDNO of an invoice's entry, when the engine resolved it."""
        if invoice_id is None:
            return None
        return self.request.references.get(("invoice", invoice_id))

    def _dimensions(self, dimensions: Iterable[tuple[str, str]]
                    ) -> Iterable[tuple[str, str]]:
        given = dict(dimensions)
        for name, value in self.settings.default_dimensions.items():
            given.setdefault(name, value)
        fields = self.settings.all_dimension_fields
        what = self.request.describe()
        for name, value in sorted(given.items()):
            field = fields.get(name)
            if field is None:
                raise UnmappedError(
                    f"{what}: dimension {name!r} has no Intacct field",
                    remedy=f"Add dimension_fields.{name} = \"GLDIM...\" (the custom dimension's "
                    f"field) to [companies.{self.request.company}.sage], or drop the dimension "
                    "in the MMS", code="unmapped-dimension")
            table = self.settings.dimension_values.get(name)
            if table is not None and value not in table:
                raise UnmappedError(
                    f"{what}: {name} {value!r} is not mapped to an Intacct {name}",
                    remedy=f"Add it under [companies.{self.request.company}.sage."
                    f"dimension_values.{name}] (`ledgersync sage {name}s "
                    f"{self.request.company}` lists Intacct's), then requeue",
                    code="unmapped-dimension")
            yield field, table[value] if table is not None else value

    def entry(self, title: str, date: dt.date) -> Entry:
        lines = tuple(
            EntryLine(account=account, debit=amount > 0, amount=abs(amount),
                      description=description, dimensions=dims, document=document)
            for (account, description, dims, document), amount in self.amounts.items()
            if amount != 0)
        request = self.request
        if len(lines) < 2:
            raise UnmappedError(
                f"{request.describe()} makes a journal entry of {len(lines)} line(s) (amounts "
                "net to zero on the accounts it maps to)",
                remedy="Check the posting map: income, tax and A/R must be different accounts",
                code="empty-entry")
        operation = request.operation
        if operation is Operation.VOID:
            lines = tuple(attrs.evolve(line, debit=not line.debit) for line in lines)
            title = f"Void of {title}"
        return Entry(reference_no=reference_no(self.settings, request.kind,
                                               request.record.mms_id, operation),
                     date=date, title=title[:80], lines=lines,
                     currency=getattr(request.record, "currency", "USD"))


def _account(request: ExportRequest, mms_account: str) -> str:
    return request.ref("gl_account", mms_account)


def _sales_lines(lines: _Lines, request: ExportRequest, doc_lines: Iterable[InvoiceLine],
                 sign: int, title: str) -> Decimal:
    """Credit income and tax for each line (``sign`` -1 for a credit memo); returns the total."""
    total = ZERO
    for line in doc_lines:
        if line.item_id is not None:
            income = request.ref("item", line.item_id)
        else:
            assert line.account_id is not None  # the record's own checks guarantee one
            income = _account(request, line.account_id)
        description = line.description or title
        lines.add(income, -sign * line.amount, description)
        total += line.amount
        if line.tax_amount:
            assert line.tax_rate_id is not None
            lines.add(request.ref("tax_rate", line.tax_rate_id), -sign * line.tax_amount,
                      f"Tax: {description}")
            total += line.tax_amount
    return total


def build_entry(request: ExportRequest, settings: SageSettings) -> Entry:
    """The balanced entry of a journal-kind request (create or void)."""
    record: Record = request.record
    lines = _Lines(request, settings)
    number = getattr(record, "number", None) or record.mms_id
    title = f"{_TITLES[record.kind]} {number}"
    if isinstance(record, Invoice | CreditMemo):
        sign = 1 if isinstance(record, Invoice) else -1
        title = f"{title}, member {record.member_id}"
        total = _sales_lines(lines, request, record.lines, sign, title)
        applied = lines.invoice_entry(getattr(record, "applied_to_invoice_id", None))
        lines.add(settings.ar_account, sign * total, title, member=record.member_id,
                  document=applied)
    elif isinstance(record, Payment):
        title = f"{title}, member {record.member_id}"
        if record.deposit_account_id is not None:
            deposit = _account(request, record.deposit_account_id)
        elif settings.undeposited_funds_account:
            deposit = settings.undeposited_funds_account
        else:
            raise UnmappedError(
                f"{request.describe()} names no deposit account and the company has no "
                "undeposited funds account", code="unmapped-account",
                remedy=f"Set undeposited_funds_account in [companies.{request.company}.sage] "
                "(an Intacct account number), then requeue")
        lines.add(deposit, record.amount, title)
        unapplied = record.amount
        for application in record.applications:
            entry = lines.invoice_entry(application.invoice_id)
            if entry is not None:
                lines.add(settings.ar_account, -application.amount, title,
                          member=record.member_id, document=entry)
                unapplied -= application.amount
        lines.add(settings.ar_account, -unapplied, title, member=record.member_id)
    elif isinstance(record, Refund):
        title = f"{title}, member {record.member_id}"
        lines.add(settings.ar_account, record.amount, title, member=record.member_id)
        lines.add(_account(request, record.from_account_id), -record.amount, title)
    elif isinstance(record, JournalEntry):
        if record.memo:
            title = f"{title}: {record.memo}"
        for line in record.lines:
            lines.add(_account(request, line.account_id), line.debit - line.credit,
                      line.description or title, line.dimensions, member=line.member_id)
    else:  # pragma: no cover - the exporter routes only journal kinds here
        raise TypeError(f"{record.kind} is not a journal kind")
    date = record.document_date()
    assert date is not None
    return lines.entry(title, date)


def balances(entries: Iterable[Entry]) -> Mapping[str, Decimal]:
    """Debits minus credits per account."""
    out: dict[str, Decimal] = {}
    for entry in entries:
        for line in entry.lines:
            out[line.account] = out.get(line.account, ZERO) + line.signed()
    return out
