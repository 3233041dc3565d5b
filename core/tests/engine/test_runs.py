"""Runs, their sections and messages, the scheduler's tick, and the limits of run_pending."""

from __future__ import annotations

import attrs

from ledgersync import hookimpl


def sections(run):
    return {s.kind: (s.ok, s.warning, s.error) for s in run.sections}


def test_a_run_counts_ok_warning_and_error_per_kind_with_messages(ledger, rec, world):
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob"), rec.invoice("I1", "M1"),
                   rec.invoice("I2", "M2")])
    world.fail_next(ledger, "transient", "inactive")  # M1 waits, then M2 needs a person

    summary = ledger.sync("harbor")

    [run] = ledger.runs()
    assert run.status == "finished"
    assert summary.runs_finished == [run.id]
    assert sections(run) == {"member": (0, 1, 1), "invoice": (0, 2, 0)}
    by_item = {(m.kind, m.status, m.level, m.code) for m in run.messages}
    assert ("member", "retry_wait", "warning", "transient") in by_item
    assert ("member", "error", "error", "inactive") in by_item
    assert ("invoice", "blocked", "warning", None) in by_item
    assert all(m.reason for m in run.messages)


def test_a_run_counts_each_item_once_by_its_last_outcome(ledger, rec, world):
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob"), rec.invoice("I1")])
    world.fail_next(ledger, "throttle")  # M1 waits 1 s; M2 and I1 go back and wait with it

    ledger.sync("harbor")

    [run] = ledger.runs()
    assert sections(run) == {"member": (2, 0, 0), "invoice": (1, 0, 0)}
    assert any("throttled" in m.reason for m in run.messages)  # the wait is still told


def test_a_run_stays_open_while_a_throttled_item_falls_due_within_the_linger(ledger, rec,
                                                                             world, clock):
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob")])
    world.fail_next(ledger, "throttle")
    start = clock.now

    summary = ledger.sync("harbor")

    assert summary.outcomes == {"retry_wait": 1, "synced": 2}
    assert len(ledger.runs()) == 1
    assert set(world.statuses(ledger).values()) == {"synced"}
    assert (clock.now - start).total_seconds() >= 1.0  # it waited out the throttle


def test_a_run_does_not_wait_for_a_retry_beyond_the_linger(ledger, rec, world, clock):
    ledger.record([rec.member()])
    world.fail_next(ledger, "transient")
    start = clock.now

    ledger.sync("harbor")

    [run] = ledger.runs()
    assert run.status == "finished"
    assert world.item(ledger, "member", "M1").status == "retry_wait"
    assert (clock.now - start).total_seconds() < ledger._context.settings.linger_seconds


# -- tick ------------------------------------------------------------------------------------


def test_tick_opens_runs_only_for_due_schedules_and_never_for_disabled_companies(world, rec,
                                                                                 clock):
    ledger = world.open({"harbor": {"schedule": "1h"}, "marina": {"schedule": "manual"},
                         "closed": {"enabled": False, "schedule": "15m"}})

    opened = ledger.tick()

    assert [r.company for r in ledger.runs() if r.id in opened] == ["harbor"]
    assert ledger.tick() == []  # not due again yet
    ledger.run_pending()
    clock.advance(minutes=30)
    assert ledger.tick() == []
    clock.advance(minutes=35)
    [again] = ledger.tick()
    assert {r.company for r in ledger.runs()} == {"harbor"}
    assert again != opened[0]


def test_tick_coalesces_missed_runs_into_one(world, clock):
    ledger = world.open({"harbor": {"schedule": "1h"}})
    ledger.tick()
    ledger.run_pending()

    clock.advance(hours=5)
    opened = ledger.tick()

    assert len(opened) == 1
    assert ledger.tick() == []
    assert len(ledger.runs()) == 2


def test_tick_opens_no_second_run_while_one_is_open(world, clock):
    ledger = world.open({"harbor": {"schedule": "1h"}})
    [first] = ledger.tick()

    clock.advance(hours=2)

    assert ledger.tick() == []
    assert [r.id for r in ledger.runs()] == [first]


def test_run_now_collapses_repeated_clicks(ledger):
    first = ledger.run_now("harbor")

    assert first is not None
    assert ledger.run_now("harbor") is None


