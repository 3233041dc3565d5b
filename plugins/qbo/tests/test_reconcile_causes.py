"""`ledgersync reconcile` against the QuickBooks Online sandbox over HTTP: each cause of a
difference is made on purpose the way a bookkeeper makes it in QuickBooks (``Bookkeeper``),
and the per-customer and per-account reports name it with the right remedy."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ledgersync import (
    Cause,
    Invoice,
    InvoiceLine,
    ItemFilter,
    Ledger,
    Refund,
)
from ledgersync.cli import cli
from ledgersync_qbo.sandbox import Sandbox
from ledgersync_qbo.testing import Bookkeeper

from .conftest import COMPANY, dues, qbo_id

D = Decimal
JAN = dt.date(2026, 1, 1)
END_JAN = dt.date(2026, 1, 31)


@pytest.fixture
def ledger(test_database_ledger: Ledger) -> Ledger:
    """These tests run on PostgreSQL too when LEDGERSYNC_TEST_DATABASE_URL is set."""
    return test_database_ledger


def item_id(ledger: Ledger, kind: str, mms_id: str) -> int:
    (item,) = ledger.items(ItemFilter(company=COMPANY, kind=kind, mms_id=mms_id,
                                      operation="create"))
    return item.id


def explained(ledger: Ledger, as_of: dt.date | None = None) -> list[tuple[str | None, Any]]:
    """(member, explanation) for every explanation of the per-customer report."""
    report = ledger.reconcile(COMPANY, as_of=as_of)
    return [(c.member_id, e) for c in report.customers for e in c.explanations]


def only(ledger: Ledger, as_of: dt.date | None = None) -> tuple[str | None, Any]:
    (found,) = explained(ledger, as_of)
    return found


def test_books_that_agree_tie_out_per_customer_and_per_account(synced: Ledger) -> None:
    report = synced.reconcile(COMPANY)
    assert report.ties_out
    assert report.source == "transactions"
    assert (report.total_mms, report.total_remote) == (D("186.25"), D("186.25"))
    assert explained(synced) == []
    accounts = synced.reconcile_accounts(COMPANY, start=JAN, end=END_JAN)
    assert accounts.ties_out, [(a.account_id, a.mms, a.books) for a in accounts.mismatches]
    by_role = {a.role: a for a in accounts.accounts if a.role}
    assert (by_role["receivable"].books_debit, by_role["receivable"].books_credit) == (
        D("306.25"), D("120.00"))
    assert by_role["tax_payable"].books_credit == D("6.25")
    assert by_role["undeposited_funds"].books_debit == D("120.00")


def test_an_invoice_edited_in_quickbooks_is_named_with_the_resync_remedy(
        synced: Ledger, sandbox: Sandbox) -> None:
    Bookkeeper(sandbox).edit_invoice_amount(qbo_id(synced, "invoice", "INV-2"), D("50.00"))
    member, explanation = only(synced)
    assert member == "M-1"
    assert explanation.cause is Cause.EDITED_IN_BOOKS
    assert explanation.amount == D("-30.00")
    assert explanation.reason == "amount 80.00 in the MMS, 50.00 in the books"
    assert f"`ledgersync resync {item_id(synced, 'invoice', 'INV-2')}`" in explanation.remedy


def test_an_invoice_deleted_in_quickbooks_is_named_with_the_unlink_remedy(
        synced: Ledger, sandbox: Sandbox) -> None:
    inv2 = qbo_id(synced, "invoice", "INV-2")
    Bookkeeper(sandbox).delete("Invoice", inv2)
    member, explanation = only(synced)
    assert (member, explanation.cause, explanation.amount) == (
        "M-1", Cause.DELETED_IN_BOOKS, D("-80.00"))
    assert explanation.remote_id == inv2
    assert f"`ledgersync unlink {item_id(synced, 'invoice', 'INV-2')}`" in explanation.remedy


def test_an_invoice_voided_in_quickbooks_is_deleted_there(
        synced: Ledger, sandbox: Sandbox) -> None:
    Bookkeeper(sandbox).void_invoice(qbo_id(synced, "invoice", "INV-2"))
    _, explanation = only(synced)
    assert (explanation.cause, explanation.amount) == (Cause.DELETED_IN_BOOKS, D("-80.00"))
    assert "voided in the books" in explanation.reason


def test_a_customer_deleted_in_quickbooks_names_each_of_its_deleted_invoices(
        synced: Ledger, sandbox: Sandbox) -> None:
    Bookkeeper(sandbox).delete_customer(qbo_id(synced, "member", "M-2"))
    member, explanation = only(synced)
    assert (member, explanation.cause, explanation.amount) == (
        "M-2", Cause.DELETED_IN_BOOKS, D("-106.25"))
    assert explanation.mms_id == "INV-3"


def test_an_invoice_entered_by_hand_is_posted_outside_with_the_note_remedy(
        synced: Ledger, sandbox: Sandbox) -> None:
    typed = Bookkeeper(sandbox).enter_invoice(qbo_id(synced, "member", "M-1"), D("35.00"),
                                              txn_date="2026-01-18", doc_number="H-77")
    member, explanation = only(synced)
    assert member == "M-1"
    assert (explanation.cause, explanation.item_id, explanation.amount) == (
        Cause.POSTED_OUTSIDE, None, D("35.00"))
    assert explanation.remote_id == typed["Id"]
    assert f"`ledgersync note {COMPANY} invoice:{typed['Id']} why --accept`" in \
        explanation.remedy


def test_a_payment_applied_to_another_invoice_is_an_open_item_though_the_total_ties(
        synced: Ledger, sandbox: Sandbox) -> None:
    synced.record([dues("INV-4", "M-1", 21, "120.00")])
    synced.sync(COMPANY)
    Bookkeeper(sandbox).apply_payment_to(qbo_id(synced, "payment", "PAY-1"),
                                         qbo_id(synced, "invoice", "INV-4"))
    report = synced.reconcile(COMPANY)
    assert report.ties_out
    (customer,) = report.open_items
    (explanation,) = customer.explanations
    assert (explanation.cause, explanation.amount) == (Cause.APPLIED_ELSEWHERE, D("0.00"))
    assert explanation.reason == (
        f"applied to INV-1 ({qbo_id(synced, 'invoice', 'INV-1')}) in the MMS, to INV-4 "
        f"({qbo_id(synced, 'invoice', 'INV-4')}) in the books")
    assert f"`ledgersync resync {item_id(synced, 'payment', 'PAY-1')}`" in (
        explanation.remedy or "")


def test_tax_computed_at_another_rate_is_named_with_the_tax_mapping_remedy(
        synced: Ledger, sandbox: Sandbox) -> None:
    Bookkeeper(sandbox).change_tax_code(qbo_id(synced, "invoice", "INV-3"), "3")  # 8 %
    member, explanation = only(synced)
    assert (member, explanation.cause, explanation.amount) == (
        "M-2", Cause.TAX_DIFFERS, D("1.75"))
    assert "tax 6.25 in the MMS" in explanation.reason
    assert "8.00 in the books (8.000 %)" in explanation.reason
    assert f"`ledgersync map tax {COMPANY} TAX-6.25 REMOTE_ID`" in explanation.remedy


def test_a_document_left_in_error_is_not_synced_with_the_requeue_remedy(
        synced: Ledger, sandbox: Sandbox) -> None:
    synced.record([Invoice(mms_id="INV-5", member_id="M-1", number="D-INV-5",
                           txn_date=dt.date(2026, 1, 22), currency="USD",
                           lines=(InvoiceLine(item_id="DUES", quantity=D(1), rate=D("60.00"),
                                              amount=D("60.00")),))])
    sandbox.inject("6000", entity="invoice", times=3)
    sandbox.inject("6000", entity="batch", times=3)
    synced.sync(COMPANY)
    failed = item_id(synced, "invoice", "INV-5")
    member, explanation = only(synced)
    assert (member, explanation.cause, explanation.item_id, explanation.amount) == (
        "M-1", Cause.NOT_SYNCED, failed, D("-60.00"))
    assert f"`ledgersync requeue {failed}`" in explanation.remedy


def test_as_of_a_date_before_the_edit_ties_out(synced: Ledger, sandbox: Sandbox) -> None:
    Bookkeeper(sandbox).edit_invoice_amount(qbo_id(synced, "invoice", "INV-2"), D("50.00"))
    Bookkeeper(sandbox).enter_invoice(qbo_id(synced, "member", "M-2"), D("35.00"),
                                      txn_date="2026-01-18", doc_number="H-78")
    before = synced.reconcile(COMPANY, as_of=dt.date(2026, 1, 14))
    assert before.ties_out
    assert (before.total_mms, before.total_remote) == (D("226.25"), D("226.25"))
    after = synced.reconcile(COMPANY, as_of=dt.date(2026, 1, 18))
    assert {(c.member_id, e.cause) for c in after.mismatches for e in c.explanations} == {
        ("M-1", Cause.EDITED_IN_BOOKS), ("M-2", Cause.POSTED_OUTSIDE)}


def test_the_accounts_report_names_the_cause_on_each_account_it_moves(
        synced: Ledger, sandbox: Sandbox) -> None:
    Bookkeeper(sandbox).change_tax_code(qbo_id(synced, "invoice", "INV-3"), "3")
    report = synced.reconcile_accounts(COMPANY, start=JAN, end=END_JAN)
    moved = {(a.role or a.account_id): (a.difference, [e.cause for e in a.explanations])
             for a in report.mismatches}
    assert moved == {"receivable": (D("1.75"), [Cause.TAX_DIFFERS]),
                     "tax_payable": (D("-1.75"), [Cause.TAX_DIFFERS])}


def test_the_accounts_report_for_a_period_leaves_out_earlier_postings(
        synced: Ledger, sandbox: Sandbox) -> None:
    Bookkeeper(sandbox).edit_invoice_amount(qbo_id(synced, "invoice", "INV-2"), D("50.00"))
    assert synced.reconcile_accounts(COMPANY, start=dt.date(2026, 1, 16),
                                     end=END_JAN).ties_out
    assert not synced.reconcile_accounts(COMPANY, start=JAN, end=END_JAN).ties_out


def test_a_refund_booked_as_a_journal_entry_ties_out_as_the_refund(
        synced: Ledger) -> None:
    synced.record([Refund(mms_id="REF-1", member_id="M-1", txn_date=dt.date(2026, 1, 25),
                          currency="USD", amount=D("15.00"), from_account_id="1000")])
    synced.sync(COMPANY)
    report = synced.reconcile(COMPANY)
    assert report.ties_out, explained(synced)
    assert explained(synced) == []


def test_the_command_line_reports_the_cause_as_of_a_date_and_per_account(
        synced: Ledger, sandbox: Sandbox, qbo_settings: dict[str, Any], tmp_path: Path) -> None:
    """`ledgersync reconcile --as-of` and `--accounts` on the same ledger, as a person runs
    them after a month's sync."""
    Bookkeeper(sandbox).delete("Invoice", qbo_id(synced, "invoice", "INV-2"))
    config = tmp_path / "ledgersync.toml"
    table = "\n".join(f"{key} = {json.dumps(value)}" for key, value in qbo_settings.items())
    config.write_text(f'[ledger]\nurl = "{synced.config.ledger_url}"\n\n'
                      f'[companies.{COMPANY}]\nconnector = "qbo"\n\n'
                      f"[companies.{COMPANY}.qbo]\n{table}\n", encoding="utf-8")
    config.chmod(0o600)  # it holds the sandbox's client secret
    runner = CliRunner()
    before = runner.invoke(cli, ["--config", str(config), "reconcile", COMPANY, "--as-of",
                                 "2026-01-14", "--json"])
    assert before.exit_code == 0, before.output
    assert json.loads(before.stdout)["ties_out"] is True
    after = runner.invoke(cli, ["--config", str(config), "reconcile", COMPANY, "--as-of",
                                "2026-01-31", "--json"])
    causes = [(c["member_id"], e["cause"], e["amount"])
              for c in json.loads(after.stdout)["customers"] for e in c["explanations"]]
    assert causes == [("M-1", "deleted_in_books", "-80.00")]
    accounts = runner.invoke(cli, ["--config", str(config), "reconcile", COMPANY,
                                   "--accounts", "--from", "2026-01-01", "--to", "2026-01-31",
                                   "--json"])
    rows = {a["role"] or a["account_id"]: a for a in json.loads(accounts.stdout)["accounts"]}
    assert rows["receivable"]["difference"] == "-80.00"
    assert rows["4000"]["difference"] == "80.00"  # dues income credited 80.00 less
