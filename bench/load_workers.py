"""Load: many companies across several `ledgersync worker` processes on one PostgreSQL ledger,
each company's limits holding.

``--companies`` companies (default 1,000) on the fake connector, each with ``--items`` items
(members and invoices of a customer already mapped, so every item is claimable at once), are
worked by ``--workers`` real `ledgersync worker` processes (default 4) until every item is
synced. Limits cycle over the companies: ``max_in_flight`` 1 to 4, and every
``--rated-every``-th company a ``requests_per_minute`` below its item count, so its window
really binds. The books (the fake connector's SQLite file) keep when every export started and
wrote.

Checked afterwards, from the books and from the ledger's history:

* every item synced, claimed exactly once, written exactly once (no duplicate, no loss);
* per company, exports in progress at once (books) and items in flight at once (ledger)
  never above its ``max_in_flight``;
* per rate-limited company, replaying its claims into the engine's one-minute windows (a window
  opens at the first claim after the last one closed): never more claims in a window than its
  ``requests_per_minute``;
* every worker took a share.

    python bench/load_workers.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/db
    python bench/load_workers.py --companies 40 --items 6 --workers 2 ...   # the CI size

The ledger goes in schema ``--schema`` (dropped and created). Exit 0 when every check holds;
a JSON summary goes to ``--out``. See bench/campaign.md (load) and bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

import ledgersync as ls
from ledgersync._ledger.schema import sync_events, sync_items
from ledgersync.testing import FakeBooks, FakePlugin

LEDGERSYNC = [sys.executable, "-m", "ledgersync.cli"]


def limits_of(index: int, items: int, rated_every: int) -> dict[str, int]:
    limits = {"max_in_flight": 1 + index % 4}
    if rated_every and index % rated_every == 0:
        limits["requests_per_minute"] = max(1, items // 2)
    return limits


def records_for(company: str, count: int) -> list[ls.Record]:
    day = dt.date(2026, 1, 5)
    out: list[ls.Record] = []
    for i in range(count):
        if i % 2 == 0:
            out.append(ls.Member(mms_id=f"{company}-M{i}", display_name=f"{company} member {i}"))
        else:
            out.append(ls.Invoice(
                mms_id=f"{company}-I{i}", member_id="EXISTING", number=f"{i}", txn_date=day,
                currency="USD", lines=[ls.InvoiceLine(
                    account_id="4000", quantity=Decimal(1), rate=Decimal("10.00"),
                    amount=Decimal("10.00"))]))
    return out


def write_config(path: Path, url: str, books: Path, names: list[str],
                 limits: dict[str, dict[str, int]]) -> None:
    lines = [f'[ledger]\nurl = "{url}"\n\n[plugins]\nenabled = ["fake"]\n']
    for name in names:
        limit_lines = "".join(f"{k} = {v}\n" for k, v in limits[name].items())
        lines.append(
            f'[companies.{name}]\nconnector = "fake"\nschedule = "manual"\n'
            f"[companies.{name}.limits]\n{limit_lines}"
            f'[companies.{name}.fake]\nbooks_path = "{books}"\nreplay_keys = false\n'
            "track_concurrency = true\nexport_seconds = 0.002\n")
    path.write_text("\n".join(lines))


def rate_windows(claims: list[dt.datetime]) -> list[int]:
    """Claims per one-minute window as the engine opens them (claims/_spend_requests)."""
    counts: list[int] = []
    start: dt.datetime | None = None
    for at in sorted(claims):
        if start is None or at - start >= dt.timedelta(minutes=1):
            start = at
            counts.append(0)
        counts[-1] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a postgresql+psycopg:// URL")
    parser.add_argument("--schema", default="ls_load_workers")
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--items", type=int, default=10, help="items per company")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rated-every", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    admin = sa.create_engine(args.database_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {args.schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {args.schema}")
    url = sa.make_url(args.database_url).update_query_dict(
        {"options": f"-csearch_path={args.schema}"})
    url_text = url.render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="ledgersync-load-workers-"))
    books_path = folder / "books.db"
    names = [f"co{i:04d}" for i in range(args.companies)]
    limits = {name: limits_of(i, args.items, args.rated_every) for i, name in enumerate(names)}
    config_path = folder / "ledgersync.toml"
    write_config(config_path, url_text, books_path, names, limits)
    env = {**os.environ, "LEDGERSYNC_CONFIG": str(config_path)}

    subprocess.run([*LEDGERSYNC, "db", "upgrade"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    # Filling the ledger is set-up, not the load: its commits need not wait for the disk.
    fill_url = sa.make_url(args.database_url).update_query_dict(
        {"options": f"-csearch_path={args.schema} -csynchronous_commit=off"})
    config = attrs.evolve(ls.load_config(config_path),
                          ledger_url=fill_url.render_as_string(hide_password=False))
    started = time.monotonic()
    with ls.open(config, plugins=[FakePlugin()], load_entrypoints=False) as ledger:
        for name in names:
            ledger.record(records_for(name, args.items), companies=[name])
            ledger.map(name, "member", "EXISTING", "cust-1")
            ledger.map(name, "gl_account", "4000", "acc-1")
            ledger.run_now(name)
    recorded = time.monotonic() - started
    total = args.companies * args.items

    engine = sa.create_engine(url)
    logs = [(folder / f"worker{n}.log").open("wb") for n in range(args.workers)]
    workers = [subprocess.Popen([*LEDGERSYNC, "worker"], env=env, stdout=log,
                                stderr=subprocess.STDOUT) for log in logs]
    started = time.monotonic()
    synced = 0
    try:
        while time.monotonic() - started < args.timeout:
            with engine.connect() as conn:
                synced = conn.execute(sa.select(sa.func.count()).select_from(sync_items).where(
                    sync_items.c.status == "synced")).scalar_one()
            if synced == total or any(w.poll() is not None for w in workers):
                break
            time.sleep(1)
        worked = time.monotonic() - started
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(60)
            except subprocess.TimeoutExpired:
                w.kill()
        for log in logs:
            log.close()

    books = FakeBooks(str(books_path), replay_keys=False)
    with engine.connect() as conn:
        statuses: dict[str, int] = dict(conn.execute(sa.select(sync_items.c.status, sa.func.count())
                                     .group_by(sync_items.c.status)).all())
        events = conn.execute(
            sa.select(sync_events.c.company, sync_events.c.from_status,
                      sync_events.c.to_status, sync_events.c.at, sync_events.c.actor)
            .where(sync_events.c.item_id.is_not(None)).order_by(sync_events.c.id)).all()
        claims_per_item = Counter(conn.execute(
            sa.select(sync_events.c.item_id).where(sync_events.c.to_status == "in_flight")
        ).scalars())
    engine.dispose()
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {args.schema} CASCADE")
    admin.dispose()

    in_flight: Counter[str] = Counter()
    ledger_peak: Counter[str] = Counter()
    claims_at: dict[str, list[dt.datetime]] = defaultdict(list)
    per_worker: Counter[str] = Counter()
    for event in events:
        if event.to_status == "in_flight":
            in_flight[event.company] += 1
            ledger_peak[event.company] = max(ledger_peak[event.company], in_flight[event.company])
            claims_at[event.company].append(event.at)
        elif event.from_status == "in_flight":
            in_flight[event.company] -= 1
            if event.to_status == "synced":
                per_worker[event.actor] += 1
    books_peak = books.peak_concurrency()
    writes = books.write_counts()
    over_in_flight = [(n, ledger_peak[n], books_peak.get(n, 0), limits[n]["max_in_flight"])
                      for n in names
                      if max(ledger_peak[n], books_peak.get(n, 0)) > limits[n]["max_in_flight"]]
    rated = [n for n in names if "requests_per_minute" in limits[n]]
    windows = {n: rate_windows(claims_at[n]) for n in rated}
    over_rate = [(n, max(windows[n]), limits[n]["requests_per_minute"]) for n in rated
                 if windows[n] and max(windows[n]) > limits[n]["requests_per_minute"]]
    crashed = [n for n, log in enumerate(logs)
               if b"Traceback" in (folder / f"worker{n}.log").read_bytes()]
    summary: dict[str, Any] = {
        "companies": args.companies, "items": total, "workers": args.workers,
        "record_seconds": round(recorded, 1), "work_seconds": round(worked, 1),
        "items_per_second": round(total / worked, 1) if worked else None,
        "statuses": statuses, "synced": synced,
        "claims_per_item": dict(Counter(claims_per_item.values())),
        "books_records": books.record_count(), "books_writes_per_record":
            dict(Counter(writes.values())),
        "synced_per_worker": dict(per_worker),
        "max_in_flight_peaks_seen": dict(Counter(
            (limits[n]["max_in_flight"], max(ledger_peak[n], books_peak.get(n, 0)))
            for n in names).most_common()),
        "companies_over_max_in_flight": over_in_flight,
        "rate_limited_companies": len(rated),
        "rate_windows_per_company_max": max((len(w) for w in windows.values()), default=0),
        "companies_over_rate": over_rate,
        "workers_with_traceback": crashed, "workdir": str(folder),
    }
    summary["max_in_flight_peaks_seen"] = {f"limit {k[0]} peak {k[1]}": v for k, v in
                                           summary["max_in_flight_peaks_seen"].items()}
    ok = (synced == total and statuses == {"synced": total}
          and set(claims_per_item.values()) == {1} and len(claims_per_item) == total
          and books.record_count() == total and set(writes.values()) == {1}
          and not over_in_flight and not over_rate and not crashed
          and len(per_worker) == args.workers)
    summary["ok"] = ok
    print(json.dumps(summary, indent=1, default=str))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
