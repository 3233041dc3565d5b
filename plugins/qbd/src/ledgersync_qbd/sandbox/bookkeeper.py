"""What a bookkeeper does in QuickBooks behind ledgersync's back, for reconciliation scenarios.

Each change is made the way QuickBooks makes it when a person edits the company file: through
the company file's own request handlers (``InvoiceMod``, ``TxnDel``, ``ListDel``,
``CustomerMod``, ``InvoiceAdd``, ``ReceivePaymentMod``), so every rule the sandbox enforces
applies (a customer with transactions cannot be deleted, a payment cannot pay more than is
due, an edit needs the current EditSequence). A change QuickBooks refuses raises
:class:`BookkeeperRefused` with QuickBooks' status.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from .store import ListRecord, TxnRecord
from .xml import Element, money, parse_xml, serialize_element, sub

if TYPE_CHECKING:
    from .company import CompanyFile


class BookkeeperRefused(Exception):
    """QuickBooks refused a change a person tried to make."""

    def __init__(self, request: str, code: str, message: str) -> None:
        super().__init__(f"QuickBooks refused {request}: {code} {message}")
        self.code = int(code)


class Bookkeeper:
    """A person working in the simulated company file."""

    def __init__(self, company_file: CompanyFile) -> None:
        self.company_file = company_file

    # -- helpers -------------------------------------------------------------------------

    def invoice(self, ref_number: str) -> TxnRecord:
        found = self.company_file.transactions("Invoice", ref_number)
        if len(found) != 1:
            raise LookupError(f"{len(found)} invoices numbered {ref_number!r}")
        return found[0]

    def customer(self, full_name: str) -> ListRecord:
        found = self.company_file.customer(full_name)
        if found is None:
            raise LookupError(f"no customer named {full_name!r}")
        return found

    def _run(self, rq: Element) -> Element:
        text = ('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n<QBXML>'
                f'<QBXMLMsgsRq onError="stopOnError">{serialize_element(rq)}</QBXMLMsgsRq>'
                "</QBXML>")
        rs = parse_xml(self.company_file.process(text))[0][0]
        if rs.get("statusSeverity") == "Error":
            raise BookkeeperRefused(str(rq.tag), rs.get("statusCode", ""),
                                    rs.get("statusMessage", ""))
        return rs

    def _is_tax(self, item_id: str | None) -> bool:
        item = self.company_file.store.lists.get(item_id or "")
        return item is not None and item.list_type == "ItemSalesTax"

    def _mod_lines(self, invoice: TxnRecord, amounts: dict[str, Decimal]) -> None:
        """InvoiceMod keeping every line (by TxnLineID) with its item, new amounts where
        given."""
        rq = Element("InvoiceModRq")
        body = sub(rq, "InvoiceMod")
        sub(body, "TxnID", invoice.txn_id)
        sub(body, "EditSequence", invoice.edit_sequence)
        for line in invoice.lines:
            element = sub(body, "InvoiceLineMod")
            sub(element, "TxnLineID", line.line_id)
            if "ItemRef" in line.refs:
                sub(sub(element, "ItemRef"), "ListID", line.refs["ItemRef"])
            sub(element, "Amount", money(amounts.get(line.line_id, line.amount)))
            if "OverrideItemAccountRef" in line.refs:
                sub(sub(element, "OverrideItemAccountRef"), "ListID",
                    line.refs["OverrideItemAccountRef"])
        self._run(rq)

    # -- the changes ---------------------------------------------------------------------

    def edit_invoice_amount(self, ref_number: str, amount: Decimal) -> None:
        """Change the amount of the invoice's first line that is not sales tax."""
        invoice = self.invoice(ref_number)
        line = next(ln for ln in invoice.lines if not self._is_tax(ln.refs.get("ItemRef")))
        self._mod_lines(invoice, {line.line_id: amount})

    def retax_invoice(self, ref_number: str, rate_percent: Decimal,
                      taxable: Decimal | None = None) -> Decimal:
        """Recompute the invoice's sales-tax line at another rate on ``taxable`` (default: all
        its other lines), as a bookkeeper does who picks another sales tax item; returns the
        new tax."""
        invoice = self.invoice(ref_number)
        if taxable is None:
            taxable = sum((ln.amount for ln in invoice.lines
                           if not self._is_tax(ln.refs.get("ItemRef"))), Decimal(0))
        tax = (taxable * rate_percent / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        line = next(ln for ln in invoice.lines if self._is_tax(ln.refs.get("ItemRef")))
        self._mod_lines(invoice, {line.line_id: tax})
        return tax

    def void_invoice(self, ref_number: str) -> None:
        rq = Element("TxnVoidRq")
        sub(rq, "TxnVoidType", "Invoice")
        sub(rq, "TxnID", self.invoice(ref_number).txn_id)
        self._run(rq)

    def delete_invoice(self, ref_number: str) -> None:
        self._delete("Invoice", self.invoice(ref_number).txn_id)

    def delete_transactions_of(self, full_name: str) -> None:
        """Delete every transaction of a customer (what QuickBooks asks before the customer
        itself can go), payments first so that nothing is applied to what is deleted."""
        customer = self.customer(full_name).list_id
        store = self.company_file.store
        order = ("ReceivePayment", "ARRefundCreditCard", "CreditMemo", "Invoice")
        for txn_type in order:
            for txn in [t for t in store.txns_of(txn_type) if t.customer_id == customer]:
                self._delete(txn_type, txn.txn_id)

    def _delete(self, txn_type: str, txn_id: str) -> None:
        rq = Element("TxnDelRq")
        sub(rq, "TxnDelType", txn_type)
        sub(rq, "TxnID", txn_id)
        self._run(rq)

    def delete_customer(self, full_name: str) -> None:
        rq = Element("ListDelRq")
        sub(rq, "ListDelType", "Customer")
        sub(rq, "ListID", self.customer(full_name).list_id)
        self._run(rq)

    def make_customer_inactive(self, full_name: str) -> None:
        customer = self.customer(full_name)
        rq = Element("CustomerModRq")
        body = sub(rq, "CustomerMod")
        sub(body, "ListID", customer.list_id)
        sub(body, "EditSequence", customer.edit_sequence)
        sub(body, "IsActive", "false")
        self._run(rq)

    def enter_invoice(self, full_name: str, amount: Decimal, txn_date: date, *,
                      item: str = "Membership Dues", ref_number: str | None = None) -> str:
        """An invoice typed in QuickBooks (no ExternalGUID); returns its TxnID."""
        rq = Element("InvoiceAddRq")
        body = sub(rq, "InvoiceAdd")
        sub(sub(body, "CustomerRef"), "ListID", self.customer(full_name).list_id)
        sub(body, "TxnDate", txn_date.isoformat())
        if ref_number is not None:
            sub(body, "RefNumber", ref_number)
        line = sub(body, "InvoiceLineAdd")
        sub(sub(line, "ItemRef"), "FullName", item)
        sub(line, "Amount", money(amount))
        rs = self._run(rq)
        return str(rs[0].findtext("TxnID"))

    def reapply_payment(self, payment_ref: str, invoice_ref: str) -> None:
        """Apply the whole payment to another invoice of the same customer instead."""
        found = self.company_file.transactions("ReceivePayment", payment_ref)
        if len(found) != 1:
            raise LookupError(f"{len(found)} payments numbered {payment_ref!r}")
        payment = found[0]
        rq = Element("ReceivePaymentModRq")
        body = sub(rq, "ReceivePaymentMod")
        sub(body, "TxnID", payment.txn_id)
        sub(body, "EditSequence", payment.edit_sequence)
        applied = sub(body, "AppliedToTxnMod")
        sub(applied, "TxnID", self.invoice(invoice_ref).txn_id)
        sub(applied, "PaymentAmount", money(payment.total))
        self._run(rq)
