"""Sign-off: a reconciliation a person signed is stored with its totals, differences and
explanations, who signed it and when (UTC); the months list newest first; the next report
starts from the last one on or before its date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ledgersync import Ledger, LedgerSyncError

D = Decimal


def test_a_sign_off_round_trips_with_its_differences_and_explanations(harbor: Ledger,
                                                                      world: Any) -> None:
    world.books().edit("invoice", "I2", amount=D("70.00"))
    report = harbor.reconcile("harbor", as_of=dt.date(2026, 3, 31))
    signed = harbor.sign_reconciliation(report, signed_by="Jane Doe")
    (stored,) = harbor.reconciliations("harbor")
    assert stored == signed
    assert (stored.kind, stored.as_of, stored.total_mms, stored.total_books,
            stored.differences) == ("customers", dt.date(2026, 3, 31), D("178.25"),
                                    D("168.25"), 1)
    assert stored.signed_at.tzinfo is not None
    assert stored.signed_at.utcoffset() == dt.timedelta(0)
    customers: Any = stored.body["customers"]  # every customer, as signed
    assert {c["member_id"]: [e["cause"] for e in c["explanations"]] for c in customers} == {
        "M1": [], "M2": ["edited_in_books"]}


def test_the_months_list_newest_first_and_the_next_report_starts_from_the_last(
    harbor: Ledger,
) -> None:
    for day in (dt.date(2026, 1, 31), dt.date(2026, 2, 28)):
        harbor.sign_reconciliation(harbor.reconcile("harbor", as_of=day), signed_by="Jane")
    accounts = harbor.reconcile_accounts("harbor", start=dt.date(2026, 3, 1),
                                         end=dt.date(2026, 3, 31))
    harbor.sign_reconciliation(accounts, signed_by="Ola")
    assert [(s.kind, s.as_of) for s in harbor.reconciliations("harbor")] == [
        ("accounts", dt.date(2026, 3, 31)), ("customers", dt.date(2026, 2, 28)),
        ("customers", dt.date(2026, 1, 31))]
    starts = harbor.reconcile("harbor", as_of=dt.date(2026, 3, 31)).starts_from
    assert starts is not None
    assert (starts.as_of, starts.signed_by) == (dt.date(2026, 2, 28), "Jane")
    assert harbor.reconcile_accounts("harbor", end=dt.date(2026, 4, 30)).starts_from \
        is not None


def test_a_sign_off_needs_a_date_and_a_name(harbor: Ledger) -> None:
    with pytest.raises(LedgerSyncError, match="as of a date"):
        harbor.sign_reconciliation(harbor.reconcile("harbor"), signed_by="Jane")
    with pytest.raises(LedgerSyncError, match="the name of who signs"):
        harbor.sign_reconciliation(harbor.reconcile("harbor", as_of=dt.date(2026, 3, 31)),
                                   signed_by="  ")
