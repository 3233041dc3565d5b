"""The reconciliation hooks against the sandbox over HTTP: ``books_transactions`` (what the
books hold per customer, as of any date) and ``account_activity`` (debits and credits per
account from the GeneralLedger report), after each change a bookkeeper can make by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ledgersync import (
    AccountRole,
    BooksTransaction,
    ConnectorError,
    Invoice,
    InvoiceLine,
    Ledger,
)
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.sandbox import Sandbox
from ledgersync_qbo.testing import Bookkeeper

from .conftest import COMPANY, qbo_id

D = Decimal
JAN = dt.date(2026, 1, 1)
END_JAN = dt.date(2026, 1, 31)


@pytest.fixture
def ledger(test_database_ledger: Ledger) -> Ledger:
    """These tests run on PostgreSQL too when LEDGERSYNC_TEST_DATABASE_URL is set."""
    return test_database_ledger


def by_id(connector: QboConnector, as_of: dt.date | None = None
          ) -> dict[str, BooksTransaction]:
    return {t.remote_id: t for t in connector.books_transactions(as_of)}


def test_the_books_list_each_synced_document_under_the_id_the_ledger_links(
        synced: Ledger, connector: QboConnector) -> None:
    books = by_id(connector)
    inv1, inv3 = qbo_id(synced, "invoice", "INV-1"), qbo_id(synced, "invoice", "INV-3")
    pay = qbo_id(synced, "payment", "PAY-1")
    nia = qbo_id(synced, "member", "M-1")
    assert set(books) == {inv1, qbo_id(synced, "invoice", "INV-2"), inv3, pay}
    assert books[inv1] == BooksTransaction(
        remote_id=inv1, kind="invoice", customer_id=nia, date=dt.date(2026, 1, 10),
        receivable=D("120.00"), number="D-INV-1")
    assert books[pay] == BooksTransaction(
        remote_id=pay, kind="payment", customer_id=nia, date=dt.date(2026, 1, 20),
        receivable=D("-120.00"), applied_to=(inv1,))
    assert (books[inv3].receivable, books[inv3].tax) == (D("106.25"), D("6.25"))


def test_the_books_as_of_a_past_date_hold_what_was_dated_by_then(
        synced: Ledger, connector: QboConnector) -> None:
    books = by_id(connector, dt.date(2026, 1, 14))
    assert set(books) == {qbo_id(synced, "invoice", "INV-1"),
                          qbo_id(synced, "invoice", "INV-3")}


def test_without_a_date_the_books_include_transactions_dated_after_today(
        synced: Ledger, connector: QboConnector) -> None:
    later = connector.context.utcnow().date() + dt.timedelta(days=40)
    synced.record([Invoice(mms_id="INV-9", member_id="M-1", number="D-INV-9", txn_date=later,
                           currency="USD", lines=(InvoiceLine(
                               item_id="DUES", quantity=D(1), rate=D("9.00"),
                               amount=D("9.00")),))])
    synced.sync(COMPANY)
    inv9 = qbo_id(synced, "invoice", "INV-9")
    assert inv9 in by_id(connector)
    assert inv9 not in by_id(connector, connector.context.utcnow().date())
    assert connector.customer_balances()[qbo_id(synced, "member", "M-1")] == D("89.00")


def test_customer_balances_for_a_past_date_sum_the_books_as_of_it(
        synced: Ledger, connector: QboConnector) -> None:
    nia, oren = qbo_id(synced, "member", "M-1"), qbo_id(synced, "member", "M-2")
    assert connector.customer_balances(dt.date(2026, 1, 14)) == {
        nia: D("120.00"), oren: D("106.25")}
    assert connector.customer_balances(dt.date(2026, 1, 31)) == {
        nia: D("80.00"), oren: D("106.25")}
    today = connector.customer_balances()
    assert (today[nia], today[oren]) == (D("80.00"), D("106.25"))


def test_an_invoice_edited_in_quickbooks_shows_its_new_amount(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    inv2 = qbo_id(synced, "invoice", "INV-2")
    Bookkeeper(sandbox).edit_invoice_amount(inv2, D("50.00"))
    assert by_id(connector)[inv2].receivable == D("50.00")


def test_an_invoice_deleted_in_quickbooks_is_gone_from_the_books(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    inv2 = qbo_id(synced, "invoice", "INV-2")
    Bookkeeper(sandbox).delete("Invoice", inv2)
    assert inv2 not in by_id(connector)


def test_an_invoice_voided_in_quickbooks_is_listed_as_voided_with_nothing_owed(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    inv2 = qbo_id(synced, "invoice", "INV-2")
    Bookkeeper(sandbox).void_invoice(inv2)
    voided = by_id(connector)[inv2]
    assert (voided.voided, voided.receivable, voided.tax) == (True, D("0.00"), D("0.00"))


def test_a_customer_deleted_in_quickbooks_leaves_none_of_its_transactions(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    oren = qbo_id(synced, "member", "M-2")
    deleted = Bookkeeper(sandbox).delete_customer(oren)
    assert deleted == [("Invoice", qbo_id(synced, "invoice", "INV-3"))]
    assert all(t.customer_id != oren for t in connector.books_transactions())
    assert sandbox.get("Customer", oren)["Active"] is False  # type: ignore[index]
    assert connector.customer_balances()[oren] == D("0.00")


def test_an_invoice_entered_by_hand_is_in_the_books_under_an_id_nothing_links(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    nia = qbo_id(synced, "member", "M-1")
    typed = Bookkeeper(sandbox).enter_invoice(nia, D("35.00"), txn_date="2026-01-18",
                                              doc_number="H-77")
    linked = {i.external_id for i in synced.items()}
    entered = by_id(connector)[typed["Id"]]
    assert typed["Id"] not in linked
    assert (entered.customer_id, entered.receivable, entered.number) == (
        nia, D("35.00"), "H-77")


def test_a_payment_applied_to_another_invoice_names_that_invoice(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    pay, inv2 = qbo_id(synced, "payment", "PAY-1"), qbo_id(synced, "invoice", "INV-2")
    # INV-2 (80.00) must be able to take the whole 120.00 payment.
    Bookkeeper(sandbox).edit_invoice_amount(inv2, D("120.00"))
    Bookkeeper(sandbox).apply_payment_to(pay, inv2)
    assert by_id(connector)[pay].applied_to == (inv2,)


def test_tax_at_another_rate_shows_in_the_books_tax_and_total(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    inv3 = qbo_id(synced, "invoice", "INV-3")
    Bookkeeper(sandbox).change_tax_code(inv3, "3")  # Portland, 8 %
    taxed = by_id(connector)[inv3]
    assert (taxed.tax, taxed.receivable) == (D("8.00"), D("108.00"))


def test_a_journal_entry_moves_each_customer_on_its_receivable_lines(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    nia, oren = qbo_id(synced, "member", "M-1"), qbo_id(synced, "member", "M-2")

    def ar(customer: str, posting: str, amount: str) -> dict[str, Any]:
        return {"DetailType": "JournalEntryLineDetail", "Amount": D(amount),
                "JournalEntryLineDetail": {
                    "PostingType": posting, "AccountRef": {"value": "84"},
                    "Entity": {"Type": "Customer", "EntityRef": {"value": customer}}}}

    entry = sandbox.company().write("JournalEntry", {"TxnDate": "2026-01-25", "Line": [
        ar(nia, "Credit", "10.00"), ar(oren, "Credit", "5.00"),
        {"DetailType": "JournalEntryLineDetail", "Amount": D("15.00"),
         "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": "91"}}}]})
    moves = {t.customer_id: t.receivable for t in connector.books_transactions()
             if t.remote_id == entry["Id"]}
    assert moves == {nia: D("-10.00"), oren: D("-5.00")}


def test_a_refund_receipt_is_listed_without_touching_receivable(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    nia = qbo_id(synced, "member", "M-1")
    receipt = sandbox.company().write("RefundReceipt", {
        "CustomerRef": {"value": nia}, "TxnDate": "2026-01-26",
        "DepositToAccountRef": {"value": "35"},
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": D("20.00"),
                  "SalesItemLineDetail": {"ItemRef": {"value": "21"}, "Qty": 1,
                                          "UnitPrice": D("20.00")}}]})
    listed = by_id(connector)[receipt["Id"]]
    assert (listed.kind, listed.receivable) == ("refund", D("0.00"))


# -- account activity -----------------------------------------------------------------------------


def activity(connector: QboConnector, start: dt.date | None, end: dt.date
             ) -> dict[str, tuple[Decimal, Decimal, AccountRole | None]]:
    return {a.account_id: (a.debit, a.credit, a.role)
            for a in connector.account_activity(start, end)}


def test_account_activity_for_a_period_sums_each_accounts_debits_and_credits(
        synced: Ledger, connector: QboConnector) -> None:
    got = activity(connector, JAN, END_JAN)
    assert got["84"] == (D("306.25"), D("120.00"), AccountRole.RECEIVABLE)
    assert got["4"] == (D("120.00"), D("0.00"), AccountRole.UNDEPOSITED_FUNDS)
    assert got["89"] == (D("0.00"), D("6.25"), AccountRole.TAX_PAYABLE)
    assert got["79"] == (D("0.00"), D("200.00"), None)  # dues income
    assert got["80"] == (D("0.00"), D("100.00"), None)  # merchandise


def test_account_activity_leaves_out_what_was_posted_before_the_period(
        synced: Ledger, connector: QboConnector) -> None:
    got = activity(connector, dt.date(2026, 1, 16), END_JAN)
    assert got["84"] == (D("0.00"), D("120.00"), AccountRole.RECEIVABLE)
    assert "79" not in got


def test_account_activity_without_a_start_counts_since_the_beginning_up_to_the_end(
        synced: Ledger, connector: QboConnector) -> None:
    got = activity(connector, None, dt.date(2026, 1, 14))
    assert got["84"] == (D("226.25"), D("0.00"), AccountRole.RECEIVABLE)
    # A quiet implicit account is still answered, at zero.
    assert got["4"] == (D("0.00"), D("0.00"), AccountRole.UNDEPOSITED_FUNDS)


def test_account_activity_follows_an_edit_made_in_quickbooks(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    Bookkeeper(sandbox).change_tax_code(qbo_id(synced, "invoice", "INV-3"), "3")
    got = activity(connector, JAN, END_JAN)
    assert got["89"][1] == D("8.00")
    assert got["84"][0] == D("308.00")


def test_a_period_that_ends_before_it_starts_is_refused_with_a_remedy(
        connector: QboConnector) -> None:
    with pytest.raises(ConnectorError, match="starts on 2026-02-01 after it ends"):
        connector.account_activity(dt.date(2026, 2, 1), END_JAN)


def test_a_report_read_that_fails_in_passing_is_retried(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    connector.client.sleep = lambda _seconds: None
    sandbox.inject(503, entity="reports")
    assert activity(connector, JAN, END_JAN)["84"][0] == D("306.25")


def test_a_transaction_query_that_fails_in_passing_is_retried(
        synced: Ledger, connector: QboConnector, sandbox: Sandbox) -> None:
    connector.client.sleep = lambda _seconds: None
    sandbox.inject(503, entity="query", times=2)
    assert len(connector.books_transactions()) == 4


class _ReportOnly:
    """A client answering one account list and one GeneralLedger report as given."""

    def __init__(self, accounts: list[dict[str, Any]], report: dict[str, Any]) -> None:
        self.accounts, self.answer = accounts, report

    def query_all(self, entity: str, *conditions: Any, include_inactive: bool = False
                  ) -> list[dict[str, Any]]:
        return self.accounts

    def report(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        return self.answer


def _row(txn_id: str, debit: str, credit: str) -> dict[str, Any]:
    return {"type": "Data", "ColData": [{"value": "2026-01-05"},
                                        {"value": "Invoice", "id": txn_id},
                                        {"value": ""}, {"value": debit}, {"value": credit}]}


def test_a_sub_accounts_rows_count_for_the_sub_account_not_its_parent() -> None:
    """QBO nests a sub-account's section inside its parent's (GeneralLedger docs)."""
    from ledgersync_qbo import books

    columns = [{"ColType": key, "ColTitle": key} for key in
               ("tx_date", "txn_type", "doc_num", "debt_amt", "credit_amt")]
    report = {"Header": {"ReportName": "GeneralLedger"}, "Columns": {"Column": columns},
              "Rows": {"Row": [{"type": "Section",
                                "Header": {"ColData": [{"value": "Income", "id": "79"}]},
                                "Rows": {"Row": [
                                    _row("1", "", "10.00"),
                                    {"type": "Section",
                                     "Header": {"ColData": [{"value": "Dues", "id": "90"}]},
                                     "Rows": {"Row": [_row("2", "", "4.00")]}}]}}]}}
    client = _ReportOnly([{"Id": "79", "Name": "Income", "AccountType": "Income"},
                          {"Id": "90", "Name": "Dues", "AccountType": "Income"}], report)
    got = {a.account_id: a.credit for a in books.account_activity(
        client, JAN, END_JAN)}  # type: ignore[arg-type]  # duck-typed client
    assert got == {"79": D("10.00"), "90": D("4.00")}
