"""Why one transaction differs between the MMS and the books: its cause, in words that say
what changed, and the remedy. Used by the per-customer and the per-account tie-outs."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs

from ..._books import BooksTransaction
from . import remedies
from .ledger_side import SIGNS, Document, LedgerSide, tax_of
from .model import ZERO, Cause, Explanation

CENT = Decimal("0.01")


def lines_of(document: Document) -> int:
    return max(len(getattr(document.record, "lines", ())), 1)


def waiting_explanation(company: str, document: Document, amount: Decimal) -> Explanation:
    """The document (or its newest version) is not in the books yet."""
    item = document.waiting()[0]
    reason = item.error_message or item.status_reason
    if item.status == "staged":
        reason = (f"staged as {item.intermediary_id}: not in the books until the accounting "
                  "system confirms it")
    elif document.remote_id is not None and item.operation != "create":
        reason = (f"its {item.operation} is {item.status.replace('_', ' ')}: the books hold "
                  "the previous version" + (f" ({reason})" if reason else ""))
    return Explanation(
        item_id=int(item.id), kind=document.kind, mms_id=document.mms_id, amount=amount,
        status=item.status, reason=reason, cause=Cause.NOT_SYNCED,
        remedy=remedies.not_synced(company, item), remote_id=document.remote_id,
        date=document.date)


def _rate_text(side: LedgerSide, document: Document, books_tax: Decimal) -> tuple[str, str,
                                                                                 list[str]]:
    """The MMS rate(s) of the document's taxed lines, the rate the books' tax amounts to on
    the same base, and the MMS tax rate ids."""
    lines = [line for line in getattr(document.record, "lines", ())
             if getattr(line, "tax_rate_id", None)]
    ids = sorted({line.tax_rate_id for line in lines})
    rates = []
    for rate_id in ids:
        rate = getattr(side.reference_records.get(("tax_rate", rate_id)), "rate", None)
        rates.append(f"{rate_id} {rate} %" if rate is not None else rate_id)
    base = sum((line.amount for line in lines), ZERO)
    books_rate = f"{(books_tax * 100 / base).quantize(Decimal('0.001'))} %" if base else ""
    return ", ".join(rates), books_rate, ids


def compare(company: str, side: LedgerSide, document: Document, mms: Decimal, books: Decimal,
            txn: BooksTransaction | None, moved_to: str | None) -> Explanation:
    """Explain ``books - mms`` of a synced document whose books transaction differs."""
    delta = books - mms
    base = Explanation(item_id=document.item_id, kind=document.kind, mms_id=document.mms_id,
                       amount=delta, status=document.status, remote_id=document.remote_id,
                       date=document.date, reason=None)
    target = document.item_id
    if document.waiting():
        return waiting_explanation(company, document, delta)
    if txn is None:
        return attrs.evolve(base, cause=Cause.DELETED_IN_BOOKS, reason=(
            f"synced as {document.remote_id}, no longer in the books"),
            remedy=remedies.deleted(company, target))
    if txn.voided and not document.voided:
        return attrs.evolve(base, cause=Cause.DELETED_IN_BOOKS, reason=(
            f"voided in the books ({document.remote_id}), not in the MMS"),
            remedy=remedies.deleted(company, target))
    if moved_to is not None:
        return attrs.evolve(base, cause=Cause.EDITED_IN_BOOKS, reason=moved_to,
                           remedy=remedies.edited(company, target))
    sign = Decimal(SIGNS.get(document.kind, 1))
    mms_tax = tax_of(document.record)
    lines = lines_of(document)
    if txn.tax != mms_tax and delta == sign * (txn.tax - mms_tax) \
            and abs(delta) > CENT * lines:
        mms_rates, books_rate, ids = _rate_text(side, document, txn.tax)
        reason = (f"tax {mms_tax} in the MMS" + (f" ({mms_rates})" if mms_rates else "")
                  + f", {txn.tax} in the books" + (f" ({books_rate})" if books_rate else ""))
        return attrs.evolve(base, cause=Cause.TAX_DIFFERS, reason=reason,
                           remedy=remedies.tax(company, target, ids))
    if abs(delta) <= CENT * lines:
        return attrs.evolve(base, cause=Cause.ROUNDING, reason=(
            f"{abs(mms)} in the MMS, {abs(books)} in the books: rounding over {lines} "
            "line(s)"), remedy=remedies.rounding(company, str(target)))
    return attrs.evolve(base, cause=Cause.EDITED_IN_BOOKS, reason=(
        f"amount {abs(mms)} in the MMS, {abs(books)} in the books"),
        remedy=remedies.edited(company, target))


def applications(side: LedgerSide, document: Document) -> tuple[str, ...]:
    """The books' ids of the invoices the MMS applies a payment or credit memo to (None for
    an invoice not linked yet: it cannot be compared)."""
    record = document.record
    invoice_ids = [a.invoice_id for a in getattr(record, "applications", ())]
    applied = getattr(record, "applied_to_invoice_id", None)
    if applied:
        invoice_ids.append(applied)
    remote = []
    for invoice_id in invoice_ids:
        linked = side.document("invoice", invoice_id)
        remote.append(linked.remote_id if linked and linked.remote_id else f"?{invoice_id}")
    return tuple(sorted(remote))


def applied_elsewhere(company: str, side: LedgerSide, document: Document,
                      txns: Sequence[BooksTransaction]) -> Explanation | None:
    """A payment or credit memo the books apply to other invoices than the MMS does."""
    if document.kind not in ("payment", "credit_memo") or not txns or document.waiting():
        return None
    if not all(t.applications_tracked for t in txns):
        return None  # the books cannot say where it is applied
    mms = applications(side, document)
    if any(r.startswith("?") for r in mms):
        return None  # an invoice not in the books yet: NOT_SYNCED explains it
    books = tuple(sorted({r for t in txns for r in t.applied_to}))
    if mms == books:
        return None
    def names(ids: tuple[str, ...]) -> str:
        found = [(side.by_remote.get(("invoice", r)), r) for r in ids]
        return ", ".join(f"{d.mms_id} ({r})" if d else r for d, r in found) or "nothing"

    return Explanation(
        item_id=document.item_id, kind=document.kind, mms_id=document.mms_id, amount=ZERO,
        status=document.status, cause=Cause.APPLIED_ELSEWHERE, remote_id=document.remote_id,
        date=document.date, reason=f"applied to {names(mms)} in the MMS, to {names(books)} "
        "in the books", remedy=remedies.applied_elsewhere(company, document.item_id))


def posted_outside(company: str, txn: BooksTransaction, amount: Decimal) -> Explanation:
    number = f" #{txn.number}" if txn.number else ""
    return Explanation(
        item_id=None, kind=txn.kind, mms_id=None, amount=amount, status=None,
        cause=Cause.POSTED_OUTSIDE, remote_id=txn.remote_id, date=txn.date,
        reason=f"{txn.kind.replace('_', ' ')}{number} ({txn.remote_id}) dated {txn.date} is in "
        "the books only: no MMS record links to it",
        remedy=remedies.posted_outside(company, txn.kind, txn.remote_id))


@attrs.frozen(kw_only=True)
class Acceptance:
    """A person's note on a difference (`ledgersync note`), accepting it or not."""

    text: str
    noted_by: str
    accepted: bool = True


def accepted(explanation: Explanation, notes: dict[object, list[Acceptance]]) -> Explanation:
    """The explanation with the notes people made on its transaction; accepted when one of
    them accepts it (`ledgersync note --accept`)."""
    key: object = explanation.item_id if explanation.item_id is not None \
        else (explanation.kind, explanation.remote_id)
    found = notes.get(key)
    if not found:
        return explanation
    texts = tuple(f"{n.noted_by}: {n.text}" for n in found)
    accepting = [n for n in found if n.accepted]
    if not accepting or explanation.cause is Cause.ACCEPTED:
        return attrs.evolve(explanation, notes=texts)
    note = accepting[-1]
    return attrs.evolve(
        explanation, cause=Cause.ACCEPTED, accepted_cause=explanation.cause, remedy=None,
        notes=texts, reason=f"{explanation.reason}; accepted by {note.noted_by}: {note.text}")
