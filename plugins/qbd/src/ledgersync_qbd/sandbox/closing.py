"""The company's closing date (Company > Set Closing Date): a transaction dated on or before it
cannot be added, changed, voided or deleted while the closing date has a password.

QuickBooks answers such a write with status 3171 and the text of
:data:`~.status.CLOSED_PERIOD_MESSAGE` (observed, see there). Without a password QuickBooks
only warns a person at the keyboard; the message's own remedy ("remove the password") says the
SDK is refused only with one, so the sandbox refuses only then. A change is refused when the
transaction's current date or its new ``TxnDate`` is closed (moving a transaction into or out
of a closed period both touch it).
"""

from __future__ import annotations

from datetime import date

from .context import Context, date_of
from .status import CLOSED_PERIOD, CLOSED_PERIOD_MESSAGE, QbError, Status
from .xml import Element, text_of

#: The transaction types ledgersync's sandbox can add or change.
TRANSACTIONS = frozenset({"Invoice", "CreditMemo", "ReceivePayment", "ARRefundCreditCard",
                          "JournalEntry", "Check"})


def check_closing_date(ctx: Context, rq: Element) -> None:
    """Raise 3171 when ``rq`` writes a transaction dated in the closed period."""
    closing = ctx.settings.closing_date
    if closing is None or not ctx.settings.closing_date_password:
        return
    tag = str(rq.tag)
    for txn_type, dated in _dates(ctx, rq, tag):
        if any(day <= closing for day in dated):
            error = QbError(CLOSED_PERIOD)
            error.status = Status(CLOSED_PERIOD, CLOSED_PERIOD_MESSAGE.format(object=txn_type))
            raise error


def _dates(ctx: Context, rq: Element, tag: str) -> list[tuple[str, list[date]]]:
    """(transaction type, the dates the write touches), or nothing for other requests."""
    if tag in ("TxnVoidRq", "TxnDelRq"):
        txn = ctx.store.txns.get(text_of(rq, "TxnID") or "")
        return [(txn.txn_type, [txn.txn_date])] if txn is not None else []
    for verb in ("Add", "Mod"):
        name = tag.removesuffix(f"{verb}Rq")
        if name == tag or name not in TRANSACTIONS:
            continue
        body = rq.find(f"{name}{verb}")
        if body is None:
            return []
        if verb == "Add":
            return [(name, [date_of(body, "TxnDate", ctx.store.now().date())])]
        txn = ctx.store.txns.get(text_of(body, "TxnID") or "")
        if txn is None:
            return []  # the handler answers 3120
        return [(name, [txn.txn_date, date_of(body, "TxnDate", txn.txn_date)])]
    return []
