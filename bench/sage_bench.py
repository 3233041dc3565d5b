"""Sage Intacct export benchmark: journal entries a minute at Intacct's 2 requests at once.

    python bench/sage_bench.py --entries 1000 --single-entries 200 --latency 0.3 \
        [--results bench/RESULTS.md]

The loopback sandbox (``ledgersync_sage.sandbox``, XML gateway) answers every request after
``--latency`` seconds (a realistic round trip to Intacct) and refuses a third concurrent
request with HTTP 429 ``GW-0010``, as Intacct's default tier does. Two ledgersync workers
(threads, each its own ``Ledger`` on one SQLite file) share the company's limit of 2
requests at once, and export the same kind of two-line journal entries:

- batched: ``functions_per_request = 20`` (each entry its own function, each result recorded
  on its own item);
- one function per request: ``functions_per_request = 1``, what the SDKs send.

Rates are entries per minute of wall-clock time, from the first claim to the last result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import ledgersync as ls
from ledgersync_sage.connector import SageConnector
from ledgersync_sage.sandbox import Sandbox, SandboxConfig
from ledgersync_sage.sandbox.server import run_in_thread

COMPANY = "harbor"


class Plugin:
    @ls.hookimpl
    def ledgersync_connectors(self) -> list[type[ls.Connector]]:
        return [SageConnector]


def entries(n: int) -> list[ls.Record]:
    day = dt.date(2026, 6, 1)
    return [ls.JournalEntry(mms_id=f"JE-{i:05d}", txn_date=day + dt.timedelta(days=i % 28),
                            currency="USD", lines=(
                                ls.JournalLine(account_id="1000", debit=Decimal("12.50")),
                                ls.JournalLine(account_id="4000", credit=Decimal("12.50"))))
            for i in range(n)]


def run(n: int, functions: int, latency: float, workdir: Path) -> dict[str, float]:
    sandbox = Sandbox(SandboxConfig(latency=latency, max_concurrent=2, retry_after=1.0))
    with run_in_thread(sandbox) as url:
        config = ls.Config(
            ledger_url=f"sqlite:///{workdir / f'bench-{functions}.db'}",
            companies={COMPANY: ls.CompanyConfig(name=COMPANY, connector="sage", settings={
                "sender_id": "ls_sender", "sender_password": "sender-pass",
                "company_id": "HARBORCLUB", "user_id": "mms_api_user",
                "user_password": "user-pass", "ar_account": "1200",
                "endpoint_url": f"{url}/ia/xml/xmlgw.phtml", "functions_per_request": functions,
            })})
        ledgers = [ls.Ledger(config, plugins=[Plugin()], load_entrypoints=False,
                             worker_name=f"bench-{w}") for w in range(2)]
        for account in ("1000", "4000"):
            ledgers[0].map(COMPANY, "gl_account", account, account, actor="bench")
        ledgers[0].record(entries(n))
        ledgers[0].run_now(COMPANY)
        started = time.monotonic()
        threads = [threading.Thread(target=ledger.run_pending,
                                    kwargs={"companies": [COMPANY]}) for ledger in ledgers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        synced = sum(count for (_, status), count in ledgers[0].status_counts(COMPANY).items()
                     if status == "synced")
        posted = len(sandbox.company().batches)
        for ledger in ledgers:
            ledger.close()
    assert synced == posted == n, (synced, posted, n)
    return {"entries": n, "seconds": elapsed, "per_minute": n / elapsed * 60,
            "requests": sandbox.requests, "throttled": sandbox.throttled,
            "peak": sandbox.peak_in_flight}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--single-entries", type=int, default=200,
                        help="entries for the one-function-per-request run (it is slow)")
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--results", type=Path, help="append a markdown table here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        batched = run(args.entries, 20, args.latency, Path(tmp))
        single = run(args.single_entries, 1, args.latency, Path(tmp))
    ratio = batched["per_minute"] / single["per_minute"]
    rows = [("20 functions per request", batched), ("1 function per request", single)]
    table = ["| mode | entries | seconds | entries/minute | requests | 429s | peak at once |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    table += [f"| {name} | {r['entries']:.0f} | {r['seconds']:.1f} | {r['per_minute']:,.0f} "
              f"| {r['requests']:.0f} | {r['throttled']:.0f} | {r['peak']:.0f} |"
              for name, r in rows]
    text = "\n".join(table) + f"\n\nbatched / one per request: {ratio:.1f}x\n"
    print(text)
    if args.results:
        with args.results.open("a", encoding="utf-8") as out:
            out.write(text)


if __name__ == "__main__":
    main()
