"""The marina's year through both stages with `ledgersync run --stage 1|2`, with a stage-one
refusal, a stage-two rejection, a conflict, a lost stage-one answer and an orphan injected:
every record ends confirmed exactly once and the receivable ties out to the cent."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import ledgersync
from ledgersync import Invoice, InvoiceLine, Member
from ledgersync.cli import cli
from ledgersync.demo.dataset import generate
from ledgersync_quickbooks_legacy.sandbox import Sandbox
from ledgersync_quickbooks_legacy.testing import MAPPINGS, sandbox_settings, seeded_sandbox

pytestmark = pytest.mark.slow  # the lost answer is retried after the engine's real back-off

COMPANY = "marina"
LONG_NAME = "Commodore Bartholomew Fitzgerald-Winterbottom"  # 45 > 41 characters


@pytest.fixture(autouse=True)
def plugin_commands() -> None:
    """`ledgersync` registers plugin commands in main(); the tests call the group itself."""
    from ledgersync_quickbooks_legacy.commands import register

    register(cli)


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    from ledgersync_quickbooks_legacy.connector import QuickBooksLegacyConnector

    sandbox = seeded_sandbox()  # the real clock: the CLI's engine runs on it too
    monkeypatch.setenv("TEST_QBD_LEGACY_SECRET", sandbox.consumer_secret)
    monkeypatch.setattr(QuickBooksLegacyConnector, "transport", sandbox.transport())
    return sandbox


@pytest.fixture
def config_path(tmp_path: Path, sandbox: Sandbox) -> Path:
    settings = sandbox_settings(sandbox, consumer_secret="env:TEST_QBD_LEGACY_SECRET")
    lines = [f'[ledger]\nurl = "sqlite:///{tmp_path / "ledger.db"}"\n',
             f'[companies.{COMPANY}]\nconnector = "quickbooks_legacy"\n',
             f"[companies.{COMPANY}.quickbooks_legacy]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    path = tmp_path / "ledgersync.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cli(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config), *args],
                                env={"COLUMNS": "400"}, catch_exceptions=False)
    return result


def _ok(config: Path, *args: str) -> str:
    result = _cli(config, *args)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _statuses(config: Path) -> Counter[str]:
    with ledgersync.open(config, load_entrypoints=True) as ledger:
        return Counter(i.status for i in ledger.items(limit=None))


def _both_stages_until_settled(config: Path, sandbox: Sandbox) -> None:
    for _ in range(10):
        _ok(config, "run", "--company", COMPANY, "--stage", "1")
        sandbox.run_desktop()
        _ok(config, "run", "--company", COMPANY, "--stage", "2")
        counts = _statuses(config)
        if not counts["staged"] and not counts["pending"] and not counts["blocked"]:
            return
    raise AssertionError(f"never settled: {_statuses(config)}")


def _late_records(year: int) -> list[Any]:
    member = Member(mms_id="M-9999", display_name="Late Joiner (M-9999)",
                    account_number="M-9999")
    invoice = Invoice(mms_id="INV-LATE-1", member_id="M-9999", number="LATE1",
                      txn_date=dt.date(year, 12, 15), currency="USD",
                      lines=(InvoiceLine(item_id="DUES", description="Prorated dues",
                                         quantity=1, rate="450.00", amount="450.00"),))
    return [member, invoice]


def test_the_year_reaches_the_desktop_exactly_once_through_both_stages(
        config_path: Path, sandbox: Sandbox) -> None:
    dataset = generate(members=20, year=2026, seed=7)
    records = [Member(**{**_fields(r), "display_name": LONG_NAME})
               if r.kind == "member" and r.mms_id == "M-0003" else r
               for r in dataset.records]
    with ledgersync.open(config_path) as ledger:
        for (kind, mms_id), external in MAPPINGS.items():
            ledger.map(COMPANY, kind, mms_id, external, actor="test")
        ledger.record(records)
    token, secret = sandbox.issue_token()
    _ok(config_path, "quickbooks_legacy", "connect", COMPANY, "--token", token,
        "--token-secret", secret)

    # Stage 1, with the first write's answer lost: found by reference, never added twice.
    sandbox.lose_answers = 1
    page_one = _ok(config_path, "run", "--company", COMPANY, "--stage", "1")
    assert "accepted by the intermediary" in page_one
    assert "member M-0003" in page_one
    assert "-2001" in page_one
    assert "41 characters" in page_one
    [(first_write, first_ng)] = sandbox.cloud.write_log[:1]
    assert first_write == "ItemAdd"
    assert [ng for _, ng in sandbox.cloud.write_log].count(first_ng) == 1

    # The desktop's sync: one invoice refused, one in conflict.
    rejected, conflicting = "10005", "10007"
    sandbox.desktop.reject(rejected, "Transaction date is prior to the closing date.")
    sandbox.desktop.conflict(conflicting, 240)
    sandbox.run_desktop()
    page_two = _ok(config_path, "run", "--company", COMPANY, "--stage", "2")
    assert "prior to the closing date" in page_two
    assert "[9/50]" in page_two
    assert "[7/240]" in page_two
    assert "requeue --company marina --status" in page_two

    # Fixes: a shorter name in the MMS (sent again by itself); the closing date moved and
    # the conflict checked in the cloud copy, then both requeued.
    with ledgersync.open(config_path) as ledger:
        ledger.record([Member(**{**_fields(next(r for r in dataset.records
                                                if r.mms_id == "M-0003")),
                                 "display_name": "Commodore B. Fitzgerald-Winterbottom"})])
    assert "1 item(s)" in _ok(config_path, "requeue", "--company", COMPANY,
                              "--status", "rejected")
    assert "1 item(s)" in _ok(config_path, "requeue", "--company", COMPANY,
                              "--status", "conflict")
    _both_stages_until_settled(config_path, sandbox)

    # A late member, then the company file restored from a backup taken before it arrived.
    with ledgersync.open(config_path) as ledger:
        ledger.record(_late_records(dataset.year))
    _both_stages_until_settled(config_path, sandbox)
    late = next(r for r in sandbox.desktop.records.values() if r.name == "Late Joiner (M-9999)")
    assert late.written is not None
    assert len(sandbox.desktop.restore_to(late.written - dt.timedelta(microseconds=1))) == 2
    orphans = _ok(config_path, "run", "--company", COMPANY, "--stage", "2")
    assert "2 orphaned" in orphans
    assert "[7/210]" in orphans
    _ok(config_path, "requeue", "--company", COMPANY, "--status", "orphaned")
    _both_stages_until_settled(config_path, sandbox)

    with ledgersync.open(config_path) as ledger:
        items = ledger.items(limit=None)
    assert {i.status for i in items} == {"synced"}
    assert all(i.external_id in sandbox.desktop.records for i in items)
    references = Counter((o.kind, o.reference) for o in sandbox.cloud.objects.values())
    assert max(references.values()) == 1, "a record was added to the intermediary twice"
    in_file = Counter((r.kind, sandbox.cloud.objects[r.ng_id].reference)
                      for r in sandbox.desktop.records.values() if r.ng_id)
    assert max(in_file.values()) == 1, "a record reached the company file twice"
    assert len(in_file) == len(items)

    reconciled = _ok(config_path, "reconcile", COMPANY)
    assert "ties out to the cent" in reconciled


def _fields(record: Any) -> dict[str, Any]:
    import attrs

    return {f.name: getattr(record, f.name) for f in attrs.fields(type(record)) if f.init}
