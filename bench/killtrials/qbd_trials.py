"""Kill trials of `ledgersync serve` under the simulated Web Connector (QuickBooks Desktop).

A trial: a fresh simulated company file and a fresh ledger holding a small club's year; then
``KILLS_PER_TRIAL`` times a `ledgersync serve` process (the real command line) that dies by
SIGKILL at a chosen message set: after the server handed it out and before QuickBooks ran it,
or after QuickBooks ran it and before its answer reached the server (a write set), or at any
set (queries and the recovery probe included); `serve` is restarted
after each kill. The Web Connector then updates until nothing is left; the company file is
counted: every record exactly once, and every item synced.

A kill point is drawn among the sets a clean run hands out; a kill that lands after its
trial's work is done (fewer sets remain) is not counted as a kill.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ledgersync as ls
from ledgersync.demo.dataset import generate
from ledgersync_qbd.sandbox import CompanyFile, ProcessResult
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector
from ledgersync_qbd.testing import CLUB_MAPPINGS, CompanyFileProbe, prepare_company_file

from .databases import trial_database
from .report import PROBE, TrialResult, recovery_paths
from .switch import AFTER_WRITE, ANY_REQUEST, BEFORE_WRITE

COMPANY = "harbor"
USER, PASSWORD_ENV, PASSWORD = "harbor-wc", "QBD_KILLS_PASSWORD", "tide-and-time-42"
KILLS_PER_TRIAL = 3
WRITE_SETS = ("AddRq", "ModRq", "VoidRq", "DelRq")
_REQUEST = re.compile(r"<(?!QBXMLMsgsRq)\w+Rq[\s>]")
KINDS = {"member", "invoice", "payment", "credit_memo", "refund", "journal_entry"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Serve:
    """`ledgersync serve` as a child process, on one port across restarts."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.crashes = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/qbwc"

    def start(self) -> None:
        env = {**os.environ, PASSWORD_ENV: PASSWORD}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ledgersync.cli", "--config", str(self.config), "serve",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited at start: {self.log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/qbwc?wsdl")
                ready = conn.getresponse().status == 200
                conn.close()
                if ready:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("serve did not start within 60 s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                code = self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
            # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly.
            if code not in (0, -signal.SIGTERM):
                self.crashes += 1
        self.process = None


class Killer:
    """Wraps the company file's handling of a message set: at the chosen set, SIGKILL
    `serve` before QuickBooks runs it or after (its answer never reaches the server)."""

    def __init__(self, company: CompanyFile, serve: Serve) -> None:
        self.company, self.serve = company, serve
        self.inner: Callable[[str | bytes], ProcessResult] = company.handle
        self.kill_at, self.when, self.sets, self.fired = 0, BEFORE_WRITE, 0, False
        self.sent: list[str] = []

    def arm(self, kill_at: int, when: str) -> None:
        self.kill_at, self.when, self.sets, self.fired = kill_at, when, 0, False

    def __call__(self, request_xml: str | bytes) -> ProcessResult:
        if isinstance(request_xml, bytes):
            request_xml = request_xml.decode("utf-8")
        self.sent.append(request_xml)
        counted = self.when == ANY_REQUEST or any(tag in request_xml for tag in WRITE_SETS)
        if counted:
            self.sets += 1
            if self.sets == self.kill_at and not self.fired:
                self.fired = True
                if self.when in (BEFORE_WRITE, ANY_REQUEST):
                    self.serve.kill()
                    raise ConnectionError("serve was killed before QuickBooks ran the set")
                answer = self.inner(request_xml)
                self.serve.kill()
                return answer
        return self.inner(request_xml)


def _config(workdir: Path, ledger_url: str) -> Path:
    path = workdir / "ledgersync.toml"
    path.write_text(f"""[ledger]
url = "{ledger_url}"

[plugins]
enabled = ["qbd"]

[companies.{COMPANY}]
connector = "qbd"
schedule = "manual"

[companies.{COMPANY}.qbd]
username = "{USER}"
password = "env:{PASSWORD_ENV}"
busy_seconds = 0
message_set_size = 10
payment_methods = {{ card = "Visa", check = "Check" }}
""", encoding="utf-8")
    path.chmod(0o600)
    return path


def _probed_first(sets: list[str]) -> bool:
    """Whether the server sent the recovery probe (an empty set asking QuickBooks for the
    answer of the set it never heard back about) before any write after a restart."""
    for text in sets:
        if "oldMessageSetID" in text and not _REQUEST.search(text):
            return True
        if any(tag in text for tag in WRITE_SETS):
            return False
    return False


def _update(connector: SimulatedWebConnector) -> str:
    try:
        return connector.run_update().outcome
    except Exception as exc:  # noqa: BLE001 - the server died under it: that is the trial
        return f"transport failure: {type(exc).__name__}"


def one_trial(number: int, workdir: Path, rng: random.Random, *, write_sets: int,
              ledger_url: str | None) -> TrialResult:
    """``ledger_url``: a PostgreSQL server (the trial gets a schema of its own), else SQLite;
    ``write_sets`` 0 kills nothing (the calibration run)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with trial_database(workdir, ledger_url, f"qbd_{number}") as url:
        return _trial(number, workdir, rng, _config(workdir, url), write_sets=write_sets)


def _trial(number: int, workdir: Path, rng: random.Random, config: Path, *,
           write_sets: int) -> TrialResult:
    records = generate(members=2, seed=number).records
    with ls.open(config) as ledger:
        for (kind, mms_id), remote in CLUB_MAPPINGS.items():
            ledger.map(COMPANY, kind, mms_id, remote)
        ledger.record(records)
    company = CompanyFile(company_name="Harbor Club")
    prepare_company_file(company)
    serve = Serve(config, workdir / "serve.log")
    killer = Killer(company, serve)
    company.handle = killer  # type: ignore[method-assign]  # the kill switch
    result = TrialResult(connector="qbd", number=number)
    try:
        serve.start()
        wc = SimulatedWebConnector(serve.url, USER, PASSWORD, company)
        resumed: int | None = None
        for kill in range(KILLS_PER_TRIAL if write_sets else 0):
            when = rng.choice((BEFORE_WRITE, AFTER_WRITE, ANY_REQUEST))
            # The first kill anywhere in the run; the later ones soon after a restart.
            killer.arm(rng.randint(1, write_sets if kill == 0 else 3), when)
            for _ in range(30):
                outcome = _update(wc)
                if killer.fired or outcome == "none":
                    break
            if resumed is not None and _probed_first(killer.sent[resumed:]):
                result.paths[PROBE] += 1
            resumed = None
            if killer.fired:
                result.kills[when] += 1
                resumed = len(killer.sent)
                serve.start()
                wc = SimulatedWebConnector(serve.url, USER, PASSWORD, company)
        killer.arm(0, BEFORE_WRITE)
        for _ in range(30):
            outcome = _update(wc)
            if resumed is not None and _probed_first(killer.sent[resumed:]):
                result.paths[PROBE] += 1
            resumed = None
            if outcome == "none":
                break
            if outcome not in ("done", "died"):
                result.crashes += 1
        result.writes = killer.sets
        serve.stop()
    except subprocess.TimeoutExpired:
        result.hangs += 1
    finally:
        if serve.process is not None:
            serve.process.kill()
            serve.process.wait()
    result.crashes += serve.crashes
    with ls.open(config) as ledger:
        items = ledger.items(ls.ItemFilter(company=COMPANY), limit=None)
        result.unsettled = sum(1 for i in items if i.status != "synced")
        result.paths.update(recovery_paths(ledger, items))
    probe = CompanyFileProbe(company, COMPANY)
    counts = [probe.count(r.kind, r.mms_id) for r in records if r.kind in KINDS]
    result.records = len(counts)
    result.duplicates = sum(n - 1 for n in counts if n > 1)
    result.losses = sum(1 for n in counts if n == 0)
    return result


def qbd_campaign(*, kills: int, max_trials: int, seed: int, workdir: Path,
                 ledger_url: str | None) -> list[TrialResult]:
    rng = random.Random(f"{seed}:qbd")
    clean = one_trial(0, workdir / "clean", rng, write_sets=0, ledger_url=ledger_url)
    if not clean.ok or not clean.writes:
        raise SystemExit(f"the clean run failed: {clean}")
    results: list[TrialResult] = []
    while sum(sum(r.kills.values()) for r in results) < kills and len(results) < max_trials:
        number = len(results) + 1
        result = one_trial(number, workdir / f"t{number:04d}", rng, write_sets=clean.writes,
                           ledger_url=ledger_url)
        results.append(result)
        print(f"qbd trial {number}: {result}", file=sys.stderr, flush=True)
    return results
