"""Changing recorded transactions: CreditMemoMod, ReceivePaymentMod, JournalEntryMod, and
CheckAdd (a refund of an overpayment, written against Accounts Receivable).

Each Mod needs the current ``EditSequence`` (stale -> 3200) and replaces what it names: line
Mods replace every line (``TxnLineID`` -1 = a new line, as in InvoiceMod), ``AppliedToTxnMod``
replaces the payment's applications. The transaction's effect on balances is reversed and
applied again, and what other transactions already took from it (a refund drawing on a
credit, an invoice using a credit memo) must still fit, else 3210 as QuickBooks answers.
"""

from __future__ import annotations

from decimal import Decimal

from .context import (
    Context,
    Handler,
    Outcome,
    account_type,
    amount_of,
    cents,
    date_of,
    plain_fields,
    require_writable,
    resolve_ref,
    resolve_refs,
)
from .payments import AMOUNT_DUE
from .queries import include_set
from .sales import build_line, existing_txn
from .status import INVALID_FIELD_VALUE, OBJECT_NOT_FOUND, QbError
from .store import ZERO, Application, Line, TxnRecord
from .txnviews import render_txn
from .xml import Element, text_of

_SKIP = ("TxnID", "EditSequence", "TxnDate", "RefNumber", "TotalAmount", "AppliedToTxnMod",
         "CreditMemoLineMod", "JournalLineMod", "ExpenseLineAdd", "ExchangeRate")


def _finish(ctx: Context, rq: Element, txn: TxnRecord, body: Element, key: str) -> Outcome:
    txn.txn_date = date_of(body, "TxnDate", txn.txn_date)
    txn.ref_number = text_of(body, "RefNumber") or txn.ref_number
    txn.refs.update(resolve_refs(ctx, body, txn.txn_type, skip=("CustomerRef",)))
    txn.fields.update(plain_fields(body, skip=_SKIP))
    ctx.store.touch(txn)
    return Outcome([render_txn(ctx.store, txn, include=include_set(rq))],
                   write_key=(key, txn.ref_number or txn.txn_id))


def _new_lines(ctx: Context, txn: TxnRecord, elements: list[Element], kind: str) -> list[Line]:
    current = {line.line_id for line in txn.lines}
    lines = []
    for element in elements:
        line_id = text_of(element, "TxnLineID") or ""
        if line_id != "-1" and line_id not in current:
            raise QbError(OBJECT_NOT_FOUND, value=line_id)
        lines.append(build_line(ctx, element, kind, txn.txn_type,
                                None if line_id == "-1" else line_id))
    return lines


