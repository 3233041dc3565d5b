"""Soak: is a long-running `ledgersync worker` memory-flat under a steady stream of records?

A `ledgersync worker` (the fake connector, schedule "1m") runs for ``--minutes`` while this
script records a batch of new members, invoices and payments with `ledgersync ingest` every
``--every`` seconds (60 records every 20 s by default; a batch that takes longer delays the
next one), the CLI path an MMS uses. The worker's RSS (``/proc/PID/status`` VmRSS)
is sampled every ``--sample-seconds`` (60 by default); at the end the least-squares slope of
RSS against time is reported in MiB per hour, over all samples and over the samples after the
first ``--warmup-minutes`` (caches and the ledger's first pages fill during the warm-up).

The verdict: every record ingested was synced (counted in the books), nothing ended in error,
and the post-warm-up slope is below ``--flat-mib-per-hour``. A JSON summary with the whole
series goes to ``--out``.

    nice -n 19 python bench/soak.py --minutes 60 --out /tmp/soak.json
    python bench/soak.py --minutes 2 --sample-seconds 10 --warmup-minutes 0   # a quick look

See bench/campaign.md (soak) and bench/RESULTS.md for the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

LEDGERSYNC = [sys.executable, "-m", "ledgersync.cli"]
COMPANY = "soak"

REFERENCE = [
    {"kind": "gl_account", "mms_id": "4000", "number": "4000", "name": "Dues income",
     "account_type": "income"},
    {"kind": "gl_account", "mms_id": "1000", "number": "1000", "name": "Operating bank",
     "account_type": "bank"},
    {"kind": "item", "mms_id": "DUES", "name": "Annual dues", "income_account_id": "4000",
     "unit_price": "450.00"},
]


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def slope_per_hour(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) points, in MiB per hour."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return None
    cov = sum((t - mean_t) * (m - mean_m) for t, m in points)
    return cov / var * 3600


def batch(number: int, size: int) -> list[dict[str, Any]]:
    """``size`` records: a third each new members, their invoices and their payments."""
    day = (dt.date(2026, 1, 5) + dt.timedelta(days=number % 300)).isoformat()
    lines: list[dict[str, Any]] = []
    for i in range(max(1, size // 3)):
        member = f"B{number}-M{i}"
        invoice = f"B{number}-INV{i}"
        lines.append({"kind": "member", "mms_id": member, "display_name": f"Soak {number}.{i}",
                      "email": f"soak{number}.{i}@example.org"})
        lines.append({"kind": "invoice", "mms_id": invoice, "member_id": member,
                      "number": f"{number}-{i}", "txn_date": day, "currency": "USD",
                      "lines": [{"item_id": "DUES", "description": "Annual dues",
                                 "quantity": "1", "rate": "450.00", "amount": "450.00"}]})
        lines.append({"kind": "payment", "mms_id": f"B{number}-PAY{i}", "member_id": member,
                      "txn_date": day, "currency": "USD", "amount": "450.00",
                      "method": "card", "deposit_account_id": "1000",
                      "applications": [{"invoice_id": invoice, "amount": "450.00"}]})
    return lines


def write_config(folder: Path, database_url: str | None) -> Path:
    url = database_url or "sqlite:///ledgersync.db"
    path = folder / "ledgersync.toml"
    path.write_text(
        f'[ledger]\nurl = "{url}"\n\n[companies.{COMPANY}]\nconnector = "fake"\n'
        f'schedule = "1m"\n\n[companies.{COMPANY}.fake]\nbooks_path = "books.db"\n')
    return path


def ingest(config: Path, records: list[dict[str, Any]], env: dict[str, str]) -> None:
    file = config.parent / "batch.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in records))
    subprocess.run([*LEDGERSYNC, "--config", str(config), "ingest", str(file)], check=True,
                   env=env, stdout=subprocess.DEVNULL)


def books_count(folder: Path) -> int:
    with sqlite3.connect(folder / "books.db") as db:
        return int(db.execute("SELECT count(*) FROM records").fetchone()[0])


def status_counts(config: Path, env: dict[str, str]) -> dict[str, int]:
    out = subprocess.run([*LEDGERSYNC, "--config", str(config), "status", "--json"],
                         check=False, env=env, capture_output=True, text=True).stdout
    data = json.loads(out)
    counts: dict[str, int] = {}
    for row in data.get("counts", []):
        counts[row["status"]] = counts.get(row["status"], 0) + int(row["count"])
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--sample-seconds", type=float, default=60.0)
    parser.add_argument("--warmup-minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=20.0, help="seconds between batches")
    parser.add_argument("--batch", type=int, default=60, help="records per batch")
    parser.add_argument("--database-url", help="a PostgreSQL ledger instead of SQLite")
    parser.add_argument("--flat-mib-per-hour", type=float, default=5.0)
    parser.add_argument("--workdir", type=Path, help="keep the ledger and logs here")
    parser.add_argument("--out", type=Path, help="write the JSON summary here")
    args = parser.parse_args()

    folder = args.workdir or Path(tempfile.mkdtemp(prefix="ledgersync-soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder, args.database_url)
    env = {**os.environ, "LEDGERSYNC_CONFIG": str(config)}
    subprocess.run([*LEDGERSYNC, "--config", str(config), "db", "upgrade"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    ingest(config, REFERENCE, env)
    log = (folder / "worker.log").open("wb")
    worker = subprocess.Popen([*LEDGERSYNC, "--config", str(config), "worker"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    ends = started + args.minutes * 60
    samples: list[dict[str, float]] = []
    counts = {"batches": 0, "records": len(REFERENCE)}
    done = threading.Event()

    def sample() -> None:
        """Every ``--sample-seconds`` on the clock, whatever the feeding is doing (a slow
        `ingest` on a busy machine must not stretch the series)."""
        number = 1
        while not done.wait(max(0.0, started + number * args.sample_seconds
                                - time.monotonic())):
            if worker.poll() is not None:
                return
            samples.append({"seconds": round(time.monotonic() - started, 1),
                            "rss_mib": round(rss_kib(worker.pid) / 1024, 2),
                            "records": counts["records"]})
            print(json.dumps(samples[-1]), flush=True)
            number += 1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        next_batch = started
        while time.monotonic() < ends:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited with {worker.returncode}; see "
                                   f"{folder / 'worker.log'}")
            lines = batch(counts["batches"], args.batch)
            ingest(config, lines, env)
            counts["batches"] += 1
            counts["records"] += len(lines)
            next_batch += args.every
            time.sleep(max(0.0, min(next_batch, ends) - time.monotonic()))
        done.set()
        sampler.join()
        # Let the last batch sync (the schedule opens a run every minute).
        drain_ends = time.monotonic() + 300
        while time.monotonic() < drain_ends and books_count(folder) < counts["records"]:
            time.sleep(2)
        final_rss = rss_kib(worker.pid) / 1024
    finally:
        done.set()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    batches, records = counts["batches"], counts["records"]
    ran = time.monotonic() - started
    synced = books_count(folder)
    statuses = status_counts(config, env)
    points = [(s["seconds"], s["rss_mib"]) for s in samples]
    steady = [(t, m) for t, m in points if t >= args.warmup_minutes * 60]
    slope_all = slope_per_hour(points)
    slope_steady = slope_per_hour(steady)
    verdict = (synced == records and worker.returncode == 0 and not statuses.get("error")
               and slope_steady is not None and slope_steady < args.flat_mib_per_hour)
    summary = {
        "minutes_run": round(ran / 60, 2), "batches": batches, "records_ingested": records,
        "records_in_books": synced, "statuses": statuses,
        "worker_exit": worker.returncode, "samples": len(samples),
        "rss_mib_first": points[0][1] if points else None,
        "rss_mib_max": max((m for _, m in points), default=None),
        "rss_mib_last": round(final_rss, 2),
        "slope_mib_per_hour_all": slope_all, "slope_mib_per_hour_after_warmup": slope_steady,
        "warmup_minutes": args.warmup_minutes, "flat": verdict, "workdir": str(folder),
        "series": samples,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "series"}, indent=1))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1))
    if args.workdir is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
