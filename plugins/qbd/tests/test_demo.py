"""QuickBooks Desktop in `ledgersync demo`: its company table, a whole small demo, and the two
problems of the story (an item made inactive, a customer deleted) with the connector's own
errors, remedies and fixes, through the real endpoint and the simulated Web Connector."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import ledgersync
from ledgersync import Invoice, InvoiceLine, ItemFilter, ItemView, Ledger, Member, Status
from ledgersync.cli import cli
from ledgersync.demo.dataset import generate
from ledgersync.demo.story import write_config
from ledgersync_qbd.demo import PASSWORD_ENV, QbdDemoSandbox
from ledgersync_qbd.plugin import ledgersync_demo_sandbox

COMPANY = "qbd"


def _text(output: str) -> str:
    return " ".join(output.split())


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[QbdDemoSandbox]:
    box = QbdDemoSandbox(tmp_path)
    box.start()
    yield box
    box.close()


@pytest.fixture
def ledger(sandbox: QbdDemoSandbox, tmp_path: Path) -> Iterator[Ledger]:
    opened = ledgersync.open(write_config(tmp_path, [sandbox]))
    sandbox.prepare(opened, COMPANY)
    yield opened
    opened.close()


def sync(sandbox: QbdDemoSandbox, ledger: Ledger) -> list[tuple[str, str]]:
    told: list[tuple[str, str]] = []
    sandbox.sync(ledger, COMPANY, lambda item, status: told.append((item.mms_id, status)))
    return told


def failed(ledger: Ledger) -> list[ItemView]:
    return ledger.items(ItemFilter(company=COMPANY, status=[Status.ERROR]), limit=None)


def test_the_plugin_offers_its_sandbox_to_the_demo(tmp_path: Path) -> None:
    offered = ledgersync_demo_sandbox(tmp_path)
    assert isinstance(offered, QbdDemoSandbox)
    assert offered.connector == "qbd"


def test_the_company_table_parses_with_the_config_checker(
        sandbox: QbdDemoSandbox, tmp_path: Path) -> None:
    config = write_config(tmp_path, [sandbox])
    result = CliRunner().invoke(cli, ["--config", str(config), "config", "check"])
    assert result.exit_code == 0, result.output
    assert "ok (1 companies)" in result.output
    assert os.environ[PASSWORD_ENV] == sandbox.password  # env:, set for the demo's run
    assert sandbox.password not in config.read_text(encoding="utf-8")


def test_closing_the_sandbox_restores_the_environment(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "the user's own")
    box = QbdDemoSandbox(tmp_path)
    box.start()
    box.close()
    assert os.environ[PASSWORD_ENV] == "the user's own"


def test_a_small_demo_ties_out_for_qbd(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    password_before = os.environ.get(PASSWORD_ENV)
    result = CliRunner().invoke(
        cli, ["demo", "--dir", str(workdir), "--members", "20"],
        env={"LEDGERSYNC_PLUGINS": "qbd"})
    text = _text(result.output)
    assert result.exit_code == 0, result.output
    assert "QuickBooks Desktop (sandbox): MMS" in text
    assert "ties out to the cent" in text
    assert "QuickBooks said 3140" in text  # both problems show QuickBooks' own words
    assert "ledgersync unlink --company qbd --kind member --mms-id M-9999" in text
    assert os.environ.get(PASSWORD_ENV) == password_before
    with ledgersync.open(workdir / "ledgersync.toml") as left:
        counts = {status for (_, status) in left.status_counts(COMPANY)}
    assert counts == {"synced"}


@pytest.mark.slow
def test_the_demo_ties_out_per_customer_and_per_account_for_qbd(tmp_path: Path) -> None:
    # The stand-in books record the MMS items, which say which income account a line posts to.
    result = CliRunner().invoke(
        cli, ["demo", "--dir", str(tmp_path / "demo"), "--members", "20"],
        env={"LEDGERSYNC_PLUGINS": "qbd,fake"})
    text = _text(result.output)
    assert result.exit_code == 0, result.output
    qbd = [line for line in result.output.splitlines()
           if line.strip().startswith("QuickBooks Desktop (sandbox):") and " vs " in line]
    assert len(qbd) == 2  # the customers' line and the accounts' line
    assert all("ties out to the cent" in line for line in qbd)
    assert "not compared" not in text


def test_an_inactive_item_fails_its_documents_until_it_is_reactivated(
        sandbox: QbdDemoSandbox, ledger: Ledger) -> None:
    dataset = generate(members=12, seed=2)  # one member rents a 40 ft slip
    ledger.record(dataset.records)
    assert "inactive" in sandbox.deactivate_item(ledger, COMPANY, "SLIP-40")
    told = sync(sandbox, ledger)
    errors = failed(ledger)
    assert errors
    assert {e.error_code for e in errors} == {"3140"}
    assert all("Slip Rental:40ft" in (e.error_message or "") for e in errors)
    assert all("reactivate it" in (e.error_remedy or "") for e in errors)
    assert "error" in {status for _, status in told}  # progress saw the failures
    sandbox.reactivate_item(ledger, COMPANY, "SLIP-40")
    ledger.requeue(ItemFilter(company=COMPANY, status=[Status.ERROR]), actor="test")
    sync(sandbox, ledger)
    statuses = {status for (_, status) in ledger.status_counts(COMPANY)}
    assert statuses == {"synced"}
    assert ledger.reconcile(COMPANY).ties_out


def test_a_deleted_customer_fails_its_invoice_until_unlinked_and_requeued(
        sandbox: QbdDemoSandbox, ledger: Ledger) -> None:
    dataset = generate(members=12, seed=5)
    ledger.record([r for r in dataset.records if r.kind not in ("member", "invoice", "payment",
                                                                "credit_memo", "refund",
                                                                "journal_entry")])
    ledger.record([Member(mms_id="M-LATE", display_name="Late Joiner (M-LATE)",
                          account_number="M-LATE")])
    sync(sandbox, ledger)
    assert sandbox.company_file is not None
    first = sandbox.company_file.customer("Late Joiner (M-LATE)")
    assert first is not None
    assert "deleted" in sandbox.delete_customer(ledger, COMPANY, "M-LATE")
    assert sandbox.company_file.customer("Late Joiner (M-LATE)") is None
    dues = Decimal("100.00")
    ledger.record([Invoice(mms_id="INV-LATE", member_id="M-LATE", number="LATE", currency="USD",
                           txn_date=dt.date(2026, 12, 15),
                           lines=(InvoiceLine(item_id="DUES", description="Dues",
                                              quantity=Decimal(1), rate=dues, amount=dues),))])
    sync(sandbox, ledger)
    [error] = failed(ledger)
    assert (error.kind, error.error_code) == ("invoice", "3140")
    assert "QuickBooks Customer" in (error.error_message or "")
    assert "ledgersync unlink --company qbd --kind member --mms-id M-LATE" in (
        error.error_remedy or "")
    sandbox.fix_deleted_customer(ledger, COMPANY, "M-LATE")
    sync(sandbox, ledger)
    assert not failed(ledger)
    again = sandbox.company_file.customer("Late Joiner (M-LATE)")
    assert again is not None
    assert again.list_id != first.list_id
    assert sandbox.company_file.customer_balance("Late Joiner (M-LATE)") == dues
    assert ledger.reconcile(COMPANY).ties_out


def test_quickbooks_refuses_to_delete_a_customer_with_transactions(
        sandbox: QbdDemoSandbox, ledger: Ledger) -> None:
    ledger.record(generate(members=12, seed=5).records)
    sync(sandbox, ledger)
    with pytest.raises(ledgersync.LedgerSyncError, match="3171"):
        sandbox.delete_customer(ledger, COMPANY, "M-0001")
