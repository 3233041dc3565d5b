"""A worker process for the crash and multi-worker trials (run as a script, never collected).

It imports ledgersync first and only then reads its job, one JSON line on stdin, so a test can
start it ahead of time and hand it the job when the ledger is ready. The job:

``url``            the ledger's database URL
``companies``      {name: {"max_in_flight": n, "fake": {FakeSettings keys}}}
``clock_offset``   seconds added to the real clock (to see leases of dead workers as expired)
``lease_seconds``, ``claim_batch``   EngineSettings
``kill_after_items``  SIGKILL this process right after the n-th item's outcome was committed
``deadline_seconds``  stop working after this long

It works the open runs with ``run_pending`` and prints ``{"outcomes": {...}}`` on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
from typing import Any

import ledgersync as ls
from ledgersync.testing import FakePlugin


def config(url: str, companies: dict[str, dict[str, Any]]) -> ls.Config:
    table: dict[str, Any] = {}
    for name, spec in companies.items():
        company: dict[str, Any] = {"connector": "fake", "schedule": "manual",
                                   "fake": spec["fake"]}
        if spec.get("max_in_flight") is not None:
            company["limits"] = {"max_in_flight": spec["max_in_flight"]}
        table[name] = company
    return ls.parse_config({"ledger": {"url": url}, "companies": table})


def main() -> None:
    job = json.loads(sys.stdin.readline())
    offset = dt.timedelta(seconds=job.get("clock_offset", 0.0))
    settings = ls.EngineSettings(
        lease_seconds=job.get("lease_seconds", 300.0),
        claim_batch=job.get("claim_batch", 10),
        poll_seconds=0.05,
    )
    kill_after = job.get("kill_after_items")
    done = 0

    def on_item(_item: object, _label: str) -> None:
        nonlocal done
        done += 1
        if done == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    ledger = ls.open(
        config(job["url"], job["companies"]), plugins=[FakePlugin()], load_entrypoints=False,
        settings=settings, clock=lambda: dt.datetime.now(dt.UTC) + offset,
    )
    with ledger:
        summary = ledger.run_pending(
            deadline=time.monotonic() + job.get("deadline_seconds", 120.0), on_item=on_item,
        )
    print(json.dumps({"outcomes": dict(summary.outcomes)}), flush=True)


if __name__ == "__main__":
    main()
