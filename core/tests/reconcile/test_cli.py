"""`ledgersync reconcile` and `ledgersync note` on the command line: tables, JSON and CSV an
accountant reads, the sign-off and its history, and one-line errors for bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ledgersync import Ledger
from ledgersync.cli import cli

from .conftest import invoice

D = Decimal


@pytest.fixture
def config(harbor: Ledger, world: Any, tmp_path: Path) -> Path:
    path = tmp_path / "ledgersync.toml"
    path.write_text(f'[ledger]\nurl = "{world.database_url}"\n'
                    '[companies.harbor]\nconnector = "fake"\nschedule = "manual"\n'
                    f'[companies.harbor.fake]\nbooks_path = "{world.books_path("harbor")}"\n',
                    encoding="utf-8")
    return path


def _run(config: Path, *args: str, exit_code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == exit_code, (args, result.output)
    return result


def _usage_error(config: Path, *args: str) -> str:
    result = _run(config, *args, exit_code=2)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_difference_is_listed_with_its_transaction_cause_and_remedy(config: Path,
                                                                     world: Any) -> None:
    world.books().edit("invoice", "I2", amount=D("70.00"))
    out = _run(config, "reconcile", "harbor", exit_code=1).stdout
    lines = [line for line in out.splitlines() if "amount 80.00 in the MMS" in line]
    assert len(lines) == 1, out  # one line, however wide: not a terminal
    assert "edited in books" in lines[0]
    assert "`ledgersync resync" in lines[0]


def test_json_output_parses_with_every_explanation(config: Path, world: Any) -> None:
    world.books().enter_by_hand("invoice", "M2", D("25.00"), txn_date=dt.date(2026, 3, 4))
    data = json.loads(_run(config, "reconcile", "harbor", "--json", exit_code=1).stdout)
    (customer,) = data["customers"]
    assert (customer["member_id"], customer["difference"], customer["unexplained"]) == (
        "M2", "25.00", "0.00")
    assert [e["cause"] for e in customer["explanations"]] == ["posted_outside"]


def test_csv_output_parses_one_row_per_explanation(config: Path, world: Any) -> None:
    world.books().edit("invoice", "I2", amount=D("70.00"))
    world.books().void("invoice", "I3")
    rows = list(csv.DictReader(io.StringIO(
        _run(config, "reconcile", "harbor", "--csv", exit_code=1).stdout)))
    assert sorted((r["member_id"], r["cause"], r["amount"]) for r in rows) == [
        ("M1", "deleted_in_books", "-40.00"), ("M2", "edited_in_books", "-10.00")]


def test_accounts_json_and_csv_parse(config: Path) -> None:
    data = json.loads(_run(config, "reconcile", "harbor", "--accounts", "--to", "2026-03-31",
                           "--all", "--json").stdout)
    assert data["ties_out"] is True
    assert {a["account_id"] for a in data["accounts"]} >= {"4000", "receivable", "tax_payable"}
    rows = list(csv.DictReader(io.StringIO(_run(
        config, "reconcile", "harbor", "--accounts", "--period", "2026-03", "--all",
        "--csv").stdout)))
    assert {r["account_id"]: r["difference"] for r in rows}["4000"] == "0.00"


def test_an_unmapped_account_is_named_with_the_map_command(config: Path, harbor: Ledger
                                                          ) -> None:
    harbor.record([invoice("I7", "M3", "15.00", account="4999")])
    out = _run(config, "reconcile", "harbor", "--accounts", exit_code=1).stdout
    assert ("not compared: 4999 (15.00 posted) has no account in the books: map it to the "
            "books' account: `ledgersync map account harbor 4999 REMOTE_ID`") in out


def test_a_signed_reconciliation_is_in_the_history_and_the_next_report_starts_from_it(
    config: Path,
) -> None:
    signed = _run(config, "reconcile", "harbor", "--as-of", "2026-03-31", "--sign",
                  "Jane Doe").stdout
    assert "signed by Jane Doe" in signed
    history = json.loads(_run(config, "reconcile", "harbor", "--history", "--json").stdout)
    assert [(h["kind"], h["as_of"], h["total_mms"], h["signed_by"]) for h in history] == [
        ("customers", "2026-03-31", "178.25", "Jane Doe")]
    later = _run(config, "reconcile", "harbor", "--as-of", "2026-04-30").stdout
    assert "starts from the reconciliation as of 2026-03-31 signed by Jane Doe" in later
    earlier = _run(config, "reconcile", "harbor", "--as-of", "2026-03-30").stdout
    assert "starts from" not in earlier


def test_note_accepts_a_difference_on_the_command_line(config: Path, world: Any,
                                                      harbor: Ledger) -> None:
    remote_id = world.books().enter_by_hand("invoice", "M2", D("25.00"),
                                            txn_date=dt.date(2026, 3, 4))
    out = _run(config, "note", "harbor", f"invoice:{remote_id}", "late fee typed in QB",
               "--accept").stdout
    assert f"noted on invoice {remote_id} in the books (accepted)" in out
    data = json.loads(_run(config, "reconcile", "harbor", "--json", exit_code=1).stdout)
    assert [e["cause"] for e in data["customers"][0]["explanations"]] == ["accepted"]


@pytest.mark.parametrize(("args", "says"), [
    (("reconcile", "nowhere"), "no company 'nowhere'"),
    (("reconcile", "harbor", "--as-of", "2026-02-30"), "is not a date like"),
    (("reconcile", "harbor", "--as-of", "2026-03-31", "--sign"), "requires an argument"),
    (("reconcile", "harbor", "--as-of", "2026-03-31", "--sign", " "), "give the name"),
    (("reconcile", "harbor", "--sign", "Jane"), "a sign-off is as of a date"),
    (("reconcile", "harbor", "--accounts", "--from", "2026-04-01", "--to", "2026-03-01"),
     "2026-04-01 is after the period's end 2026-03-01"),
    (("reconcile", "harbor", "--period", "2026-13"), "is not a month like"),
    (("reconcile", "harbor", "--from", "2026-03-01"), "--from and --to are for --accounts"),
    (("note", "harbor", "I2", "why"), None),
])
def test_bad_input_is_one_line_error(config: Path, args: tuple[str, ...],
                                     says: str | None) -> None:
    if says is None:  # a ledgersync error: `error:` and `what to do:`, exit 1
        result = _run(config, *args, exit_code=1)
        assert result.stderr.startswith("error: 'I2' is neither an item id nor a books")
        assert len(result.stderr.splitlines()) == 2
        return
    assert says in _usage_error(config, *args)
