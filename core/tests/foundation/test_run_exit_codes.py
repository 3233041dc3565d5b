"""`ledgersync run` exit codes a cron job can act on, and a one-line summary of paused
companies (issue 9, point 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgersync.cli.sync_cmds import EXIT_NEEDS_PERSON, EXIT_OK, EXIT_PAUSED

from .conftest import Invoke

MEMBERS = [{"kind": "member", "mms_id": f"M{n}", "display_name": f"Member {n}"}
           for n in (1, 2)]


def _fail_with(workdir: Path, *codes: str) -> None:
    config = workdir / "ledgersync.toml"
    text = config.read_text(encoding="utf-8")
    listed = ", ".join(f'"{code}"' for code in codes)
    config.write_text(text.replace('books_path = "fake-books.db"',
                                   f'books_path = "fake-books.db"\nfail_codes = [{listed}]'),
                      encoding="utf-8")


@pytest.fixture
def queued(workdir: Path, invoke: Invoke) -> Path:
    (workdir / "members.jsonl").write_text("".join(json.dumps(m) + "\n" for m in MEMBERS),
                                           encoding="utf-8")
    assert invoke("ingest", "members.jsonl").exit_code == 0
    return workdir


def test_the_exit_codes_are_distinct() -> None:
    assert len({EXIT_OK, EXIT_NEEDS_PERSON, EXIT_PAUSED, 1, 2}) == 5


def test_a_clean_run_exits_zero(queued: Path, invoke: Invoke) -> None:
    result = invoke("run", "--once")
    assert result.exit_code == EXIT_OK, result.output
    assert "paused" not in result.output


def test_a_run_that_leaves_items_in_error_exits_with_the_needs_a_person_code(
    queued: Path, invoke: Invoke
) -> None:
    _fail_with(queued, "inactive")
    result = invoke("run", "--once")
    assert result.exit_code == EXIT_NEEDS_PERSON, result.output
    assert "1 item(s) need a person" in result.stderr


def test_a_run_that_pauses_a_company_exits_with_the_paused_code_and_names_it(
    queued: Path, invoke: Invoke
) -> None:
    _fail_with(queued, "auth")
    result = invoke("run", "--once")
    assert result.exit_code == EXIT_PAUSED, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("paused: ")]
    assert "club (" in line


def test_a_paused_company_keeps_the_run_exit_code_until_it_is_resumed(
    queued: Path, invoke: Invoke
) -> None:
    config = queued / "ledgersync.toml"
    healthy = config.read_text(encoding="utf-8")
    _fail_with(queued, "auth")
    invoke("run", "--once")
    config.write_text(healthy, encoding="utf-8")  # the authorisation is fixed
    assert invoke("run", "--once").exit_code == EXIT_PAUSED
    assert invoke("companies", "resume", "club").exit_code == 0
    assert invoke("run", "--once").exit_code == EXIT_OK


def test_the_json_summary_carries_the_exit_code_and_the_paused_companies(
    queued: Path, invoke: Invoke
) -> None:
    _fail_with(queued, "auth")
    result = invoke("run", "--once", "--json")
    assert result.exit_code == EXIT_PAUSED
    summary = json.loads(result.stdout)
    assert summary["exit_code"] == EXIT_PAUSED
    assert [p["company"] for p in summary["paused"]] == ["club"]
    assert summary["paused"][0]["reason"]
