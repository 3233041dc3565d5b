"""Dependencies: a document waits for its customer, its invoice, its accounts; mapping frees it."""

from __future__ import annotations


def test_an_invoice_whose_member_is_not_recorded_is_blocked_naming_the_member(ledger, rec,
                                                                             world, books):
    ledger.record([rec.invoice()])

    ledger.sync("harbor")

    blocked = world.item(ledger, "invoice", "I1")
    assert blocked.status == "blocked"
    assert "member 'M1' (member_id)" in blocked.reason
    assert "neither recorded nor mapped" in blocked.reason
    assert blocked.attempts == 0  # waiting is not a failed attempt
    assert books.write_counts() == {}


def test_a_blocked_invoice_moves_on_by_itself_in_the_run_where_its_member_syncs(ledger, rec,
                                                                               world, books):
    ledger.record([rec.invoice()])
    ledger.sync("harbor")

    ledger.record([rec.member()])
    summary = ledger.sync("harbor")

    assert summary.outcomes["synced"] == 2
    assert world.statuses(ledger) == {("member", "M1", "create"): "synced",
                                      ("invoice", "I1", "create"): "synced"}
    assert books.write_order() == [("member", "M1", "create"), ("invoice", "I1", "create")]
    [last_run] = ledger.runs(limit=1)
    assert {s.kind: s.ok for s in last_run.sections} == {"member": 1, "invoice": 1}


def test_an_invoice_waits_while_its_member_retries_and_follows_it(ledger, rec, world, books,
                                                                   clock):
    ledger.record([rec.member(), rec.invoice()])
    world.fail_next(ledger, "transient")
    ledger.sync("harbor")
    blocked = world.item(ledger, "invoice", "I1")
    assert blocked.status == "blocked"
    assert blocked.reason == "waits for member 'M1' (member_id), now retry_wait"

    clock.advance(60)
    ledger.sync("harbor")

    assert world.item(ledger, "invoice", "I1").status == "synced"
    assert books.write_counts() == {("member", "M1", "create"): 1,
                                    ("invoice", "I1", "create"): 1}


def test_blocked_items_are_released_in_dependency_order(ledger, rec, world, books):
    ledger.record([rec.payment(), rec.invoice()])  # recorded backwards, member missing
    ledger.sync("harbor")
    assert world.item(ledger, "invoice", "I1").status == "blocked"
    payment = world.item(ledger, "payment", "P1")
    assert payment.status == "blocked"
    assert "member 'M1'" in payment.reason

    ledger.record([rec.member()])
    ledger.sync("harbor")

    assert set(world.statuses(ledger).values()) == {"synced"}
    assert books.write_order() == [("member", "M1", "create"), ("invoice", "I1", "create"),
                                   ("payment", "P1", "create")]


def test_a_payment_waits_for_the_invoice_it_applies_to(ledger, rec, world):
    ledger.record([rec.member(), rec.payment()])

    ledger.sync("harbor")

    payment = world.item(ledger, "payment", "P1")
    assert payment.status == "blocked"
    assert "invoice 'I1' (applications[0].invoice_id)" in payment.reason


def test_a_reference_neither_recorded_nor_mapped_says_how_to_map_it(ledger, rec, world):
    ledger.record([rec.member(), rec.invoice(account="GL-9999")])

    ledger.sync("harbor")

    blocked = world.item(ledger, "invoice", "I1")
    assert blocked.status == "blocked"
    assert "gl account 'GL-9999' (lines[0].account_id)" in blocked.reason
    assert "`ledgersync map account`" in blocked.reason


def test_mapping_the_missing_reference_releases_the_blocked_items(ledger, rec, world, books):
    ledger.record([rec.member(), rec.invoice("I1", account="GL-9999"),
                   rec.invoice("I2", account="GL-9999")])
    ledger.sync("harbor")

    released = ledger.map("harbor", "gl_account", "GL-9999", "acc-9999", actor="carol")

    assert released == 2
    assert world.item(ledger, "invoice", "I1").status == "pending"
    event = ledger.history(world.item(ledger, "invoice", "I1").id)[-1]
    assert (event.actor, event.from_status, event.to_status) == ("carol", "blocked", "pending")
    assert "mapped to acc-9999" in event.reason
    ledger.sync("harbor")
    assert books.write_counts()[("invoice", "I2", "create")] == 1


def test_a_member_mapped_to_an_existing_customer_is_not_created(ledger, rec, world, books):
    ledger.record([rec.invoice()])
    ledger.map("harbor", "member", "M1", "cust-42")

    ledger.sync("harbor")

    assert world.item(ledger, "invoice", "I1").status == "synced"
    assert ("member", "M1", "create") not in books.write_counts()
    assert books.body("invoice", "I1") is not None


def test_a_member_that_needs_a_person_leaves_its_invoices_blocked_not_failed(ledger, rec, world):
    ledger.record([rec.member(), rec.invoice()])
    world.fail_next(ledger, "inactive")

    ledger.sync("harbor")

    assert world.item(ledger, "member", "M1").status == "error"
    blocked = world.item(ledger, "invoice", "I1")
    assert blocked.status == "blocked"
    assert blocked.reason.endswith("now error")


def test_an_item_is_not_left_blocked_when_its_dependency_syncs_while_it_decides(
        world, rec, monkeypatch):
    # Worker B reads that the invoice's member has no remote id; before B writes "blocked",
    # worker A syncs the member and releases its dependents (none blocked yet). B must see
    # that under its write, or the invoice waits for the next run (an hour, or for ever
    # with a manual schedule).
    from ledgersync._engine.claims import claim
    from ledgersync._engine.export import ItemExporter
    from ledgersync._engine.requests import RequestBuilder

    worker_a = world.open(worker_name="worker-a")
    worker_b = world.open(worker_name="worker-b")
    worker_a.record([rec.member(), rec.invoice()])
    worker_a.run_now("harbor")
    [member] = claim(worker_a._context, "harbor", owner="worker-a", limit=1, run_id=None)
    [invoice] = claim(worker_b._context, "harbor", owner="worker-b", limit=1, run_id=None)
    assert (member.kind, invoice.kind) == ("member", "invoice")

    resolve = RequestBuilder.resolve

    def a_syncs_the_member_meanwhile(self, item):
        found = resolve(self, item)
        if item.id == invoice.id:
            ItemExporter(worker_a._context).process(member)
        return found

    monkeypatch.setattr(RequestBuilder, "resolve", a_syncs_the_member_meanwhile)
    outcome = ItemExporter(worker_b._context).process(invoice)

    assert outcome.status is not None
    assert outcome.status.value == "pending"
    assert world.item(worker_b, "member", "M1").status == "synced"
    assert world.item(worker_b, "invoice", "I1").status == "pending"
    worker_b.sync("harbor")
    assert world.item(worker_b, "invoice", "I1").status == "synced"
