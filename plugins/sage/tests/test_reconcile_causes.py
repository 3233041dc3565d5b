"""End to end against the Intacct sandbox: each cause of a difference made on purpose, as a
bookkeeper would in Intacct (or as an item left in error), and `reconcile` naming it with the
right remedy; as of a past date the books tie out where they agreed on that date; the trial
balance ties out per account.

A payment is applied to an invoice through its A/R line's DOCUMENT (the invoice entry), so
"applied to another invoice" is that changed in Intacct. Intacct's own tax computation (tax
solutions) applies to A/R documents, not journal entries: the tax of a journal entry is the
line ledgersync posts, so "tax at another rate" is that line changed in Intacct.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from ledgersync import Cause, CustomerBalance, Explanation, Ledger
from ledgersync.testing import empty_database, postgresql_suite_url
from ledgersync_sage.sandbox import Sandbox
from ledgersync_sage.sandbox.bookkeeper import Bookkeeper

from . import scenario
from .conftest import COMPANY, Clock, make_ledger, sync_until_idle

TODAY = dt.date(2027, 1, 15)


@pytest.fixture
def ledger(tmp_path: Path, settings: dict[str, Any], in_process: Sandbox, clock: Clock
           ) -> Iterator[Ledger]:
    """On SQLite, or on a database of its own when LEDGERSYNC_TEST_DATABASE_URL names a
    PostgreSQL server (emptied first)."""
    url = postgresql_suite_url("sage_reconcile")
    if url is not None:
        empty_database(url)
    made = make_ledger(tmp_path, settings, clock=clock, ledger_url=url)
    yield made
    made.close()


@pytest.fixture
def synced(ledger: Ledger, in_process: Sandbox, clock: Clock) -> Ledger:
    ledger.record(scenario.records())
    sync_until_idle(ledger, clock)
    return ledger


@pytest.fixture
def bookkeeper(in_process: Sandbox) -> Bookkeeper:
    return Bookkeeper(in_process.company())


def customer(ledger: Ledger, member: str, as_of: dt.date | None = None) -> CustomerBalance:
    report = ledger.reconcile(COMPANY, as_of=as_of)
    return next(c for c in report.customers if c.member_id == member)


def only(balance: CustomerBalance) -> Explanation:
    assert len(balance.explanations) == 1, balance.explanations
    return balance.explanations[0]


def item_id(ledger: Ledger, kind: str, mms_id: str) -> int:
    return next(i.id for i in ledger.items() if i.kind == kind and i.mms_id == mms_id
                and i.operation == "create")


def test_what_was_synced_ties_out_per_customer_with_nothing_to_explain(synced: Ledger) -> None:
    report = synced.reconcile(COMPANY)
    assert report.ties_out
    assert report.source == "transactions"
    assert report.total_remote == D("662.00")  # INV-1 + INV-2 + INV-3 - PAY-1
    assert all(not c.explanations for c in report.customers)


def test_a_payment_applied_to_another_invoice_in_intacct_is_applied_elsewhere(
        synced: Ledger, bookkeeper: Bookkeeper, clock: Clock) -> None:
    synced.record([scenario.invoice("INV-5", "M-1", dt.date(2027, 1, 4), "450.00")])
    sync_until_idle(synced, clock)
    bookkeeper.apply_elsewhere("LS-PAY-PAY-1", "LS-INV-INV-5")
    balance = customer(synced, "M-1")
    assert balance.difference == D("0.00")  # the same total: an open-item difference
    explanation = only(balance)
    assert explanation.cause is Cause.APPLIED_ELSEWHERE
    assert "INV-5" in (explanation.reason or "")
    assert f"ledgersync resync {item_id(synced, 'payment', 'PAY-1')}" in (
        explanation.remedy or "")


def test_an_invoice_edited_in_intacct_is_edited_in_books_with_resync(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.edit_amount("LS-INV-INV-3", D("400.00"))
    balance = customer(synced, "M-3")
    assert balance.difference == D("-50.00")
    explanation = only(balance)
    assert explanation.cause is Cause.EDITED_IN_BOOKS
    assert explanation.amount == D("-50.00")
    assert f"ledgersync resync {item_id(synced, 'invoice', 'INV-3')}" in (
        explanation.remedy or "")


def test_an_entry_deleted_in_intacct_is_deleted_in_books_with_unlink(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.delete_entry("LS-INV-INV-3")
    explanation = only(customer(synced, "M-3"))
    assert explanation.cause is Cause.DELETED_IN_BOOKS
    assert explanation.amount == D("-450.00")
    assert f"ledgersync unlink {item_id(synced, 'invoice', 'INV-3')}" in (
        explanation.remedy or "")


def test_a_customer_deleted_in_intacct_shows_its_entries_deleted_in_books(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.delete_entry("LS-INV-INV-3")
    bookkeeper.delete_customer("M-3")
    balance = customer(synced, "M-3")
    assert (balance.mms, balance.remote) == (D("450.00"), D("0.00"))
    assert only(balance).cause is Cause.DELETED_IN_BOOKS


def test_tax_changed_in_intacct_is_tax_differs_with_the_map_tax_remedy(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.change_tax("LS-INV-INV-2", D("16.00"))
    explanation = only(customer(synced, "M-2"))
    assert explanation.cause is Cause.TAX_DIFFERS
    assert explanation.amount == D("4.00")
    assert "ledgersync map tax harbor TAX" in (explanation.remedy or "")


def test_an_entry_posted_by_hand_is_posted_outside_with_a_note_remedy(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    batch = bookkeeper.post_by_hand(customer="M-2", amount=D("75.00"),
                                    day=dt.date(2027, 1, 12), account="4200")
    explanation = only(customer(synced, "M-2"))
    assert explanation.cause is Cause.POSTED_OUTSIDE
    assert (explanation.item_id, explanation.remote_id, explanation.amount) == (
        None, str(batch.record_no), D("75.00"))
    assert f"ledgersync note harbor journal_entry:{batch.record_no}" in (
        explanation.remedy or "")


def test_an_invoice_left_in_error_is_not_synced_with_requeue(
        synced: Ledger, bookkeeper: Bookkeeper, clock: Clock) -> None:
    bookkeeper.deactivate_customer("M-3")
    synced.record([scenario.invoice("INV-4", "M-3", dt.date(2027, 1, 14), "90.00")])
    sync_until_idle(synced, clock)
    explanation = only(customer(synced, "M-3"))
    assert (explanation.cause, explanation.status, explanation.amount) == (
        Cause.NOT_SYNCED, "error", D("-90.00"))
    assert f"ledgersync requeue {item_id(synced, 'invoice', 'INV-4')}" in (
        explanation.remedy or "")


def test_as_of_a_past_date_the_books_tie_out_where_they_agreed_then(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.edit_amount("LS-INV-INV-3", D("400.00"))  # a January entry
    assert not synced.reconcile(COMPANY).ties_out
    december = synced.reconcile(COMPANY, as_of=scenario.DECEMBER_31)
    assert december.ties_out
    assert december.total_mms == D("662.00")


def test_the_trial_balance_ties_out_per_account(synced: Ledger) -> None:
    report = synced.reconcile_accounts(COMPANY, end=TODAY)
    assert report.accounts
    assert all(a.ties_out for a in report.accounts), [
        (a.account_id, a.mms, a.books) for a in report.accounts if not a.ties_out]


def test_tax_changed_in_intacct_shows_on_the_tax_payable_account(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.change_tax("LS-INV-INV-2", D("16.00"))
    report = synced.reconcile_accounts(COMPANY, end=TODAY)
    tax = next(a for a in report.accounts if a.role == "tax_payable")
    assert not tax.ties_out
    assert [e.cause for e in tax.explanations] == [Cause.TAX_DIFFERS]


def test_the_trial_balance_of_a_past_period_ties_out_where_the_books_agreed_then(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.edit_amount("LS-INV-INV-3", D("400.00"))  # a January entry
    january = synced.reconcile_accounts(COMPANY, start=dt.date(2027, 1, 1),
                                        end=dt.date(2027, 1, 31))
    receivable = next(a for a in january.accounts if a.role == "receivable")
    assert [e.cause for e in receivable.explanations] == [Cause.EDITED_IN_BOOKS]
    december = synced.reconcile_accounts(COMPANY, start=dt.date(2026, 12, 1),
                                         end=scenario.DECEMBER_31)
    assert all(a.ties_out for a in december.accounts)
    assert next(a for a in december.accounts if a.role == "receivable").mms == D("662.00")


def test_an_item_mapped_to_its_own_intacct_account_ties_out_per_account(
        ledger: Ledger, clock: Clock) -> None:
    ledger.map(COMPANY, "item", "SLIP", "4200", actor="test")
    ledger.record(scenario.records())
    sync_until_idle(ledger, clock)
    report = ledger.reconcile_accounts(COMPANY, end=TODAY)
    assert all(a.ties_out for a in report.accounts)
