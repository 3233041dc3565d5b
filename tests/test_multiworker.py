"""Four worker processes sharing one PostgreSQL ledger: 10,000 items across several companies
with concurrency limits.

No item is claimed twice (every item has exactly one claim and one in_flight -> synced step in
its history, and one write in the books even though the books replay no idempotency key), and
each company's ``max_in_flight`` holds across all workers, both at the remote (exports in
progress at once) and in the ledger (items in flight at once).

The scenario runs once per module; each test checks one promise on its result.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

import ledgersync as ls
from ledgersync._ledger.schema import sync_events, sync_items
from ledgersync.testing import FakeBooks, FakePlugin

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("_ledger_worker.py")
PG_URL = os.environ.get("LEDGERSYNC_TEST_DATABASE_URL", "")
SCHEMA = "ls_multiworker"
WORKERS = 4
#: company -> (max_in_flight, items): a serial company, tight ones, a roomy one.
COMPANIES = {"solo": (1, 1000), "pair": (2, 2000), "trio": (3, 2000), "wide": (8, 5000)}
TOTAL = sum(items for _, items in COMPANIES.values())


@attrs.frozen
class Scenario:
    engine: sa.Engine
    books: FakeBooks
    worker_outcomes: list[dict[str, int]]


def records_for(company: str, count: int) -> list[ls.Record]:
    """Members, and invoices of customers already mapped (so every item is claimable at once
    and is claimed exactly once)."""
    day = dt.date(2026, 1, 5)
    result: list[ls.Record] = []
    for i in range(count):
        if i % 2 == 0:
            result.append(ls.Member(mms_id=f"{company}-M{i}", display_name=f"Member {i}"))
        else:
            result.append(ls.Invoice(
                mms_id=f"{company}-I{i}", member_id="EXISTING", number=f"{i}", txn_date=day,
                currency="USD",
                lines=[ls.InvoiceLine(account_id="4000", quantity=Decimal(1),
                                      rate=Decimal("10.00"), amount=Decimal("10.00"))],
            ))
    return result


def worker_env() -> dict[str, str]:
    paths = (str(ROOT / "core" / "src"), os.environ.get("PYTHONPATH"))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    if not PG_URL.startswith("postgresql"):
        pytest.skip("set LEDGERSYNC_TEST_DATABASE_URL to a postgresql:// URL: several workers "
                    "need PostgreSQL")
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
    # The trial is about claims, not about surviving a database crash: commits need not wait
    # for the disk, which keeps the run CPU-bound and short.
    url = sa.make_url(PG_URL).update_query_dict(
        {"options": f"-csearch_path={SCHEMA} -csynchronous_commit=off"})
    url_text = url.render_as_string(hide_password=False)
    books_path = tmp_path_factory.mktemp("multiworker") / "books.db"
    spec = {
        name: {"max_in_flight": limit,
               "fake": {"books_path": str(books_path), "replay_keys": False,
                        "track_concurrency": True, "export_seconds": 0.001}}
        for name, (limit, _) in COMPANIES.items()
    }
    # Start the workers first: they import while the ledger is being filled.
    procs = [subprocess.Popen([sys.executable, str(WORKER)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=worker_env()) for _ in range(WORKERS)]
    try:
        config = ls.parse_config({"ledger": {"url": url_text}, "companies": {
            name: {"connector": "fake", "schedule": "manual", "fake": s["fake"],
                   "limits": {"max_in_flight": s["max_in_flight"]}}
            for name, s in spec.items()}})
        with ls.open(config, plugins=[FakePlugin()], load_entrypoints=False) as ledger:
            for name, (_, count) in COMPANIES.items():
                ledger.record(records_for(name, count), companies=[name])
                ledger.map(name, "member", "EXISTING", "cust-1")
                ledger.map(name, "gl_account", "4000", "acc-1")
                ledger.run_now(name)
        job = {"url": url_text, "companies": spec, "claim_batch": 4, "deadline_seconds": 600}
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
        outcomes = []
        for proc in procs:
            out, err = proc.communicate(timeout=660)
            assert proc.returncode == 0, err
            outcomes.append(json.loads(out)["outcomes"])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    engine = sa.create_engine(url)
    yield Scenario(engine=engine, books=FakeBooks(str(books_path), replay_keys=False),
                   worker_outcomes=outcomes)
    engine.dispose()
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    admin.dispose()


def test_every_item_is_synced_after_one_attempt(scenario: Scenario) -> None:
    with scenario.engine.connect() as conn:
        rows = conn.execute(sa.select(sync_items.c.status, sync_items.c.attempts,
                                      sa.func.count()).group_by(sync_items.c.status,
                                                                sync_items.c.attempts)).all()
        # The history of any item that needed more (its events name what went wrong), so a
        # failure says why; the scenario's schema is dropped afterwards.
        retried = conn.execute(
            sa.select(sync_events.c.item_id, sync_events.c.actor, sync_events.c.from_status,
                      sync_events.c.to_status, sync_events.c.reason, sync_events.c.code)
            .where(sync_events.c.item_id.in_(
                sa.select(sync_items.c.id).where(sync_items.c.attempts > 1)))
            .order_by(sync_events.c.id)).all()
    assert [tuple(r) for r in rows] == [("synced", 1, TOTAL)], [tuple(r) for r in retried]


def test_every_item_was_claimed_exactly_once(scenario: Scenario) -> None:
    claims = sa.func.count().filter(sync_events.c.to_status == "in_flight")
    synced = sa.func.count().filter(sync_events.c.from_status == "in_flight",
                                    sync_events.c.to_status == "synced")
    with scenario.engine.connect() as conn:
        per_item = conn.execute(
            sa.select(sync_events.c.item_id, claims.label("claims"), synced.label("synced"))
            .where(sync_events.c.item_id.is_not(None)).group_by(sync_events.c.item_id)
        ).all()
    shape = Counter((row.claims, row.synced) for row in per_item)
    assert shape == {(1, 1): TOTAL}


def test_the_books_got_every_item_written_exactly_once(scenario: Scenario) -> None:
    counts = scenario.books.write_counts()
    assert len(counts) == TOTAL
    assert set(counts.values()) == {1}
    assert scenario.books.record_count() == TOTAL


def test_company_limits_hold_at_the_remote_across_workers(scenario: Scenario) -> None:
    peaks = scenario.books.peak_concurrency()
    assert peaks.keys() == COMPANIES.keys()
    for company, (limit, _) in COMPANIES.items():
        assert 1 <= peaks[company] <= limit, (company, peaks[company], limit)


def test_company_limits_hold_in_the_ledger_across_workers(scenario: Scenario) -> None:
    """Replaying the history in order: claims add to a company's items in flight, every step
    out of in_flight takes one away; the running count never exceeds the limit. (Claims of a
    company are serialised by its row lock, so this order never overstates the count.)"""
    with scenario.engine.connect() as conn:
        events = conn.execute(
            sa.select(sync_events.c.company, sync_events.c.from_status, sync_events.c.to_status)
            .where(sync_events.c.item_id.is_not(None)).order_by(sync_events.c.id)
        ).all()
    in_flight: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    for event in events:
        if event.to_status == "in_flight":
            in_flight[event.company] += 1
            peak[event.company] = max(peak[event.company], in_flight[event.company])
        elif event.from_status == "in_flight":
            in_flight[event.company] -= 1
    assert all(count == 0 for count in in_flight.values())
    for company, (limit, _) in COMPANIES.items():
        assert 1 <= peak[company] <= limit, (company, peak[company], limit)


def test_the_workers_really_ran_side_by_side(scenario: Scenario) -> None:
    """The trial means something only if every worker took a share and exports overlapped."""
    assert all(outcome.get("synced", 0) > 0 for outcome in scenario.worker_outcomes)
    assert sum(o.get("synced", 0) for o in scenario.worker_outcomes) == TOTAL
    assert max(scenario.books.peak_concurrency().values()) > 1
