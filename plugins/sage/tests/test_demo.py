"""`ledgersync demo` with Sage Intacct: the sandbox on loopback, both problems shown with the
connector's own error and remedy, and a reconciliation that ties out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledgersync.cli import cli
from ledgersync_sage.demo import SENDER_ENV, USER_ENV

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    workdir = tmp_path_factory.mktemp("sage-demo") / "ledgersync-demo"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(workdir), "--members", "20"],
                                env={"COLUMNS": "250"})
    return workdir, result


def _text(result: Result) -> str:
    return " ".join(result.output.split())


def test_the_demo_ties_out_for_sage(demo_run: tuple[Path, Result]) -> None:
    workdir, result = demo_run
    assert result.exit_code == 0, result.output
    text = _text(result)
    line = text.split("Sage Intacct (sandbox): MMS", 1)[1].split("customers:", 1)[1]
    assert line.lstrip().startswith("ties out to the cent"), text
    accounts = text.split("Per GL account", 1)[1].split("Sage Intacct (sandbox):", 1)[1]
    assert accounts.split(":", 1)[1].lstrip().startswith("ties out to the cent"), text
    assert "[companies.sage]" in (workdir / "ledgersync.toml").read_text(encoding="utf-8")


def test_the_demo_shows_intaccts_own_errors_and_remedies(
        demo_run: tuple[Path, Result]) -> None:
    text = _text(demo_run[1])
    assert "Account 4100 is not valid" in text
    assert "ledgersync map item sage SLIP-" in text
    assert "Customer 'M-9999' specified is not valid." in text
    assert "ledgersync unlink --company sage --kind member --mms-id M-9999" in text


def test_the_demo_restores_the_environment(demo_run: tuple[Path, Result]) -> None:
    assert SENDER_ENV not in os.environ
    assert USER_ENV not in os.environ
