"""Claims across workers: what one worker's claim holds while another claims, and how a worker
waits for items another worker has in flight."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ledgersync._engine.claims import _lock_key, claim_batch


def test_a_worker_waiting_on_another_workers_items_looks_again_within_moments(
        world, rec, clock, settings):
    first = world.open(worker_name="worker-1")
    first.record([rec.member(f"M{i}", name=f"Member {i}") for i in range(3)])
    run_id = first.run_now("harbor")
    held = claim_batch(first._context, "harbor", owner="worker-1", limit=10, run_id=run_id)
    assert len(held.items) == 3  # worker-1 has them in flight, as if exporting right now
    waits: list[float] = []
    sleep = clock.sleep

    def record_sleep(seconds: float) -> None:
        waits.append(seconds)
        sleep(seconds)

    clock.sleep = record_sleep
    second = world.open(worker_name="worker-2", map_accounts=False)

    # Nothing for worker-2 to claim until worker-1's batch ends, which is a matter of moments
    # (here it never ends: the lease runs out, and worker-2 takes the items over).
    summary = second.run_pending()

    assert summary.outcomes == {"synced": 3}
    assert waits[0] < settings.poll_seconds / 10  # not a whole poll interval
    assert waits[:4] == pytest.approx([waits[0] * 2 ** n for n in range(4)])  # then longer
    assert max(waits) <= settings.poll_seconds


def postgresql_only(world) -> None:
    if not world.database_url.startswith("postgresql"):
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL's; SQLite runs one writing "
                    "transaction at a time, so no claim can meet another there")


def test_a_claim_does_not_lock_the_company_row(world, rec):
    """What else writes the company's row (a pause, a throttle, a request window) neither waits
    for claims nor makes them come back empty."""
    postgresql_only(world)
    ledger = world.open()
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob")])
    run_id = ledger.run_now("harbor")
    other = sa.create_engine(world.database_url)
    try:
        with other.begin() as conn:
            conn.exec_driver_sql("SELECT name FROM companies WHERE name = 'harbor' FOR UPDATE")
            claimed = claim_batch(ledger._context, "harbor", owner="worker-1", limit=10,
                                  run_id=run_id)
        assert not claimed.contended
        assert {item.mms_id for item in claimed.items} == {"M1", "M2"}
    finally:
        other.dispose()


def test_a_claim_while_another_worker_claims_for_the_company_is_contended(world, rec):
    postgresql_only(world)
    ledger = world.open()
    ledger.record([rec.member("M1")])
    run_id = ledger.run_now("harbor")
    other = sa.create_engine(world.database_url)
    try:
        with other.begin() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                sa.literal(_lock_key("harbor")["b_space"]),
                sa.literal(_lock_key("harbor")["b_key"]))))
            contended = claim_batch(ledger._context, "harbor", owner="worker-1", limit=10,
                                    run_id=run_id)
        assert contended.contended
        assert contended.items == []
        after = claim_batch(ledger._context, "harbor", owner="worker-1", limit=10,
                            run_id=run_id)
        assert [item.mms_id for item in after.items] == ["M1"]
    finally:
        other.dispose()
