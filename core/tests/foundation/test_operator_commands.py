"""Operator commands at their edges: history by record, requeue of a synced item, cut and
empty listings, group remedies, reconcile rows that tie out (issue 9, points 16 to 18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import ledgersync
from ledgersync.demo.story import group_remedy

from .conftest import Invoke

MEMBERS = [{"kind": "member", "mms_id": f"M{n}", "display_name": f"Member {n}"}
           for n in range(1, 6)]


@pytest.fixture
def synced(workdir: Path, invoke: Invoke) -> Path:
    """Company ``club`` with five members synced."""
    (workdir / "members.jsonl").write_text("".join(json.dumps(m) + "\n" for m in MEMBERS),
                                           encoding="utf-8")
    assert invoke("ingest", "members.jsonl").exit_code == 0
    assert invoke("run", "--once").exit_code == 0
    return workdir


def _items(invoke: Invoke, *args: str) -> list[dict[str, Any]]:
    result = invoke("status", "--items", "--json", *args)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def test_history_accepts_company_kind_and_mms_id(synced: Path, invoke: Invoke) -> None:
    result = invoke("history", "club", "member", "M3", "--json")
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert events
    assert events[-1]["to_status"] == "synced"


def test_history_by_record_shows_the_same_as_by_item_number(
    synced: Path, invoke: Invoke
) -> None:
    [item] = _items(invoke, "--mms-id", "M3")
    by_id = invoke("history", str(item["id"]), "--json").stdout
    assert json.loads(invoke("history", "club", "member", "M3", "--json").stdout) == \
        json.loads(by_id)


def test_history_of_an_unknown_record_names_it_with_a_remedy(
    synced: Path, invoke: Invoke
) -> None:
    result = invoke("history", "club", "invoice", "INV-LATE-1")
    assert result.exit_code == 1
    assert "invoice 'INV-LATE-1'" in result.stderr
    assert "what to do:" in result.stderr


def test_history_with_two_words_is_a_usage_error_showing_both_forms(
    synced: Path, invoke: Invoke
) -> None:
    result = invoke("history", "club", "INV-LATE-1")
    assert result.exit_code == 2
    assert "COMPANY KIND MMS_ID" in result.stderr


def test_requeue_of_a_synced_item_suggests_resync(synced: Path, invoke: Invoke) -> None:
    [item] = _items(invoke, "--mms-id", "M2")
    result = invoke("requeue", str(item["id"]))
    assert result.exit_code == 1
    assert "is synced" in result.stderr
    assert f"ledgersync resync {item['id']}" in result.stderr


def test_status_items_says_when_it_cut_the_list(synced: Path, invoke: Invoke) -> None:
    result = invoke("status", "--items", "--limit", "2")
    assert result.exit_code == 0
    assert "showing the first 2 items; more match" in result.stderr


def test_status_items_says_nothing_of_a_cut_when_all_are_shown(
    synced: Path, invoke: Invoke
) -> None:
    result = invoke("status", "--items", "--limit", "5")
    assert "more match" not in result.stderr


def test_an_empty_listing_says_none(synced: Path, invoke: Invoke) -> None:
    result = invoke("status", "--status", "error")
    assert result.exit_code == 0
    assert "items: none" in result.stdout


def test_the_error_code_filter_selects_a_group_of_failed_items(
    workdir: Path, invoke: Invoke
) -> None:
    config = workdir / "ledgersync.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('books_path = "fake-books.db"',
                                   'books_path = "fake-books.db"\nfail_codes = ["inactive", '
                                   '"inactive", "missing"]'), encoding="utf-8")
    (workdir / "members.jsonl").write_text("".join(json.dumps(m) + "\n" for m in MEMBERS),
                                           encoding="utf-8")
    invoke("ingest", "members.jsonl")
    invoke("run", "--once")
    assert len(_items(invoke, "--error-code", "inactive")) == 2
    config.write_text(text, encoding="utf-8")
    result = invoke("requeue", "--company", "club", "--error-code", "inactive")
    assert result.exit_code == 0, result.output
    assert "requeued 2 item(s)" in result.stdout
    assert [i["error_code"] for i in _items(invoke, "--status", "error")] == ["missing"]


def test_a_group_remedy_names_the_command_for_the_whole_group() -> None:
    remedy = group_remedy("Make the item active in QuickBooks, then `ledgersync requeue 1776`",
                          1776, "qbo", "6240")
    assert "`ledgersync requeue --company qbo --error-code 6240`" in remedy
    assert "1776" not in remedy


def test_a_group_remedy_without_a_requeue_gets_one_for_the_group() -> None:
    remedy = group_remedy("Reactivate the item", 12, "qbd", "3140")
    assert remedy.endswith("`ledgersync requeue --company qbd --error-code 3140` for all of them")


def test_reconcile_all_does_not_blame_remote_edits_on_rows_that_tie_out(
    workdir: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledgersync.cli import _common

    monkeypatch.setattr(_common.console, "_width", 250)
    example = Path(__file__).parents[3] / "examples" / "club.jsonl"
    assert invoke("ingest", str(example)).exit_code == 0
    assert invoke("run", "--once").exit_code == 0
    result = invoke("reconcile", "club", "--all")
    assert result.exit_code == 0, result.output
    assert "ties out" in result.stdout
    assert "changed or deleted" not in result.stdout


def test_status_says_since_when_the_accounting_system_is_unreachable(
        workdir: Path, invoke: Invoke) -> None:
    from ledgersync._engine.outage import STATE_KEY

    with ledgersync.open(workdir / "ledgersync.toml", create=False) as ledger:
        ledger.state("club").put(STATE_KEY, {"since": "2026-12-06T07:00:00+00:00",
                                             "failures": 4, "last": "2026-12-06T07:05:00+00:00",
                                             "message": "no answer in time (ReadTimeout)"})
    result = invoke("status", "--json")
    [found] = [a for a in json.loads(result.stdout)["attention"] if a["company"] == "club"]
    assert "has not answered since 2026-12-06T07:00:00+00:00" in found["problem"]
    assert "4 failures in a row" in found["problem"]
    assert "spends no attempts" in found["remedy"]
