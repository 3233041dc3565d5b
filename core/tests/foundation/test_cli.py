"""The command line over a ledger left by `init --connector fake`, `ingest examples/club.jsonl`
and `run --once`, plus a failed item and a company that requires approval.

Bad arguments are usage errors (exit code 2, one line, a usage hint); a ledgersync error prints
``error:`` and ``what to do:`` (exit code 1) and never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ledgersync import LedgerSyncError
from ledgersync.cli import cli

Invoke = Callable[..., Result]

EXAMPLE = Path(__file__).parents[3] / "examples" / "club.jsonl"
EXAMPLE_RECORDS = sum(1 for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
                      if line.strip())
CLEAN_ENV: dict[str, str | None] = {
    "LEDGERSYNC_PLUGINS": None, "LEDGERSYNC_DISABLE_PLUGINS": None, "LEDGERSYNC_CONFIG": None,
}

MARINA = """
[companies.marina]
connector = "fake"
schedule = "manual"
approval_required = true

[companies.marina.fake]
books_path = "{dir}/marina-books.db"
"""
FAILED_MEMBER = {"kind": "member", "mms_id": "M9001", "display_name": "Zed Err"}
# Transactions wait for approval; their member goes straight through.
WAITING = [{"kind": "member", "mms_id": "W0", "display_name": "Wai Ting"}] + [
    {"kind": "invoice", "mms_id": f"W{n}", "member_id": "W0", "number": f"W{n}",
     "txn_date": "2026-03-01", "currency": "USD",
     "lines": [{"account_id": "4000", "description": "Dues", "quantity": "1",
                "rate": "100.00", "amount": "100.00"}]} for n in (1, 2)]


def _run(config: Path, *args: str, exit_code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], env=CLEAN_ENV,
                                catch_exceptions=False)
    assert result.exit_code == exit_code, (args, result.output)
    return result


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: ``club`` with the example synced and one member failed (``inactive``),
    ``marina`` with two members awaiting approval."""
    root = tmp_path_factory.mktemp("template")
    config = root / "ledgersync.toml"
    _run(config, "init", "--connector", "fake")
    text = config.read_text(encoding="utf-8")
    config.write_text(text + MARINA.format(dir=root.as_posix()), encoding="utf-8")
    _run(config, "ingest", "--company", "club", str(EXAMPLE))
    _run(config, "run", "--once", "--company", "club")
    failing = text.replace("fake-books.db\"", "fake-books.db\"\nfail_codes = [\"inactive\"]", 1)
    assert failing != text
    config.write_text(failing + MARINA.format(dir=root.as_posix()), encoding="utf-8")
    (root / "extra.jsonl").write_text(json.dumps(FAILED_MEMBER) + "\n", encoding="utf-8")
    _run(config, "ingest", "--company", "club", str(root / "extra.jsonl"))
    _run(config, "run", "--once", "--company", "club", exit_code=3)  # an item needs a person
    config.write_text(text + MARINA.format(dir=root.as_posix()), encoding="utf-8")
    (root / "waiting.jsonl").write_text("".join(json.dumps(r) + "\n" for r in WAITING),
                                        encoding="utf-8")
    _run(config, "ingest", "--company", "marina", str(root / "waiting.jsonl"))
    return root


