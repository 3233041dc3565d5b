"""Crash trials: a worker killed with a real SIGKILL at any step of the export protocol leaves
neither a duplicate nor a loss in the accounting system once recovery workers have run.

Each trial is seeded (``LEDGERSYNC_TRIAL_SEED`` changes the seed; the trial id names the step,
the key replay mode and the trial number): a fresh ledger with a random small mix of members,
invoices and payments, one worker process that dies

* ``before_write``: the intent (``in_flight``, lease) is committed, nothing was sent;
* ``after_write``: the remote has the record, the ledger does not know it;
* ``after_commit``: right after an outcome was committed, between two items (the rest of its
  claimed batch is still leased to the dead worker);

then recovery workers whose clock is past the dead worker's lease (its items turn ``in_doubt``
and are looked up before anything is sent again) work until everything is synced. Without key
replay (``keys_off``) only the lookup stands between a doubt and a duplicate.

Runs on SQLite; also on PostgreSQL when ``LEDGERSYNC_TEST_DATABASE_URL`` is set (each trial in a
freshly created schema).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

import ledgersync as ls
from ledgersync.testing import FakeBooks, FakePlugin

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("_ledger_worker.py")
PG_URL = os.environ.get("LEDGERSYNC_TEST_DATABASE_URL", "")
SEED = int(os.environ.get("LEDGERSYNC_TRIAL_SEED", "20260105"))
TRIALS_PER_CASE = 10
STEPS = ("before_write", "after_write", "after_commit")
LEASE_SECONDS = 300.0
COMPANY = "harbor"


# -- the trials --------------------------------------------------------------------------


@attrs.frozen
class Trial:
    step: str
    replay_keys: bool
    number: int
    records: tuple[ls.Record, ...]
    crash_at: int  # the n-th export (or, for after_commit, the n-th finished item)
    max_in_flight: int
    claim_batch: int

    @property
    def id(self) -> str:
        return f"{self.step}-{'keys_on' if self.replay_keys else 'keys_off'}-{self.number:02d}"


def make_trial(step: str, replay_keys: bool, number: int) -> Trial:
    rng = random.Random(f"{SEED}:{step}:{replay_keys}:{number}")
    day = dt.date(2026, 1, 5)
    members = [ls.Member(mms_id=f"M{i}", display_name=f"Member {i}")
               for i in range(rng.randint(1, 4))]
    invoices: list[ls.Invoice] = []
    for i in range(rng.randint(0, 5)):
        amount = Decimal(rng.randint(10, 500))
        invoices.append(ls.Invoice(
            mms_id=f"I{i}", member_id=rng.choice(members).mms_id, number=str(1000 + i),
            txn_date=day, currency="USD",
            lines=[ls.InvoiceLine(account_id="4000", description="Dues", quantity=Decimal(1),
                                  rate=amount, amount=amount)],
        ))
    payments: list[ls.Payment] = []
    for i in range(rng.randint(0, 3) if invoices else 0):
        invoice = rng.choice(invoices)
        applied = invoice.total() / 2
        payments.append(ls.Payment(
            mms_id=f"P{i}", member_id=invoice.member_id, txn_date=day, currency="USD",
            amount=applied,
            applications=[ls.PaymentApplication(invoice_id=invoice.mms_id, amount=applied)],
        ))
    records: tuple[ls.Record, ...] = (*members, *invoices, *payments)
    shuffled = list(records)
    rng.shuffle(shuffled)  # the MMS records in any order; the engine sorts out dependencies
    return Trial(
        step=step, replay_keys=replay_keys, number=number, records=tuple(shuffled),
        crash_at=rng.randint(1, len(records)), max_in_flight=rng.randint(1, 4),
        claim_batch=rng.randint(1, 10),
    )


TRIALS = [
    make_trial(step, replay, number)
    for step in STEPS
    for replay in (True, False)
    for number in range(TRIALS_PER_CASE)
]


# -- processes and databases -------------------------------------------------------------


class WarmWorkers:
    """Worker processes started one trial ahead: each imports ledgersync while the previous
    trial runs, then waits for its job on stdin."""

    def __init__(self) -> None:
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT / "core" / "src"), os.environ.get("PYTHONPATH")) if p)}
        self._spare = self._start()

    def _start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=self.env,
        )

    def run(self, job: dict[str, Any], timeout: float = 60.0) -> tuple[int, str, str]:
        proc, self._spare = self._spare, self._start()
        out, err = proc.communicate(json.dumps(job) + "\n", timeout=timeout)
        return proc.returncode, out, err

    def close(self) -> None:
        self._spare.kill()
        self._spare.communicate()


@pytest.fixture(scope="module")
def workers() -> Iterator[WarmWorkers]:
    pool = WarmWorkers()
    yield pool
    pool.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ledger database that no trial has touched: a new SQLite file, or a new schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ledger.db"
        return
    if not PG_URL.startswith("postgresql"):
        pytest.skip("set LEDGERSYNC_TEST_DATABASE_URL to a postgresql:// URL to run on PostgreSQL")
    schema = "ls_crash_trials"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    admin.dispose()


def company_spec(trial: Trial, books: Path, **fake: Any) -> dict[str, dict[str, Any]]:
    settings = {"books_path": str(books), "replay_keys": trial.replay_keys, **fake}
    return {COMPANY: {"max_in_flight": trial.max_in_flight, "fake": settings}}


class SendCounter:
    """Counts every remote write the engine attempts, whatever the remote makes of it (the
    fake books refuse a second create, which would hide a resend from their write counts)."""

    def __init__(self) -> None:
        self.sends: Counter[tuple[str, str, str]] = Counter()

    @ls.hookimpl(tryfirst=True)
    def ledgersync_export(self, request: ls.ExportRequest) -> None:
        self.sends[(request.kind, request.record.mms_id, request.operation.value)] += 1


def open_ledger(url: str, spec: dict[str, dict[str, Any]], *, clock_offset: float = 0.0,
                plugins: tuple[object, ...] = ()) -> ls.Ledger:
    companies = {
        name: {"connector": "fake", "schedule": "manual", "fake": s["fake"],
               "limits": {"max_in_flight": s["max_in_flight"]}}
        for name, s in spec.items()
    }
    offset = dt.timedelta(seconds=clock_offset)
    return ls.open(
        ls.parse_config({"ledger": {"url": url}, "companies": companies}),
        plugins=[FakePlugin(), *plugins], load_entrypoints=False,
        settings=ls.EngineSettings(lease_seconds=LEASE_SECONDS, poll_seconds=0.05),
        clock=lambda: dt.datetime.now(dt.UTC) + offset,
    )


def crash_job(trial: Trial, url: str, books: Path) -> dict[str, Any]:
    if trial.step == "after_commit":
        spec = company_spec(trial, books)
        kill: dict[str, Any] = {"kill_after_items": trial.crash_at}
    else:
        spec = company_spec(trial, books, crash_point=trial.step, crash_at_export=trial.crash_at)
        kill = {}
    return {"url": url, "companies": spec, "lease_seconds": LEASE_SECONDS,
            "claim_batch": trial.claim_batch, **kill}


def writes_expected_at_crash(trial: Trial) -> int:
    return trial.crash_at - 1 if trial.step == "before_write" else trial.crash_at


# -- the test -------------------------------------------------------------------------------


@pytest.mark.parametrize("trial", TRIALS, ids=[t.id for t in TRIALS])
def test_killed_worker_leaves_no_duplicate_and_no_loss(
    trial: Trial, ledger_url: str, tmp_path: Path, workers: WarmWorkers
) -> None:
    books_path = tmp_path / "books.db"
    spec = company_spec(trial, books_path)
    with open_ledger(ledger_url, spec) as ledger:
        ledger.record(trial.records)
        ledger.map(COMPANY, "gl_account", "4000", "acc-1")
        ledger.run_now(COMPANY)

    code, out, err = workers.run(crash_job(trial, ledger_url, books_path))
    assert code == -signal.SIGKILL, f"the worker was meant to die at {trial.id}: {out}{err}"
    books = FakeBooks(str(books_path), replay_keys=trial.replay_keys)
    sent_before_crash = Counter(books.write_counts())
    assert sum(sent_before_crash.values()) == writes_expected_at_crash(trial)

    # Recovery: the dead worker's lease has run out on the recovering workers' clock.
    counter = SendCounter()
    with open_ledger(ledger_url, spec, clock_offset=LEASE_SECONDS + 1,
                     plugins=(counter,)) as recovery:
        for _ in range(5):
            recovery.sync(COMPANY)
            if set(recovery.status_counts()) == {(COMPANY, "synced")}:
                break
        counts = recovery.status_counts()

    expected = {(r.kind, r.mms_id, "create") for r in trial.records}
    assert counts == {(COMPANY, "synced"): len(trial.records)}
    assert sent_before_crash + counter.sends == Counter(dict.fromkeys(expected, 1))
    assert books.write_counts() == dict.fromkeys(expected, 1)
    assert books.record_count() == len(trial.records)
