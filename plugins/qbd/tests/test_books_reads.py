"""`books_transactions` and `account_activity` for QuickBooks Desktop: asked of the next Web
Connector update, answered from what it read, refused while that read is missing, failed or
older than the last write; and what they answer after each change a bookkeeper makes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from ledgersync import AccountRole, BooksTransaction, ConnectorError, Invoice, Ledger, Payment
from ledgersync_qbd.qbwc import reads
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.qbxml import books
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.bookkeeper import Bookkeeper, BookkeeperRefused
from ledgersync_qbd.sandbox.conformance import check_request
from ledgersync_qbd.sandbox.schema import validate
from ledgersync_qbd.sandbox.specs import REQUEST_SPECS

from .books_scenarios import (
    ADA_BALANCE,
    BEN_BALANCE,
    DAY,
    customer_name,
    external_id,
    month_records,
    synced_month,
)
from .conftest import sync_until_idle, web_connector

AS_OF = DAY + dt.timedelta(days=30)
END = dt.date(2026, 3, 31)


def _read_transactions(ledger: Ledger, service: QbwcService, company_file: CompanyFile,
                       as_of: dt.date = AS_OF) -> list[BooksTransaction]:
    """Reconcile's way: ask, run the update, answer."""
    connector = ledger.connector("club")
    with pytest.raises(ConnectorError):
        connector.books_transactions(as_of)
    sync_until_idle(web_connector(service, company_file))
    return list(connector.books_transactions(as_of))


def _by_id(found: list[BooksTransaction]) -> dict[str, BooksTransaction]:
    return {t.remote_id: t for t in found}


