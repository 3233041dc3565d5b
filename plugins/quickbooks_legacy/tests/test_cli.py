"""`ledgersync quickbooks_legacy ...` and `ledgersync run --stage`: connection, status and
activity, drafts released, delete and revert only where the path allows them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import ledgersync
from ledgersync import ItemFilter, Member
from ledgersync.cli import cli
from ledgersync_quickbooks_legacy.connector import QuickBooksLegacyConnector
from ledgersync_quickbooks_legacy.sandbox import Sandbox
from ledgersync_quickbooks_legacy.testing import MAPPINGS, sandbox_settings, seeded_sandbox

COMPANY = "club"


@pytest.fixture(autouse=True)
def plugin_commands() -> None:
    from ledgersync_quickbooks_legacy.commands import register

    register(cli)


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    sandbox = seeded_sandbox()
    monkeypatch.setenv("TEST_QBD_LEGACY_SECRET", sandbox.consumer_secret)
    monkeypatch.setattr(QuickBooksLegacyConnector, "transport", sandbox.transport())
    return sandbox


def write_config(tmp_path: Path, sandbox: Sandbox, **overrides: Any) -> Path:
    lines = [f'[ledger]\nurl = "sqlite:///{tmp_path / "ledger.db"}"\n',
             f'[companies.{COMPANY}]\nconnector = "quickbooks_legacy"\n',
             f"[companies.{COMPANY}.quickbooks_legacy]"]
    settings = sandbox_settings(sandbox, consumer_secret="env:TEST_QBD_LEGACY_SECRET",
                                **overrides)
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path = tmp_path / "ledgersync.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with ledgersync.open(path) as ledger:
        for (kind, mms_id), external in MAPPINGS.items():
            ledger.map(COMPANY, kind, mms_id, external, actor="test")
    return path


def invoke(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], env={"COLUMNS": "300"})


def connected(tmp_path: Path, sandbox: Sandbox, **overrides: Any) -> Path:
    config = write_config(tmp_path, sandbox, **overrides)
    token, secret = sandbox.issue_token()
    result = invoke(config, "quickbooks_legacy", "connect", COMPANY, "--token", token,
                    "--token-secret", secret)
    assert result.exit_code == 0, result.output
    assert "connected, expires on" in result.output
    return config


def staged_member(config: Path, name: str = "Ann Sailor") -> int:
    with ledgersync.open(config) as ledger:
        ledger.record([Member(mms_id="M1", display_name=name)])
    result = invoke(config, "run", "--company", COMPANY, "--stage", "1")
    assert result.exit_code == 0, result.output
    assert "1 accepted by the intermediary" in result.output
    with ledgersync.open(config) as ledger:
        [item] = ledger.items(ItemFilter(company=COMPANY))
    return item.id


def test_stage_two_reports_what_the_desktop_did(tmp_path, sandbox):
    config = connected(tmp_path, sandbox)
    staged_member(config)
    sandbox.run_desktop()

    result = invoke(config, "run", "--company", COMPANY, "--stage", "2", "--json")

    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    assert (report["stage"], report["outcomes"], report["still_staged"]) == (2, {"synced": 1}, 0)


def test_stage_needs_a_named_two_stage_company(tmp_path, sandbox):
    config = connected(tmp_path, sandbox)

    result = invoke(config, "run", "--stage", "1")

    assert result.exit_code == 2
    assert "--stage needs --company" in result.output


def test_status_lists_the_intermediarys_view_of_staged_items(tmp_path, sandbox):
    config = connected(tmp_path, sandbox)
    staged_member(config)

    result = invoke(config, "quickbooks_legacy", "status", COMPANY)

    assert result.exit_code == 0, result.output
    assert "renewable from" in result.output
    assert "Customer" in result.output
    assert "state 4 (Next Gen record created)" in result.output


def test_activity_shows_the_desktops_drill_down(tmp_path, sandbox):
    config = connected(tmp_path, sandbox)
    staged_member(config)
    sandbox.desktop.reject("Ann Sailor", "The name is in use by a vendor.")
    sandbox.run_desktop()

    result = invoke(config, "quickbooks_legacy", "activity", COMPANY)

    assert result.exit_code == 0, result.output
    assert "CustomerAdd" in result.output
    assert "[50] The name is in use by a vendor." in result.output


def test_a_draft_is_held_until_released(tmp_path, sandbox):
    config = connected(tmp_path, sandbox, send_as_draft=True)
    item = staged_member(config)
    sandbox.run_desktop()
    assert sandbox.desktop.count("Customer", "Ann Sailor") == 0

    result = invoke(config, "quickbooks_legacy", "release-drafts", COMPANY, str(item))
    sandbox.run_desktop()

    assert result.exit_code == 0, result.output
    assert sandbox.desktop.count("Customer", "Ann Sailor") == 1


def test_delete_of_a_record_waiting_to_sync_is_refused_with_the_reason(tmp_path, sandbox):
    config = connected(tmp_path, sandbox)
    item = staged_member(config)

    result = invoke(config, "quickbooks_legacy", "delete", COMPANY, str(item))

    assert result.exit_code == 1
    assert "can be deleted only as a draft or after it failed to synchronize" in result.output


def test_revert_of_a_record_that_never_synced_is_refused(tmp_path, sandbox):
    config = connected(tmp_path, sandbox)
    item = staged_member(config)

    result = invoke(config, "quickbooks_legacy", "revert", COMPANY, str(item))

    assert result.exit_code == 1
    assert "never synchronized" in result.output


def test_an_item_never_staged_is_named(tmp_path, sandbox):
    config = connected(tmp_path, sandbox)

    result = invoke(config, "quickbooks_legacy", "delete", COMPANY, "999")

    assert result.exit_code == 1
    assert "item 999 was never staged" in result.output


def test_reconnect_too_early_says_when(tmp_path, sandbox):
    config = connected(tmp_path, sandbox)

    result = invoke(config, "quickbooks_legacy", "reconnect", COMPANY)

    assert result.exit_code == 1
    assert "error 212" in result.output
    assert "renewal window is open" in result.output


def test_plain_run_in_a_terminal_shows_both_pages_with_a_review_pause(tmp_path, sandbox,
                                                                        monkeypatch):
    from ledgersync.cli import sync_cmds

    config = connected(tmp_path, sandbox)
    with ledgersync.open(config) as ledger:
        ledger.record([Member(mms_id="M1", display_name="Ann Sailor")])
    monkeypatch.setattr(sync_cmds, "interactive", lambda: True)

    def desktop_runs_meanwhile(*args: Any, **kwargs: Any) -> bool:
        sandbox.run_desktop()  # the review pause: the desktop syncs before the answer
        return True

    monkeypatch.setattr("click.confirm", desktop_runs_meanwhile)
    result = invoke(config, "run", "--company", COMPANY)

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "club, stage 1: 1 accepted by the intermediary" in text
    assert "club, stage 2: 1 synced; 0 still waiting" in text


def test_plain_run_in_a_terminal_can_stop_after_stage_one(tmp_path, sandbox, monkeypatch):
    from ledgersync.cli import sync_cmds

    config = connected(tmp_path, sandbox)
    with ledgersync.open(config) as ledger:
        ledger.record([Member(mms_id="M1", display_name="Ann Sailor")])
    monkeypatch.setattr(sync_cmds, "interactive", lambda: True)
    monkeypatch.setattr("click.confirm", lambda *a, **k: False)

    result = invoke(config, "run", "--company", COMPANY)

    assert result.exit_code == 0, result.output
    assert "stage 2" not in result.output


def test_ledgersync_status_lists_rejected_items_with_their_remedy(tmp_path, sandbox):
    config = connected(tmp_path, sandbox)
    staged_member(config)
    sandbox.desktop.reject("Ann Sailor", "The name is in use by a vendor.")
    sandbox.run_desktop()
    invoke(config, "run", "--company", COMPANY, "--stage", "2")

    result = invoke(config, "status")

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "items that need a person" in text
    assert "The name is in use by a vendor." in text
    assert "rejected" in text
