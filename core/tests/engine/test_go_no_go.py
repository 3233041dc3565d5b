"""Go/no-go: the in-sync date, plugin votes, a person's marks, and moving the in-sync date."""

from __future__ import annotations

import datetime as dt

from ledgersync import GoNoGo, ItemFilter, Status, hookimpl

JAN_15, FEB_1, FEB_15, MAR_1 = (dt.date(2026, 1, 15), dt.date(2026, 2, 1), dt.date(2026, 2, 15),
                                dt.date(2026, 3, 1))


class HoldMemo:
    """Votes no-go on documents whose memo says "hold"."""

    def __init__(self, reason: str = "the treasurer holds this one") -> None:
        self.reason = reason

    @hookimpl
    def ledgersync_mark_go_no_go(self, company, record):
        if getattr(record, "memo", None) == "hold":
            return GoNoGo.no_go(self.reason)
        return None


class AlwaysGo:
    @hookimpl
    def ledgersync_mark_go_no_go(self, record):
        return GoNoGo.go("looks fine")


def test_a_transaction_dated_before_the_in_sync_date_is_no_go_with_the_reason(world, rec,
                                                                              books):
    ledger = world.open({"harbor": {"in_sync_date": FEB_1}})

    ledger.record([rec.member(), rec.invoice("I1", date=JAN_15), rec.invoice("I2", date=FEB_1)])

    held = world.item(ledger, "invoice", "I1")
    assert held.status == "no_go"
    assert held.reason == "dated 2026-01-15, before the in-sync date 2026-02-01"
    assert world.item(ledger, "invoice", "I2").status == "pending"
    assert world.item(ledger, "member", "M1").status == "pending"  # undated: never held
    ledger.sync("harbor")
    assert ("invoice", "I1", "create") not in books.write_counts()
    assert books.write_counts()[("invoice", "I2", "create")] == 1


def test_a_plugin_voting_no_go_holds_the_item_with_its_reason(world, rec, books):
    ledger = world.open(plugins=(HoldMemo(),))

    ledger.record([rec.member(), rec.invoice("I1", memo="hold"), rec.invoice("I2")])

    held = world.item(ledger, "invoice", "I1")
    assert (held.status, held.reason) == ("no_go", "the treasurer holds this one")
    ledger.sync("harbor")
    assert world.item(ledger, "invoice", "I1").status == "no_go"
    assert ("invoice", "I1", "create") not in books.write_counts()


def test_any_no_go_vote_wins_over_go_votes(world, rec):
    ledger = world.open(plugins=(AlwaysGo(), HoldMemo(), AlwaysGo()))

    ledger.record([rec.member(), rec.invoice("I1", memo="hold"), rec.invoice("I2")])

    assert world.item(ledger, "invoice", "I1").status == "no_go"
    assert world.item(ledger, "invoice", "I2").status == "pending"


def test_every_no_go_reason_is_shown(world, rec):
    ledger = world.open({"harbor": {"in_sync_date": FEB_1}},
                        plugins=(HoldMemo("first reason"), HoldMemo("second reason")))

    ledger.record([rec.member(), rec.invoice(memo="hold", date=JAN_15)])

    reason = world.item(ledger, "invoice", "I1").reason
    for part in ("before the in-sync date", "first reason", "second reason"):
        assert part in reason


def test_a_manual_go_mark_overrides_the_in_sync_date_and_sticks(world, rec, books):
    ledger = world.open({"harbor": {"in_sync_date": FEB_1}})
    ledger.record([rec.member(), rec.invoice(date=JAN_15)])
    held = world.item(ledger, "invoice", "I1")

    marked = ledger.mark(ItemFilter(ids=[held.id]), "go", actor="frank",
                         reason="opening balance invoice")

    assert marked == 1
    item = world.item(ledger, "invoice", "I1")
    assert (item.status, item.mark) == ("pending", "go")
    ledger.record([rec.invoice(date=JAN_15, amount="120.00")])  # changed: the mark stays
    assert world.item(ledger, "invoice", "I1").status == "pending"
    ledger.set_in_sync_date("harbor", FEB_15)
    assert world.item(ledger, "invoice", "I1").status == "pending"
    ledger.sync("harbor")
    assert books.write_counts()[("invoice", "I1", "create")] == 1


def test_a_manual_go_mark_overrides_a_plugin_no_go(world, rec, books):
    ledger = world.open(plugins=(HoldMemo(),))
    ledger.record([rec.member(), rec.invoice(memo="hold")])

    ledger.mark(ItemFilter(kind="invoice"), "go", actor="frank")
    ledger.sync("harbor")

    assert world.item(ledger, "invoice", "I1").status == "synced"


