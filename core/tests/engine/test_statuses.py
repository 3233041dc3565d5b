"""The status machine: allowed and forbidden transitions, and a history of every change."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from ledgersync import ItemFilter, Status, TransitionError, hookimpl
from ledgersync._engine.statuses import TRANSITIONS, check_transition

S = Status


@pytest.mark.parametrize(("current", "target"), [
    (S.AWAITING_APPROVAL, S.PENDING),
    (S.PENDING, S.IN_FLIGHT),
    (S.IN_FLIGHT, S.SYNCED),
    (S.IN_FLIGHT, S.RETRY_WAIT),
    (S.IN_FLIGHT, S.IN_DOUBT),
    (S.RETRY_WAIT, S.IN_FLIGHT),
    (S.IN_DOUBT, S.IN_FLIGHT),
    (S.ERROR, S.PENDING),
    (S.BLOCKED, S.PENDING),
    (S.NO_GO, S.PENDING),
    (S.CLEARED, S.PENDING),
    (S.SYNCED, S.PENDING),
])
def test_the_lifecycle_transitions_are_allowed(current, target):
    check_transition("invoice 'I1'", current, target)


@pytest.mark.parametrize(("current", "target"), [
    (S.SYNCED, S.ERROR),  # a synced record is never "failed" after the fact
    (S.SYNCED, S.IN_FLIGHT),  # nor sent again without a new operation
    (S.CLEARED, S.IN_FLIGHT),  # cleared never comes back by itself
    (S.AWAITING_APPROVAL, S.IN_FLIGHT),  # nothing is sent before review
    (S.NO_GO, S.IN_FLIGHT),
    (S.BLOCKED, S.IN_FLIGHT),
    (S.IN_DOUBT, S.ERROR),  # a doubt is resolved by a lookup, never by giving up
    (S.ERROR, S.SYNCED),
    (S.PENDING, S.SYNCED),  # only a worker holding the lease records a sync
])
def test_shortcuts_around_the_lifecycle_are_refused(current, target):
    with pytest.raises(TransitionError) as raised:
        check_transition("invoice 'I1'", current, target)

    assert raised.value.current == current.value
    assert raised.value.target == target.value
    assert f"invoice 'I1': cannot go from {current.value} to {target.value}" in str(raised.value)


def test_no_status_may_move_to_itself():
    for status, targets in TRANSITIONS.items():
        assert status not in targets, status


def test_every_status_has_a_way_forward():
    assert set(TRANSITIONS) == set(Status)
    for status, targets in TRANSITIONS.items():
        assert targets, f"{status} is a dead end"


class HoldMemos:
    @hookimpl
    def ledgersync_mark_go_no_go(self, record):
        if getattr(record, "memo", None) == "hold":
            from ledgersync import GoNoGo
            return GoNoGo.no_go("the treasurer holds this one")
        return None


class RecordDuringUpdate:
    def __init__(self, newer):
        self.newer = newer
        self.ledger: Any = None

    @hookimpl(wrapper=True)
    def ledgersync_export(self, request):
        if request.operation.value == "update" and self.newer is not None:
            newer, self.newer = self.newer, None
            self.ledger.record([newer])
        return (yield)


def test_every_status_change_is_in_the_history_with_actor_and_reason(world, rec, clock):
    deferring = RecordDuringUpdate(rec.member("M2", name="Bob Jones"))
    ledger = world.open(plugins=(HoldMemos(), deferring))
    deferring.ledger = ledger
    ledger.record([rec.member("M2", name="Bob")])
    ledger.sync("harbor")
    ledger.record([rec.member(), rec.invoice(),
                   rec.invoice("I2", memo="hold"), rec.invoice("I3", member_id="M3"),
                   rec.payment()])
    world.fail_next(ledger, "transient", "throttle", "inactive")
    ledger.sync("harbor")
    clock.advance(60)
    ledger.record([rec.member("M2", name="Bob Smith")])  # an update, deferred once in flight
    ledger.sync("harbor")
    ledger.requeue(ItemFilter(status=[S.ERROR]), actor="alice")
    ledger.mark(ItemFilter(mms_id="I2"), "go", actor="bob", reason="treasurer agreed")
    ledger.record([rec.member("M3", name="Cy")])
    ledger.sync("harbor")

    assert deferring.newer is None, "the deferred change was never recorded"
    items = ledger.items(limit=None)
    assert {i.status for i in items} == {"synced"}, [(i.mms_id, i.status, i.reason)
                                                   for i in items]
    for found in items:
        changes = [e for e in ledger.history(found.id) if e.to_status is not None]
        assert changes[0].from_status is None, found
        for before, after in itertools.pairwise(changes):
            assert after.from_status == before.to_status, (found.kind, found.mms_id, changes)
        assert changes[-1].to_status == found.status
        for event in ledger.history(found.id):
            assert event.actor, event
            assert event.reason, event
    marked = ledger.history(world.item(ledger, "invoice", "I2").id)
    assert any(e.actor == "bob" and "treasurer agreed" in e.reason for e in marked)
