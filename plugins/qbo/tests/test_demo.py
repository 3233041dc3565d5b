"""`ledgersync demo` with QuickBooks Online: the sandbox on loopback, both problems shown with
the connector's own error and remedy, and a reconciliation that ties out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledgersync import load_config
from ledgersync.cli import cli
from ledgersync_qbo.demo import KEY_ENV, SECRET_ENV, QboDemoSandbox


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    workdir = tmp_path_factory.mktemp("qbo-demo") / "ledgersync-demo"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(workdir), "--members", "20"])
    return workdir, result


def _text(result: Result) -> str:
    return " ".join(result.output.split())


def test_the_demo_ties_out_for_qbo(demo_run: tuple[Path, Result]) -> None:
    workdir, result = demo_run
    assert result.exit_code == 0, result.output
    text = _text(result)
    assert "QuickBooks Online (sandbox): MMS" in text
    qbo_line = text.split("QuickBooks Online (sandbox): MMS", 1)[1].split("customers:", 1)[1]
    assert qbo_line.lstrip().startswith("ties out to the cent"), text
    assert "[companies.qbo]" in (workdir / "ledgersync.toml").read_text(encoding="utf-8")


def test_the_demo_ties_out_per_gl_account_for_qbo(demo_run: tuple[Path, Result]) -> None:
    """The sandbox's GeneralLedger report (what each transaction posted) against the
    postings the ledger computes from the MMS records, per account, over the year."""
    _, result = demo_run
    text = _text(result).split("Per GL account", 1)[1]
    accounts = text.split("QuickBooks Online (sandbox):", 1)[1].split(
        " accounts, MMS net debits ", 1)
    mms, rest = accounts[1].split(" vs accounting ", 1)
    books, verdict = rest.split(":", 1)
    assert int(accounts[0]) >= 7  # receivable, undeposited, tax, bank, three income accounts
    assert mms == books
    assert verdict.lstrip().startswith("ties out to the cent"), text


def test_the_demo_shows_qbos_own_errors_and_remedies(demo_run: tuple[Path, Result]) -> None:
    _, result = demo_run
    text = _text(result)
    assert "[610]" in text  # inactive item, then inactive (deleted) customer
    assert "Reactivate the customer, item or account in QuickBooks" in text
    assert "made inactive" in text
    assert "QuickBooks Online keeps it as an inactive customer" in text
    assert "`ledgersync requeue --company qbo --member M-9999`" in text


def test_the_demo_restores_the_environment(demo_run: tuple[Path, Result]) -> None:
    assert SECRET_ENV not in os.environ


def test_the_company_table_passes_the_config_checker(tmp_path: Path) -> None:
    from ledgersync.demo.story import write_config

    sandbox = QboDemoSandbox(tmp_path)
    saved = os.environ.get(KEY_ENV)
    sandbox.start()
    try:
        path = write_config(tmp_path, [sandbox])
        config = load_config(path)
        company = config.companies["qbo"]
        assert company.connector == "qbo"
        assert company.limits.requests_per_minute == 100_000
        check = CliRunner().invoke(cli, ["--config", str(path), "config", "check"])
        assert check.exit_code == 0, check.output
        assert any("real limits" in note for note in sandbox.notes())
    finally:
        sandbox.close()
    assert os.environ.get(KEY_ENV) == saved
    assert SECRET_ENV not in os.environ
