"""Recording MMS records: new work, no work, replacement in place, updates, deferral, voids."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import sqlalchemy as sa

from ledgersync import ItemFilter, connector_plugin, hookimpl
from ledgersync._ledger.schema import sync_item_dependencies
from ledgersync.testing import FakeConnector


def test_a_new_record_is_queued_pending_for_the_company(ledger, rec, world):
    summary = ledger.record([rec.member()])

    assert summary["new"] == 1
    found = world.item(ledger, "member", "M1")
    assert (found.status, found.attempts) == ("pending", 0)
    [event] = ledger.history(found.id)
    assert (event.actor, event.to_status, event.reason) == ("mms", "pending", "recorded (create)")


def test_the_same_content_recorded_twice_is_no_new_work(ledger, rec, world):
    ledger.record([rec.member()])
    before = world.row(ledger, world.item(ledger, "member", "M1").id)

    summary = ledger.record([rec.member()])

    assert (summary["unchanged"], summary["new"], summary["updated"]) == (1, 0, 0)
    after = world.row(ledger, before.id)
    assert (after.generation, after.idempotency_key) == (before.generation, before.idempotency_key)
    assert len(ledger.items()) == 1
    assert len(ledger.history(before.id)) == 1


def test_the_same_content_recorded_after_sync_is_no_new_work(ledger, rec, books):
    ledger.record([rec.member()])
    ledger.sync("harbor")

    summary = ledger.record([rec.member()])

    assert summary["unchanged"] == 1
    assert ledger.sync("harbor").processed == 0
    assert books.write_counts() == {("member", "M1", "create"): 1}


def test_a_change_before_sending_replaces_the_item_in_place_with_a_new_key(
    ledger, rec, world, books
):
    ledger.record([rec.member(name="Ann")])
    first = world.row(ledger, world.item(ledger, "member", "M1").id)

    summary = ledger.record([rec.member(name="Ann Smith")])

    assert summary["updated"] == 1
    assert len(ledger.items()) == 1
    second = world.row(ledger, first.id)
    assert second.generation == first.generation + 1
    assert second.idempotency_key != first.idempotency_key
    assert second.payload_hash != first.payload_hash
    ledger.sync("harbor")
    assert books.write_counts() == {("member", "M1", "create"): 1}
    assert books.body("member", "M1")["display_name"] == "Ann Smith"


def test_a_change_after_sync_becomes_an_update_of_the_remote_record(ledger, rec, world, books):
    ledger.record([rec.member(name="Ann")])
    ledger.sync("harbor")

    summary = ledger.record([rec.member(name="Ann Smith")])

    assert summary["updated"] == 1
    update = world.item(ledger, "member", "M1", "update")
    assert update.status == "pending"
    assert world.item(ledger, "member", "M1").status == "synced"
    ledger.sync("harbor")
    assert world.item(ledger, "member", "M1", "update").status == "synced"
    assert books.write_counts() == {("member", "M1", "create"): 1,
                                    ("member", "M1", "update"): 1}
    assert books.body("member", "M1")["display_name"] == "Ann Smith"


def test_an_update_waits_for_the_record_itself_to_exist_remotely(ledger, rec, world, books,
                                                                  clock):
    ledger.record([rec.member(name="Ann")])
    world.fail_next(ledger, "transient")
    ledger.sync("harbor")
    assert world.item(ledger, "member", "M1").status == "retry_wait"

    ledger.record([rec.member(name="Ann Smith")])
    update = world.item(ledger, "member", "M1", "update")
    with ledger._database.connect() as conn:
        deps = conn.execute(sa.select(sync_item_dependencies.c.kind,
                                      sync_item_dependencies.c.mms_id)
                            .where(sync_item_dependencies.c.item_id == update.id)).all()
    assert [tuple(d) for d in deps] == [("member", "M1")]

    ledger.sync("harbor")  # the create is not due yet: the update must not go first
    update = world.item(ledger, "member", "M1", "update")
    assert update.status == "blocked"
    assert "member 'M1'" in update.reason
    assert "retry_wait" in update.reason

    clock.advance(60)
    ledger.sync("harbor")  # the create syncs, and the update follows it in the same run
    assert world.statuses(ledger) == {("member", "M1", "create"): "synced",
                                      ("member", "M1", "update"): "synced"}
    assert books.write_order() == [("member", "M1", "create"), ("member", "M1", "update")]
    assert books.body("member", "M1")["display_name"] == "Ann Smith"


class RecordDuringExport:
    """Records a newer version of a record while the engine is exporting it."""

    def __init__(self, when: tuple[str, str], newer: Any) -> None:
        self.when = when
        self.newer = newer
        self.ledger: Any = None
        self.done = False

    @hookimpl(wrapper=True)
    def ledgersync_export(self, request):
        if not self.done and (request.kind, request.operation.value) == self.when:
            self.done = True
            self.ledger.record([self.newer])
        return (yield)


def test_a_change_while_an_update_is_in_flight_is_deferred_and_sent_after_it(
    world, rec, books
):
    plugin = RecordDuringExport(("member", "update"), rec.member(name="Ann Jones"))
    ledger = world.open(plugins=(plugin,))
    plugin.ledger = ledger
    ledger.record([rec.member(name="Ann")])
    ledger.sync("harbor")
    ledger.record([rec.member(name="Ann Smith")])

    ledger.sync("harbor")

    assert plugin.done
    update = world.item(ledger, "member", "M1", "update")
    assert update.status == "synced"
    assert books.write_counts()[("member", "M1", "update")] == 2
    assert books.body("member", "M1")["display_name"] == "Ann Jones"
    reasons = [e.reason for e in ledger.history(update.id)]
    assert any("being sent" in (r or "") for r in reasons)
    # The newer version went out under its own idempotency key.
    assert world.row(ledger, update.id).generation == 2


def test_a_change_while_the_create_is_in_flight_is_sent_as_an_update_after_it(world, rec,
                                                                               books):
    plugin = RecordDuringExport(("member", "create"), rec.member(name="Ann Smith"))
    ledger = world.open(plugins=(plugin,))
    plugin.ledger = ledger
    ledger.record([rec.member(name="Ann")])

    ledger.sync("harbor")

    assert world.statuses(ledger) == {("member", "M1", "create"): "synced",
                                      ("member", "M1", "update"): "synced"}
    assert books.write_order() == [("member", "M1", "create"), ("member", "M1", "update")]
    assert books.body("member", "M1")["display_name"] == "Ann Smith"


def test_voiding_a_record_that_was_never_sent_clears_it(ledger, rec, world, books):
    ledger.record([rec.member(), rec.invoice()])

    summary = ledger.record([rec.invoice(voided=True)])

    assert summary["voided"] == 1
    cleared = world.item(ledger, "invoice", "I1")
    assert cleared.status == "cleared"
    assert "voided" in cleared.reason
    ledger.sync("harbor")
    assert ("invoice", "I1", "create") not in books.write_counts()
    assert world.item(ledger, "invoice", "I1").status == "cleared"


def test_voiding_the_same_record_again_is_no_new_work(ledger, rec, world):
    ledger.record([rec.member(), rec.invoice()])
    ledger.record([rec.invoice(voided=True)])
    cleared = world.item(ledger, "invoice", "I1")
    events = len(ledger.history(cleared.id))

    summary = ledger.record([rec.invoice(voided=True)])

    assert summary["unchanged"] == 1
    assert summary["voided"] == 0
    assert len(ledger.history(cleared.id)) == events


def test_voiding_a_synced_record_queues_a_void_that_is_sent(ledger, rec, world, books):
    ledger.record([rec.member(), rec.invoice()])
    ledger.sync("harbor")

    summary = ledger.record([rec.invoice(voided=True)])

    assert summary["voided"] == 1
    assert world.item(ledger, "invoice", "I1", "void").status == "pending"
    ledger.sync("harbor")
    assert world.item(ledger, "invoice", "I1", "void").status == "synced"
    assert books.write_counts()[("invoice", "I1", "void")] == 1
    assert books.customer_balances().get("M1", 0) == 0  # the voided invoice no longer counts
    assert ledger.record([rec.invoice(voided=True)])["unchanged"] == 1


class MembersOnly(FakeConnector):
    name: ClassVar[str] = "members_only"
    supported_kinds: ClassVar[frozenset[str]] = frozenset({"member"})


def test_a_kind_the_connector_does_not_export_is_not_queued(world, rec):
    ledger = world.open({"harbor": {}, "club": {"connector": "members_only"}},
                        plugins=(connector_plugin(MembersOnly),))

    summary = ledger.record([rec.member(), rec.invoice()])

    assert (summary["new"], summary["unsupported"]) == (3, 1)
    assert world.statuses(ledger, "club") == {("member", "M1", "create"): "pending"}
    assert ("invoice", "I1", "create") in world.statuses(ledger, "harbor")


def test_recording_inside_the_callers_transaction_rolls_back_with_it(ledger, rec):
    def mms_write_that_fails() -> None:
        with ledger._database.begin() as conn:
            ledger.record([rec.member()], connection=conn)
            raise RuntimeError("the MMS write failed")

    with pytest.raises(RuntimeError):
        mms_write_that_fails()

    assert ledger.items(ItemFilter(kind="member")) == []


def test_recording_only_for_the_named_companies(world, rec):
    ledger = world.open({"harbor": {}, "marina": {}})

    ledger.record([rec.member()], companies=["marina"])

    assert world.statuses(ledger, "harbor") == {}
    assert world.statuses(ledger, "marina") == {("member", "M1", "create"): "pending"}

