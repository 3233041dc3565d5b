"""The bounded versions of the campaign's load, soak and secrets scan (bench/campaign.md):
each runs the bench script itself, small, and checks what the script checks at full size.

* `serve` with simulated Web Connectors of several companies at once: every session completes,
  each company file holds exactly its own records, the server logs no traceback;
* several `ledgersync worker` processes on PostgreSQL: every item once, limits holding;
* a one-minute soak: every record ingested is synced, RSS sampled on the clock;
* the secrets scan finds a planted secret in every form and place it looks, and finds none of
  the Web Connector passwords and the secret key in what a load run leaves behind.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PG_URL = os.environ.get("LEDGERSYNC_TEST_DATABASE_URL", "")


def bench(script: str, *args: str, timeout: float = 900) -> tuple[int, dict[str, Any]]:
    out = Path(args[args.index("--out") + 1])
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.returncode, json.loads(out.read_text())


@pytest.fixture(scope="module")
def serve_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("load-serve")
    code, summary = bench("load_serve.py", "--companies", "4", "--clients", "2",
                          "--members", "2", "--invoices", "3", "--workdir", str(folder / "run"),
                          "--out", str(folder / "summary.json"))
    summary["exit"] = code
    return summary


@pytest.mark.slow
def test_every_web_connector_session_completes_with_only_its_own_records(
        serve_run: dict[str, Any]) -> None:
    assert serve_run["web_connectors"] == 4
    assert serve_run["failed"] == 0, serve_run["errors"]
    assert serve_run["companies_with_foreign_records"] == []
    assert serve_run["companies_with_wrong_counts"] == []
    assert serve_run["ledger_items_not_synced"] == {}
    assert serve_run["exit"] == 0


@pytest.mark.slow
def test_serve_logs_no_traceback_under_concurrent_web_connectors(
        serve_run: dict[str, Any]) -> None:
    assert serve_run["serve_tracebacks"] == 0
    assert serve_run["serve_http_500"] == 0
    assert serve_run["serve_rss_peak_mib"] > 0
    assert serve_run["soap_call_latency"]["n"] > 0


@pytest.mark.slow
@pytest.mark.postgres
def test_workers_keep_every_companys_limits(tmp_path: Path) -> None:
    if not PG_URL.startswith("postgresql"):
        pytest.skip("set LEDGERSYNC_TEST_DATABASE_URL to a postgresql:// URL")
    code, summary = bench("load_workers.py", "--database-url", PG_URL, "--schema",
                          "ls_load_workers_ci", "--companies", "12", "--items", "4",
                          "--workers", "2", "--rated-every", "4",
                          "--out", str(tmp_path / "summary.json"))
    assert summary["claims_per_item"] == {"1": 48}
    assert summary["books_writes_per_record"] == {"1": 48}
    assert summary["companies_over_max_in_flight"] == []
    assert summary["rate_limited_companies"] == 3
    assert summary["companies_over_rate"] == []
    assert code == 0


@pytest.mark.slow
def test_a_short_soak_syncs_everything_and_samples_on_the_clock(tmp_path: Path) -> None:
    code, summary = bench("soak.py", "--minutes", "1", "--sample-seconds", "10",
                          "--warmup-minutes", "0", "--every", "10", "--batch", "9",
                          "--flat-mib-per-hour", "1e9", "--workdir", str(tmp_path / "run"),
                          "--out", str(tmp_path / "summary.json"))
    assert summary["records_in_books"] == summary["records_ingested"]
    assert summary["statuses"] == {"synced": summary["records_ingested"]}
    assert summary["worker_exit"] == 0
    assert summary["samples"] >= 5
    assert code == 0


def _scan(*args: str) -> tuple[int, dict[str, Any]]:
    return bench("secrets_scan.py", *args)


def test_the_secrets_scan_finds_a_planted_secret_in_files_and_databases(
        tmp_path: Path) -> None:
    secret = "planted-Secret-value-0123"
    (tmp_path / "issued.json").write_text(json.dumps({"tokens": [secret]}))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "plain.log").write_text(f"refresh_token={secret}\n")
    (logs / "encoded.log").write_bytes(base64.b64encode(secret.encode()))
    (logs / "clean.log").write_text("nothing to see\n")
    database = tmp_path / "ledger.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE secrets (name TEXT, value BLOB)")
        db.execute("INSERT INTO secrets VALUES ('token', ?)", (secret.encode(),))
    code, summary = _scan("--secrets", str(tmp_path / "issued.json"), "--path", str(logs),
                          "--database-url", f"sqlite:///{database}",
                          "--out", str(tmp_path / "scan.json"))
    where = sorted(Path(f["where"].split(" table ")[0]).name for f in summary["findings"])
    assert where == ["encoded.log", "ledger.db", "plain.log"]
    assert all(secret not in f["secret"] for f in summary["findings"])
    assert code == 1


@pytest.mark.slow
def test_a_load_run_leaves_no_web_connector_password_or_key_in_clear(
        serve_run: dict[str, Any], tmp_path: Path) -> None:
    run = Path(serve_run["workdir"])
    code, summary = _scan("--secrets", str(run / "issued-secrets.json"), "--path", str(run),
                          "--database-url", f"sqlite:///{run / 'ledger.db'}",
                          "--out", str(tmp_path / "scan.json"))
    assert summary["secrets"] == 5  # four passwords and the key
    assert summary["files"] >= 3  # config, ledger, server log
    assert summary["database_rows"] > 0
    assert summary["findings"] == []
    assert code == 0
