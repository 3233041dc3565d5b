"""The Accounting Sync page on a ledger of 1,000,000 sync items: how long the sync log's
queries and pages take, first page and deep pages, with each filter.

    PYTHONPATH=core/src:. python bench/page_bench.py --items 1000000

The ledger is filled in bulk as in ``engine_bench.py history`` (company c1: a quarter members,
the rest invoices, 3 events each, 100 old errors). Each figure is the median of ``--reps``
calls of ``Ledger.browse`` (50 items a page), or of a whole page served by Starlette's
TestClient (template rendering included).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

import ledgersync as ls
from bench.engine_bench import fill_history, open_ledger
from ledgersync.web import WebSettings, create_app


def median_ms(call: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="page-bench-"))
    url = f"sqlite:///{folder / 'ledger.db'}"
    seconds = fill_history(url, args.items, 100, analyze=True)
    print(f"filled {args.items:,} items in {seconds:.0f} s")
    ledger = open_ledger(url)
    deep = 1_000 + args.items // 2
    errors = ls.ItemFilter(company="c1", status=[ls.Status.ERROR])
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("first page, no filter", lambda: ledger.browse()),
        ("page half-way down (before=id)", lambda: ledger.browse(before=deep)),
        ("company + status=error (100 of them)", lambda: ledger.browse(errors)),
        ("kind=invoice, half-way down", lambda: ledger.browse(
            ls.ItemFilter(kind="invoice"), before=deep)),
        ("kind=member, first page", lambda: ledger.browse(ls.ItemFilter(kind="member"))),
        ("text = an MMS id", lambda: ledger.browse(text=f"HI{args.items - 7}")),
        ("text in error messages (rare: scans)", lambda: ledger.browse(text="inactive")),
        ("run filter (one run of 1,000)", lambda: ledger.browse(run_id=500)),
        ("attention counts (badge)", lambda: ledger.attention_counts()),
    ]
    rows = [(name, median_ms(call, args.reps)) for name, call in cases]
    ledger.operators().add("bench", "viewer", "a long enough passphrase")
    client = TestClient(create_app(ledger, WebSettings(work_runs=False)))
    form = client.get("/login").text
    token = form.split('name="login_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "bench", "password": "a long enough passphrase",
                                "login_token": token})
    for name, path in (("GET /log (page)", "/log"),
                       ("GET /log?status=error&company=c1", "/log?status=error&company=c1"),
                       (f"GET /log?before={deep}", f"/log?before={deep}"),
                       ("GET / (companies)", "/")):
        def fetch(path: str = path) -> Any:
            return client.get(path)

        rows.append((name, median_ms(fetch, args.reps)))
    print("| query | median ms |\n|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} |")
    ledger.close()


if __name__ == "__main__":
    main()
