"""Money-in and money-out: ReceivePaymentAdd (``AppliedToTxnAdd``/``IsAutoApply``) and
ARRefundCreditCardAdd (``RefundAppliedToTxnAdd``).

Over-applying a payment answers 3210 "You cannot pay more than the amount due." (the
observed QuickBooks text). A refund pays back a credit
(plugins/qbd/tests/data/qbxml-examples/refund_check.xml: a refund *by check* is an
``ARRefundCreditCardAdd`` paid from a bank/undeposited-funds account with payment method
``Check``); a refund may draw on a credit memo's remaining credit or a payment's unused amount.
"""

from __future__ import annotations

from decimal import Decimal

from .context import (
    Context,
    Outcome,
    amount_of,
    cents,
    date_of,
    plain_fields,
    require_writable,
    resolve_ref,
    resolve_refs,
)
from .queries import include_set
from .schema import parse_bool
from .status import INVALID_FIELD_VALUE, OBJECT_NOT_FOUND, QbError
from .store import ZERO, Application, ListRecord, TxnRecord
from .txnviews import render_txn
from .xml import Element, text_of

AMOUNT_DUE = "You cannot pay more than the amount due."
_SKIP = ("TxnDate", "RefNumber", "TotalAmount", "AppliedToTxnAdd", "IsAutoApply",
         "RefundAppliedToTxnAdd", "ExchangeRate", "CreditCardTxnInfo")


def _target(ctx: Context, txn_id: str, types: tuple[str, ...], customer: ListRecord,
            object_name: str) -> TxnRecord:
    target = ctx.store.txns.get(txn_id)
    if target is None or target.txn_type not in types:
        raise QbError(OBJECT_NOT_FOUND, value=txn_id)
    if target.customer_id != customer.list_id:
        raise QbError(INVALID_FIELD_VALUE, object=object_name,
                      detail=f'The transaction "{txn_id}" belongs to another customer.')
    return target


def receive_payment_add(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    body = rq.find("ReceivePaymentAdd")
    assert body is not None
    customer = resolve_ref(ctx, body, "CustomerRef", "ReceivePayment")
    assert customer is not None
    refs = resolve_refs(ctx, body, "ReceivePayment")
    txn_date = date_of(body, "TxnDate", ctx.store.now().date())
    total = amount_of(body, "TotalAmount")
    applications: list[Application] = []
    credits: list[tuple[str, Application]] = []
    planned: dict[str, Decimal] = {}
    for element in body.findall("AppliedToTxnAdd"):
        txn_id = text_of(element, "TxnID") or ""
        invoice = _target(ctx, txn_id, ("Invoice",), customer, "ReceivePayment")
        due = invoice.open_amount - planned.get(txn_id, ZERO)
        for credit_el in element.findall("SetCredit"):
            credit_id = text_of(credit_el, "CreditTxnID") or ""
            credit_amount = cents(amount_of(credit_el, "AppliedAmount") or ZERO)
            credit = _target(ctx, credit_id, ("CreditMemo",), customer, "ReceivePayment")
            if credit_amount > credit.open_amount or credit_amount > due:
                raise QbError(INVALID_FIELD_VALUE, object="ReceivePayment", detail=AMOUNT_DUE)
            due -= credit_amount
            credits.append((txn_id, Application(credit_id, credit_amount)))
        amount = cents(amount_of(element, "PaymentAmount") or ZERO)
        if amount > due:
            raise QbError(INVALID_FIELD_VALUE, object="ReceivePayment", detail=AMOUNT_DUE)
        # ``open - due`` already holds what earlier applications (and credits) took from it.
        planned[txn_id] = (invoice.open_amount - due) + amount
        if amount:
            applications.append(Application(txn_id, amount))
    if parse_bool(text_of(body, "IsAutoApply")):
        budget = total if total is not None else ZERO
        open_invoices = sorted(
            (t for t in ctx.store.txns_of("Invoice")
             if t.customer_id == customer.list_id and t.open_amount > ZERO),
            key=lambda t: (t.txn_date, t.txn_number))
        for invoice in open_invoices:
            if budget <= ZERO:
                break
            amount = min(budget, invoice.open_amount)
            applications.append(Application(invoice.txn_id, amount))
            budget -= amount
    applied = sum((app.amount for app in applications), ZERO)
    total = cents(total) if total is not None else applied
    if applied > total:
        raise QbError(INVALID_FIELD_VALUE, object="ReceivePayment",
                      detail="The amount applied is more than the payment amount.")
    txn = ctx.store.add_txn("ReceivePayment", txn_date)
    txn.ref_number = text_of(body, "RefNumber")
    txn.customer_id = customer.list_id
    txn.refs = refs
    txn.fields = plain_fields(body, skip=_SKIP)
    txn.total, txn.open_amount, txn.applications = total, total - applied, applications
    for app in applications:
        ctx.store.txns[app.target_id].open_amount -= app.amount
    for invoice_id, credit_app in credits:
        ctx.store.txns[credit_app.target_id].open_amount -= credit_app.amount
        ctx.store.txns[invoice_id].open_amount -= credit_app.amount
        ctx.store.txns[invoice_id].applications.append(credit_app)
    ctx.store.apply_customer_effect(txn, customer.list_id, -total)
    return Outcome([render_txn(ctx.store, txn, include=include_set(rq))],
                   write_key=("ReceivePaymentAdd", txn.ref_number or txn.txn_id))


def ar_refund_add(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    body = rq.find("ARRefundCreditCardAdd")
    assert body is not None
    customer = resolve_ref(ctx, body, "CustomerRef", "ARRefundCreditCard")
    assert customer is not None
    refs = resolve_refs(ctx, body, "ARRefundCreditCard")
    txn_date = date_of(body, "TxnDate", ctx.store.now().date())
    applications: list[Application] = []
    planned: dict[str, Decimal] = {}
    for element in body.findall("RefundAppliedToTxnAdd"):
        txn_id = text_of(element, "TxnID") or ""
        credit = _target(ctx, txn_id, ("CreditMemo", "ReceivePayment"), customer,
                         "ARRefundCreditCard")
        amount = cents(amount_of(element, "RefundAmount") or ZERO)
        if amount + planned.get(txn_id, ZERO) > credit.open_amount:
            raise QbError(INVALID_FIELD_VALUE, object="ARRefundCreditCard",
                          detail="The refund amount is more than the available credit.")
        planned[txn_id] = planned.get(txn_id, ZERO) + amount
        applications.append(Application(txn_id, amount))
    total = sum((app.amount for app in applications), ZERO)
    txn = ctx.store.add_txn("ARRefundCreditCard", txn_date)
    txn.ref_number = text_of(body, "RefNumber")
    txn.customer_id = customer.list_id
    txn.refs = refs
    txn.fields = plain_fields(body, skip=_SKIP)
    txn.total, txn.applications = total, applications
    for app in applications:
        ctx.store.txns[app.target_id].open_amount -= app.amount
    ctx.store.apply_customer_effect(txn, customer.list_id, total)
    return Outcome([render_txn(ctx.store, txn, include=include_set(rq))],
                   write_key=("ARRefundCreditCardAdd", txn.ref_number or txn.txn_id))
