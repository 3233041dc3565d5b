"""Successes written as a group (one fenced update for the whole group): each item's lease
still fences its own success."""

from __future__ import annotations

import attrs
import pytest
import sqlalchemy as sa

from ledgersync import ExportResult
from ledgersync._engine import items
from ledgersync._engine.claims import claim
from ledgersync._engine.completion import Completion
from ledgersync._ledger.schema import links

from ..conftest import SETTINGS


def _linked(ledger, mms_id):
    with ledger._database.connect() as conn:
        return conn.execute(sa.select(links.c.external_id).where(
            links.c.company == "harbor", links.c.mms_id == mms_id)).scalar()


def test_a_group_writes_the_successes_whose_lease_holds_and_refuses_the_stale_ones(
        world, rec, clock):
    ledger = world.open()
    ctx = ledger._context
    ledger.record([rec.member(f"M{i}") for i in range(4)])
    early = claim(ctx, "harbor", owner="slow-worker", limit=2, run_id=None)
    clock.advance(ctx.settings.lease_seconds / 2)
    late = claim(ctx, "harbor", owner="slow-worker", limit=2, run_id=None)
    clock.advance(ctx.settings.lease_seconds / 2 + 1)  # only the early claim's lease ran out
    claim(ctx, "harbor", owner="other-worker", limit=10, run_id=None)  # reaps them
    clock.advance(1)
    recovered = claim(ctx, "harbor", owner="other-worker", limit=10, run_id=None)
    assert {i.id for i in recovered} == {i.id for i in early}

    completion = Completion(ctx)
    with completion.grouped():
        outcomes = [completion.synced(item, ExportResult(external_id=f"remote-{item.mms_id}"),
                                      reason=None) for item in [*early, *late]]

    assert all(o.status is not None for o in outcomes)  # grouped: decided when written
    for item in late:
        row = world.row(ledger, item.id)
        assert (row.status, row.external_id, row.lease_owner) == (
            "synced", f"remote-{item.mms_id}", None)
        assert _linked(ledger, item.mms_id) == f"remote-{item.mms_id}"
    for item in early:
        row = world.row(ledger, item.id)
        assert (row.status, row.lease_owner, row.external_id) == (
            "in_flight", "other-worker", None)
        assert _linked(ledger, item.mms_id) is None
        last = ledger.history(item.id)[-1]
        assert (last.actor, last.to_status) == ("slow-worker", None)
        assert "after the lease was lost and was not applied" in last.reason


def test_a_group_whose_every_lease_was_lost_writes_no_success(world, rec, clock):
    ledger = world.open()
    ctx = ledger._context
    ledger.record([rec.member(f"M{i}") for i in range(3)])
    stale = claim(ctx, "harbor", owner="slow-worker", limit=3, run_id=None)
    clock.advance(ctx.settings.lease_seconds + 1)
    claim(ctx, "harbor", owner="other-worker", limit=10, run_id=None)  # reaps them
    clock.advance(1)
    claim(ctx, "harbor", owner="other-worker", limit=10, run_id=None)

    completion = Completion(ctx)
    with completion.grouped():
        for item in stale:
            completion.synced(item, ExportResult(external_id="remote"), reason=None)

    assert {world.row(ledger, i.id).status for i in stale} == {"in_flight"}
    assert {world.row(ledger, i.id).lease_owner for i in stale} == {"other-worker"}
    assert all(_linked(ledger, i.mms_id) is None for i in stale)


def test_a_group_of_successes_writes_one_event_per_item_in_id_order(world, rec):
    ledger = world.open()
    ctx = ledger._context
    ledger.record([rec.member(f"M{i}") for i in range(5)])
    held = claim(ctx, "harbor", owner="worker-a", limit=5, run_id=None)

    completion = Completion(ctx)
    with completion.grouped():
        for item in reversed(held):
            completion.synced(item, ExportResult(external_id=f"r-{item.id}"), reason=None)

    for item in held:
        events = [e for e in ledger.history(item.id) if e.to_status == "synced"]
        assert [(e.actor, e.reason) for e in events] == [("worker-a", f"synced as r-{item.id}")]
    assert {world.row(ledger, i.id).status for i in held} == {"synced"}


def test_a_ledger_failure_while_writing_the_group_is_not_classified_as_the_remotes(
        world, rec, monkeypatch):
    """The remote wrote the item; the ledger then failed to record the group. That is the
    ledger's error, raised to the worker (the items stay in flight under their lease, as after
    a crash), not an unexpected failure of the export that puts the written item in doubt."""
    ledger = world.open(settings=attrs.evolve(SETTINGS, completion_group=1))
    ledger.record([rec.member("M1")])
    ledger.run_now("harbor")

    def lost_connection(*_args, **_kwargs):
        raise sa.exc.OperationalError("UPDATE sync_items", {}, Exception("connection lost"))

    monkeypatch.setattr(items, "write_synced", lost_connection)
    with pytest.raises(sa.exc.OperationalError):
        ledger.run_pending()

    row = world.row(ledger, world.item(ledger, "member", "M1").id)
    assert (row.status, row.attempts) == ("in_flight", 1)
    assert world.books().count("member", "M1") == 1  # the remote did write it
    assert not [e for e in ledger.history(row.id) if e.to_status == "in_doubt"]
