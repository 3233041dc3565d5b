"""A bare PostgreSQL queue on the ledger's own tables: the floor the engine is measured against.

    PYTHONPATH=core/src python bench/bare_queue.py --workers 1 --writes ledger
    PYTHONPATH=core/src python bench/bare_queue.py --workers 4 --writes minimal

The same setup as ``engine_bench.py overhead`` (8,000 members recorded by the ledger across 4
companies, a run opened for each), then W worker processes drain ``sync_items`` with psycopg
alone: no engine, no SQLAlchemy, statements written by hand, batches of 50.

``--writes minimal``: what a job queue does. Claim (``FOR UPDATE SKIP LOCKED``, set
``in_flight`` with a lease) and commit durably; then mark the batch ``synced`` and commit.

``--writes ledger``: the rows the ledger itself writes for each item, with the same
durability: the claim also writes one history event per item and commits durably; the
success writes the remote id, one link and one event per item, and commits without waiting
for the disk (as ``_engine/completion.py`` does).

Reported as ``engine_bench.py overhead`` reports: items/s, worker CPU and the server's CPU per
item (its processes read from /proc), so the two can be put side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: bench.*
from bench.engine_bench import COMPANIES, DEFAULT_PG, fresh_url, members, open_ledger

BATCH = 50

CLAIM = """
    UPDATE sync_items AS s SET status = 'in_flight', attempts = s.attempts + 1,
        lease_owner = %(owner)s, lease_expires_at = %(lease)s, updated_at = %(now)s
    FROM (SELECT id, status FROM sync_items
          WHERE company = %(company)s AND status = 'pending' AND next_attempt_at <= %(now)s
          ORDER BY priority, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) AS old
    WHERE s.id = old.id
    RETURNING s.id, s.kind, s.mms_id, s.attempts, old.status
"""
SYNCED = """
    UPDATE sync_items SET status = 'synced', external_id = v.external_id, lease_owner = NULL,
        lease_expires_at = NULL, synced_at = %(now)s, updated_at = %(now)s
    FROM unnest(%(ids)s::integer[], %(external_ids)s::varchar[]) AS v(id, external_id)
    WHERE sync_items.id = v.id AND status = 'in_flight' AND lease_owner = %(owner)s
"""
EVENTS = """
    INSERT INTO sync_events (item_id, company, kind, at, actor, from_status, to_status, reason,
                             level)
    SELECT v.item_id, %(company)s, v.kind, %(now)s, %(owner)s, v.from_status, %(to)s,
           v.reason, 'info'
    FROM unnest(%(ids)s::integer[], %(kinds)s::varchar[], %(froms)s::varchar[],
                %(reasons)s::text[]) AS v(item_id, kind, from_status, reason)
"""
LINKS = """
    INSERT INTO links (company, kind, mms_id, external_id, version_token, linked_by, updated_at)
    SELECT %(company)s, v.kind, v.mms_id, v.external_id, NULL, 'engine', %(now)s
    FROM unnest(%(kinds)s::varchar[], %(mms_ids)s::varchar[], %(external_ids)s::varchar[])
        AS v(kind, mms_id, external_id)
    ON CONFLICT (company, kind, mms_id) DO UPDATE SET external_id = excluded.external_id,
        updated_at = excluded.updated_at
"""


def _server_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def worker_main(conninfo: str, writes: str, owner: str) -> None:
    conn = psycopg.connect(conninfo)
    backend = conn.info.backend_pid
    sys.stdin.readline()
    start, cpu, server = time.time(), time.process_time(), _server_seconds(backend)
    processed = 0
    while True:
        worked = False
        for company in COMPANIES:
            now = dt.datetime.now(dt.UTC)
            with conn.transaction():
                rows = conn.execute(CLAIM, {
                    "owner": owner, "lease": now + dt.timedelta(minutes=5), "now": now,
                    "company": company, "limit": BATCH}).fetchall()
                if rows and writes == "ledger":
                    conn.execute(EVENTS, {
                        "company": company, "now": now, "owner": owner, "to": "in_flight",
                        "ids": [r[0] for r in rows], "kinds": [r[1] for r in rows],
                        "froms": [r[4] for r in rows],
                        "reasons": [f"attempt {r[3]}" for r in rows]})
            if not rows:
                continue
            worked = True
            external_ids = [f"r{r[0]}" for r in rows]
            now = dt.datetime.now(dt.UTC)
            with conn.transaction():
                if writes == "ledger":
                    conn.execute("SET LOCAL synchronous_commit = off")
                conn.execute(SYNCED, {"now": now, "owner": owner,
                                      "ids": [r[0] for r in rows], "external_ids": external_ids})
                if writes == "ledger":
                    conn.execute(LINKS, {
                        "company": company, "now": now, "kinds": [r[1] for r in rows],
                        "mms_ids": [r[2] for r in rows], "external_ids": external_ids})
                    conn.execute(EVENTS, {
                        "company": company, "now": now, "owner": owner, "to": "synced",
                        "ids": [r[0] for r in rows], "kinds": [r[1] for r in rows],
                        "froms": ["in_flight"] * len(rows),
                        "reasons": [f"synced as r{r[0]}" for r in rows]})
            processed += len(rows)
        if not worked:
            break
    print(json.dumps({"start": start, "end": time.time(), "processed": processed,
                      "cpu_seconds": time.process_time() - cpu,
                      "server_cpu_seconds": _server_seconds(backend) - server}), flush=True)
    conn.close()


def bare(args: argparse.Namespace) -> dict[str, Any]:
    url = fresh_url("postgresql", "lsbench_bare", args.url)
    ledger = open_ledger(url)
    per_company = args.items // len(COMPANIES)
    for name in COMPANIES:
        ledger.record(members(f"{name}-", per_company), companies=[name])
    ledger.close()
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    procs = [subprocess.Popen(
        [sys.executable, __file__, "worker", "--conninfo", conninfo, "--writes", args.writes,
         "--owner", f"bare-{n}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for n in range(args.workers)]
    time.sleep(2)  # let them connect
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = [json.loads(proc.communicate()[0]) for proc in procs]
    processed = sum(r["processed"] for r in reports)
    assert processed == per_company * len(COMPANIES), processed
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    return {
        "bench": "bare_queue", "writes": args.writes, "workers": args.workers,
        "items": processed, "items_per_second": round(processed / wall, 1),
        "worker_cpu_ms_per_item": round(
            sum(r["cpu_seconds"] for r in reports) / processed * 1000, 3),
        "server_cpu_ms_per_item": round(
            sum(r["server_cpu_seconds"] for r in reports) / processed * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    worker = sub.add_parser("worker")
    worker.add_argument("--conninfo", required=True)
    worker.add_argument("--writes", choices=("minimal", "ledger"), required=True)
    worker.add_argument("--owner", required=True)
    parser.add_argument("--url", default=os.environ.get("LEDGERSYNC_BENCH_DATABASE_URL",
                                                        DEFAULT_PG))
    parser.add_argument("--items", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--writes", choices=("minimal", "ledger"), default="ledger")
    args = parser.parse_args()
    if args.command == "worker":
        worker_main(args.conninfo, args.writes, args.owner)
        return
    print(json.dumps(bare(args)), flush=True)


if __name__ == "__main__":
    main()
