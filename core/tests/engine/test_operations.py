"""What a person does: approve, requeue, unlink ("clear id"), resync."""

from __future__ import annotations

import pytest

from ledgersync import ItemFilter, ItemNotFoundError, Status, record_from_json


@pytest.fixture
def reviewed(world):
    return world.open({"harbor": {"approval_required": True}})


def test_a_company_that_requires_approval_holds_new_transactions_for_review(reviewed, rec,
                                                                            world, books):
    reviewed.record([rec.member(), rec.invoice()])

    waiting = world.item(reviewed, "invoice", "I1")
    assert (waiting.status, waiting.reason) == ("awaiting_approval", "waits for review")
    assert reviewed.sync("harbor").processed == 1  # the member only
    assert books.write_counts() == {("member", "M1", "create"): 1}


@pytest.mark.parametrize("kind", ["member", "item", "gl_account", "tax_rate"])
def test_reference_records_do_not_wait_for_approval(reviewed, world, kind):
    record = {"member": {"display_name": "Ann"},
              "item": {"name": "Dues", "income_account_id": "4000"},
              "gl_account": {"number": "4000", "name": "Dues", "account_type": "income"},
              "tax_rate": {"name": "State", "rate": "6.25"}}[kind]
    reviewed.record([record_from_json({"kind": kind, "mms_id": "R1", **record})])
    assert world.item(reviewed, kind, "R1").status == "pending"


def test_approving_a_selection_releases_it_and_keeps_the_rest_waiting(reviewed, rec, world,
                                                                        books):
    reviewed.record([rec.member(), rec.invoice("I1"), rec.invoice("I2")])
    chosen = world.item(reviewed, "invoice", "I1")

    assert reviewed.approve("harbor", [chosen.id], actor="hana") == (1, 0)

    assert world.statuses(reviewed) == {("member", "M1", "create"): "pending",
                                        ("invoice", "I1", "create"): "pending",
                                        ("invoice", "I2", "create"): "awaiting_approval"}
    assert ledger_event(reviewed, chosen.id) == ("hana", "awaiting_approval", "pending",
                                                 "approved by hana")
    reviewed.sync("harbor")
    assert books.write_counts() == {("member", "M1", "create"): 1,
                                    ("invoice", "I1", "create"): 1}


def test_approving_with_unchecked_clear_clears_the_rest_for_good(reviewed, rec, world, books):
    invoices = [rec.invoice("I1"), rec.invoice("I2"), rec.invoice("I3")]
    reviewed.record([rec.member(), *invoices])
    chosen = world.item(reviewed, "invoice", "I1")

    assert reviewed.approve("harbor", [chosen.id], unchecked="clear", actor="hana") == (1, 2)

    assert world.statuses(reviewed) == {("member", "M1", "create"): "pending",
                                        ("invoice", "I1", "create"): "pending",
                                        ("invoice", "I2", "create"): "cleared",
                                        ("invoice", "I3", "create"): "cleared"}
    summary = reviewed.record(invoices[1:])
    assert summary["unchanged"] == 2
    reviewed.sync("harbor")
    assert world.item(reviewed, "invoice", "I2").status == "cleared"
    assert books.write_counts() == {("member", "M1", "create"): 1,
                                    ("invoice", "I1", "create"): 1}


def test_approving_everything_waiting(reviewed, rec, world):
    reviewed.record([rec.member(), rec.invoice("I1"), rec.invoice("I2")])

    assert reviewed.approve("harbor") == (2, 0)
    assert set(world.statuses(reviewed).values()) == {"pending"}


def test_approving_an_item_that_is_not_waiting_is_refused(reviewed, ledger, rec, world):
    reviewed.record([rec.member(), rec.invoice()])
    item = world.item(reviewed, "invoice", "I1")
    reviewed.approve("harbor", [item.id])

    with pytest.raises(ItemNotFoundError, match="not awaiting approval"):
        reviewed.approve("harbor", [item.id])
    with pytest.raises(ValueError, match="keep"):
        reviewed.approve("harbor", unchecked="drop")


def ledger_event(ledger, item_id):
    last = ledger.history(item_id)[-1]
    return (last.actor, last.from_status, last.to_status, last.reason)


# -- requeue ---------------------------------------------------------------------------------


