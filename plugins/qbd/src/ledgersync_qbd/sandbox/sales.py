"""Sales transactions: InvoiceAdd, InvoiceMod, CreditMemoAdd.

Amounts are :class:`~decimal.Decimal` rounded to cents. A line's amount is its ``Amount``,
else ``Quantity`` x ``Rate`` (quantity 1 when absent), else the item's price. Sales tax is
not computed by the simulator (``SalesTaxTotal`` is always 0.00).
"""

from __future__ import annotations

from decimal import Decimal

from .context import (
    Context,
    Outcome,
    account_type,
    amount_of,
    cents,
    date_of,
    plain_fields,
    require_unlocked,
    require_writable,
    resolve_ref,
    resolve_refs,
)
from .queries import include_set
from .status import EDIT_SEQUENCE_OUT_OF_DATE, INVALID_FIELD_VALUE, OBJECT_NOT_FOUND, QbError
from .store import ZERO, Application, Line, ListRecord, TxnRecord
from .txnviews import render_txn
from .xml import Element, text_of

_HEADER_SKIP = ("TxnID", "EditSequence", "TxnDate", "RefNumber", "InvoiceLineAdd",
                "InvoiceLineGroupAdd", "InvoiceLineMod", "CreditMemoLineAdd", "SetCredit",
                "LinkToTxnID", "DiscountLineAdd", "SalesTaxLineAdd", "ShippingLineAdd",
                "ExchangeRate")
_LINE_SKIP = ("TxnLineID", "Amount", "LinkToTxn", "OptionForPriceRuleConflict")


def _item_price(item: ListRecord | None) -> Decimal | None:
    if item is None:
        return None
    for tag, price_tag in (("SalesOrPurchase", "Price"), ("SalesAndPurchase", "SalesPrice")):
        for block in item.fields.get(tag, []):
            value = text_of(block, price_tag)
            if value is not None:
                return Decimal(value)
    return None


def build_line(ctx: Context, element: Element, kind: str, object_name: str,
               line_id: str | None = None) -> Line:
    refs = resolve_refs(ctx, element, object_name)
    amount = amount_of(element, "Amount")
    if amount is None:
        quantity = amount_of(element, "Quantity")
        rate = amount_of(element, "Rate")
        if rate is None:
            item_id = refs.get("ItemRef")
            rate = _item_price(ctx.store.lists.get(item_id) if item_id else None)
        amount = (Decimal(1) if quantity is None else quantity) * (rate or ZERO)
    return Line(line_id=line_id or ctx.store.new_line_id(), kind=kind,
                fields=plain_fields(element, skip=_LINE_SKIP), refs=refs, amount=cents(amount))


def _next_ref_number(ctx: Context, txn_type: str) -> str:
    numbers = [int(t.ref_number) for t in ctx.store.txns_of(txn_type)
               if t.ref_number and t.ref_number.isdigit()]
    return str(max(numbers, default=0) + 1)


def _set_credits(ctx: Context, parent: Element, customer: ListRecord,
                 invoice_open: Decimal) -> list[Application]:
    """Validate ``SetCredit`` children: credit memos of ``customer`` with enough credit."""
    credits: list[Application] = []
    remaining = invoice_open
    for element in parent.findall("SetCredit"):
        credit_id = text_of(element, "CreditTxnID") or ""
        amount = cents(amount_of(element, "AppliedAmount") or ZERO)
        credit = ctx.store.txns.get(credit_id)
        if credit is None or credit.txn_type != "CreditMemo":
            raise QbError(OBJECT_NOT_FOUND, value=credit_id)
        if credit.customer_id != customer.list_id or amount > credit.open_amount:
            raise QbError(INVALID_FIELD_VALUE, object="transaction",
                          detail="The credit cannot be applied: not enough credit remaining.")
        if amount > remaining:
            raise QbError(INVALID_FIELD_VALUE, object="transaction",
                          detail="You cannot pay more than the amount due.")
        remaining -= amount
        credits.append(Application(credit_id, amount))
    return credits


