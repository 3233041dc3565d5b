"""JournalEntryAdd, TxnVoidRq, TxnDelRq and the transaction queries.

Voiding keeps the transaction with zero amounts and a ``VOID:`` memo; deleting removes it.
Both reverse the transaction's effect on customer balances, give applied money back (a
voided payment's invoices become open again; payments applied to a voided invoice become
unused credit) and answer ``TxnVoidRs``/``TxnDelRs`` with the type and ID (TxnDelRs also
``TimeDeleted``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .context import (
    Context,
    Handler,
    Outcome,
    account_type,
    date_of,
    require_unlocked,
    require_writable,
    resolve_ref,
)
from .queries import in_modified_range, include_set, name_matches, parse_stamp, run_query
from .rets import stamp
from .sales import build_line
from .schema import parse_bool
from .status import INVALID_DATE_RANGE, INVALID_FIELD_VALUE, OBJECT_NOT_FOUND, QbError
from .store import ZERO, ListRecord, TxnRecord
from .txnviews import render_txn
from .xml import Element, sub, text_of, texts_of


def journal_entry_add(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    body = rq.find("JournalEntryAdd")
    assert body is not None
    txn_date = date_of(body, "TxnDate", ctx.store.now().date())
    lines = []
    effects: list[tuple[str, Decimal]] = []
    debits = credits = ZERO
    for element in body:
        if element.tag not in ("JournalDebitLine", "JournalCreditLine"):
            continue
        account = resolve_ref(ctx, element, "AccountRef", "JournalEntry")
        if account is None:
            raise QbError(INVALID_FIELD_VALUE, object="JournalEntry",
                          detail="Every journal line needs an account.")
        line = build_line(ctx, element, str(element.tag), "JournalEntry")
        is_debit = element.tag == "JournalDebitLine"
        debits += line.amount if is_debit else ZERO
        credits += ZERO if is_debit else line.amount
        if account_type(account) == "AccountsReceivable":
            entity = line.refs.get("EntityRef")
            if entity is None:
                raise QbError(INVALID_FIELD_VALUE, object="JournalEntry",
                              detail="A line posting to Accounts Receivable needs a customer.")
            effects.append((entity, line.amount if is_debit else -line.amount))
        lines.append(line)
    if debits != credits:
        raise QbError(INVALID_FIELD_VALUE, object="JournalEntry",
                      detail="Transaction not in balance.")
    txn = ctx.store.add_txn("JournalEntry", txn_date)
    txn.ref_number = text_of(body, "RefNumber")
    txn.lines, txn.total = lines, debits
    # ExternalGUID too: QuickBooks returns it in JournalEntryRet like in every other Ret.
    for tag in ("Memo", "IsAdjustment", "ExternalGUID"):
        found = body.find(tag)
        if found is not None:
            txn.fields[tag] = [found]
    for customer_id, delta in effects:
        ctx.store.apply_customer_effect(txn, customer_id, delta)
    return Outcome([render_txn(ctx.store, txn, include=include_set(rq))],
                   write_key=("JournalEntryAdd", txn.ref_number or txn.txn_id))


def _reverse(ctx: Context, txn: TxnRecord) -> None:
    """Undo ``txn``'s balance effects and money applications, both directions."""
    for app in txn.applications:
        target = ctx.store.txns.get(app.target_id)
        if target is not None:
            target.open_amount += app.amount
    txn.applications = []
    for other in ctx.store.txns.values():
        kept = []
        for app in other.applications:
            if app.target_id == txn.txn_id:
                other.open_amount += app.amount
            else:
                kept.append(app)
        other.applications = kept
    ctx.store.reverse_customer_effects(txn)


def _void_target(ctx: Context, rq: Element, type_tag: str) -> TxnRecord:
    require_writable(ctx)
    txn_type = text_of(rq, type_tag) or ""
    txn_id = text_of(rq, "TxnID") or ""
    txn = ctx.store.txns.get(txn_id)
    if txn is None or txn.txn_type != txn_type:
        raise QbError(OBJECT_NOT_FOUND, value=txn_id)
    require_unlocked(ctx, txn_id)
    return txn


def txn_void(ctx: Context, rq: Element) -> Outcome:
    txn = _void_target(ctx, rq, "TxnVoidType")
    if not txn.voided:
        _reverse(ctx, txn)
        txn.voided = True
        txn.total = txn.open_amount = ZERO
        for line in txn.lines:
            line.amount = ZERO
        memo = txn.fields.get("Memo")
        old = (memo[0].text or "") if memo else ""
        note = Element("Memo")
        note.text = f"VOID: {old}".rstrip()
        txn.fields["Memo"] = [note]
        ctx.store.touch(txn)
    result = [_leaf("TxnVoidType", txn.txn_type), _leaf("TxnID", txn.txn_id)]
    return Outcome(result, write_key=("TxnVoid", txn.txn_id))


