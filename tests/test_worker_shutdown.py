"""`ledgersync worker` and `ledgersync run` stop cleanly on SIGTERM and SIGINT: the item in
flight finishes, the rest of its batch goes back to the queue without spending an attempt,
nothing stays leased."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledgersync.cli import cli


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "ledgersync.toml"
    config.write_text(
        f'[ledger]\nurl = "sqlite:///{tmp_path / "ledger.db"}"\n'
        '[companies.club]\nconnector = "fake"\nschedule = "1h"\n'
        f'[companies.club.fake]\nbooks_path = "{tmp_path / "books.db"}"\n'
        "export_seconds = 0.05\n", encoding="utf-8")
    records = tmp_path / "members.jsonl"
    records.write_text("".join(
        json.dumps({"kind": "member", "mms_id": f"M{n}", "display_name": f"Member {n}"}) + "\n"
        for n in range(400)), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    ingested = runner.invoke(cli, ["--config", str(config), "ingest", str(records)])
    assert ingested.exit_code == 0, ingested.output
    return config


def _counts(config: Path) -> dict[str, int]:
    result = CliRunner().invoke(cli, ["--config", str(config), "status", "--json"])
    assert result.exit_code == 0, result.output
    return {row["status"]: row["count"] for row in json.loads(result.output)["counts"]}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signalled_worker_finishes_or_releases_its_work(tmp_path: Path, signum: int) -> None:
    config = _config(tmp_path)
    worker = subprocess.Popen(
        [sys.executable, "-m", "ledgersync.cli", "--config", str(config), "worker"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ))
    try:
        deadline = time.monotonic() + 60
        while _counts(config).get("synced", 0) < 20:
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker synced nothing"
            time.sleep(0.2)
        worker.send_signal(signum)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "finishing in-flight work" in out
    assert "worker stopped" in out
    counts = _counts(config)
    assert counts.get("in_flight", 0) == 0
    assert counts["synced"] + counts.get("pending", 0) == 400
    assert counts.get("pending", 0) > 0, "the test must stop the worker mid-way"
    pending = CliRunner().invoke(cli, ["--config", str(config), "status", "--items",
                                       "--status", "pending", "--json", "--limit", "1000"])
    assert {item["attempts"] for item in json.loads(pending.output)} == {0}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signalled_run_finishes_or_releases_its_work(tmp_path: Path, signum: int) -> None:
    config = _config(tmp_path)
    run = subprocess.Popen(
        [sys.executable, "-m", "ledgersync.cli", "--config", str(config), "run", "--once"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 60
        while _counts(config).get("synced", 0) < 20:
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "the run synced nothing"
            time.sleep(0.2)
        run.send_signal(signum)
        _, err = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err
    assert f"received {signal.Signals(signum).name}: finishing in-flight work" in err
    counts = _counts(config)
    assert counts.get("in_flight", 0) == 0
    assert counts["synced"] + counts.get("pending", 0) == 400
    assert counts.get("pending", 0) > 0, "the test must stop the run mid-way"
    pending = CliRunner().invoke(cli, ["--config", str(config), "status", "--items",
                                       "--status", "pending", "--json", "--limit", "1000"])
    assert {item["attempts"] for item in json.loads(pending.output)} == {0}
