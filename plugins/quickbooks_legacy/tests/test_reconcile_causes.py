"""End to end through both stages: each cause of a difference made on purpose at the desktop
(or left waiting in the intermediary, or rejected by QuickBooks), and `reconcile` naming it
with the right remedy; as of a past date the books tie out where they agreed on that date.

The path has no trial balance (the intermediary offers none), so there is no per-account
tie-out here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from ledgersync import Cause, CustomerBalance, Explanation, Ledger
from ledgersync.testing import empty_database, postgresql_suite_url
from ledgersync_quickbooks_legacy.sandbox import Sandbox
from ledgersync_quickbooks_legacy.sandbox.bookkeeper import Bookkeeper

from . import scenario
from .scenario import COMPANY


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    """On SQLite, or on a database of its own when LEDGERSYNC_TEST_DATABASE_URL names a
    PostgreSQL server (emptied first)."""
    url = postgresql_suite_url("legacy_reconcile")
    if url is None:
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    empty_database(url)
    return url


@pytest.fixture
def synced(ledger: Ledger, sandbox: Sandbox) -> Ledger:
    ledger.record(scenario.records())
    scenario.settle(ledger, sandbox)
    return ledger


@pytest.fixture
def bookkeeper(sandbox: Sandbox) -> Bookkeeper:
    return Bookkeeper(sandbox.desktop)


def customer(ledger: Ledger, member: str, as_of: dt.date | None = None) -> CustomerBalance:
    report = ledger.reconcile(COMPANY, as_of=as_of)
    return next(c for c in report.customers if c.member_id == member)


def only(balance: CustomerBalance) -> Explanation:
    assert len(balance.explanations) == 1, balance.explanations
    return balance.explanations[0]


def item_id(ledger: Ledger, kind: str, mms_id: str) -> int:
    return next(i.id for i in ledger.items() if i.kind == kind and i.mms_id == mms_id
                and i.operation == "create")


def test_what_the_desktop_confirmed_ties_out_with_nothing_to_explain(synced: Ledger) -> None:
    report = synced.reconcile(COMPANY)
    assert report.ties_out
    assert report.source == "transactions"
    assert all(not c.explanations for c in report.customers)


def test_a_staged_invoice_is_not_synced_waiting_for_the_desktop(
        synced: Ledger) -> None:
    synced.record([scenario.invoice("INV-4", "M-3", dt.date(2026, 2, 14), "90.00")])
    synced.sync(COMPANY)  # stage one: the desktop has not run
    explanation = only(customer(synced, "M-3"))
    assert (explanation.cause, explanation.status, explanation.amount) == (
        Cause.NOT_SYNCED, "staged", D("-90.00"))
    assert "wait for the accounting system to confirm it" in (explanation.remedy or "")


def test_an_invoice_the_desktop_rejected_is_not_synced_with_requeue(
        synced: Ledger, sandbox: Sandbox, bookkeeper: Bookkeeper) -> None:
    bookkeeper.deactivate_customer(scenario.link(synced, "member", "M-3"))
    synced.record([scenario.invoice("INV-4", "M-3", dt.date(2026, 2, 14), "90.00")])
    scenario.settle(synced, sandbox, rounds=1)
    explanation = only(customer(synced, "M-3"))
    assert (explanation.cause, explanation.status) == (Cause.NOT_SYNCED, "rejected")
    assert f"ledgersync requeue {item_id(synced, 'invoice', 'INV-4')}" in (
        explanation.remedy or "")


def test_an_invoice_edited_at_the_desktop_is_edited_in_books_with_resync(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.edit_amount("INV-3", D("400.00"))
    explanation = only(customer(synced, "M-1"))
    assert (explanation.cause, explanation.amount) == (Cause.EDITED_IN_BOOKS, D("-50.00"))
    assert f"ledgersync resync {item_id(synced, 'invoice', 'INV-3')}" in (
        explanation.remedy or "")


def test_an_invoice_deleted_at_the_desktop_is_deleted_in_books_with_unlink(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.delete("Invoice", "INV-3")
    explanation = only(customer(synced, "M-1"))
    assert (explanation.cause, explanation.amount) == (Cause.DELETED_IN_BOOKS, D("-450.00"))
    assert f"ledgersync unlink {item_id(synced, 'invoice', 'INV-3')}" in (
        explanation.remedy or "")


def test_tax_at_the_desktops_rate_is_tax_differs_with_the_map_tax_remedy(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.change_tax("INV-2", D("16.00"))
    explanation = only(customer(synced, "M-2"))
    assert (explanation.cause, explanation.amount) == (Cause.TAX_DIFFERS, D("4.00"))
    assert "ledgersync map tax club TAX-STATE" in (explanation.remedy or "")


def test_a_payment_applied_to_another_invoice_is_applied_elsewhere(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.apply_elsewhere("PAY-1", "INV-3")
    balance = customer(synced, "M-1")
    assert balance.ties_out  # the customer's total is the same: an open-item difference
    explanation = only(balance)
    assert explanation.cause is Cause.APPLIED_ELSEWHERE
    assert f"ledgersync resync {item_id(synced, 'payment', 'PAY-1')}" in (
        explanation.remedy or "")


def test_an_invoice_entered_at_the_desktop_is_posted_outside_with_a_note_remedy(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    record = bookkeeper.enter_invoice(customer=scenario.link(synced, "member", "M-3"),
                                      amount=D("75.00"), day=dt.date(2026, 2, 12),
                                      account="A-4200")
    explanation = only(customer(synced, "M-3"))
    assert (explanation.cause, explanation.item_id, explanation.amount) == (
        Cause.POSTED_OUTSIDE, None, D("75.00"))
    assert f"ledgersync note club invoice:{record.qb_id}" in (explanation.remedy or "")


def test_as_of_a_past_date_the_books_tie_out_where_they_agreed_then(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.edit_amount("INV-3", D("400.00"))  # a February invoice
    assert not synced.reconcile(COMPANY).ties_out
    january = synced.reconcile(COMPANY, as_of=scenario.JANUARY_31)
    assert january.ties_out
    assert january.total_mms == D("662.00")


def test_an_invoice_for_a_customer_deleted_at_the_desktop_is_not_synced_with_its_remedy(
        synced: Ledger, sandbox: Sandbox, bookkeeper: Bookkeeper) -> None:
    bookkeeper.delete_customer(scenario.link(synced, "member", "M-3"))  # no transactions yet
    synced.record([scenario.invoice("INV-4", "M-3", dt.date(2026, 2, 14), "90.00")])
    scenario.settle(synced, sandbox, rounds=1)
    explanation = only(customer(synced, "M-3"))
    assert (explanation.cause, explanation.status, explanation.amount) == (
        Cause.NOT_SYNCED, "rejected", D("-90.00"))
    assert "invalid reference to QuickBooks Customer" in (explanation.reason or "")
    assert f"ledgersync requeue {item_id(synced, 'invoice', 'INV-4')}" in (
        explanation.remedy or "")