def txn_del(ctx: Context, rq: Element) -> Outcome:
    txn = _void_target(ctx, rq, "TxnDelType")
    _reverse(ctx, txn)
    del ctx.store.txns[txn.txn_id]
    ctx.store.deleted.append(("Txn", txn.txn_type, txn.txn_id, txn.ref_number or "",
                              txn.time_created, ctx.store.now()))
    result = [_leaf("TxnDelType", txn.txn_type), _leaf("TxnID", txn.txn_id),
              _leaf("TimeDeleted", stamp(ctx.store.now()))]
    return Outcome(result, write_key=("TxnDel", txn.txn_id))


def _leaf(tag: str, text: str) -> Element:
    holder = Element("x")
    return sub(holder, tag, text)


def txn_query(txn_type: str) -> Handler:
    def handle(ctx: Context, rq: Element) -> Outcome:
        check_ranges(rq)
        include = include_set(rq)
        with_lines = parse_bool(text_of(rq, "IncludeLineItems"))
        linked = parse_bool(text_of(rq, "IncludeLinkedTxns"))
        candidates = sorted(ctx.store.txns_of(txn_type), key=lambda t: t.txn_number)
        ids = texts_of(rq, "TxnID")
        refs = [r.casefold() for r in texts_of(rq, "RefNumber")]
        exact = texts_of(rq, "RefNumberCaseSensitive")
        missing: list[str] = []
        if ids:
            keys = []
            for txn_id in ids:
                found = ctx.store.txns.get(txn_id)
                if found is not None and found.txn_type == txn_type:
                    keys.append(txn_id)
                else:
                    missing.append(txn_id)
        elif refs or exact:
            keys = [t.txn_id for t in candidates
                    if (t.ref_number or "").casefold() in refs or (t.ref_number or "") in exact]
        else:
            keys = [t.txn_id for t in candidates if _matches(ctx, t, rq)]

        def render(txn_id: str) -> Element | None:
            txn = ctx.store.txns.get(txn_id)
            if txn is None:
                return None
            return render_txn(ctx.store, txn, include_lines=with_lines, include=include,
                              linked=linked)

        return run_query(ctx, rq, keys, render, missing=missing, named=bool(ids))

    return handle


def check_ranges(rq: Element) -> None:
    """A From date after its To date is 3030, as QuickBooks answers (nothing is run)."""
    for container, low_tag, high_tag, parse in (
            ("TxnDateRangeFilter", "FromTxnDate", "ToTxnDate", date.fromisoformat),
            ("ModifiedDateRangeFilter", "FromModifiedDate", "ToModifiedDate", parse_stamp)):
        scope = rq.find(container)
        low = text_of(scope, low_tag) if scope is not None else None
        high = text_of(scope, high_tag) if scope is not None else None
        if low is not None and high is not None and parse(low) > parse(high):
            raise QbError(INVALID_DATE_RANGE)


def _matches(ctx: Context, txn: TxnRecord, rq: Element) -> bool:
    if not in_modified_range(txn.time_modified, rq, "ModifiedDateRangeFilter"):
        return False
    dates = rq.find("TxnDateRangeFilter")
    if dates is not None:
        low, high = text_of(dates, "FromTxnDate"), text_of(dates, "ToTxnDate")
        day = txn.txn_date.isoformat()
        if (low and day < low) or (high and day > high):
            return False
    entity = rq.find("EntityFilter")
    if entity is not None and not _entity_matches(ctx, txn, entity):
        return False
    if not name_matches(txn.ref_number or "", rq, "RefNumberFilter", "RefNumber"):
        return False
    paid = text_of(rq, "PaidStatus") or "All"
    if paid == "PaidOnly" and txn.open_amount != ZERO:
        return False
    return not (paid == "NotPaidOnly" and txn.open_amount == ZERO)


def _entity_matches(ctx: Context, txn: TxnRecord, entity: Element) -> bool:
    customer = ctx.store.lists.get(txn.customer_id or "")
    if customer is None:
        return False
    if customer.list_id in texts_of(entity, "ListID"):
        return True
    names = {n.casefold() for n in texts_of(entity, "FullName")}
    if customer.full_name.casefold() in names:
        return True
    root_id = text_of(entity, "ListIDWithChildren")
    root_name = (text_of(entity, "FullNameWithChildren") or "").casefold()
    node: ListRecord | None = customer
    while node is not None:
        if node.list_id == root_id or (root_name and node.full_name.casefold() == root_name):
            return True
        node = ctx.store.lists.get(node.parent_id) if node.parent_id else None
    return False


HANDLERS: dict[str, Handler] = {
    "JournalEntryAddRq": journal_entry_add,
    "TxnVoidRq": txn_void,
    "TxnDelRq": txn_del,
    "InvoiceQueryRq": txn_query("Invoice"),
    "CreditMemoQueryRq": txn_query("CreditMemo"),
    "ReceivePaymentQueryRq": txn_query("ReceivePayment"),
    "ARRefundCreditCardQueryRq": txn_query("ARRefundCreditCard"),
    "JournalEntryQueryRq": txn_query("JournalEntry"),
    "CheckQueryRq": txn_query("Check"),
}
