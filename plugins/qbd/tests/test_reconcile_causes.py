"""End to end through the simulated Web Connector: each cause of a difference is made on
purpose in the simulated QuickBooks (or left in the ledger), the next Web Connector update
reads what `reconcile` asked for, and the reconciliation names the cause and its remedy."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest

from ledgersync import (
    AccountsReport,
    Cause,
    ConnectorError,
    Explanation,
    Invoice,
    InvoiceLine,
    ItemFilter,
    Ledger,
    ReconcileReport,
)
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.bookkeeper import Bookkeeper

from .books_scenarios import DAY, customer_name, external_id, synced_month
from .conftest import sync_until_idle, web_connector

AS_OF = DAY + dt.timedelta(days=30)
END = dt.date(2026, 3, 31)


def _item_id(ledger: Ledger, kind: str, mms_id: str) -> int:
    (item,) = ledger.items(ItemFilter(company="club", kind=kind, mms_id=mms_id,
                                      operation="create"))
    return item.id


def _reconcile(ledger: Ledger, service: QbwcService, company_file: CompanyFile,
               as_of: dt.date = AS_OF) -> ReconcileReport:
    """As an operator does it: reconcile, run the Web Connector update it asks for, again."""
    with pytest.raises(ConnectorError, match="Update Selected"):
        ledger.reconcile("club", as_of=as_of)
    sync_until_idle(web_connector(service, company_file))
    report = ledger.reconcile("club", as_of=as_of)
    assert report.source == "transactions"
    return report


def _accounts(ledger: Ledger, service: QbwcService, company_file: CompanyFile,
              start: dt.date | None = None) -> AccountsReport:
    for _ in range(2):  # the trial balance, then the transactions as of its end
        with contextlib.suppress(ConnectorError):
            ledger.reconcile_accounts("club", start=start, end=END)
        sync_until_idle(web_connector(service, company_file))
    return ledger.reconcile_accounts("club", start=start, end=END)


def _only(report: ReconcileReport) -> Explanation:
    (explanation,) = [e for c in report.customers for e in c.explanations]
    return explanation


@pytest.fixture
def month(ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    synced_month(ledger, service, company_file)


def test_books_that_agree_tie_out_per_customer(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    report = _reconcile(ledger, service, company_file)
    assert report.ties_out
    assert [e for c in report.customers for e in c.explanations] == []
    assert report.total_remote == Decimal("1141.25")


def test_an_invoice_edited_in_quickbooks_is_named_with_resync(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).edit_invoice_amount("9002", Decimal("380.00"))
    explanation = _only(_reconcile(ledger, service, company_file))
    assert explanation.cause is Cause.EDITED_IN_BOOKS
    assert explanation.reason == "amount 350.00 in the MMS, 380.00 in the books"
    assert explanation.amount == Decimal("30.00")
    assert f"`ledgersync resync {_item_id(ledger, 'invoice', 'INV-9002')}`" in \
        (explanation.remedy or "")


def test_as_of_a_date_before_the_edit_the_books_agreed(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).edit_invoice_amount("9002", Decimal("380.00"))
    report = _reconcile(ledger, service, company_file, as_of=DAY + dt.timedelta(days=5))
    assert report.ties_out
    assert report.total_mms == report.total_remote == Decimal("341.25")


def test_an_invoice_deleted_in_quickbooks_is_named_with_unlink(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).delete_invoice("9002")
    explanation = _only(_reconcile(ledger, service, company_file))
    assert (explanation.cause, explanation.amount) == (Cause.DELETED_IN_BOOKS,
                                                       Decimal("-350.00"))
    assert f"`ledgersync unlink {_item_id(ledger, 'invoice', 'INV-9002')}`" in \
        (explanation.remedy or "")


def test_an_invoice_voided_in_quickbooks_is_named_as_gone_there(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).void_invoice("9003")
    explanation = _only(_reconcile(ledger, service, company_file))
    assert explanation.cause is Cause.DELETED_IN_BOOKS
    assert "voided in the books" in (explanation.reason or "")


def test_a_customer_deleted_in_quickbooks_leaves_its_invoice_deleted(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    ben = customer_name(company_file, external_id(ledger, "member", "M-9002"))
    bookkeeper = Bookkeeper(company_file)
    bookkeeper.delete_transactions_of(ben)  # QuickBooks deletes no customer with any
    bookkeeper.delete_customer(ben)
    report = _reconcile(ledger, service, company_file)
    [row] = report.mismatches
    assert (row.member_id, row.mms, row.remote) == ("M-9002", Decimal("450.00"), Decimal(0))
    assert [(e.cause, e.mms_id) for e in row.explanations] == \
        [(Cause.DELETED_IN_BOOKS, "INV-9003")]


def test_a_customer_made_inactive_still_ties_out(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    ben = customer_name(company_file, external_id(ledger, "member", "M-9002"))
    Bookkeeper(company_file).make_customer_inactive(ben)
    assert _reconcile(ledger, service, company_file).ties_out


def test_an_invoice_entered_by_hand_is_posted_outside_with_a_note_remedy(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    ben = customer_name(company_file, external_id(ledger, "member", "M-9002"))
    txn_id = Bookkeeper(company_file).enter_invoice(ben, Decimal("25.00"),
                                                    DAY + dt.timedelta(days=22))
    explanation = _only(_reconcile(ledger, service, company_file))
    assert (explanation.cause, explanation.amount, explanation.remote_id, explanation.item_id) \
        == (Cause.POSTED_OUTSIDE, Decimal("25.00"), txn_id, None)
    assert f"`ledgersync note club invoice:{txn_id}" in (explanation.remedy or "")


def test_a_payment_applied_to_another_invoice_is_named_though_the_total_ties(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).reapply_payment("PAY-9001", "9002")
    report = _reconcile(ledger, service, company_file)
    explanation = _only(report)
    assert (explanation.cause, explanation.mms_id, explanation.amount) == \
        (Cause.APPLIED_ELSEWHERE, "PAY-9001", Decimal(0))
    assert "INV-9001" in (explanation.reason or "")
    assert "INV-9002" in (explanation.reason or "")
    assert report.ties_out  # the customer's total agrees; the application does not


def test_tax_at_another_rate_is_named_with_both_taxes(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).retax_invoice("9001", Decimal("7.00"), Decimal("180.00"))
    explanation = _only(_reconcile(ledger, service, company_file))
    assert (explanation.cause, explanation.amount) == (Cause.TAX_DIFFERS, Decimal("1.35"))
    assert "tax 11.25 in the MMS" in (explanation.reason or "")
    assert "12.60 in the books" in (explanation.reason or "")
    assert "ledgersync map tax club TAX-6.25" in (explanation.remedy or "")


def test_an_item_left_in_error_is_not_synced_with_requeue(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    ledger.record([Invoice(
        mms_id="INV-9004", member_id="M-9002", number="9004", txn_date=DAY,
        currency="USD", lines=(InvoiceLine(item_id="DUES", description="Late fee",
                                           quantity=Decimal(1), rate=Decimal("10.00"),
                                           amount=Decimal("10.00")),))])
    company_file.inject_status(3210, request_type="InvoiceAddRq")  # QuickBooks refuses it
    sync_until_idle(web_connector(service, company_file))
    explanation = _only(_reconcile(ledger, service, company_file))
    item = _item_id(ledger, "invoice", "INV-9004")
    assert (explanation.cause, explanation.status, explanation.item_id, explanation.amount) == \
        (Cause.NOT_SYNCED, "error", item, Decimal("-10.00"))
    assert f"`ledgersync requeue {item}`" in (explanation.remedy or "")


# -- per account ---------------------------------------------------------------------------------


def test_the_implicit_accounts_tie_out_from_the_trial_balance(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    report = _accounts(ledger, service, company_file)
    by_role = {a.role: a for a in report.accounts if a.role}
    assert by_role["receivable"].books == Decimal("1141.25")
    assert by_role["tax_payable"].books == Decimal("-11.25")
    assert all(by_role[role].ties_out for role in
               ("receivable", "tax_payable", "undeposited_funds"))
    checking = next(a for a in report.accounts if a.account_id == "1000")
    assert (checking.external_id, checking.ties_out) == ("Checking", True)


def test_an_edit_in_quickbooks_explains_the_receivable_accounts_difference(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, month: None) -> None:
    Bookkeeper(company_file).edit_invoice_amount("9002", Decimal("380.00"))
    report = _accounts(ledger, service, company_file, start=DAY)
    receivable = next(a for a in report.accounts if a.role == "receivable")
    assert receivable.difference == Decimal("30.00")
    assert [(e.cause, e.amount) for e in receivable.explanations] == \
        [(Cause.EDITED_IN_BOOKS, Decimal("30.00"))]
