"""MMS records as IDS v2 QuickBooks Desktop objects (the ``<Object xsi:type=...>`` of an Add or
Mod), and the reference each one carries so an in-doubt write can be found again.

References to other records use ``idDomain="QB"`` (the desktop's id) or, for a record still
staged, ``idDomain="NG"`` (the intermediary's id): the engine says which in
``request.staged_references``. Refunds go to the desktop as journal entries against the
member's receivable (the QBD flavour of the path had no refund object).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from ledgersync import (
    ConnectorError,
    CreditMemo,
    ExportRequest,
    Invoice,
    Item,
    JournalEntry,
    Member,
    Payment,
    Record,
    Refund,
)

from .settings import LegacySettings
from .xmlio import XSI_TYPE, q, sub

#: The IDS object type of each record kind this connector writes.
OBJECT_TYPES = {"member": "Customer", "item": "Item", "invoice": "Invoice",
                "credit_memo": "CreditMemo", "payment": "Payment",
                "journal_entry": "JournalEntry", "refund": "JournalEntry"}


#: The description of both lines of a refund's journal entry (how the books tell it apart).
REFUND = "Refund"


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def reference_of(record: Record) -> str:
    """Our reference on the remote object: a list element's Name, a transaction's DocNumber."""
    if isinstance(record, Member):
        return record.display_name
    if isinstance(record, Item):
        return record.name
    return str(getattr(record, "number", None) or record.mms_id)


def build_object(request: ExportRequest, settings: LegacySettings, *, draft: bool,
                 ident: tuple[str, str] | None = None) -> ET.Element:
    """The ``<Object>`` element of an Add (``ident`` None) or a Mod (``ident``: NG id, token)."""
    record = request.record
    obj = ET.Element(q("Object"), {XSI_TYPE: OBJECT_TYPES[request.kind]})
    if draft:
        obj.set("draft", "true")
    if ident is not None:
        sub(obj, "Id", ident[0], idDomain="NG")
        sub(obj, "SyncToken", ident[1])
    if isinstance(record, Member):
        sub(obj, "Name", record.display_name)
        if record.email:
            email = sub(obj, "Email")
            sub(email, "Address", record.email)
        if record.first_name:
            sub(obj, "GivenName", record.first_name)
        if record.last_name:
            sub(obj, "FamilyName", record.last_name)
        sub(obj, "AcctNum", record.account_number or record.mms_id)
    elif isinstance(record, Item):
        sub(obj, "Name", record.name)
        if record.description:
            sub(obj, "Desc", record.description)
        sub(obj, "Type", "Service")
        if record.unit_price is not None:
            sub(obj, "UnitPrice", money(record.unit_price))
        if record.income_account_id is None:
            raise ConnectorError(f"item {record.mms_id!r} has no income account",
                                 remedy="Give the item an income account in the MMS",
                                 sent=False)
        _id(obj, "IncomeAccountId", request, "gl_account", record.income_account_id)
        sub(obj, "Taxable", str(record.taxable).lower())
    elif isinstance(record, Invoice | CreditMemo):
        _sales(obj, request, record)
    elif isinstance(record, Payment):
        header = sub(obj, "Header")
        sub(header, "DocNumber", reference_of(record))
        sub(header, "TxnDate", record.txn_date.isoformat())
        _id(header, "CustomerId", request, "member", record.member_id)
        if record.deposit_account_id:
            _id(header, "DepositToAccountId", request, "gl_account", record.deposit_account_id)
        sub(header, "TotalAmt", money(record.amount))
        for application in record.applications:
            line = sub(obj, "Line")
            sub(line, "Amount", money(application.amount))
            _id(line, "TxnId", request, "invoice", application.invoice_id)
    elif isinstance(record, JournalEntry):
        header = _journal_header(obj, record)
        for journal_line in record.lines:
            debit = journal_line.debit > 0
            _journal_line(obj, request, journal_line.description,
                          journal_line.debit if debit else journal_line.credit, debit,
                          journal_line.account_id, journal_line.member_id, mapped=True)
        del header
    elif isinstance(record, Refund):
        if not settings.ar_account_id:
            raise ConnectorError(
                f"refund {record.mms_id!r} needs the QuickBooks receivable account",
                code="settings", sent=False,
                remedy="Set ar_account_id (the QB id of Accounts Receivable) in "
                       "[companies.NAME.quickbooks_legacy], then requeue the refund")
        _journal_header(obj, record)
        _journal_line(obj, request, REFUND, record.amount, True, settings.ar_account_id,
                      record.member_id, mapped=False)
        _journal_line(obj, request, REFUND, record.amount, False, record.from_account_id,
                      None, mapped=True)
    else:
        raise ConnectorError(f"{request.kind} records cannot go through the two-stage path",
                             remedy="Mark them no-go for this company", sent=False)
    return obj


def _sales(obj: ET.Element, request: ExportRequest, record: Invoice | CreditMemo) -> None:
    header = sub(obj, "Header")
    sub(header, "DocNumber", reference_of(record))
    sub(header, "TxnDate", record.txn_date.isoformat())
    if record.memo:
        sub(header, "Note", record.memo)
    _id(header, "CustomerId", request, "member", record.member_id)
    tax = sum((line.tax_amount for line in record.lines), Decimal("0"))
    if tax:
        sub(header, "TaxAmount", money(tax))
    if isinstance(record, Invoice) and record.due_date:
        sub(header, "DueDate", record.due_date.isoformat())
    for invoice_line in record.lines:
        line = sub(obj, "Line")
        if invoice_line.description:
            sub(line, "Desc", invoice_line.description)
        sub(line, "Amount", money(invoice_line.amount))
        if invoice_line.item_id:
            _id(line, "ItemId", request, "item", invoice_line.item_id)
        elif invoice_line.account_id:
            _id(line, "AccountId", request, "gl_account", invoice_line.account_id)
        sub(line, "UnitPrice", money(invoice_line.rate))
        sub(line, "Qty", f"{invoice_line.quantity.normalize():f}")
        if isinstance(record, Invoice) and invoice_line.tax_rate_id:
            _id(line, "SalesTaxCodeId", request, "tax_rate", invoice_line.tax_rate_id)


def _journal_header(obj: ET.Element, record: JournalEntry | Refund) -> ET.Element:
    header = sub(obj, "Header")
    sub(header, "DocNumber", reference_of(record))
    sub(header, "TxnDate", record.txn_date.isoformat())
    if record.memo:
        sub(header, "Note", record.memo)
    return header


def _journal_line(obj: ET.Element, request: ExportRequest, desc: str | None, amount: Decimal,
                  debit: bool, account: str, member: str | None, *, mapped: bool) -> None:
    line = sub(obj, "Line")
    if desc:
        sub(line, "Desc", desc)
    sub(line, "Amount", money(amount))
    sub(line, "PostingType", "Debit" if debit else "Credit")
    if mapped:
        _id(line, "AccountId", request, "gl_account", account)
    else:
        sub(line, "AccountId", account, idDomain="QB")
    if member:
        _id(line, "EntityId", request, "member", member)


def _id(parent: ET.Element, tag: str, request: ExportRequest, kind: str, mms_id: str) -> None:
    domain = "NG" if (kind, mms_id) in request.staged_references else "QB"
    sub(parent, tag, request.ref(kind, mms_id), idDomain=domain)