def _per_customer(found: list[BooksTransaction]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for txn in found:
        totals[txn.customer_id] = totals.get(txn.customer_id, Decimal(0)) + txn.receivable
    return totals


@pytest.fixture
def month(ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    synced_month(ledger, service, company_file)


# -- the session mechanism -----------------------------------------------------------------------


def test_a_read_is_refused_until_an_update_has_run_it(ledger: Ledger) -> None:
    with pytest.raises(ConnectorError, match="has not read QuickBooks' receivable "
                                             "transactions yet") as refused:
        ledger.connector("club").books_transactions(AS_OF)
    assert "Update Selected" in (refused.value.remedy or "")
    assert reads.pending_reads(ledger.state("club")) == ["transactions"]


def test_a_pending_read_opens_a_web_connector_session(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    connector = web_connector(service, company_file)
    assert connector.run_update().outcome == "none"  # nothing to do
    with pytest.raises(ConnectorError):
        ledger.connector("club").account_activity(None, END)
    assert sync_until_idle(connector) == ["done", "none"]
    assert reads.pending_reads(ledger.state("club")) == []
    assert ledger.connector("club").account_activity(None, END)


def test_every_read_query_is_one_the_schema_takes(ledger: Ledger) -> None:
    for key in ("transactions", "activity:2026-03-01:2026-03-31",
                "activity:-:2026-03-31"):
        read = reads.spec(key)
        for label in books.labels_of(read):
            for iterator in (None, "{0A1B2C3D-0000-0000-0000-000000000000}"):
                if iterator is not None and label not in books.ITERATED_LABELS:
                    continue
                rq = books.request(read, label, iterator)
                check_request(rq)  # raises what QuickBooks' parser refuses
                assert validate(rq, REQUEST_SPECS[str(rq.tag)]) == []


def test_the_read_runs_after_the_sessions_writes_so_it_includes_them(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    with pytest.raises(ConnectorError):
        ledger.connector("club").books_transactions(AS_OF)
    ledger.record(month_records())  # written by the same update that reads
    sync_until_idle(web_connector(service, company_file))
    found = _by_id(list(ledger.connector("club").books_transactions(AS_OF)))
    assert external_id(ledger, "invoice", "INV-9003") in found


def test_a_read_older_than_the_last_write_is_refused_and_asked_again(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    _read_transactions(ledger, service, company_file)
    invoice = month_records()[-1]
    assert isinstance(invoice, Invoice)
    ledger.record([attrs.evolve(invoice, txn_date=DAY)])
    sync_until_idle(web_connector(service, company_file))  # writes the change; nothing asked
    with pytest.raises(ConnectorError, match="before the last update wrote to QuickBooks"):
        ledger.connector("club").books_transactions(AS_OF)
    assert reads.pending_reads(ledger.state("club")) == ["transactions"]


def test_a_read_quickbooks_refuses_is_named_and_read_again_at_the_next_update(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    connector = ledger.connector("club")
    with pytest.raises(ConnectorError):
        connector.books_transactions(AS_OF)
    company_file.inject_status(1000, request_type="CreditMemoQueryRq")
    update = web_connector(service, company_file)
    assert update.run_update().outcome == "done"
    with pytest.raises(ConnectorError, match=r"QuickBooks refused the read .*1000 to "
                                             r"CreditMemoQueryRq"):
        connector.books_transactions(AS_OF)
    assert reads.pending_reads(ledger.state("club")) == ["transactions"]
    assert update.run_update().outcome == "done"
    assert connector.books_transactions(AS_OF)


def test_a_read_whose_answer_was_lost_is_recovered_by_the_next_update(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    connector = ledger.connector("club")
    with pytest.raises(ConnectorError):
        connector.books_transactions(AS_OF)
    update = web_connector(service, company_file)
    update.inject("drop_response", contains="InvoiceQueryRq")
    assert update.run_update().outcome == "died"  # QuickBooks ran the queries; no answer
    with pytest.raises(ConnectorError, match="has not read"):
        connector.books_transactions(AS_OF)
    sync_until_idle(update)  # the next update asks QuickBooks for the stored answer first
    assert len(connector.books_transactions(AS_OF)) == 6  # 3 invoices, payment, credit, refund


def test_long_lists_are_read_page_by_page_within_one_update(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(books, "PAGE", 1)
    found = _read_transactions(ledger, service, company_file)
    assert len([t for t in found if t.kind == "invoice"]) == 3
    assert company_file.open_iterators == 0


def test_a_period_that_ends_before_it_starts_is_refused_before_any_read(
        ledger: Ledger) -> None:
    with pytest.raises(ConnectorError, match="starts on 2026-03-31 after it ends on "
                                             "2026-03-01"):
        ledger.connector("club").account_activity(END, dt.date(2026, 3, 1))
    assert reads.pending_reads(ledger.state("club")) == []


# -- what the books answer, per scenario ---------------------------------------------------------


def test_synced_transactions_come_back_under_the_ids_ledgersync_linked(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    found = _by_id(_read_transactions(ledger, service, company_file))
    invoice = found[external_id(ledger, "invoice", "INV-9001")]
    assert (invoice.kind, invoice.receivable, invoice.tax, invoice.number) == \
        ("invoice", Decimal("641.25"), Decimal("11.25"), "9001")
    payment = found[external_id(ledger, "payment", "PAY-9001")]
    assert payment.receivable == Decimal("-300.00")
    assert payment.applied_to == (invoice.remote_id,)
    memo = found[external_id(ledger, "credit_memo", "CM-9001")]
    refund = found[external_id(ledger, "refund", "RF-9001")]
    assert (memo.receivable, refund.receivable) == (Decimal("-50.00"), Decimal("50.00"))
    assert refund.applied_to == (memo.remote_id,)
    assert _per_customer(list(found.values())) == {
        external_id(ledger, "member", "M-9001"): ADA_BALANCE,
        external_id(ledger, "member", "M-9002"): BEN_BALANCE}


def test_as_of_a_past_date_only_what_was_dated_by_then(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    found = _read_transactions(ledger, service, company_file, as_of=DAY + dt.timedelta(days=5))
    assert sorted(t.kind for t in found) == ["invoice", "payment"]
    assert sum(t.receivable for t in found) == Decimal("341.25")


def test_one_read_answers_every_date_without_another_update(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    everything = _read_transactions(ledger, service, company_file, as_of=AS_OF)
    connector = ledger.connector("club")
    assert list(connector.books_transactions(None)) == everything
    earlier = connector.books_transactions(DAY + dt.timedelta(days=5))
    assert {t.remote_id for t in earlier} == {t.remote_id for t in everything
                                               if t.date <= DAY + dt.timedelta(days=5)}
    assert reads.pending_reads(ledger.state("club")) == []


def test_an_invoice_edited_in_quickbooks_shows_its_new_amount(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).edit_invoice_amount("9002", Decimal("380.00"))
    found = _by_id(_read_transactions(ledger, service, company_file))
    assert found[external_id(ledger, "invoice", "INV-9002")].receivable == Decimal("380.00")


def test_an_invoice_deleted_in_quickbooks_is_gone(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).delete_invoice("9002")
    found = _by_id(_read_transactions(ledger, service, company_file))
    assert external_id(ledger, "invoice", "INV-9002") not in found
    assert external_id(ledger, "invoice", "INV-9001") in found


def test_a_deleted_customer_has_no_transactions_left(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    ben = external_id(ledger, "member", "M-9002")
    bookkeeper = Bookkeeper(company_file)
    with pytest.raises(BookkeeperRefused, match="3171"):  # QuickBooks: it has transactions
        bookkeeper.delete_customer(customer_name(company_file, ben))
    bookkeeper.delete_transactions_of(customer_name(company_file, ben))
    bookkeeper.delete_customer(customer_name(company_file, ben))
    found = _read_transactions(ledger, service, company_file)
    assert ben not in {t.customer_id for t in found}


def test_an_inactive_customer_keeps_its_transactions(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    ben = external_id(ledger, "member", "M-9002")
    Bookkeeper(company_file).make_customer_inactive(customer_name(company_file, ben))
    found = _read_transactions(ledger, service, company_file)
    assert _per_customer(found)[ben] == BEN_BALANCE


def test_an_invoice_entered_by_hand_has_an_id_ledgersync_never_linked(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    ben = external_id(ledger, "member", "M-9002")
    txn_id = Bookkeeper(company_file).enter_invoice(
        customer_name(company_file, ben), Decimal("25.00"), DAY + dt.timedelta(days=22),
        ref_number="H-1")
    found = _by_id(_read_transactions(ledger, service, company_file))
    assert (found[txn_id].customer_id, found[txn_id].receivable, found[txn_id].number) == \
        (ben, Decimal("25.00"), "H-1")
    linked = {external_id(ledger, kind, mms_id) for kind, mms_id in (
        ("invoice", "INV-9001"), ("invoice", "INV-9002"), ("invoice", "INV-9003"))}
    assert txn_id not in linked


def test_a_payment_applied_to_another_invoice_says_which(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).reapply_payment("PAY-9001", "9002")
    found = _by_id(_read_transactions(ledger, service, company_file))
    payment = found[external_id(ledger, "payment", "PAY-9001")]
    assert payment.applied_to == (external_id(ledger, "invoice", "INV-9002"),)
    assert payment.receivable == Decimal("-300.00")


def test_tax_at_another_rate_shows_the_books_tax(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    tax = Bookkeeper(company_file).retax_invoice("9001", Decimal("7.00"), Decimal("180.00"))
    found = _by_id(_read_transactions(ledger, service, company_file))
    invoice = found[external_id(ledger, "invoice", "INV-9001")]
    assert (tax, invoice.tax, invoice.receivable) == \
        (Decimal("12.60"), Decimal("12.60"), Decimal("642.60"))


def test_a_voided_invoice_is_reported_voided_with_nothing_receivable(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).void_invoice("9003")
    found = _by_id(_read_transactions(ledger, service, company_file))
    invoice = found[external_id(ledger, "invoice", "INV-9003")]
    assert (invoice.voided, invoice.receivable, invoice.tax) == \
        (True, Decimal("0.00"), Decimal("0.00"))


# -- account activity ----------------------------------------------------------------------------


def _activity(ledger: Ledger, service: QbwcService, company_file: CompanyFile,
              start: dt.date | None, end: dt.date) -> dict[str, tuple[Decimal, AccountRole | None]]:
    connector = ledger.connector("club")
    with pytest.raises(ConnectorError, match="trial balance"):
        connector.account_activity(start, end)
    sync_until_idle(web_connector(service, company_file))
    return {a.account_id: (a.net, a.role) for a in connector.account_activity(start, end)}


def test_balances_as_of_a_date_name_the_implicit_accounts(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    found = _activity(ledger, service, company_file, None, END)
    assert found["Accounts Receivable"] == (ADA_BALANCE + BEN_BALANCE, AccountRole.RECEIVABLE)
    assert found["Sales Tax Payable"] == (Decimal("-11.25"), AccountRole.TAX_PAYABLE)
    assert found["Undeposited Funds"] == (Decimal("0.00"), AccountRole.UNDEPOSITED_FUNDS)
    # Dues on the three invoices and the journal entry; the slip line and its credit.
    assert found["Membership Income"] == (Decimal("-1550.00"), None)
    assert found["Event Income"] == (Decimal("-130.00"), None)


def test_activity_of_a_period_leaves_out_what_came_before_it(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    start = DAY + dt.timedelta(days=7)  # the refund, the second and third invoices
    found = _activity(ledger, service, company_file, start, END)
    assert found["Accounts Receivable"][0] == Decimal("850.00")
    assert found["Membership Income"][0] == Decimal("-1100.00")
    assert found["Sales Tax Payable"][0] == Decimal("0.00")


def test_a_payment_left_in_undeposited_funds_shows_there(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    records = [attrs.evolve(r, deposit_account_id=None) if isinstance(r, Payment) else r
               for r in month_records()]
    ledger.record(records)
    sync_until_idle(web_connector(service, company_file))
    found = _activity(ledger, service, company_file, None, END)
    assert found["Undeposited Funds"] == (Decimal("300.00"), AccountRole.UNDEPOSITED_FUNDS)


def test_checks_and_journal_entries_count_only_their_receivable_lines() -> None:
    def txn(kind: str, txn_id: str, lines: list[dict[str, object]]) -> dict[str, object]:
        return {"txn_id": txn_id, "type": kind, "customer": None, "date": "2026-03-09",
                "number": txn_id, "total": "80.00", "tax_total": "0", "memo": "",
                "applied_to": [], "lines": lines}

    def line(account: str, amount: str, customer: str | None = None,
             credit: bool = False) -> dict[str, object]:
        return {"item": None, "account": account, "customer": customer, "amount": amount,
                "credit": credit}

    rows = books.books_rows({
        "accounts": [{"list_id": "AR", "account_type": "AccountsReceivable"},
                     {"list_id": "BANK", "account_type": "Bank"}],
        "checks": [txn("Check", "C1", [line("AR", "80.00", "ANN")]),  # an overpayment refund
                   txn("Check", "C2", [line("BANK", "80.00")])],  # a vendor's: not receivable
        "journal_entries": [txn("JournalEntry", "J1", [
            line("AR", "30.00", "ANN", credit=True), line("BANK", "30.00")])],
    })
    assert [(r["remote_id"], r["kind"], r["customer_id"], r["receivable"]) for r in rows] == [
        ("C1", "refund", "ANN", "80.00"), ("J1", "journal_entry", "ANN", "-30.00")]