@pytest.fixture
def club(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the template, as the current directory."""
    site = tmp_path / "site"
    shutil.copytree(template, site)
    config = site / "ledgersync.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(template.as_posix(),
                                                                  site.as_posix()),
                      encoding="utf-8")
    monkeypatch.chdir(site)
    return site


def _json(invoke: Invoke, *args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _item(invoke: Invoke, mms_id: str, company: str = "club") -> dict[str, Any]:
    items = _json(invoke, "status", "--items", "--company", company, "--mms-id", mms_id)
    assert len(items) == 1, items
    return dict(items[0])


def _assert_usage_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Usage: ledgersync" in result.stderr
    assert "--help' for help." in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0]
    assert "Traceback" not in result.output


def _assert_ledgersync_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    remedies = [line for line in lines if line.startswith("what to do: ")]
    assert len(errors) == 1, result.stderr
    assert len(remedies) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr
    assert "Traceback" not in result.output


# -- status ----------------------------------------------------------------------------------------


def test_status_json_counts_items_by_company_and_status(club: Path, invoke: Invoke) -> None:
    counts = _json(invoke, "status")["counts"]
    assert counts == [
        {"company": "club", "status": "error", "count": 1},
        {"company": "club", "status": "synced", "count": EXAMPLE_RECORDS},
        {"company": "marina", "status": "awaiting_approval", "count": 2},
        {"company": "marina", "status": "pending", "count": 1},
    ]


def test_status_json_lists_failed_items_with_their_remedy(club: Path, invoke: Invoke) -> None:
    errors = _json(invoke, "status")["errors"]
    assert [(e["kind"], e["mms_id"], e["error_code"]) for e in errors] == [
        ("member", "M9001", "inactive")]
    assert "Reactivate" in errors[0]["error_remedy"]


def test_status_table_shows_companies_and_statuses(club: Path, invoke: Invoke) -> None:
    result = invoke("status")
    assert result.exit_code == 0
    for word in ("club", "marina", "synced", "error", str(EXAMPLE_RECORDS)):
        assert word in result.stdout


def test_status_table_shows_the_error_code_of_a_failed_item(club: Path, invoke: Invoke) -> None:
    result = invoke("status", "--company", "club")
    assert "items that need a person" in result.stdout
    assert "[inactive]" in result.stdout


def test_status_filters_by_company(club: Path, invoke: Invoke) -> None:
    counts = _json(invoke, "status", "--company", "marina")["counts"]
    assert {c["company"] for c in counts} == {"marina"}


def test_status_items_filters_by_status(club: Path, invoke: Invoke) -> None:
    items = _json(invoke, "status", "--status", "awaiting-approval")
    assert sorted(i["mms_id"] for i in items) == ["W1", "W2"]


def test_status_with_an_unknown_status_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("status", "--status", "lost"), "--status", "'lost'")


def test_status_with_an_unknown_company_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("status", "--company", "harbour"), "no company 'harbour'",
                        "club, marina")


def test_status_with_a_bad_date_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("status", "--from", "2026-13-01"), "2026-13-01")


# -- log and history -------------------------------------------------------------------------------


def test_log_lists_the_runs_with_their_sections(club: Path, invoke: Invoke) -> None:
    runs = _json(invoke, "log", "--company", "club")
    assert [r["status"] for r in runs] == ["finished", "finished"]
    first = {s["kind"]: s for s in runs[-1]["sections"]}
    assert first["member"]["ok"] == 40
    assert sum(s["ok"] for s in first.values()) == EXAMPLE_RECORDS


def test_log_shows_the_error_of_the_last_run(club: Path, invoke: Invoke) -> None:
    result = invoke("log", "--company", "club", "--limit", "1")
    assert result.exit_code == 0
    assert "run 2 club (manual)" in result.stdout
    assert "[inactive]" in result.stdout


def test_log_of_a_company_without_runs_says_how_to_start_one(club: Path, invoke: Invoke) -> None:
    result = invoke("log", "--company", "marina")
    assert result.exit_code == 0
    assert "no runs yet" in result.stdout


def test_history_lists_every_status_change(club: Path, invoke: Invoke) -> None:
    item = _item(invoke, "M9001")
    events = _json(invoke, "history", str(item["id"]))
    assert [(e["from_status"], e["to_status"]) for e in events][-2:] == [
        ("pending", "in_flight"), ("in_flight", "error")]


def test_history_of_an_unknown_item_is_an_error_with_a_remedy(
    club: Path, invoke: Invoke
) -> None:
    _assert_ledgersync_error(invoke("history", "99999"), "99999", "ledgersync status --items")


def test_history_with_a_non_numeric_id_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("history", "abc"), "'abc'")


# -- requeue, unlink, resync, mark -----------------------------------------------------------------


def test_requeue_puts_a_failed_item_back_in_the_queue(club: Path, invoke: Invoke) -> None:
    item = _item(invoke, "M9001")
    result = invoke("requeue", str(item["id"]))
    assert result.exit_code == 0
    assert "requeued 1 item(s)" in result.stdout
    assert _item(invoke, "M9001")["status"] == "pending"


def test_requeue_by_filter(club: Path, invoke: Invoke) -> None:
    result = invoke("requeue", "--company", "club", "--status", "error")
    assert result.exit_code == 0
    assert "requeued 1 item(s)" in result.stdout


def test_requeue_without_a_selection_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("requeue"), "say which items")


def test_requeue_of_a_synced_item_is_an_error_with_a_remedy(club: Path, invoke: Invoke) -> None:
    item = _item(invoke, "M0001")
    _assert_ledgersync_error(invoke("requeue", str(item["id"])), f"id {item['id']}")
    assert _item(invoke, "M0001")["status"] == "synced"


def test_requeue_matching_nothing_exits_non_zero(club: Path, invoke: Invoke) -> None:
    result = invoke("requeue", "--company", "club", "--kind", "refund", "--status", "error")
    assert result.exit_code == 1
    assert "nothing matched" in result.stderr


def test_unlink_clears_the_remote_id_so_the_record_is_created_again(
    club: Path, invoke: Invoke
) -> None:
    item = _item(invoke, "M0001")
    assert item["external_id"] is not None
    result = invoke("unlink", str(item["id"]))
    assert result.exit_code == 0
    assert "unlinked 1 item(s)" in result.stdout
    after = _item(invoke, "M0001")
    assert (after["status"], after["external_id"]) == ("pending", None)


def test_unlink_of_a_failed_item_is_an_error_with_a_remedy(club: Path, invoke: Invoke) -> None:
    item = _item(invoke, "M9001")
    _assert_ledgersync_error(invoke("unlink", str(item["id"])))


def test_resync_queues_a_synced_record_again(club: Path, invoke: Invoke) -> None:
    result = invoke("resync", "--company", "club", "--mms-id", "M0002")
    assert result.exit_code == 0
    assert "queued for resync 1 item(s)" in result.stdout
    statuses = {i["operation"]: i["status"] for i in _json(
        invoke, "status", "--items", "--company", "club", "--mms-id", "M0002")}
    assert "pending" in statuses.values()


def test_resync_with_a_bad_date_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("resync", "--company", "club", "--to", "yesterday"), "yesterday")


def test_mark_no_go_holds_an_item_back_with_the_reason(club: Path, invoke: Invoke) -> None:
    item = _item(invoke, "W1", company="marina")
    result = invoke("mark", "no-go", str(item["id"]), "--reason", "member disputes it")
    assert result.exit_code == 0
    assert "marked no-go 1 item(s)" in result.stdout
    after = _item(invoke, "W1", company="marina")
    assert after["status"] == "no_go"
    assert "member disputes it" in (after["reason"] or "")


def test_mark_go_releases_an_item_marked_no_go(club: Path, invoke: Invoke) -> None:
    item = _item(invoke, "W1", company="marina")
    invoke("mark", "no-go", str(item["id"]))
    result = invoke("mark", "go", str(item["id"]))
    assert result.exit_code == 0
    assert _item(invoke, "W1", company="marina")["status"] != "no_go"


def test_mark_with_an_unknown_vote_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("mark", "maybe", "1"), "'maybe'")


def test_mark_of_a_synced_item_is_an_error_with_a_remedy(club: Path, invoke: Invoke) -> None:
    item = _item(invoke, "M0001")
    _assert_ledgersync_error(invoke("mark", "no-go", str(item["id"])))


# -- approve ---------------------------------------------------------------------------------------


def test_approve_list_shows_what_awaits_approval(club: Path, invoke: Invoke) -> None:
    items = _json(invoke, "approve", "marina", "--list")
    assert sorted(i["mms_id"] for i in items) == ["W1", "W2"]


def test_approve_all_releases_every_waiting_item(club: Path, invoke: Invoke) -> None:
    result = invoke("approve", "marina", "--all")
    assert result.exit_code == 0
    assert "approved 2, cleared 0, kept 0" in result.stdout
    assert _item(invoke, "W1", company="marina")["status"] == "pending"


def test_approve_ids_and_clear_the_rest(club: Path, invoke: Invoke) -> None:
    first = _item(invoke, "W1", company="marina")
    result = invoke("approve", "marina", "--ids", str(first["id"]), "--clear-unchecked")
    assert result.exit_code == 0
    assert "approved 1, cleared 1, kept 0" in result.stdout
    assert _item(invoke, "W2", company="marina")["status"] == "cleared"


def test_approve_with_bad_ids_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("approve", "marina", "--ids", "x,y"), "--ids", "'x,y'")


def test_approve_of_an_unknown_company_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("approve", "marine", "--all"), "no company 'marine'")
    assert _item(invoke, "W1", company="marina")["status"] == "awaiting_approval"


def test_approve_without_a_choice_outside_a_terminal_is_a_usage_error(
    club: Path, invoke: Invoke
) -> None:
    _assert_usage_error(invoke("approve", "marina"), "--all")


# -- map and companies -----------------------------------------------------------------------------


def test_map_account_links_an_mms_account_to_a_remote_one(club: Path, invoke: Invoke) -> None:
    result = invoke("map", "account", "club", "4000", "acc-4000", "--name", "Dues [income]")
    assert result.exit_code == 0
    assert "mapped account 4000 → acc-4000" in result.stdout
    mapped = _json(invoke, "map", "account", "club")["mapped"]
    assert [(m["mms_id"], m["external_id"], m["external_name"]) for m in mapped] == [
        ("4000", "acc-4000", "Dues [income]")]


def test_map_remove_deletes_a_mapping(club: Path, invoke: Invoke) -> None:
    invoke("map", "item", "club", "DUES", "it-1")
    result = invoke("map", "item", "club", "DUES", "--remove")
    assert result.exit_code == 0
    assert _json(invoke, "map", "item", "club")["mapped"] == []


def test_map_without_the_remote_id_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("map", "account", "club", "4000"), "REMOTE_ID")


def test_map_of_an_unknown_company_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("map", "account", "harbour", "4000", "x"), "'harbour'")


def test_map_of_an_unknown_kind_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("map", "boat", "club", "B1", "x"), "boat")


def test_companies_list_shows_each_company(club: Path, invoke: Invoke) -> None:
    rows = _json(invoke, "companies", "list")
    assert [(r["name"], r["connector"], r["approval_required"], r["paused"]) for r in rows] == [
        ("club", "fake", False, None), ("marina", "fake", True, None)]


def test_companies_resume_of_a_company_not_paused_says_so(club: Path, invoke: Invoke) -> None:
    result = invoke("companies", "resume", "club")
    assert result.exit_code == 0
    assert "club was not paused" in result.stdout


def test_companies_resume_of_an_unknown_company_is_a_usage_error(
    club: Path, invoke: Invoke
) -> None:
    _assert_usage_error(invoke("companies", "resume", "harbour"), "'harbour'")


def test_companies_set_in_sync_date_holds_older_waiting_items(
    club: Path, invoke: Invoke
) -> None:
    result = invoke("companies", "set-in-sync-date", "club", "2026-01-01")
    assert result.exit_code == 0
    assert "in-sync date of club is now 2026-01-01" in result.stdout
    rows = {r["name"]: r for r in _json(invoke, "companies", "list")}
    assert rows["club"]["in_sync_date"] == "2026-01-01"


def test_companies_set_in_sync_date_with_a_bad_date_is_a_usage_error(
    club: Path, invoke: Invoke
) -> None:
    _assert_usage_error(invoke("companies", "set-in-sync-date", "club", "01/02/2026"),
                        "01/02/2026")


def test_unknown_command_is_a_usage_error(club: Path, invoke: Invoke) -> None:
    _assert_usage_error(invoke("statsu"), "statsu")


# -- errors ----------------------------------------------------------------------------------------


def test_ledgersync_error_prints_error_and_what_to_do_without_traceback(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _assert_ledgersync_error(invoke("status"), "no config file", "ledgersync init")


def test_error_with_brackets_is_printed_as_it_is(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ledgersync.toml").write_text('[companies."a[/b]"]\nconnector = "fake"\n',
                                              encoding="utf-8")
    _assert_ledgersync_error(invoke("status"), 'companies."a[/b]": invalid company name')


def test_debug_shows_the_traceback(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LedgerSyncError, match="no config file"):
        invoke("--debug", "status")


# -- config ----------------------------------------------------------------------------------------


def test_config_check_of_a_good_config_says_ok(club: Path, invoke: Invoke) -> None:
    result = invoke("config", "check")
    assert result.exit_code == 0
    assert "ledgersync.toml: ok (2 companies)" in result.stdout


def test_config_check_reports_connector_settings_by_key_path(
    club: Path, invoke: Invoke
) -> None:
    config = club / "ledgersync.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[companies.marina.fake]\nbooks_path",
                                   "[companies.marina.fake]\nreplay_keys = \"yes\"\nbook_path"),
                      encoding="utf-8")
    result = invoke("config", "check")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "companies.marina.fake.books_path: missing" in lines
    assert "companies.marina.fake.replay_keys: expected true or false, got string" in lines


def test_config_check_reports_every_core_problem_on_its_own_line(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ledgersync.toml").write_text(
        '[ledger]\nurl = "sqlite:///x.db"\nbogus = 1\n\n[companies.club]\nconnector = "fake"\n'
        'schedul = "1h"\n', encoding="utf-8")
    result = invoke("config", "check")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "ledger.bogus: unknown key" in lines
    assert any(line.startswith("companies.club.schedul: unknown key") for line in lines)
    assert "2 problem(s) in ledgersync.toml" in lines


def test_config_check_of_invalid_toml_names_the_line(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ledgersync.toml").write_text("[ledger\nurl = 1\n", encoding="utf-8")
    result = invoke("config", "check")
    assert result.exit_code == 1
    assert "ledgersync.toml:1:" in result.stderr
    assert "invalid TOML" in result.stderr


def test_config_option_points_at_the_config_file(
    club: Path, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = invoke("--config", str(club / "ledgersync.toml"), "status", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"][0]["company"] == "club"


def test_config_environment_variable_points_at_the_config_file(
    club: Path, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("LEDGERSYNC_CONFIG", str(club / "ledgersync.toml"))
    result = invoke("status", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"][0]["company"] == "club"


def test_config_option_wins_over_the_environment_variable(
    club: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERSYNC_CONFIG", str(club / "missing.toml"))
    result = invoke("--config", str(club / "ledgersync.toml"), "companies", "list", "--json")
    assert result.exit_code == 0, result.output


def test_init_refuses_to_overwrite_a_config(club: Path, invoke: Invoke) -> None:
    result = invoke("init", "--connector", "fake")
    assert result.exit_code == 1
    assert "--force" in result.stderr


# -- a real process --------------------------------------------------------------------------------


def _process(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERSYNC_")}
    return subprocess.run([sys.executable, "-m", "ledgersync.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_init_ingest_and_run_in_a_real_process(tmp_path: Path) -> None:
    init = _process(tmp_path, "init", "--connector", "fake")
    assert init.returncode == 0, init.stderr
    ingest = _process(tmp_path, "ingest", str(EXAMPLE))
    assert ingest.returncode == 0, ingest.stderr
    assert f"{EXAMPLE_RECORDS} new" in ingest.stdout
    run = _process(tmp_path, "run", "--once", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["outcomes"] == {"synced": EXAMPLE_RECORDS}
    status = _process(tmp_path, "status", "--json")
    assert json.loads(status.stdout)["counts"] == [
        {"company": "club", "status": "synced", "count": EXAMPLE_RECORDS}]


def test_real_process_error_exits_one_without_traceback(tmp_path: Path) -> None:
    result = _process(tmp_path, "status")
    assert result.returncode == 1
    assert result.stderr.startswith("error: no config file")
    assert "Traceback" not in result.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "ledgersync"
    if not script.exists():
        pytest.skip("no console script next to this interpreter")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0
    assert "0.1.0" in result.stdout
