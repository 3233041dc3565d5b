"""`ledgersync demo`: the main job on a fresh machine, and the state it leaves behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledgersync.cli import cli
from ledgersync.demo.dataset import generate


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    workdir = tmp_path_factory.mktemp("demo") / "ledgersync-demo"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(workdir), "--members", "10"])
    return workdir, result


def _text(result: Result) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(result.output.split())


def test_the_demo_ties_out_and_exits_zero(demo_run: tuple[Path, Result]) -> None:
    _, result = demo_run
    assert result.exit_code == 0, result.output
    assert "ties out to the cent" in _text(result)
    assert "does not tie out" not in _text(result)


def test_the_demo_shows_both_problems_with_their_remedies(demo_run: tuple[Path, Result]
                                                          ) -> None:
    _, result = demo_run
    text = _text(result)
    assert "Problem 1" in text
    assert "is inactive" in text
    assert "Reactivate it" in text
    assert "Problem 2" in text
    assert "was deleted" in text
    assert "ledgersync unlink" in text


def test_the_demo_leaves_a_config_and_ledger_that_other_commands_use(
    demo_run: tuple[Path, Result],
) -> None:
    workdir, _ = demo_run
    config = workdir / "ledgersync.toml"
    assert config.exists()
    status = CliRunner().invoke(cli, ["--config", str(config), "status", "--json"])
    assert status.exit_code == 0, status.output
    counts = json.loads(status.output)["counts"]
    assert {row["status"] for row in counts} == {"synced"}
    reconcile = CliRunner().invoke(cli, ["--config", str(config), "reconcile", "fake"])
    assert reconcile.exit_code == 0, reconcile.output


def test_the_dataset_is_deterministic_and_realistic() -> None:
    first, again = generate(members=30, seed=3), generate(members=30, seed=3)
    assert first == again
    assert generate(members=30, seed=4) != first
    kinds = {record.kind for record in first.records}
    assert kinds == {"gl_account", "tax_rate", "terms", "item", "member", "invoice",
                     "payment", "credit_memo", "refund", "journal_entry"}
    taxed = [line for record in first.records if record.kind == "invoice"
             for line in record.lines if line.tax_amount]  # type: ignore[attr-defined]
    assert taxed
