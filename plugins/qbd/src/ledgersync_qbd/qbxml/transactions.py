"""Invoices, credit memos, payments, refunds and journal entries as qbXML writes.

Element order follows the qbXML 13.0 sequences (as in the examples in
plugins/qbd/tests/data/qbxml-examples/). Choices made here, each for a reason:

* Sales tax is written as explicit lines of the mapped sales-tax item with the MMS's own
  amounts, and every item line carries the non-taxable code: QuickBooks computing tax itself
  could round differently from the MMS, and the books must tie out to the cent.
* Every document has a RefNumber QuickBooks can be asked for: the MMS number, or for payments,
  refunds and journal entries without one, the MMS id (hashed to fit when too long).
* A credit memo is not applied to its invoice here (that would be a second write for one item);
  the credit stays open on the customer, which keeps the balance right.
* Updates exist in QuickBooks for invoices only among the transactions ledgersync writes; a
  changed payment, credit, refund or journal entry needs a person (void and record anew).
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

from ledgersync import (
    CreditMemo,
    ExportRequest,
    Invoice,
    InvoiceLine,
    JournalEntry,
    Operation,
    Payment,
    Refund,
)

from ..errors import QbdValidationError
from .model import BuildContext, Finder, Write
from .refs import Element, external_guid, money, opt, quantity, ref, sub, txn_id_ref
from .text import check_length, fit

VOID_TYPES = {"invoice": "Invoice", "credit_memo": "CreditMemo", "payment": "ReceivePayment",
              "refund": "ARRefundCreditCard", "journal_entry": "JournalEntry"}
_QUERIES = {"invoice": "InvoiceQueryRq", "credit_memo": "CreditMemoQueryRq",
            "payment": "ReceivePaymentQueryRq", "refund": "ARRefundCreditCardQueryRq",
            "journal_entry": "JournalEntryQueryRq"}
_REF_MAX = {"invoice": 11, "credit_memo": 11, "payment": 20, "refund": 11, "journal_entry": 11}
ACCOUNT_REF_MAX = 159
ITEM_REF_MAX = 159


class _Builder:
    """State of one build: the request, the context, and warnings collected on the way."""

    def __init__(self, request: ExportRequest, ctx: BuildContext) -> None:
        self.request = request
        self.ctx = ctx
        self.what = request.describe()
        self.warnings: list[str] = []

    def text(self, parent: Element, field: str, value: str | None, limit: int) -> None:
        if value:
            opt(parent, field, fit(value, limit, what=self.what, field=field,
                                   identifying=False, warnings=self.warnings))

    def ref(self, parent: Element, tag: str, remote: str, limit: int) -> None:
        ref(parent, tag, remote, limit=limit, what=self.what, warnings=self.warnings)

    def mapped(self, kind: str, mms_id: str) -> str:
        # The engine resolved every reference before handing us the item.
        return self.request.ref(kind, mms_id)

    def ref_number(self, given: str | None) -> str:
        """The RefNumber (see the module docstring); a given number is never cut."""
        kind = self.request.kind
        limit = _REF_MAX[kind]
        if given:
            number = fit(given, limit, what=self.what, field="RefNumber (from number)",
                         identifying=True, warnings=self.warnings)
            return check_length(number, limit, what=self.what, field="RefNumber")
        derived = fit(self.request.record.mms_id, 10_000, what=self.what, field="mms_id",
                      identifying=False, warnings=[])
        if len(derived) <= limit and "?" not in derived:
            return derived
        digest = hashlib.sha256(self.request.record.mms_id.encode()).digest()
        return "L" + base64.b32encode(digest).decode("ascii")[: limit - 1]

    def header(self, body: Element, customer: str | None) -> None:
        """CustomerRef then ARAccountRef, where every AR document starts."""
        if customer is not None:
            self.ref(body, "CustomerRef", f"listid:{self.mapped('member', customer)}", 209)
        if self.ctx.settings.ar_account:
            self.ref(body, "ARAccountRef", self.ctx.settings.ar_account, ACCOUNT_REF_MAX)

    def guid(self) -> str:
        return external_guid(self.ctx.company, self.request.kind, self.request.record.mms_id)

    def finish(self, rq: Element, body: Element, ref_number: str) -> Write:
        guid = self.guid()
        finder = Finder(_QUERIES[self.request.kind], "RefNumber", ref_number, guid)
        return Write(rq, str(rq.tag), finder, tuple(self.warnings))

    # -- lines ---------------------------------------------------------------------------------

    def sales_lines(self, body: Element, tag: str, lines: tuple[InvoiceLine, ...],
                    *, mod: bool) -> None:
        tax: dict[str, Decimal] = {}
        settings = self.ctx.settings
        for line in lines:
            element = sub(body, tag)
            if mod:
                sub(element, "TxnLineID", "-1")  # -1: a new line; the old ones are replaced
            if line.item_id is not None:
                item = self.mapped("item", line.item_id)
            elif settings.default_item:
                item = settings.default_item
            else:
                raise QbdValidationError(
                    f"{self.what}: a line names only a GL account, and QuickBooks Desktop "
                    "lines need an item",
                    remedy="Set default_item in [companies.NAME.qbd] to an item whose "
                    "account the line's account overrides, or give the line an item")
            self.ref(element, "ItemRef", item, ITEM_REF_MAX)
            self.text(element, "Desc", line.description, 4095)
            sub(element, "Quantity", quantity(line.quantity))
            sub(element, "Rate", quantity(line.rate))
            sub(element, "Amount", money(line.amount))
            if settings.non_taxable_code:
                self.ref(element, "SalesTaxCodeRef", f"name:{settings.non_taxable_code}", 3)
            if line.account_id is not None:
                account = self.mapped("gl_account", line.account_id)
                self.ref(element, "OverrideItemAccountRef", account, ACCOUNT_REF_MAX)
            if line.tax_amount:
                assert line.tax_rate_id is not None  # the record checks it
                remote = self.mapped("tax_rate", line.tax_rate_id)
                tax[remote] = tax.get(remote, Decimal(0)) + line.tax_amount
        for remote, amount in tax.items():
            element = sub(body, tag)
            if mod:
                sub(element, "TxnLineID", "-1")
            self.ref(element, "ItemRef", remote, ITEM_REF_MAX)
            sub(element, "Amount", money(amount))

    def check_currency(self, currency: str) -> None:
        home = self.ctx.settings.currency
        if currency != home:
            raise QbdValidationError(
                f"{self.what} is in {currency}; the company file keeps {home}",
                remedy="Record it in the company's home currency, or set currency in "
                "[companies.NAME.qbd] if the company file uses another (multicurrency is "
                "not written by ledgersync)")


def build_invoice(request: ExportRequest, ctx: BuildContext) -> Write:
    invoice = request.record
    assert isinstance(invoice, Invoice)
    b = _Builder(request, ctx)
    b.check_currency(invoice.currency)
    update = request.operation is Operation.UPDATE
    tag = "InvoiceMod" if update else "InvoiceAdd"
    rq = Element(f"{tag}Rq")
    body = sub(rq, tag)
    if update:
        sub(body, "TxnID", _own_id(request))
        sub(body, "EditSequence", ctx.edit_sequence or request.version_token or "0")
    b.header(body, invoice.member_id)
    sub(body, "TxnDate", invoice.txn_date.isoformat())
    number = b.ref_number(invoice.number)
    sub(body, "RefNumber", number)
    if invoice.terms_id is not None:
        b.ref(body, "TermsRef", b.mapped("terms", invoice.terms_id), 31)
    if invoice.due_date is not None:
        sub(body, "DueDate", invoice.due_date.isoformat())
    b.text(body, "Memo", invoice.memo, 4095)
    if not update:
        sub(body, "ExternalGUID", b.guid())
    b.sales_lines(body, "InvoiceLineMod" if update else "InvoiceLineAdd", invoice.lines,
                  mod=update)
    return b.finish(rq, body, number)


def build_credit_memo(request: ExportRequest, ctx: BuildContext) -> Write:
    memo = request.record
    assert isinstance(memo, CreditMemo)
    b = _Builder(request, ctx)
    b.check_currency(memo.currency)
    rq = Element("CreditMemoAddRq")
    body = sub(rq, "CreditMemoAdd")
    b.header(body, memo.member_id)
    sub(body, "TxnDate", memo.txn_date.isoformat())
    number = b.ref_number(memo.number)
    sub(body, "RefNumber", number)
    b.text(body, "Memo", memo.memo, 4095)
    sub(body, "ExternalGUID", b.guid())
    b.sales_lines(body, "CreditMemoLineAdd", memo.lines, mod=False)
    if memo.applied_to_invoice_id is not None:
        b.warnings.append("the credit stays open on the customer in QuickBooks (apply it to "
                          f"invoice {memo.applied_to_invoice_id!r} there if needed)")
    return b.finish(rq, body, number)


def build_payment(request: ExportRequest, ctx: BuildContext) -> Write:
    payment = request.record
    assert isinstance(payment, Payment)
    b = _Builder(request, ctx)
    b.check_currency(payment.currency)
    rq = Element("ReceivePaymentAddRq")
    body = sub(rq, "ReceivePaymentAdd")
    b.header(body, payment.member_id)
    sub(body, "TxnDate", payment.txn_date.isoformat())
    number = b.ref_number(payment.number)
    sub(body, "RefNumber", number)
    sub(body, "TotalAmount", money(payment.amount))
    _payment_method(b, body, payment.method)
    if payment.deposit_account_id is not None:
        b.ref(body, "DepositToAccountRef", b.mapped("gl_account", payment.deposit_account_id),
              ACCOUNT_REF_MAX)
    sub(body, "ExternalGUID", b.guid())
    if not payment.applications:
        sub(body, "IsAutoApply", "false")  # the whole amount stays as credit, as in the MMS
    for application in payment.applications:
        applied = txn_id_ref(body, "AppliedToTxnAdd", b.mapped("invoice",
                                                               application.invoice_id))
        sub(applied, "PaymentAmount", money(application.amount))
    return b.finish(rq, body, number)


def build_refund(request: ExportRequest, ctx: BuildContext) -> Write:
    refund = request.record
    assert isinstance(refund, Refund)
    b = _Builder(request, ctx)
    b.check_currency(refund.currency)
    if refund.credit_memo_id is None:
        raise QbdValidationError(
            f"{b.what} pays back no credit memo; a QuickBooks Desktop refund must draw on a "
            "credit",
            remedy="Record the refund against the member's credit memo (credit_memo_id) in "
            "the MMS, or enter it in QuickBooks by hand and mark it synced")
    rq = Element("ARRefundCreditCardAddRq")
    body = sub(rq, "ARRefundCreditCardAdd")
    b.ref(body, "CustomerRef", f"listid:{b.mapped('member', refund.member_id)}", 209)
    b.ref(body, "RefundFromAccountRef", b.mapped("gl_account", refund.from_account_id),
          ACCOUNT_REF_MAX)
    if ctx.settings.ar_account:
        b.ref(body, "ARAccountRef", ctx.settings.ar_account, ACCOUNT_REF_MAX)
    sub(body, "TxnDate", refund.txn_date.isoformat())
    number = b.ref_number(refund.number)
    sub(body, "RefNumber", number)
    _payment_method(b, body, refund.method)
    b.text(body, "Memo", refund.memo, 4095)
    sub(body, "ExternalGUID", b.guid())
    applied = txn_id_ref(body, "RefundAppliedToTxnAdd",
                         b.mapped("credit_memo", refund.credit_memo_id))
    sub(applied, "RefundAmount", money(refund.amount))
    return b.finish(rq, body, number)


def build_journal_entry(request: ExportRequest, ctx: BuildContext) -> Write:
    entry = request.record
    assert isinstance(entry, JournalEntry)
    b = _Builder(request, ctx)
    b.check_currency(entry.currency)
    rq = Element("JournalEntryAddRq")
    body = sub(rq, "JournalEntryAdd")
    sub(body, "TxnDate", entry.txn_date.isoformat())
    number = b.ref_number(entry.number)
    sub(body, "RefNumber", number)
    b.text(body, "Memo", entry.memo, 4095)
    sub(body, "ExternalGUID", b.guid())
    for line in entry.lines:
        element = sub(body, "JournalDebitLine" if line.debit else "JournalCreditLine")
        b.ref(element, "AccountRef", b.mapped("gl_account", line.account_id), ACCOUNT_REF_MAX)
        sub(element, "Amount", money(line.debit or line.credit))
        b.text(element, "Memo", line.description, 4095)
        if line.member_id is not None:
            b.ref(element, "EntityRef", f"listid:{b.mapped('member', line.member_id)}", 209)
        dimensions = dict(line.dimensions)
        if "class" in dimensions:
            b.ref(element, "ClassRef", f"name:{dimensions['class']}", 159)
    return b.finish(rq, body, number)


def build_void(request: ExportRequest, ctx: BuildContext) -> Write:
    """TxnVoid keeps the document with zero amounts, as QuickBooks users expect of a void."""
    rq = Element("TxnVoidRq")
    sub(rq, "TxnVoidType", VOID_TYPES[request.kind])
    sub(rq, "TxnID", _own_id(request))
    return Write(rq, "TxnVoidRq", None)


def _own_id(request: ExportRequest) -> str:
    if not request.external_id:
        raise QbdValidationError(
            f"{request.describe()}: QuickBooks' TxnID of the record is not known",
            remedy="Sync the record's create item first, or link it with `ledgersync map`")
    return request.external_id


def _payment_method(b: _Builder, body: Element, method: str | None) -> None:
    if method is None:
        return
    # An unmapped method is simply left out: QuickBooks does not require one.
    mapped = b.ctx.settings.payment_methods.get(method)
    if mapped:
        b.ref(body, "PaymentMethodRef", f"name:{mapped}", 31)