def test_mass_mark_by_date_range_kind_and_member(ledger, rec, world):
    ledger.record([
        rec.member("M1"), rec.member("M2", name="Bob"),
        rec.invoice("I1", date=JAN_15), rec.invoice("I2", date=FEB_1),
        rec.invoice("I3", date=FEB_15), rec.invoice("I4", date=MAR_1),
        rec.invoice("I5", "M2", date=FEB_1), rec.payment("P1", invoice_id="I2", date=FEB_1),
    ])

    marked = ledger.mark(ItemFilter(company="harbor", kind="invoice", member="M1",
                                    date_from=FEB_1, date_to=FEB_15),
                         "no_go", actor="eve", reason="disputed")

    assert marked == 2
    held = {i.mms_id for i in ledger.items(ItemFilter(status=[Status.NO_GO]))}
    assert held == {"I2", "I3"}
    item = world.item(ledger, "invoice", "I2")
    assert item.reason == "disputed (by eve)"
    assert item.mark == "no_go"


def test_marks_are_audited_and_reversible(ledger, rec, world, books):
    ledger.record([rec.member(), rec.invoice()])
    invoice = world.item(ledger, "invoice", "I1")

    ledger.mark(ItemFilter(ids=[invoice.id]), "no_go", actor="eve", reason="disputed")
    ledger.sync("harbor")
    assert world.item(ledger, "invoice", "I1").status == "no_go"
    ledger.mark(ItemFilter(ids=[invoice.id]), "go", actor="frank", reason="settled")

    history = [(e.actor, e.from_status, e.to_status, e.reason)
               for e in ledger.history(invoice.id)]
    assert ("eve", "pending", "no_go", "disputed (by eve)") in history
    assert ("frank", "no_go", "pending", "settled (by frank)") in history
    ledger.sync("harbor")
    assert books.write_counts()[("invoice", "I1", "create")] == 1


def test_a_no_go_mark_survives_a_change_in_the_mms(ledger, rec, world):
    ledger.record([rec.member(), rec.invoice()])
    ledger.mark(ItemFilter(kind="invoice"), "no_go", actor="eve", reason="disputed")

    ledger.record([rec.invoice(amount="150.00")])

    held = world.item(ledger, "invoice", "I1")
    assert (held.status, held.reason) == ("no_go", "disputed")


def test_moving_the_in_sync_date_holds_and_releases_items_both_ways(ledger, rec, world):
    ledger.record([rec.member(), rec.invoice("I1", date=JAN_15), rec.invoice("I2", date=FEB_15),
                   rec.invoice("I3", date=MAR_1)])

    assert ledger.set_in_sync_date("harbor", MAR_1, actor="gina") == (2, 0)
    assert world.statuses(ledger) == {
        ("member", "M1", "create"): "pending", ("invoice", "I1", "create"): "no_go",
        ("invoice", "I2", "create"): "no_go", ("invoice", "I3", "create"): "pending"}
    event = ledger.history(world.item(ledger, "invoice", "I2").id)[-1]
    assert event.actor == "gina"
    assert "before the in-sync date 2026-03-01" in event.reason

    assert ledger.set_in_sync_date("harbor", FEB_1) == (0, 1)
    assert world.item(ledger, "invoice", "I2").status == "pending"
    assert world.item(ledger, "invoice", "I1").status == "no_go"
    [company] = ledger.companies()
    assert company.in_sync_date == FEB_1
    # New records follow the stored date, not only the config's.
    ledger.record([rec.invoice("I4", date=JAN_15)])
    assert world.item(ledger, "invoice", "I4").status == "no_go"


def test_moving_the_in_sync_date_keeps_a_person_no_go_mark(ledger, rec, world):
    ledger.record([rec.member(), rec.invoice(date=JAN_15)])
    ledger.set_in_sync_date("harbor", FEB_1)
    ledger.mark(ItemFilter(kind="invoice"), "no_go", actor="eve", reason="disputed")

    ledger.set_in_sync_date("harbor", JAN_15)

    assert world.item(ledger, "invoice", "I1").status == "no_go"


def test_moving_the_in_sync_date_does_not_release_what_a_plugin_still_holds(world, rec):
    ledger = world.open({"harbor": {"in_sync_date": FEB_1}}, plugins=(HoldMemo(),))
    ledger.record([rec.member(), rec.invoice(date=JAN_15, memo="hold")])

    held, released = ledger.set_in_sync_date("harbor", JAN_15)

    assert (held, released) == (0, 0)
    item = world.item(ledger, "invoice", "I1")
    assert item.status == "no_go"
    assert "the treasurer holds this one" in item.reason


def test_released_items_of_a_reviewed_company_wait_for_approval(world, rec):
    ledger = world.open({"harbor": {"in_sync_date": FEB_1, "approval_required": True}})
    ledger.record([rec.invoice(date=JAN_15)])

    ledger.set_in_sync_date("harbor", JAN_15)

    assert world.item(ledger, "invoice", "I1").status == "awaiting_approval"
