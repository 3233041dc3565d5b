"""Per-transaction-type computed ``*Ret`` fields (balances, applied amounts, links)."""

from __future__ import annotations

from decimal import Decimal

from .rets import money_el, text_el, txn_ret
from .store import ZERO, Store, TxnRecord
from .xml import Element, money, sub


def render_txn(store: Store, txn: TxnRecord, *, include_lines: bool = True,
               include: set[str] | None = None, linked: bool = False) -> Element:
    computed: dict[str, list[Element]] = {}
    if linked and txn.txn_type in ("Invoice", "CreditMemo"):
        computed["LinkedTxn"] = _linked(store, txn)
    if txn.txn_type in ("Invoice", "CreditMemo"):
        computed["Subtotal"] = money_el("Subtotal", txn.total)
        computed["SalesTaxTotal"] = money_el("SalesTaxTotal", ZERO)
    if txn.txn_type == "Invoice":
        computed["AppliedAmount"] = money_el("AppliedAmount", -(txn.total - txn.open_amount))
        computed["BalanceRemaining"] = money_el("BalanceRemaining", txn.open_amount)
        computed["IsPaid"] = text_el("IsPaid", "true" if txn.open_amount == ZERO else "false")
    elif txn.txn_type == "CreditMemo":
        computed["TotalAmount"] = money_el("TotalAmount", txn.total)
        computed["CreditRemaining"] = money_el("CreditRemaining", txn.open_amount)
    elif txn.txn_type == "ReceivePayment":
        computed["TotalAmount"] = money_el("TotalAmount", txn.total)
        computed["UnusedPayment"] = money_el("UnusedPayment", txn.open_amount)
        computed["UnusedCredits"] = money_el("UnusedCredits", ZERO)
        computed["AppliedToTxnRet"] = [
            _applied(store, "AppliedToTxnRet", app.target_id, app.amount,
                     "BalanceRemaining", "Amount")
            for app in txn.applications
        ]
    elif txn.txn_type == "Check":
        computed["Amount"] = money_el("Amount", txn.total)
    elif txn.txn_type == "ARRefundCreditCard":
        computed["TotalAmount"] = money_el("TotalAmount", txn.total)
        computed["RefundAppliedToTxnRet"] = [
            _applied(store, "RefundAppliedToTxnRet", app.target_id, app.amount,
                     "CreditRemaining", "RefundAmount")
            for app in txn.applications
        ]
    return txn_ret(store, txn, include_lines=include_lines, include=include, computed=computed)


def _linked(store: Store, txn: TxnRecord) -> list[Element]:
    """``IncludeLinkedTxns``: an invoice's payments and credits, a credit memo's invoices."""
    found: list[tuple[TxnRecord, Decimal]] = []
    if txn.txn_type == "Invoice":
        found += [(store.txns[app.target_id], app.amount) for app in txn.applications
                  if app.target_id in store.txns]  # credit memos used on it
        found += [(other, app.amount) for other in store.txns.values()
                  for app in other.applications
                  if app.target_id == txn.txn_id and other.txn_type == "ReceivePayment"]
    else:
        found += [(other, app.amount) for other in store.txns.values()
                  for app in other.applications
                  if app.target_id == txn.txn_id and other.txn_type == "Invoice"]
    out = []
    for other, amount in found:
        element = Element("LinkedTxn")
        sub(element, "TxnID", other.txn_id)
        sub(element, "TxnType", other.txn_type)
        sub(element, "TxnDate", other.txn_date.isoformat())
        if other.ref_number:
            sub(element, "RefNumber", other.ref_number)
        sub(element, "LinkType", "AMTTYPE")
        sub(element, "Amount", money(-amount))
        out.append(element)
    return out


def _applied(store: Store, tag: str, target_id: str, amount: Decimal, remaining_tag: str,
             amount_tag: str) -> Element:
    element = Element(tag)
    sub(element, "TxnID", target_id)
    target = store.txns.get(target_id)
    if target is not None:
        sub(element, "TxnType", target.txn_type)
        sub(element, "TxnDate", target.txn_date.isoformat())
        if target.ref_number:
            sub(element, "RefNumber", target.ref_number)
        sub(element, remaining_tag, money(target.open_amount))
    sub(element, amount_tag, money(amount))
    return element
