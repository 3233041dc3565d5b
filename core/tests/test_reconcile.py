"""Reconciliation: receivable per customer in the MMS against the accounting system."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import ledgersync
from ledgersync.cli import cli
from ledgersync.testing import FakeBooks, FakePlugin

D = Decimal


def _invoice(mms_id: str, member: str, amount: str, day: int = 2) -> ledgersync.Invoice:
    return ledgersync.Invoice(
        mms_id=mms_id, member_id=member, number=mms_id, txn_date=dt.date(2026, 3, day),
        currency="USD", lines=[ledgersync.InvoiceLine(
            account_id="4000", quantity=D(1), rate=D(amount), amount=D(amount))])


def _payment(mms_id: str, member: str, invoice: str, amount: str) -> ledgersync.Payment:
    return ledgersync.Payment(
        mms_id=mms_id, member_id=member, txn_date=dt.date(2026, 3, 10), currency="USD",
        amount=D(amount), applications=[ledgersync.PaymentApplication(invoice_id=invoice,
                                                                      amount=D(amount))])


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[ledgersync.Ledger]:
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"harbor": {"connector": "fake",
                                 "fake": {"books_path": str(tmp_path / "books.db")}}},
    })
    ledger = ledgersync.open(config, plugins=[FakePlugin()], load_entrypoints=False)
    ledger.map("harbor", "gl_account", "4000", "81")
    ledger.record([
        ledgersync.Member(mms_id="M1", display_name="Ada"),
        ledgersync.Member(mms_id="M2", display_name="Bo"),
        _invoice("I1", "M1", "120.00"), _invoice("I2", "M2", "80.00"),
        _payment("P1", "M1", "I1", "20.00"),
    ])
    ledger.sync("harbor")
    yield ledger
    ledger.close()


def test_synced_books_tie_out_to_the_cent(ledger: ledgersync.Ledger) -> None:
    report = ledger.reconcile("harbor")
    assert report.ties_out
    assert report.total_mms == D("180.00")
    assert report.total_remote == D("180.00")
    assert {c.member_id: c.mms for c in report.customers} == {"M1": D("100.00"),
                                                               "M2": D("80.00")}


def test_an_unsynced_transaction_is_named_as_the_explanation(
    ledger: ledgersync.Ledger,
) -> None:
    ledger.record([_invoice("I3", "M2", "35.50")])  # recorded, not synced yet
    report = ledger.reconcile("harbor")
    (mismatch,) = report.mismatches
    assert mismatch.member_id == "M2"
    assert mismatch.difference == D("-35.50")
    assert [(e.mms_id, e.status) for e in mismatch.explanations] == [("I3", "pending")]


def test_a_record_deleted_in_the_accounting_system_is_explained_as_deleted_there(
    ledger: ledgersync.Ledger, tmp_path: Path
) -> None:
    FakeBooks(str(tmp_path / "books.db")).delete("invoice", "I2")
    (mismatch,) = ledger.reconcile("harbor").mismatches
    assert (mismatch.member_id, mismatch.mms, mismatch.remote) == ("M2", D("80.00"), D("0"))
    (explanation,) = mismatch.explanations
    assert (explanation.mms_id, explanation.cause, explanation.amount) == (
        "I2", ledgersync.Cause.DELETED_IN_BOOKS, D("-80.00"))
    assert f"`ledgersync unlink {explanation.item_id}`" in (explanation.remedy or "")
    assert mismatch.unexplained == 0


def test_as_of_leaves_out_later_transactions(ledger: ledgersync.Ledger) -> None:
    report = ledger.reconcile("harbor", as_of=dt.date(2026, 3, 5))
    assert report.ties_out
    assert report.total_mms == D("200.00")


def test_no_go_transactions_are_reported_apart_not_as_differences(
    ledger: ledgersync.Ledger,
) -> None:
    ledger.record([_invoice("I4", "M1", "10.00")])
    ledger.mark(ledgersync.ItemFilter(mms_id="I4"), "no_go", reason="settled in cash")
    report = ledger.reconcile("harbor")
    assert report.ties_out
    assert report.not_exported == D("10.00")


def test_voided_invoices_count_nothing(ledger: ledgersync.Ledger) -> None:
    voided = ledgersync.Invoice(
        mms_id="I2", member_id="M2", number="I2", txn_date=dt.date(2026, 3, 2), currency="USD",
        voided=True, lines=[ledgersync.InvoiceLine(account_id="4000", quantity=D(1),
                                                    rate=D("80.00"), amount=D("80.00"))])
    ledger.record([voided])
    ledger.sync("harbor")
    report = ledger.reconcile("harbor")
    assert report.ties_out
    assert report.total_mms == D("100.00")


def test_the_reconcile_command_exits_non_zero_when_it_does_not_tie_out(
    ledger: ledgersync.Ledger, tmp_path: Path
) -> None:
    config = tmp_path / "ledgersync.toml"
    config.write_text(
        f'[ledger]\nurl = "sqlite:///{tmp_path / "ledger.db"}"\n'
        f'[companies.harbor]\nconnector = "fake"\n'
        f'[companies.harbor.fake]\nbooks_path = "{tmp_path / "books.db"}"\n')
    runner = CliRunner()
    ok = runner.invoke(cli, ["--config", str(config), "reconcile", "harbor"])
    assert ok.exit_code == 0, ok.output
    assert "ties out" in ok.output
    FakeBooks(str(tmp_path / "books.db")).delete("invoice", "I2")
    bad = runner.invoke(cli, ["--config", str(config), "reconcile", "harbor", "--json"])
    assert bad.exit_code == 1
    assert '"ties_out": false' in bad.output