def _sales_add(ctx: Context, rq: Element, txn_type: str, line_tag: str) -> Outcome:
    require_writable(ctx)
    body = rq.find(f"{txn_type}Add")
    assert body is not None
    customer = resolve_ref(ctx, body, "CustomerRef", txn_type)
    assert customer is not None  # CustomerRef is required by the schema
    refs = resolve_refs(ctx, body, txn_type)
    refs.setdefault("ARAccountRef", _ar_account(ctx))
    txn_date = date_of(body, "TxnDate", ctx.store.now().date())
    lines = [build_line(ctx, el, f"{txn_type}LineRet", txn_type) for el in body.findall(line_tag)]
    total = sum((line.amount for line in lines), ZERO)
    credits = _set_credits(ctx, body, customer, total) if txn_type == "Invoice" else []
    txn = ctx.store.add_txn(txn_type, txn_date)
    txn.ref_number = text_of(body, "RefNumber") or (
        _next_ref_number(ctx, txn_type) if txn_type == "Invoice" else None)
    txn.customer_id = customer.list_id
    txn.refs, txn.lines = refs, lines
    txn.fields = plain_fields(body, skip=_HEADER_SKIP)
    txn.total = total
    txn.open_amount = total - sum((c.amount for c in credits), ZERO)
    txn.applications = credits
    for credit in credits:
        ctx.store.txns[credit.target_id].open_amount -= credit.amount
    sign = Decimal(1) if txn_type == "Invoice" else Decimal(-1)
    ctx.store.apply_customer_effect(txn, customer.list_id, sign * total)
    return Outcome([render_txn(ctx.store, txn, include=include_set(rq))],
                   write_key=(f"{txn_type}Add", txn.ref_number or txn.txn_id))


def _ar_account(ctx: Context) -> str:
    for record in ctx.store.lists_of(("Account",)):
        if record.is_active and account_type(record) == "AccountsReceivable":
            return record.list_id
    raise QbError(INVALID_FIELD_VALUE, object="transaction",
                  detail="There is no Accounts Receivable account.")


def invoice_add(ctx: Context, rq: Element) -> Outcome:
    return _sales_add(ctx, rq, "Invoice", "InvoiceLineAdd")


def credit_memo_add(ctx: Context, rq: Element) -> Outcome:
    return _sales_add(ctx, rq, "CreditMemo", "CreditMemoLineAdd")


def existing_txn(ctx: Context, body: Element, txn_type: str) -> TxnRecord:
    txn_id = text_of(body, "TxnID") or ""
    txn = ctx.store.txns.get(txn_id)
    if txn is None or txn.txn_type != txn_type:
        raise QbError(OBJECT_NOT_FOUND, value=txn_id)
    require_unlocked(ctx, txn_id)
    sent = text_of(body, "EditSequence") or ""
    if sent != txn.edit_sequence:
        raise QbError(EDIT_SEQUENCE_OUT_OF_DATE, value=sent)
    return txn


def invoice_mod(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    body = rq.find("InvoiceMod")
    assert body is not None
    txn = existing_txn(ctx, body, "Invoice")
    applied = txn.total - txn.open_amount
    customer = resolve_ref(ctx, body, "CustomerRef", "Invoice")
    if customer is not None and customer.list_id != txn.customer_id and applied != ZERO:
        raise QbError(INVALID_FIELD_VALUE, object="Invoice",
                      detail="The customer of an invoice with payments cannot change.")
    refs = resolve_refs(ctx, body, "Invoice", skip=("CustomerRef",))
    lines = txn.lines
    line_mods = body.findall("InvoiceLineMod")
    if line_mods:
        current = {line.line_id: line for line in txn.lines}
        lines = []
        for element in line_mods:
            line_id = text_of(element, "TxnLineID") or ""
            if line_id != "-1" and line_id not in current:
                raise QbError(OBJECT_NOT_FOUND, value=line_id)
            lines.append(build_line(ctx, element, "InvoiceLineRet", "Invoice",
                                    None if line_id == "-1" else line_id))
    total = sum((line.amount for line in lines), ZERO)
    if total < applied:
        raise QbError(INVALID_FIELD_VALUE, object="Invoice",
                      detail="The new total is less than the amount already paid.")
    txn_date = date_of(body, "TxnDate", txn.txn_date)
    ctx.store.reverse_customer_effects(txn)
    if customer is not None:
        txn.customer_id = customer.list_id
    txn.txn_date, txn.lines, txn.total, txn.open_amount = txn_date, lines, total, total - applied
    txn.ref_number = text_of(body, "RefNumber") or txn.ref_number
    txn.refs.update(refs)
    txn.fields.update(plain_fields(body, skip=_HEADER_SKIP))
    assert txn.customer_id is not None
    ctx.store.apply_customer_effect(txn, txn.customer_id, total)
    ctx.store.touch(txn)
    return Outcome([render_txn(ctx.store, txn, include=include_set(rq))],
                   write_key=("InvoiceMod", txn.ref_number or txn.txn_id))