def test_requeueing_a_failed_item_puts_it_back_to_pending_with_a_fresh_key(ledger, rec, world,
                                                                            books):
    ledger.record([rec.member()])
    world.fail_next(ledger, "inactive")
    ledger.sync("harbor")
    failed = world.item(ledger, "member", "M1")
    key_before = world.row(ledger, failed.id).idempotency_key

    assert ledger.requeue(ItemFilter(ids=[failed.id]), actor="ivan") == 1

    again = world.item(ledger, "member", "M1")
    assert (again.status, again.attempts, again.error_code, again.error_remedy) == (
        "pending", 0, None, None)
    assert world.row(ledger, failed.id).idempotency_key != key_before
    assert ledger_event(ledger, failed.id) == ("ivan", "error", "pending", "requeued")
    ledger.sync("harbor")
    assert books.write_counts() == {("member", "M1", "create"): 1}


def test_requeueing_a_filtered_set_touches_only_the_failed_items_it_matches(ledger, rec, world):
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob"), rec.member("M3", name="Cy")])
    world.fail_next(ledger, "inactive", "inactive")
    ledger.sync("harbor")
    assert [i.mms_id for i in ledger.items(ItemFilter(status=[Status.ERROR]))] == ["M1", "M2"]

    count = ledger.requeue(ItemFilter(company="harbor", kind="member"))

    assert count == 2
    assert world.statuses(ledger) == {("member", "M1", "create"): "pending",
                                      ("member", "M2", "create"): "pending",
                                      ("member", "M3", "create"): "synced"}


def test_requeueing_an_unknown_id_names_it(ledger):
    with pytest.raises(ItemNotFoundError, match="no sync item with id 999"):
        ledger.requeue(ItemFilter(ids=[999]))


def test_requeueing_a_waiting_retry_keeps_its_key(ledger, rec, world):
    ledger.record([rec.member()])
    world.fail_next(ledger, "transient")
    ledger.sync("harbor")
    waiting = world.item(ledger, "member", "M1")
    key = world.row(ledger, waiting.id).idempotency_key

    ledger.requeue(ItemFilter(ids=[waiting.id]))

    assert world.item(ledger, "member", "M1").status == "pending"
    assert world.row(ledger, waiting.id).idempotency_key == key  # the last try may have landed


# -- unlink and resync -----------------------------------------------------------------------


def test_unlinking_a_record_deleted_remotely_creates_it_again_on_the_next_run(ledger, rec,
                                                                              world, books):
    ledger.record([rec.member(name="Ann")])
    ledger.sync("harbor")
    first_id = world.item(ledger, "member", "M1").external_id
    books.delete("member", "M1")  # a bookkeeper deleted the customer by hand
    ledger.record([rec.member(name="Ann Smith")])
    ledger.sync("harbor")
    update = world.item(ledger, "member", "M1", "update")
    assert (update.status, update.error_code) == ("error", "missing")
    assert "ledgersync unlink" in update.error_remedy

    assert ledger.unlink(ItemFilter(kind="member", mms_id="M1"), actor="jo") == 1

    assert world.item(ledger, "member", "M1").status == "pending"
    assert world.item(ledger, "member", "M1", "update").status == "cleared"
    ledger.sync("harbor")
    recreated = world.item(ledger, "member", "M1")
    assert recreated.status == "synced"
    assert recreated.external_id != first_id
    assert books.body("member", "M1")["display_name"] == "Ann Smith"  # the latest content
    assert books.record_count("member") == 1
    assert books.write_counts()[("member", "M1", "create")] == 2


def test_resyncing_a_synced_item_queues_an_update_of_the_remote_record(ledger, rec, world,
                                                                        books):
    ledger.record([rec.member()])
    ledger.sync("harbor")

    assert ledger.resync(ItemFilter(kind="member"), actor="kim") == 1

    update = world.item(ledger, "member", "M1", "update")
    assert update.status == "pending"
    ledger.sync("harbor")
    assert world.item(ledger, "member", "M1", "update").status == "synced"
    assert books.write_counts() == {("member", "M1", "create"): 1,
                                    ("member", "M1", "update"): 1}
    # Resyncing again reuses the update item with a fresh key.
    key = world.row(ledger, update.id).idempotency_key
    assert ledger.resync(ItemFilter(kind="member")) == 1
    assert world.row(ledger, update.id).idempotency_key != key
    ledger.sync("harbor")
    assert books.write_counts()[("member", "M1", "update")] == 2


def test_resync_ignores_items_that_are_not_synced(ledger, rec):
    ledger.record([rec.member()])

    assert ledger.resync(ItemFilter(kind="member")) == 0