def test_a_disabled_company_is_never_synced(world, rec):
    ledger = world.open({"harbor": {}, "closed": {"enabled": False}})
    ledger.record([rec.member()])

    assert ledger.run_now("closed") is None
    assert ledger.sync("closed").processed == 0
    ledger.run_now("harbor")
    summary = ledger.run_pending()

    assert summary.outcomes == {"synced": 1}
    assert world.statuses(ledger, "closed") == {("member", "M1", "create"): "pending"}
    assert world.books("closed").write_counts() == {}
    assert {r.company for r in ledger.runs()} == {"harbor"}


# -- run_pending limits ----------------------------------------------------------------------


def test_run_pending_stops_after_max_items(ledger, rec, world):
    ledger.record([rec.member(f"M{n}", name=f"Member {n}") for n in range(5)])
    ledger.run_now("harbor")

    summary = ledger.run_pending(max_items=2)

    assert summary.processed == 2
    counts = ledger.status_counts("harbor")
    assert counts == {("harbor", "synced"): 2, ("harbor", "pending"): 3}
    [run] = ledger.runs()
    assert run.status == "running"
    assert ledger.run_pending().processed == 3
    assert ledger.runs()[0].status == "finished"


class SlowBooks:
    """Every export takes four seconds of the test clock."""

    def __init__(self, clock) -> None:
        self.clock = clock

    @hookimpl(wrapper=True)
    def ledgersync_export(self, request):
        self.clock.advance(4)
        return (yield)


def test_run_pending_honours_its_deadline_even_within_a_claimed_batch(world, rec, clock,
                                                                       settings):
    ledger = world.open(plugins=(SlowBooks(clock),),
                        settings=attrs.evolve(settings, claim_batch=10))
    ledger.record([rec.member(f"M{n}", name=f"Member {n}") for n in range(6)])
    ledger.run_now("harbor")

    summary = ledger.run_pending(deadline=clock.monotonic() + 10)

    assert summary.processed == 3
    counts = ledger.status_counts("harbor")
    assert counts == {("harbor", "synced"): 3, ("harbor", "pending"): 3}
    assert all(i.attempts == (1 if i.status == "synced" else 0) for i in ledger.items())


def test_run_pending_with_a_past_deadline_claims_nothing(ledger, rec, clock):
    ledger.record([rec.member()])
    ledger.run_now("harbor")

    summary = ledger.run_pending(deadline=clock.monotonic() - 1)

    assert summary.processed == 0
    assert ledger.status_counts("harbor") == {("harbor", "pending"): 1}


def test_run_pending_reports_each_item_to_the_caller(ledger, rec):
    ledger.record([rec.member(), rec.invoice()])
    seen = []

    ledger.sync("harbor", on_item=lambda item, outcome: seen.append((item.kind, outcome)))

    assert seen == [("member", "synced"), ("invoice", "synced")]


def test_the_scheduler_waits_on_the_ledgers_clock_not_the_process_clock(
        world, rec, clock, monkeypatch):
    import time

    from ledgersync._engine.claims import claim

    ledger = world.open()
    ledger.record([rec.member()])
    claim(ledger._context, "harbor", owner="other-worker", limit=10, run_id=None)
    ledger.run_now("harbor")
    started = clock.monotonic()
    process_sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", process_sleeps.append)

    ledger.run_pending(deadline=clock.monotonic() + 50)  # within the other worker's lease

    assert clock.monotonic() - started >= 49  # polled for 50 s of the ledger's clock ...
    assert process_sleeps == []  # ... slept by that clock, never by the process's


def test_coinciding_ticks_of_several_workers_open_one_run_and_never_fail(world):
    # Four workers (one ledger each, like four processes) tick at once, many times: on
    # PostgreSQL the read-then-insert of schedules and runs raced into UniqueViolation.
    import threading

    ledgers = [world.open({f"c{n}": {"schedule": "1h"} for n in range(5)},
                          worker_name=f"worker-{w}") for w in range(4)]
    start = threading.Barrier(len(ledgers))
    opened: list[int] = []
    errors: list[BaseException] = []

    def tick(ledger) -> None:
        start.wait()
        for _ in range(10):
            try:
                opened.extend(ledger.tick())
            except BaseException as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=tick, args=(ledger,)) for ledger in ledgers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    runs = ledgers[0].runs()
    assert sorted(r.company for r in runs) == [f"c{n}" for n in range(5)]
    assert sorted(opened) == sorted(r.id for r in runs)
