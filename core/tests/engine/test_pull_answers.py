"""A pull-mode answer recorded as a whole (``PullQueue.succeed_many``): one transaction for the
successes of a message set, each item still fenced by its own lease; and a claim that reads
the batch's references together instead of item by item."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ledgersync import ExportResult, Ledger, Status
from ledgersync._ledger.schema import links

from ..conftest import Clock, Records, World


def _linked(ledger: Ledger, mms_id: str) -> str | None:
    with ledger._database.connect() as conn:
        return conn.execute(sa.select(links.c.external_id).where(
            links.c.company == "harbor", links.c.mms_id == mms_id)).scalar()

#: Room for a whole message set in flight (the fake connector allows 4 by default).
ROOMY = {"harbor": {"limits": {"max_in_flight": 50}}}


class Counted:
    """Commits, and statements that changed ``sync_items``, on the ledger's engine."""

    def __init__(self) -> None:
        self.commits = 0
        self.item_writes = 0
        self.statements = 0


@contextmanager
def counting(ledger: Ledger) -> Iterator[Counted]:
    engine = ledger._context.engine
    counted = Counted()

    def committed(_conn: Any) -> None:
        counted.commits += 1

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counted.statements += 1
        words = statement.lstrip().upper()
        if words.startswith("UPDATE SYNC_ITEMS") or words.startswith("WITH"):
            counted.item_writes += "UPDATE SYNC_ITEMS" in words

    sa.event.listen(engine, "commit", committed)
    sa.event.listen(engine, "after_cursor_execute", executed)
    try:
        yield counted
    finally:
        sa.event.remove(engine, "commit", committed)
        sa.event.remove(engine, "after_cursor_execute", executed)


def test_the_successes_of_one_answer_are_written_in_one_commit(
        world: World, rec: Records) -> None:
    ledger = world.open(ROOMY)
    ledger.record([rec.member(f"M{i}", f"Member {i}") for i in range(8)])
    queue = ledger.pull("harbor", owner="wc-session")
    queue.open_run()
    pulled = queue.claim(8)
    assert len(pulled) == 8

    with counting(ledger) as counted:
        statuses = queue.succeed_many(
            [(p, ExportResult(external_id=f"80000{p.id}-1", version_token="1"))
             for p in pulled])

    assert statuses == [Status.SYNCED] * 8
    assert counted.commits == 1
    for p in pulled:
        row = world.row(ledger, p.id)
        assert (row.status, row.external_id, row.lease_owner) == (
            "synced", f"80000{p.id}-1", None)
        assert _linked(ledger, p.request.record.mms_id) == f"80000{p.id}-1"


def test_a_stale_lease_in_an_answer_is_refused_and_kept_in_history_while_the_rest_land(
        world: World, rec: Records, clock: Clock) -> None:
    ledger = world.open()
    ctx = ledger._context
    ledger.record([rec.member(f"M{i}", f"Member {i}") for i in range(4)])
    queue = ledger.pull("harbor", owner="wc-session")
    queue.open_run()
    early = queue.claim(2)
    clock.advance(ctx.settings.lease_seconds / 2)
    late = queue.claim(2)
    clock.advance(ctx.settings.lease_seconds / 2 + 1)  # only the early claim's lease ran out
    other = ledger.pull("harbor", owner="next-session")
    other.claim(10)  # reaps the early items: in doubt
    clock.advance(1)
    recovered = other.claim(10)
    assert {p.id for p in recovered} == {p.id for p in early}

    answers = [*early, *late]
    with counting(ledger) as counted:
        statuses = queue.succeed_many(
            [(p, ExportResult(external_id=f"remote-{p.id}")) for p in answers])

    assert statuses == [None, None, Status.SYNCED, Status.SYNCED]
    assert counted.commits == 1
    for p in late:
        row = world.row(ledger, p.id)
        assert (row.status, row.external_id) == ("synced", f"remote-{p.id}")
    for p in early:
        row = world.row(ledger, p.id)
        assert (row.status, row.lease_owner, row.external_id) == (
            "in_flight", "next-session", None)
        last = ledger.history(p.id)[-1]
        assert last.actor == "wc-session"
        assert "after the lease was lost and was not applied" in (last.reason or "")
        assert f"remote-{p.id}" in (last.reason or "")


def test_an_empty_answer_writes_nothing(world: World) -> None:
    ledger = world.open()
    queue = ledger.pull("harbor")
    with counting(ledger) as counted:
        assert queue.succeed_many([]) == []
    assert counted.commits == 0


def test_a_claim_reads_its_batch_references_together_not_item_by_item(
        world: World, rec: Records) -> None:
    ledger = world.open(ROOMY)
    ledger.record([rec.member(f"M{i}", f"Member {i}") for i in range(15)])
    members = ledger.pull("harbor", owner="wc-members")
    members.open_run()
    members.succeed_many([(p, ExportResult(external_id=f"cust-{p.id}"))
                          for p in members.claim(15)])
    ledger.record([rec.invoice(f"I{i}", f"M{i}") for i in range(15)])
    queue = ledger.pull("harbor", owner="wc-invoices")
    queue.claim(1)  # the run's bookkeeping out of the way
    counts = []
    for size in (2, 12):
        with counting(ledger) as counted:
            pulled = queue.claim(size)
        assert len(pulled) == size
        assert all(p.request.references for p in pulled)  # each invoice names its customer
        counts.append(counted.statements)
    small, large = counts
    assert large == small, counts
