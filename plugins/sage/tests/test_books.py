"""What the connector answers for reconciliation: the books' receivable transactions (today
and as of a past date) and the trial balance, after each thing a bookkeeper does in Intacct."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path

import pytest

from ledgersync import AccountRole, BooksTransaction, ConnectorError, Ledger
from ledgersync_sage.connector import SageConnector
from ledgersync_sage.sandbox import Sandbox
from ledgersync_sage.sandbox.bookkeeper import Bookkeeper
from ledgersync_sage.sandbox.books import Refusal

from . import scenario
from .conftest import COMPANY, Clock, make_ledger, rest_settings, sync_until_idle


@pytest.fixture
def synced(ledger: Ledger, in_process: Sandbox, clock: Clock) -> Ledger:
    ledger.record(scenario.records())
    sync_until_idle(ledger, clock)
    return ledger


@pytest.fixture
def bookkeeper(in_process: Sandbox) -> Bookkeeper:
    return Bookkeeper(in_process.company())


def connector(ledger: Ledger) -> SageConnector:
    found = ledger.connector(COMPANY)
    assert isinstance(found, SageConnector)
    return found


def by_id(transactions: list[BooksTransaction] | tuple[BooksTransaction, ...]
          ) -> dict[str, BooksTransaction]:
    return {t.remote_id: t for t in transactions}


def test_each_synced_transaction_is_reported_under_its_link_with_its_kind_and_sign(
        synced: Ledger) -> None:
    books = by_id(list(connector(synced).books_transactions()))
    expected = {("invoice", "INV-1"): ("M-1", D("450.00"), D("0.00")),
                ("invoice", "INV-2"): ("M-2", D("212.00"), D("12.00")),
                ("invoice", "INV-3"): ("M-3", D("450.00"), D("0.00")),
                ("payment", "PAY-1"): ("M-1", D("-450.00"), D("0.00"))}
    assert len(books) == len(expected)
    for (kind, mms_id), (customer, receivable, tax) in expected.items():
        found = books[scenario.link(synced, COMPANY, kind, mms_id)]
        assert (found.kind, found.customer_id, found.receivable, found.tax, found.voided) == (
            kind, customer, receivable, tax, False)


def test_a_payment_reports_the_invoice_entry_its_receivable_line_settles(
        synced: Ledger) -> None:
    payment = by_id(list(connector(synced).books_transactions()))[
        scenario.link(synced, COMPANY, "payment", "PAY-1")]
    assert payment.applied_to == (scenario.link(synced, COMPANY, "invoice", "INV-1"),)


def test_a_payment_applied_elsewhere_in_intacct_reports_the_other_invoice(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.apply_elsewhere("LS-PAY-PAY-1", "LS-INV-INV-3")
    payment = by_id(list(connector(synced).books_transactions()))[
        scenario.link(synced, COMPANY, "payment", "PAY-1")]
    assert payment.applied_to == (scenario.link(synced, COMPANY, "invoice", "INV-3"),)


def test_as_of_a_past_date_only_entries_dated_up_to_it_are_reported(synced: Ledger) -> None:
    books = connector(synced).books_transactions(scenario.DECEMBER_31)
    assert sorted(t.remote_id for t in books) == sorted(
        scenario.link(synced, COMPANY, "invoice", mms_id) for mms_id in ("INV-1", "INV-2"))
    assert all(t.date <= scenario.DECEMBER_31 for t in books)


def test_a_void_is_one_voided_transaction_under_the_originals_id(
        synced: Ledger, clock: Clock) -> None:
    synced.record([scenario.voided(scenario.INVOICES[2])])
    sync_until_idle(synced, clock)
    original = scenario.link(synced, COMPANY, "invoice", "INV-3")
    customers = [t for t in connector(synced).books_transactions() if t.customer_id == "M-3"]
    assert [(t.remote_id, t.voided, t.receivable) for t in customers] == [
        (original, True, D("0.00"))]


def test_an_amount_edited_in_intacct_is_what_the_books_report(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.edit_amount("LS-INV-INV-1", D("400.00"))
    found = by_id(list(connector(synced).books_transactions()))[
        scenario.link(synced, COMPANY, "invoice", "INV-1")]
    assert found.receivable == D("400.00")


def test_tax_recomputed_in_intacct_moves_the_tax_and_the_receivable(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.change_tax("LS-INV-INV-2", D("16.00"))  # 8 % instead of 6 %
    found = by_id(list(connector(synced).books_transactions()))[
        scenario.link(synced, COMPANY, "invoice", "INV-2")]
    assert (found.tax, found.receivable) == (D("16.00"), D("216.00"))


def test_an_entry_deleted_in_intacct_is_no_longer_reported(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.delete_entry("LS-INV-INV-3")
    remote = scenario.link(synced, COMPANY, "invoice", "INV-3")
    assert remote not in by_id(list(connector(synced).books_transactions()))


def test_an_entry_posted_by_hand_is_a_journal_entry_no_link_names(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    batch = bookkeeper.post_by_hand(customer="M-2", amount=D("75.00"),
                                    day=dt.date(2027, 1, 12), account="4200")
    found = by_id(list(connector(synced).books_transactions()))[str(batch.record_no)]
    assert (found.kind, found.customer_id, found.receivable) == (
        "journal_entry", "M-2", D("75.00"))
    assert str(batch.record_no) not in {
        scenario.link(synced, COMPANY, kind, mms_id)
        for kind, mms_id in (("invoice", "INV-1"), ("invoice", "INV-2"),
                             ("invoice", "INV-3"), ("payment", "PAY-1"))}


def test_a_deactivated_customer_refuses_new_entries_as_intacct_does(
        synced: Ledger, bookkeeper: Bookkeeper, clock: Clock) -> None:
    bookkeeper.deactivate_customer("M-3")
    synced.record([scenario.invoice("INV-4", "M-3", dt.date(2027, 1, 14), "90.00")])
    sync_until_idle(synced, clock)
    item = next(i for i in synced.items() if i.mms_id == "INV-4")
    assert item.status == "error"
    assert "Customer 'M-3' specified is not valid." in (item.error_message or "")


def test_a_customer_with_entries_cannot_be_deleted_but_can_once_they_are_gone(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    with pytest.raises(Refusal, match="has transactions"):
        bookkeeper.delete_customer("M-3")
    bookkeeper.delete_entry("LS-INV-INV-3")
    bookkeeper.delete_customer("M-3")
    assert "M-3" not in bookkeeper.books.dimensions["CUSTOMER"]


def test_editing_an_entry_in_a_closed_period_is_refused(
        synced: Ledger, bookkeeper: Bookkeeper) -> None:
    bookkeeper.books.closed_through = scenario.DECEMBER_31
    with pytest.raises(Refusal, match="Periods are closed"):
        bookkeeper.edit_amount("LS-INV-INV-1", D("400.00"))


def test_the_trial_balance_as_of_a_date_gives_each_accounts_balance_with_its_role(
        synced: Ledger, in_process: Sandbox) -> None:
    activity = {a.account_id: a for a in connector(synced).account_activity(
        None, dt.date(2027, 1, 15))}
    assert {a: activity[a].net for a in activity if activity[a].net} == dict(
        in_process.balances())
    assert activity["1200"].role is AccountRole.RECEIVABLE
    assert activity["1499"].role is AccountRole.UNDEPOSITED_FUNDS
    assert activity["2200"].role is AccountRole.TAX_PAYABLE
    assert activity["4000"].role is None
    assert activity["4000"].name == "Dues income"


def test_balances_as_of_a_date_show_every_debit_and_credit_posted_up_to_it(
        synced: Ledger) -> None:
    receivable = next(a for a in connector(synced).account_activity(None, dt.date(2027, 1, 15))
                      if a.account_id == "1200")
    # INV-1, INV-2 and INV-3 debit it; PAY-1 credits it.
    assert (receivable.debit, receivable.credit) == (D("1112.00"), D("450.00"))


def test_the_trial_balance_for_a_period_counts_that_periods_entries_only(
        synced: Ledger) -> None:
    january = {a.account_id: a for a in connector(synced).account_activity(
        dt.date(2027, 1, 1), dt.date(2027, 1, 31))}
    # January: INV-3 (Dr A/R 450) and PAY-1 (Cr A/R 450); December's invoices are before it.
    assert (january["1200"].debit, january["1200"].credit) == (D("450.00"), D("450.00"))
    assert (january["1499"].debit, january["1499"].credit) == (D("450.00"), D("0.00"))
    assert january["2200"].credit == D("0.00")


def test_a_period_that_ends_before_it_starts_is_refused_in_one_line(synced: Ledger) -> None:
    with pytest.raises(ConnectorError, match="starts on 2027-02-01 after it ends"):
        connector(synced).account_activity(dt.date(2027, 2, 1), dt.date(2027, 1, 1))


@pytest.fixture
def rest_ledger(tmp_path: Path, in_process: Sandbox, clock: Clock) -> Iterator[Ledger]:
    ledger = make_ledger(tmp_path, rest_settings(), clock=clock)
    ledger.record(scenario.records())
    sync_until_idle(ledger, clock)
    yield ledger
    ledger.close()


def test_over_rest_today_s_transactions_are_the_same_as_over_xml(rest_ledger: Ledger) -> None:
    books = by_id(list(connector(rest_ledger).books_transactions()))
    invoice = books[scenario.link(rest_ledger, COMPANY, "invoice", "INV-2")]
    assert (invoice.kind, invoice.customer_id, invoice.receivable, invoice.tax) == (
        "invoice", "M-2", D("212.00"), D("12.00"))
    assert len(books) == 4


def test_over_rest_as_of_a_date_is_refused_naming_the_setting_to_change(
        rest_ledger: Ledger) -> None:
    with pytest.raises(ConnectorError) as refused:
        connector(rest_ledger).books_transactions(scenario.DECEMBER_31)
    assert "XML API only" in str(refused.value)
    assert 'api = "xml"' in (refused.value.remedy or "")
    assert "[companies.harbor.sage]" in (refused.value.remedy or "")


def test_over_rest_account_activity_is_refused_naming_the_setting_to_change(
        rest_ledger: Ledger) -> None:
    with pytest.raises(ConnectorError) as refused:
        connector(rest_ledger).account_activity(None, dt.date(2027, 1, 15))
    assert "trial balance" in str(refused.value)
    assert 'api = "xml"' in (refused.value.remedy or "")


def test_an_entry_naming_two_customers_is_one_transaction_per_customer() -> None:
    from ledgersync_sage.books import PostedBatch, PostedLine, transactions
    from ledgersync_sage.settings import SageSettings

    from .conftest import sandbox_settings

    settings = SageSettings(**sandbox_settings())
    entry = PostedBatch(key="7001", date=dt.date(2027, 1, 2), reference="LS-JE-JE-9")
    lines = [PostedLine(batch="7001", account="1200", signed=D("30.00"), customer="M-1"),
             PostedLine(batch="7001", account="1200", signed=D("-30.00"), customer="M-2")]
    assert [(t.kind, t.customer_id, t.receivable) for t in transactions(
        settings, [entry], lines)] == [("journal_entry", "M-1", D("30.00")),
                                       ("journal_entry", "M-2", D("-30.00"))]


def test_a_reversal_whose_original_is_gone_is_reported_on_its_own() -> None:
    from ledgersync_sage.books import PostedBatch, PostedLine, transactions
    from ledgersync_sage.settings import SageSettings

    from .conftest import sandbox_settings

    settings = SageSettings(**sandbox_settings())
    void = PostedBatch(key="7002", date=dt.date(2027, 1, 2), reference="LS-INV-INV-8-VOID")
    lines = [PostedLine(batch="7002", account="1200", signed=D("-80.00"), customer="M-1")]
    [only] = transactions(settings, [void], lines)
    assert (only.remote_id, only.kind, only.voided, only.receivable) == (
        "7002", "invoice", False, D("-80.00"))
