"""`reconcile --as-of`: receivable as of a past date, from the transactions both sides dated
on or before it; the in-sync date's opening balances are the natural first check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ledgersync import Cause, Ledger

D = Decimal


def test_a_past_date_ties_out_where_the_books_agreed_and_not_after_a_later_edit(
    harbor: Ledger, world: Any
) -> None:
    world.books().edit("payment", "P1", amount=D("45.00"))  # the payment is dated 3-10
    before = harbor.reconcile("harbor", as_of=dt.date(2026, 3, 5))
    after = harbor.reconcile("harbor", as_of=dt.date(2026, 3, 31))
    assert before.ties_out
    assert before.total_mms == D("228.25")
    assert not after.ties_out
    (customer,) = after.mismatches
    assert [(e.mms_id, e.cause, e.amount) for e in customer.explanations] == [
        ("P1", Cause.EDITED_IN_BOOKS, D("5.00"))]


def test_a_date_moved_in_the_books_is_an_edit_as_of_a_day_between(harbor: Ledger,
                                                                   world: Any) -> None:
    world.books().edit("invoice", "I2", txn_date=dt.date(2026, 3, 20))
    report = harbor.reconcile("harbor", as_of=dt.date(2026, 3, 10))
    (customer,) = report.mismatches
    (explanation,) = customer.explanations
    assert (customer.member_id, explanation.cause, explanation.amount) == (
        "M2", Cause.EDITED_IN_BOOKS, D("-80.00"))
    assert explanation.reason == "dated 2026-03-02 in the MMS, 2026-03-20 in the books"
    assert harbor.reconcile("harbor", as_of=dt.date(2026, 3, 31)).ties_out
