"""Balances read back from Intacct: receivables per customer (for `ledgersync reconcile`)
and debits minus credits per account."""

from __future__ import annotations

from ledgersync import Ledger
from ledgersync.demo.dataset import generate
from ledgersync_sage.connector import SageConnector
from ledgersync_sage.reports import Reports
from ledgersync_sage.sandbox import Sandbox

from .conftest import COMPANY, Clock, sync_until_idle


def test_receivables_per_customer_tie_out_with_the_mms(
        ledger: Ledger, in_process: Sandbox, clock: Clock) -> None:
    ledger.map(COMPANY, "gl_account", "4200", "4200")
    ledger.record(generate(members=12).records)
    sync_until_idle(ledger, clock)
    report = ledger.reconcile(COMPANY)
    assert report.customers
    assert report.ties_out, report.mismatches


def test_a_receivable_changed_in_intacct_shows_as_a_difference(
        ledger: Ledger, in_process: Sandbox, clock: Clock) -> None:
    ledger.record(generate(members=12).records)
    sync_until_idle(ledger, clock)
    batch = next(b for b in in_process.company().batches.values()
                 if any(line.get("CUSTOMERID") == "M-0003" and line["ACCOUNTNO"] == "1200"
                        for line in b.lines))
    line = next(line for line in batch.lines if line["ACCOUNTNO"] == "1200")
    line["TRX_AMOUNT"] = "1.00"  # a bookkeeper's edit in Intacct
    report = ledger.reconcile(COMPANY)
    assert [c.member_id for c in report.mismatches] == ["M-0003"]


def test_account_balances_are_read_page_by_page(
        ledger: Ledger, in_process: Sandbox, clock: Clock) -> None:
    ledger.record(generate(members=12).records)
    sync_until_idle(ledger, clock)
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, SageConnector)
    reports = connector.reports
    assert isinstance(reports, Reports)
    reports.page_size = 100
    lines = sum(len(b.lines) for b in in_process.company().batches.values())
    assert lines > 5 * reports.page_size  # several pages of the query
    assert connector.account_balances() == {
        account: amount for account, amount in in_process.balances().items()}
