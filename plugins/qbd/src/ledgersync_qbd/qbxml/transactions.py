"""Invoices, credit memos, payments, refunds and journal entries as qbXML writes.

Element order follows the qbXML 13.0 sequences (as in the examples in
plugins/qbd/tests/data/qbxml-examples/). Choices made here, each for a reason:

* Sales tax is written as explicit lines of the mapped sales-tax item with the MMS's own
  amounts, and every item line carries the non-taxable code: QuickBooks computing tax itself
  could round differently from the MMS, and the books must tie out to the cent.
* Every document has a RefNumber QuickBooks can be asked for: the MMS number, or for payments,
  refunds and journal entries without one, the MMS id (hashed to fit when too long).
* A credit memo the MMS applied to an invoice is applied in QuickBooks too, once the memo is
  written (its TxnID is needed): a zero-amount ``ReceivePaymentAdd`` whose ``SetCredit`` uses
  the memo's credit on the invoice, which is how the qbXML SDK applies credits
  (:func:`apply_credit_request`). Sending it twice is harmless: the second finds no credit
  left and is refused; a refusal leaves the credit open on the customer, said in a warning.
* A changed invoice, credit memo, payment or journal entry is modified in place
  (``InvoiceModRq``, ``CreditMemoModRq``, ``ReceivePaymentModRq``, ``JournalEntryModRq``, with
  the EditSequence QuickBooks gave last); their lines are all sent as new (``TxnLineID`` -1),
  which replaces the old ones, as the MMS's record is the whole truth. qbXML has no Mod for a
  refund: see :mod:`.reissue`.
* A refund with a credit memo is an ``ARRefundCreditCardAdd`` drawing on that credit; a
  refund of an overpayment (no credit memo) is a check against Accounts Receivable (see
  ``_overpayment_check``).
* A voided MMS payment is deleted in QuickBooks (``TxnDelRq``, ``TxnDelType`` ReceivePayment):
  qbXML 13.0 cannot void a payment (``TxnVoidType`` has no ReceivePayment, and QuickBooks'
  parser refuses the whole set), and deleting it is what QuickBooks itself offers for a
  payment entered in error: the invoices it paid are open again and the customer's balance
  goes back up, as in the MMS. The MMS keeps the voided payment as its audit trail. Every
  other kind is voided (``TxnVoidRq``), which keeps the document with zero amounts.
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
    Record,
    Refund,
)

from ..errors import QbdValidationError
from .model import BuildContext, Finder, Write
from .refs import Element, external_guid, money, opt, quantity, ref, sub, txn_id_ref
from .text import check_length, fit

#: Kind -> QuickBooks transaction type.
TXN_TYPES = {"invoice": "Invoice", "credit_memo": "CreditMemo", "payment": "ReceivePayment",
             "refund": "ARRefundCreditCard", "journal_entry": "JournalEntry"}
#: Kind -> TxnDelType, for the kinds QuickBooks cannot void (see the module docstring).
DELETE_TYPES = {"payment": "ReceivePayment"}
#: Kind -> TxnVoidType (qbXML 13.0 enumeration).
VOID_TYPES = {kind: txn for kind, txn in TXN_TYPES.items() if kind not in DELETE_TYPES}
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
        self._guid: str | None = None

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
        if self._guid is None:  # written in the record and in its finder: derived once
            self._guid = external_guid(self.ctx.company, self.request.kind,
                                       self.request.record.mms_id)
        return self._guid

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
    rq, body, update = _start(request, ctx, "Invoice")
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


def _start(request: ExportRequest, ctx: BuildContext, name: str) -> tuple[Element, Element, bool]:
    """``<{name}AddRq><{name}Add>`` or, for an update, ``<{name}ModRq><{name}Mod>`` opened
    with the TxnID and EditSequence."""
    update = request.operation is Operation.UPDATE
    tag = f"{name}Mod" if update else f"{name}Add"
    rq = Element(f"{tag}Rq")
    body = sub(rq, tag)
    if update:
        sub(body, "TxnID", _own_id(request))
        sub(body, "EditSequence", ctx.edit_sequence or request.version_token or "0")
    return rq, body, update


def build_credit_memo(request: ExportRequest, ctx: BuildContext) -> Write:
    memo = request.record
    assert isinstance(memo, CreditMemo)
    b = _Builder(request, ctx)
    b.check_currency(memo.currency)
    rq, body, update = _start(request, ctx, "CreditMemo")
    b.header(body, memo.member_id)
    sub(body, "TxnDate", memo.txn_date.isoformat())
    number = b.ref_number(memo.number)
    sub(body, "RefNumber", number)
    b.text(body, "Memo", memo.memo, 4095)
    if not update:
        sub(body, "ExternalGUID", b.guid())
    b.sales_lines(body, "CreditMemoLineMod" if update else "CreditMemoLineAdd", memo.lines,
                  mod=update)
    return b.finish(rq, body, number)


def needs_applying(request: ExportRequest) -> bool:
    """A new credit memo the MMS applied to an invoice."""
    record = request.record
    return (request.operation is Operation.CREATE and isinstance(record, CreditMemo)
            and record.applied_to_invoice_id is not None)


def apply_credit_request(request: ExportRequest, ctx: BuildContext, memo_txn_id: str) -> Element:
    """The zero-amount payment that applies the written credit memo to its invoice."""
    memo = request.record
    assert isinstance(memo, CreditMemo)
    assert memo.applied_to_invoice_id is not None
    b = _Builder(request, ctx)
    rq = Element("ReceivePaymentAddRq")
    body = sub(rq, "ReceivePaymentAdd")
    b.header(body, memo.member_id)
    sub(body, "TxnDate", memo.txn_date.isoformat())
    sub(body, "TotalAmount", money(Decimal(0)))
    sub(body, "Memo", f"Credit memo {memo.number or memo.mms_id} applied by ledgersync")
    applied = txn_id_ref(body, "AppliedToTxnAdd", b.mapped("invoice", memo.applied_to_invoice_id))
    sub(applied, "PaymentAmount", money(Decimal(0)))
    credit = sub(applied, "SetCredit")
    sub(credit, "CreditTxnID", memo_txn_id)
    sub(credit, "AppliedAmount", money(memo.total()))
    return rq


def build_payment(request: ExportRequest, ctx: BuildContext) -> Write:
    payment = request.record
    assert isinstance(payment, Payment)
    b = _Builder(request, ctx)
    b.check_currency(payment.currency)
    rq, body, update = _start(request, ctx, "ReceivePayment")
    b.header(body, payment.member_id)
    sub(body, "TxnDate", payment.txn_date.isoformat())
    number = b.ref_number(payment.number)
    sub(body, "RefNumber", number)
    sub(body, "TotalAmount", money(payment.amount))
    _payment_method(b, body, payment.method)
    if payment.deposit_account_id is not None:
        b.ref(body, "DepositToAccountRef", b.mapped("gl_account", payment.deposit_account_id),
              ACCOUNT_REF_MAX)
    if not update:
        sub(body, "ExternalGUID", b.guid())
        if not payment.applications:
            sub(body, "IsAutoApply", "false")  # the whole amount stays credit, as in the MMS
    for application in payment.applications:
        applied = txn_id_ref(body, "AppliedToTxnMod" if update else "AppliedToTxnAdd",
                             b.mapped("invoice", application.invoice_id))
        sub(applied, "PaymentAmount", money(application.amount))
    return b.finish(rq, body, number)


def build_refund(request: ExportRequest, ctx: BuildContext) -> Write:
    refund = request.record
    assert isinstance(refund, Refund)
    b = _Builder(request, ctx)
    b.check_currency(refund.currency)
    if refund.credit_memo_id is None:
        return _overpayment_check(b, refund)
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


#: QuickBooks' own name for the A/R account of a new company file.
DEFAULT_AR_ACCOUNT = "name:Accounts Receivable"


def _overpayment_check(b: _Builder, refund: Refund) -> Write:
    """A refund of an overpayment (no credit memo), the way QuickBooks records one: a check
    to the customer from the refund's bank account whose expense line posts to Accounts
    Receivable for that customer, which takes the unused credit off the customer's balance
    (the bookkeeper may link the two in Receive Payments; the balances are right without)."""
    rq = Element("CheckAddRq")
    body = sub(rq, "CheckAdd")
    b.ref(body, "AccountRef", b.mapped("gl_account", refund.from_account_id), ACCOUNT_REF_MAX)
    customer = f"listid:{b.mapped('member', refund.member_id)}"
    b.ref(body, "PayeeEntityRef", customer, 209)
    number = b.ref_number(refund.number)
    sub(body, "RefNumber", number)
    sub(body, "TxnDate", refund.txn_date.isoformat())
    b.text(body, "Memo", refund.memo, 4095)
    sub(body, "ExternalGUID", b.guid())
    line = sub(body, "ExpenseLineAdd")
    b.ref(line, "AccountRef", b.ctx.settings.ar_account or DEFAULT_AR_ACCOUNT, ACCOUNT_REF_MAX)
    sub(line, "Amount", money(refund.amount))
    b.text(line, "Memo", refund.memo or f"Refund of overpayment {number}", 4095)
    b.ref(line, "CustomerRef", customer, 209)
    return Write(rq, "CheckAddRq", Finder("CheckQueryRq", "RefNumber", number, b.guid()),
                 tuple(b.warnings))


def build_journal_entry(request: ExportRequest, ctx: BuildContext) -> Write:
    entry = request.record
    assert isinstance(entry, JournalEntry)
    b = _Builder(request, ctx)
    b.check_currency(entry.currency)
    rq, body, update = _start(request, ctx, "JournalEntry")
    sub(body, "TxnDate", entry.txn_date.isoformat())
    number = b.ref_number(entry.number)
    sub(body, "RefNumber", number)
    if not update:  # JournalEntryMod has no Memo of its own (qbXML 13.0)
        b.text(body, "Memo", entry.memo, 4095)
        sub(body, "ExternalGUID", b.guid())
    for line in entry.lines:
        if update:
            element = sub(body, "JournalLineMod")
            sub(element, "TxnLineID", "-1")
            sub(element, "JournalLineType", "Debit" if line.debit else "Credit")
        else:
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
    """TxnVoid keeps the document with zero amounts, as QuickBooks users expect of a void; a
    payment, which qbXML cannot void, is deleted (see the module docstring)."""
    if request.kind in DELETE_TYPES:
        rq = Element("TxnDelRq")
        sub(rq, "TxnDelType", DELETE_TYPES[request.kind])
        sub(rq, "TxnID", _own_id(request))
        return Write(rq, "TxnDelRq", None)
    rq = Element("TxnVoidRq")
    sub(rq, "TxnVoidType", txn_type_of(request.record))
    sub(rq, "TxnID", _own_id(request))
    return Write(rq, "TxnVoidRq", None)


def txn_type_of(record: Record) -> str:
    """The QuickBooks transaction type ``record`` was written as."""
    if isinstance(record, Refund) and record.credit_memo_id is None:
        return "Check"  # a refund of an overpayment (see _overpayment_check)
    return TXN_TYPES[record.kind]


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