def credit_memo_mod(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    body = rq.find("CreditMemoMod")
    assert body is not None
    txn = existing_txn(ctx, body, "CreditMemo")
    used = txn.total - txn.open_amount  # taken by invoices and refunds
    customer = resolve_ref(ctx, body, "CustomerRef", "CreditMemo")
    if customer is not None and customer.list_id != txn.customer_id and used != ZERO:
        raise QbError(INVALID_FIELD_VALUE, object="CreditMemo",
                      detail="The customer of a credit memo in use cannot change.")
    mods = body.findall("CreditMemoLineMod")
    lines = _new_lines(ctx, txn, mods, "CreditMemoLineRet") if mods else txn.lines
    total = sum((line.amount for line in lines), ZERO)
    if total < used:
        raise QbError(INVALID_FIELD_VALUE, object="CreditMemo",
                      detail="The new total is less than the credit already used.")
    ctx.store.reverse_customer_effects(txn)
    if customer is not None:
        txn.customer_id = customer.list_id
    txn.lines, txn.total, txn.open_amount = lines, total, total - used
    assert txn.customer_id is not None
    ctx.store.apply_customer_effect(txn, txn.customer_id, -total)
    return _finish(ctx, rq, txn, body, "CreditMemoMod")


def receive_payment_mod(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    body = rq.find("ReceivePaymentMod")
    assert body is not None
    txn = existing_txn(ctx, body, "ReceivePayment")
    own = sum((app.amount for app in txn.applications), ZERO)
    drawn = txn.total - own - txn.open_amount  # refunds paid out of the unused amount
    customer = resolve_ref(ctx, body, "CustomerRef", "ReceivePayment")
    if customer is not None and customer.list_id != txn.customer_id:
        raise QbError(INVALID_FIELD_VALUE, object="ReceivePayment",
                      detail="ledgersync's sandbox does not move a payment to another customer.")
    total = amount_of(body, "TotalAmount")
    total = txn.total if total is None else cents(total)
    mods = body.findall("AppliedToTxnMod")
    applications = _applications(ctx, txn, mods) if mods else list(txn.applications)
    applied = sum((app.amount for app in applications), ZERO)
    if applied + drawn > total:
        raise QbError(INVALID_FIELD_VALUE, object="ReceivePayment",
                      detail="The amount applied is more than the payment amount.")
    for app in txn.applications:
        ctx.store.txns[app.target_id].open_amount += app.amount
    for app in applications:
        ctx.store.txns[app.target_id].open_amount -= app.amount
    ctx.store.reverse_customer_effects(txn)
    txn.total, txn.applications, txn.open_amount = total, applications, total - applied - drawn
    assert txn.customer_id is not None
    ctx.store.apply_customer_effect(txn, txn.customer_id, -total)
    return _finish(ctx, rq, txn, body, "ReceivePaymentMod")


def _applications(ctx: Context, txn: TxnRecord, mods: list[Element]) -> list[Application]:
    """The payment's new applications, checked against what each invoice would have open
    once the payment's current applications are given back."""
    given_back: dict[str, Decimal] = {}
    for app in txn.applications:
        given_back[app.target_id] = given_back.get(app.target_id, ZERO) + app.amount
    planned: dict[str, Decimal] = {}
    applications = []
    for element in mods:
        target_id = text_of(element, "TxnID") or ""
        invoice = ctx.store.txns.get(target_id)
        if invoice is None or invoice.txn_type != "Invoice" or \
                invoice.customer_id != txn.customer_id:
            raise QbError(OBJECT_NOT_FOUND, value=target_id)
        amount = cents(amount_of(element, "PaymentAmount") or ZERO)
        due = invoice.open_amount + given_back.get(target_id, ZERO) - planned.get(target_id, ZERO)
        if amount > due:
            raise QbError(INVALID_FIELD_VALUE, object="ReceivePayment", detail=AMOUNT_DUE)
        planned[target_id] = planned.get(target_id, ZERO) + amount
        if amount:
            applications.append(Application(target_id, amount))
    return applications


def journal_entry_mod(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    body = rq.find("JournalEntryMod")
    assert body is not None
    txn = existing_txn(ctx, body, "JournalEntry")
    mods = body.findall("JournalLineMod")
    if not mods:
        return _finish(ctx, rq, txn, body, "JournalEntryMod")
    lines = _new_lines(ctx, txn, mods, "JournalLineRet")
    effects: list[tuple[str, Decimal]] = []
    debits = credits = ZERO
    for element, line in zip(mods, lines, strict=True):
        is_debit = text_of(element, "JournalLineType") == "Debit"
        line.kind = "JournalDebitLine" if is_debit else "JournalCreditLine"
        debits += line.amount if is_debit else ZERO
        credits += ZERO if is_debit else line.amount
        account = resolve_ref(ctx, element, "AccountRef", "JournalEntry")
        if account is not None and account_type(account) == "AccountsReceivable":
            entity = line.refs.get("EntityRef")
            if entity is None:
                raise QbError(INVALID_FIELD_VALUE, object="JournalEntry",
                              detail="A line posting to Accounts Receivable needs a customer.")
            effects.append((entity, line.amount if is_debit else -line.amount))
    if debits != credits:
        raise QbError(INVALID_FIELD_VALUE, object="JournalEntry",
                      detail="Transaction not in balance.")
    ctx.store.reverse_customer_effects(txn)
    txn.lines, txn.total = lines, debits
    for customer_id, delta in effects:
        ctx.store.apply_customer_effect(txn, customer_id, delta)
    return _finish(ctx, rq, txn, body, "JournalEntryMod")


def check_add(ctx: Context, rq: Element) -> Outcome:
    """A check; expense lines to Accounts Receivable with a ``CustomerRef`` raise that
    customer's balance (how QuickBooks pays back an overpayment)."""
    require_writable(ctx)
    body = rq.find("CheckAdd")
    assert body is not None
    refs = resolve_refs(ctx, body, "Check")
    lines = []
    effects: list[tuple[str, Decimal]] = []
    for element in body.findall("ExpenseLineAdd"):
        line = build_line(ctx, element, "ExpenseLineRet", "Check")
        account = resolve_ref(ctx, element, "AccountRef", "Check")
        if account is not None and account_type(account) == "AccountsReceivable":
            customer = line.refs.get("CustomerRef")
            if customer is None:
                raise QbError(INVALID_FIELD_VALUE, object="Check",
                              detail="A line posting to Accounts Receivable needs a customer.")
            effects.append((customer, line.amount))
        lines.append(line)
    txn = ctx.store.add_txn("Check", date_of(body, "TxnDate", ctx.store.now().date()))
    txn.ref_number = text_of(body, "RefNumber")
    txn.customer_id = refs.get("PayeeEntityRef")
    txn.refs, txn.lines = refs, lines
    txn.fields = plain_fields(body, skip=_SKIP)
    txn.total = sum((line.amount for line in lines), ZERO)
    for customer_id, delta in effects:
        ctx.store.apply_customer_effect(txn, customer_id, delta)
    return Outcome([render_txn(ctx.store, txn, include=include_set(rq))],
                   write_key=("CheckAdd", txn.ref_number or txn.txn_id))


HANDLERS: dict[str, Handler] = {
    "CreditMemoModRq": credit_memo_mod,
    "ReceivePaymentModRq": receive_payment_mod,
    "JournalEntryModRq": journal_entry_mod,
    "CheckAddRq": check_add,
}
