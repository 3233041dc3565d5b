"""`ledgersync demo` with the two-stage path: the loopback sandbox, a stage-two rejection and
an orphan with their remedies and fixes, and a reconciliation that ties out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledgersync import load_config
from ledgersync.cli import cli
from ledgersync_quickbooks_legacy.demo import KEY_ENV, SECRET_ENV, LegacyDemoSandbox

pytestmark = pytest.mark.slow  # the whole demo, every installed sandbox


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    workdir = tmp_path_factory.mktemp("legacy-demo") / "ledgersync-demo"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(workdir), "--members", "20"],
                                env={"COLUMNS": "250"})
    return workdir, result


def _text(result: Result) -> str:
    return " ".join(result.output.split())


def test_the_demo_ties_out_for_the_two_stage_path(demo_run: tuple[Path, Result]) -> None:
    workdir, result = demo_run
    assert result.exit_code == 0, result.output
    text = _text(result)
    line = text.split("QuickBooks Desktop, two-stage (sandbox): MMS", 1)[1]
    assert line.split("customers:", 1)[1].lstrip().startswith("ties out to the cent"), text
    assert "[companies.quickbooks_legacy]" in (workdir / "ledgersync.toml").read_text(
        encoding="utf-8")


def test_the_demo_shows_the_rejection_and_the_orphan_with_remedies(
        demo_run: tuple[Path, Result]) -> None:
    _, result = demo_run
    text = _text(result)
    assert "[9/50]" in text
    assert "it is inactive" in text
    assert "[7/210]" in text
    assert "Requeue it: ledgersync sends it again under a new request id" in text
    assert "`ledgersync requeue --company quickbooks_legacy --status orphaned`: 1 item(s)" in text


def test_the_demo_restores_the_environment(demo_run: tuple[Path, Result]) -> None:
    assert SECRET_ENV not in os.environ


def test_the_company_table_passes_the_config_checker(tmp_path: Path) -> None:
    from ledgersync.demo.story import write_config

    sandbox = LegacyDemoSandbox(tmp_path)
    saved = os.environ.get(KEY_ENV)
    sandbox.start()
    try:
        path = write_config(tmp_path, [sandbox])
        company = load_config(path).companies["quickbooks_legacy"]
        assert company.connector == "quickbooks_legacy"
        check = CliRunner().invoke(cli, ["--config", str(path), "config", "check"])
        assert check.exit_code == 0, check.output
    finally:
        sandbox.close()
    assert os.environ.get(KEY_ENV) == saved
    assert SECRET_ENV not in os.environ
