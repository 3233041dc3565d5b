"""Kill trials of `ledgersync run --once` against an HTTP connector's sandbox on loopback.

A trial: a fresh sandbox behind the kill switch and a fresh ledger holding the sample records;
then a `ledgersync run` process (the real command line) that the switch SIGKILLs at a chosen
write, before the remote applied it or after (the answer lost), or at a chosen request of any
kind (a lookup, a query, a token refresh); then a recovering worker whose clock is past the
dead process's lease works until nothing is left (the two-stage path: with the desktop's Sync
Manager run between the stages). The sandbox is then counted: every record exactly once (more
is a duplicate, none a loss).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import ledgersync as ls

from .adapters import COMPANY, HttpConnector
from .databases import trial_database
from .report import TrialResult, recovery_paths
from .switch import KillSwitch

LEASE_SECONDS = 300.0
UNFINISHED = {"pending", "retry_wait", "in_doubt", "in_flight", "staged"}


class ShiftedClock:
    """The recovering worker's clock: past every lease the killed processes held, then moved
    on an hour a round so backoffs pass at once."""

    def __init__(self, seconds: float) -> None:
        self.offset = dt.timedelta(seconds=seconds)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


def write_config(workdir: Path, connector: HttpConnector, sandbox: Any, base_url: str,
                 ledger_url: str) -> Path:
    path = workdir / "ledgersync.toml"
    path.write_text(f"""[ledger]
url = "{ledger_url}"

[companies.{COMPANY}]
connector = "{connector.name}"
schedule = "manual"

[companies.{COMPANY}.{connector.name}]
{connector.company_table(sandbox, base_url)}""", encoding="utf-8")
    path.chmod(0o600)
    return path


def run_process(config: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ledgersync.cli", "--config", str(config), "run",
             "--company", COMPANY, "--once", "--deadline", "60", "--json"],
            env=env, stdout=out, stderr=out)


def recover(config: Path, connector: HttpConnector, sandbox: Any) -> ls.Ledger:
    clock = ShiftedClock(LEASE_SECONDS + 1)
    ledger = ls.open(config, clock=clock, settings=ls.EngineSettings(
        lease_seconds=LEASE_SECONDS, linger_seconds=0, poll_seconds=0.05,
        confirm_base_seconds=1, confirm_cap_seconds=1))
    for _ in range(20):
        ledger.sync(COMPANY, deadline=time.monotonic() + 30)
        connector.settle(ledger, sandbox)
        if not any(s in UNFINISHED for (_, s) in ledger.status_counts(COMPANY)):
            break
        clock.advance(3600)
    return ledger


def one_trial(number: int, connector: HttpConnector, switch: KillSwitch, base_url: str,
              workdir: Path, *, when: str, kill_at: int, ledger_url: str | None = None,
              hang_seconds: float = 120.0) -> TrialResult:
    """One process killed at the ``kill_at``-th write (or request, for ``any_request``);
    ``kill_at`` 0 kills nothing (the calibration run: how many there are). ``ledger_url``: a
    PostgreSQL server (the trial gets a schema of its own), else SQLite."""
    workdir.mkdir(parents=True, exist_ok=True)
    with trial_database(workdir, ledger_url, f"{connector.name}_{number}") as url:
        return _trial(number, connector, switch, base_url, workdir, url, when=when,
                      kill_at=kill_at, hang_seconds=hang_seconds)


def _trial(number: int, connector: HttpConnector, switch: KillSwitch, base_url: str,
           workdir: Path, url: str, *, when: str, kill_at: int, hang_seconds: float
           ) -> TrialResult:
    sandbox = connector.new_sandbox()
    switch.target = connector.asgi(sandbox)
    config = write_config(workdir, connector, sandbox, base_url, url)
    records = connector.records()
    with ls.open(config) as ledger:
        connector.prepare(ledger, sandbox)
        ledger.record(records)
    os.environ.update(connector.env)  # the recovering worker (this process) needs them too
    env = dict(os.environ)
    result = TrialResult(connector=connector.name, number=number)
    process = run_process(config, env, workdir / "run.log")
    switch.arm(process.pid, kill_at, when)
    try:
        code = process.wait(timeout=hang_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        result.hangs += 1
        code = None
    switch.disarm()
    result.writes, result.requests = switch.writes, switch.requests
    if switch.fired:
        result.kills[when] += 1
    elif code not in (0, 3):
        result.crashes += 1
    with recover(config, connector, sandbox) as ledger:
        items = ledger.items(ls.ItemFilter(company=COMPANY), limit=None)
        result.unsettled = sum(1 for i in items if i.status != "synced")
        result.paths = recovery_paths(ledger, items)
    counts = Counter({(r.kind, r.mms_id): connector.count(sandbox, r.kind, r.mms_id)
                      for r in records if r.kind in _COUNTED})
    result.duplicates = sum(n - 1 for n in counts.values() if n > 1)
    result.losses = sum(1 for n in counts.values() if n == 0)
    result.records = len(counts)
    return result


#: What the sandboxes hold as objects of their own (reference data is mapped, not written).
_COUNTED = {"member", "invoice", "payment", "credit_memo", "refund", "journal_entry"}
