"""What the two-stage connector answers for reconciliation: the transactions the desktop
confirmed (today and as of a past date), after each thing a bookkeeper does in QuickBooks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ledgersync import BooksTransaction, ConnectorError, Ledger
from ledgersync_quickbooks_legacy.connector import QuickBooksLegacyConnector
from ledgersync_quickbooks_legacy.sandbox import Sandbox
from ledgersync_quickbooks_legacy.sandbox.bookkeeper import Bookkeeper, DesktopRefusal

from . import scenario
from .scenario import COMPANY


@pytest.fixture
def synced(ledger: Ledger, sandbox: Sandbox) -> Ledger:
    ledger.record(scenario.records())
    scenario.settle(ledger, sandbox)
    return ledger


@pytest.fixture
def bookkeeper(sandbox: Sandbox) -> Bookkeeper:
    return Bookkeeper(sandbox.desktop)


def books(ledger: Ledger, as_of: dt.date | None = None) -> dict[str, BooksTransaction]:
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, QuickBooksLegacyConnector)
    return {t.remote_id: t for t in connector.books_transactions(as_of)}


def test_confirmed_transactions_are_reported_under_their_quickbooks_ids(synced: Ledger) -> None:
    found = books(synced)
    invoice = found[scenario.link(synced, "invoice", "INV-2")]
    assert (invoice.kind, invoice.customer_id, invoice.receivable, invoice.tax) == (
        "invoice", scenario.link(synced, "member", "M-2"), D("212.00"), D("12.00"))
    payment = found[scenario.link(synced, "payment", "PAY-1")]
    assert (payment.kind, payment.receivable) == ("payment", D("-450.00"))
    assert payment.applied_to == (scenario.link(synced, "invoice", "INV-1"),)
    assert len(found) == 4


def test_as_of_a_past_date_only_transactions_dated_up_to_it_are_reported(
        synced: Ledger) -> None:
    assert sorted(books(synced, scenario.JANUARY_31)) == sorted(
        scenario.link(synced, "invoice", mms_id) for mms_id in ("INV-1", "INV-2"))


def test_staged_transactions_are_not_in_the_books(ledger: Ledger, sandbox: Sandbox) -> None:
    ledger.record(scenario.records())
    ledger.sync(COMPANY)  # stage one only: the desktop has not run
    assert books(ledger) == {}


def test_an_amount_edited_at_the_desktop_is_what_the_books_report(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.edit_amount("INV-1", D("400.00"))
    assert books(synced)[scenario.link(synced, "invoice", "INV-1")].receivable == D("400.00")


def test_tax_computed_at_the_desktops_rate_moves_the_tax_and_the_receivable(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.change_tax("INV-2", D("16.00"))
    invoice = books(synced)[scenario.link(synced, "invoice", "INV-2")]
    assert (invoice.tax, invoice.receivable) == (D("16.00"), D("216.00"))


def test_a_transaction_deleted_at_the_desktop_is_no_longer_reported(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.delete("Invoice", "INV-3")
    assert scenario.link(synced, "invoice", "INV-3") not in books(synced)


def test_a_payment_applied_to_another_invoice_names_that_invoice(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.apply_elsewhere("PAY-1", "INV-3")
    payment = books(synced)[scenario.link(synced, "payment", "PAY-1")]
    assert payment.applied_to == (scenario.link(synced, "invoice", "INV-3"),)


def test_an_invoice_entered_at_the_desktop_is_reported_without_a_link(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    customer = scenario.link(synced, "member", "M-3")
    record = bookkeeper.enter_invoice(customer=customer, amount=D("75.00"),
                                      day=dt.date(2026, 2, 12), account="A-4200")
    found = books(synced)[record.qb_id]
    assert (found.kind, found.customer_id, found.receivable) == ("invoice", customer,
                                                                 D("75.00"))


def test_a_customer_with_transactions_cannot_be_deleted_at_the_desktop(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    with pytest.raises(DesktopRefusal, match="Make it inactive instead"):
        bookkeeper.delete_customer(scenario.link(synced, "member", "M-2"))


def test_a_customer_without_transactions_deleted_at_the_desktop_leaves_the_cloud_copy(
        synced: Ledger, bookkeeper: Bookkeeper, sandbox: Sandbox) -> None:
    customer = scenario.link(synced, "member", "M-3")
    bookkeeper.delete_customer(customer)
    assert customer not in sandbox.desktop.records
    assert all(o.qb_id != customer or o.deleted for o in sandbox.cloud.objects.values())


def test_an_inactive_customer_refuses_new_invoices_at_the_desktop(
        synced: Ledger, bookkeeper: Bookkeeper, sandbox: Sandbox) -> None:
    bookkeeper.deactivate_customer(scenario.link(synced, "member", "M-3"))
    synced.record([scenario.invoice("INV-4", "M-3", dt.date(2026, 2, 14), "90.00")])
    scenario.settle(synced, sandbox, rounds=1)
    [item] = [i for i in synced.items() if i.mms_id == "INV-4"]
    assert item.status == "rejected"  # by the desktop, at stage two
    assert "inactive" in (item.error_message or "")


def test_account_activity_is_left_to_the_books_trial_balance(synced: Ledger) -> None:
    connector = synced.connector(COMPANY)
    with pytest.raises(ConnectorError, match="no trial balance or account balances"):
        connector.account_activity(None, dt.date(2026, 3, 2))


def test_the_intermediary_refuses_a_query_element_it_does_not_know(sandbox: Sandbox) -> None:
    import xml.etree.ElementTree as ET

    from ledgersync_quickbooks_legacy.xmlio import q, sub

    query = ET.Element(q("InvoiceQuery"))
    sub(query, "SynchronizedFilter", "Synchronized")
    sub(query, "TxnDate", "2026-12-31")
    from ledgersync_quickbooks_legacy.sandbox.intermediary import Refusal

    with pytest.raises(Refusal, match="Invalid content was found starting with element "
                                      "'TxnDate'"):
        sandbox.cloud.query("Invoice", query)


def test_a_refund_is_reported_as_the_refund_the_ledger_links(
        synced: Ledger, sandbox: Sandbox) -> None:
    from ledgersync import Refund

    synced.record([Refund(mms_id="RF-1", member_id="M-2", number="RF-1", currency="USD",
                          txn_date=dt.date(2026, 2, 11), amount=D("20.00"),
                          from_account_id="1000")])
    scenario.settle(synced, sandbox, rounds=1)
    refund = books(synced)[scenario.link(synced, "refund", "RF-1")]
    assert (refund.kind, refund.customer_id, refund.receivable) == (
        "refund", scenario.link(synced, "member", "M-2"), D("20.00"))


def test_customer_balances_as_of_a_past_date_add_up_the_transactions_dated_up_to_it(
        synced: Ledger) -> None:
    connector = synced.connector(COMPANY)
    balances = connector.customer_balances(scenario.JANUARY_31)
    assert balances == {scenario.link(synced, "member", "M-1"): D("450.00"),
                        scenario.link(synced, "member", "M-2"): D("212.00")}


def test_a_journal_entry_moves_the_receivable_of_each_customer_on_its_ar_lines(
        synced: Ledger, sandbox: Sandbox) -> None:
    from ledgersync import JournalEntry, JournalLine

    synced.record([JournalEntry(
        mms_id="JE-1", number="JE-1", txn_date=dt.date(2026, 2, 20), currency="USD", lines=(
            JournalLine(account_id="1200", credit=D("25.00"), member_id="M-2",
                        description="Write-off"),
            JournalLine(account_id="4000", debit=D("25.00"), description="Write-off")))])
    scenario.settle(synced, sandbox, rounds=1)
    entry = books(synced)[scenario.link(synced, "journal_entry", "JE-1")]
    assert (entry.kind, entry.customer_id, entry.receivable) == (
        "journal_entry", scenario.link(synced, "member", "M-2"), D("-25.00"))
