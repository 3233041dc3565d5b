"""What each kind of failure does: retries with backoff, throttles, pauses, stale versions,
duplicates, doubts, expired leases and fencing. Exactly once throughout."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import attrs
import pytest

from ledgersync import (
    ConnectorError,
    ExportRequest,
    ItemFilter,
    Operation,
    PushConnector,
    hookimpl,
    record_from_json,
)
from ledgersync._engine.backoff import backoff_seconds
from ledgersync._engine.claims import claim
from ledgersync._engine.export import ItemExporter
from ledgersync.fakebooks import FakeConnector

from ..conftest import SETTINGS


def retry_delay(ledger, found) -> float:
    """Seconds between the failure and the time the item is due again."""
    failed = [e for e in ledger.history(found.id) if e.to_status == "retry_wait"][-1]
    return (found.next_attempt_at - failed.at).total_seconds()


class CountExports:
    """Counts the remote writes the engine attempts (whatever the remote makes of them)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    @hookimpl(wrapper=True)
    def ledgersync_export(self, request):
        self.calls.append((request.kind, request.record.mms_id, request.idempotency_key))
        return (yield)


# -- backoff ---------------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5, 8, 12, 30])
def test_backoff_doubles_per_attempt_within_ten_percent_up_to_the_cap(attempt):
    rng = random.Random(attempt)
    expected = min(3600.0, 30.0 * 2 ** (attempt - 1))
    for _ in range(200):
        delay = backoff_seconds(attempt, base=30.0, cap=3600.0, rng=rng)
        assert 0.9 * expected <= delay <= 1.1 * expected


def test_backoff_jitter_spreads_retries():
    delays = {backoff_seconds(3, base=30.0, cap=3600.0, rng=random.Random(seed))
              for seed in range(20)}
    assert len(delays) > 10


def test_backoff_counts_attempts_from_one():
    with pytest.raises(ValueError, match="from 1"):
        backoff_seconds(0, base=30.0, cap=3600.0)


# -- transient failures ----------------------------------------------------------------------


def test_a_transient_failure_waits_with_backoff_and_then_succeeds(ledger, rec, world, books,
                                                                   clock):
    ledger.record([rec.member()])
    world.fail_next(ledger, "transient")

    ledger.sync("harbor")

    waiting = world.item(ledger, "member", "M1")
    assert (waiting.status, waiting.attempts, waiting.error_code) == ("retry_wait", 1, "transient")
    base = ledger._context.settings.backoff_base_seconds
    assert 0.9 * base - 0.05 <= retry_delay(ledger, waiting) <= 1.1 * base
    assert ledger.sync("harbor").processed == 0  # not due yet

    clock.advance(1.2 * base)
    ledger.sync("harbor")

    done = world.item(ledger, "member", "M1")
    assert (done.status, done.attempts, done.error_code) == ("synced", 2, None)
    assert books.write_counts() == {("member", "M1", "create"): 1}


def test_retries_back_off_exponentially_capped_then_give_up_with_a_remedy(world, rec, clock,
                                                                         settings):
    ledger = world.open(settings=attrs.evolve(settings, backoff_base_seconds=10.0,
                                              backoff_cap_seconds=15.0, max_attempts=4))
    ledger.record([rec.member()])
    world.fail_next(ledger, "transient", "transient", "transient", "transient")

    delays = []
    for _ in range(3):
        ledger.sync("harbor")
        waiting = world.item(ledger, "member", "M1")
        assert waiting.status == "retry_wait"
        delays.append(retry_delay(ledger, waiting))
        clock.advance(20)
    ledger.sync("harbor")

    for delay, expected in zip(delays, [10.0, 15.0, 15.0], strict=True):
        assert 0.9 * expected - 0.05 <= delay <= 1.1 * expected
    failed = world.item(ledger, "member", "M1")
    assert (failed.status, failed.attempts) == ("error", 4)
    assert "gave up after 4 attempts" in failed.error_message
    assert failed.error_remedy == "Check the accounting system is reachable, then requeue the item"


def test_an_error_that_needs_a_person_fails_at_once_with_code_message_and_remedy(
    ledger, rec, world, books
):
    ledger.record([rec.member()])
    world.fail_next(ledger, "inactive")

    ledger.sync("harbor")

    failed = world.item(ledger, "member", "M1")
    assert (failed.status, failed.attempts, failed.error_code) == ("error", 1, "inactive")
    assert failed.error_message == "an item on the record is inactive in the books"
    assert failed.error_remedy.startswith("Reactivate it in the books")
    assert books.write_counts() == {}


def test_a_failing_item_never_holds_back_its_siblings(ledger, rec, world, books):
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob"), rec.member("M3", name="Cy"),
                   rec.invoice("I2", member_id="M2")])
    world.fail_next(ledger, "inactive")

    summary = ledger.sync("harbor")

    assert summary.outcomes == {"error": 1, "synced": 3}
    assert world.item(ledger, "member", "M1").status == "error"
    assert books.write_counts() == {("member", "M2", "create"): 1, ("member", "M3", "create"): 1,
                                    ("invoice", "I2", "create"): 1}


def test_an_old_error_costs_nothing_in_later_runs(ledger, rec, world):
    ledger.record([rec.member("M1")])
    world.fail_next(ledger, "inactive")
    ledger.sync("harbor")

    ledger.record([rec.member("M2", name="Bob")])
    summary = ledger.sync("harbor")

    assert summary.outcomes == {"synced": 1}
    assert world.item(ledger, "member", "M1").attempts == 1


# -- throttling --------------------------------------------------------------------------------


def test_a_throttle_spends_no_attempt_and_holds_the_company_back(ledger, rec, world, clock):
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob"), rec.member("M3", name="Cy")])
    world.fail_next(ledger, "throttle")

    ledger.run_now("harbor")
    summary = ledger.run_pending(max_items=1)

    assert summary.outcomes == {"retry_wait": 1}
    throttled = world.item(ledger, "member", "M1")
    assert (throttled.status, throttled.attempts) == ("retry_wait", 0)
    assert "throttled" in throttled.reason
    [company] = ledger.companies()
    assert company.throttled_until is not None
    assert abs((company.throttled_until - clock.now).total_seconds() - 1.0) < 0.05
    assert throttled.next_attempt_at == company.throttled_until
    # The rest of the claimed batch went back, unspent.
    for mms_id in ("M2", "M3"):
        released = world.item(ledger, "member", mms_id)
        assert (released.status, released.attempts) == ("pending", 0)
    # Nothing of the company is claimed while the throttle lasts.
    assert claim(ledger._context, "harbor", owner="other", limit=10, run_id=None) == []


def test_a_throttled_run_resumes_after_the_wait_and_every_item_is_sent_once(ledger, rec, world,
                                                                            books):
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob")])
    world.fail_next(ledger, "throttle")

    summary = ledger.sync("harbor")

    assert summary.outcomes == {"retry_wait": 1, "synced": 2}
    assert world.item(ledger, "member", "M1").attempts == 1
    assert books.write_counts() == {("member", "M1", "create"): 1, ("member", "M2", "create"): 1}


# -- pausing -----------------------------------------------------------------------------------


def test_lost_authorisation_pauses_the_company_and_claims_nothing_more(ledger, rec, world,
                                                                        books):
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob")])
    world.fail_next(ledger, "auth")

    ledger.sync("harbor")

    [company] = ledger.companies()
    assert company.paused_reason == "the connection to the books was revoked"
    assert company.paused_remedy == ("Fix the books' connection settings, then resume with "
                                     "`ledgersync companies resume COMPANY`")
    for mms_id in ("M1", "M2"):
        kept = world.item(ledger, "member", mms_id)
        assert (kept.status, kept.attempts) == ("pending", 0)
    assert ledger.sync("harbor").processed == 0
    assert claim(ledger._context, "harbor", owner="other", limit=10, run_id=None) == []
    assert books.write_counts() == {}
    *_, run = ledger.runs()  # the first run, where the pause happened
    assert run.status == "finished"  # a paused company does not keep its run open
    assert any(m.level == "error" and "company paused" in m.reason for m in run.messages)


def test_resume_lifts_the_pause_and_the_items_go_out(ledger, rec, world, books):
    ledger.record([rec.member("M1"), rec.member("M2", name="Bob")])
    world.fail_next(ledger, "auth")
    ledger.sync("harbor")

    assert ledger.resume("harbor", actor="dana") is True
    assert ledger.resume("harbor") is False  # nothing left to lift

    [company] = ledger.companies()
    assert company.paused_reason is None
    ledger.sync("harbor")
    assert set(world.statuses(ledger).values()) == {"synced"}
    assert books.write_counts() == {("member", "M1", "create"): 1, ("member", "M2", "create"): 1}


# -- stale versions and duplicates -------------------------------------------------------------


def test_a_stale_version_is_reread_and_retried_within_the_same_attempt(ledger, rec, world,
                                                                        books):
    ledger.record([rec.member(name="Ann")])
    ledger.sync("harbor")
    books.bump_version("member", "M1")  # someone edited the customer in the books
    ledger.record([rec.member(name="Ann Smith")])

    ledger.sync("harbor")

    update = world.item(ledger, "member", "M1", "update")
    assert (update.status, update.attempts) == ("synced", 1)
    assert [e.to_status for e in ledger.history(update.id)] == ["pending", "in_flight", "synced"]
    assert books.write_counts()[("member", "M1", "update")] == 1
    assert books.body("member", "M1")["display_name"] == "Ann Smith"


def test_a_connector_keeping_the_default_rereads_a_stale_version_through_its_lookup(
        ledger, rec, world, books, monkeypatch):
    """PushConnector.current_version asks lookup by default (a lookup that answers with the
    record as it is, as the fake's did before it answered only for the very change)."""
    monkeypatch.setattr(FakeConnector, "current_version", PushConnector.current_version)
    monkeypatch.setattr(FakeConnector, "lookup",
                        lambda self, request: self.books.find(request.kind,
                                                              request.record.mms_id))
    ledger.record([rec.member(name="Ann")])
    ledger.sync("harbor")
    books.bump_version("member", "M1")
    ledger.record([rec.member(name="Ann Smith")])

    ledger.sync("harbor")

    update = world.item(ledger, "member", "M1", "update")
    assert (update.status, update.attempts) == ("synced", 1)
    assert books.body("member", "M1")["display_name"] == "Ann Smith"


def test_a_duplicate_is_linked_to_the_existing_record_without_a_second_write(world, rec, books):
    shared = {"books_path": world.books_path("harbor")}
    ledger = world.open({"harbor": {}, "twin": {"fake": shared}})
    ledger.record([rec.member()])
    ledger.sync("harbor")

    ledger.sync("twin")

    twin = world.item(ledger, "member", "M1", company="twin")
    assert twin.status == "synced"
    assert twin.external_id == world.item(ledger, "member", "M1").external_id
    assert "linked to the existing remote record" in ledger.history(twin.id)[-1].reason
    assert books.write_counts() == {("member", "M1", "create"): 1}


# -- doubt, leases and fencing -----------------------------------------------------------------


def test_a_timeout_after_sending_is_looked_up_first_and_never_written_twice(world, rec, clock):
    exports = CountExports()
    ledger = world.open({"harbor": {"fake": {"replay_keys": False}}}, plugins=(exports,))
    books = world.books()
    ledger.record([rec.member()])
    world.fail_next(ledger, "timeout")

    ledger.sync("harbor")

    doubt = world.item(ledger, "member", "M1")
    assert (doubt.status, doubt.attempts) == ("in_doubt", 0)  # no answer: no attempt spent
    assert "look it up" in doubt.reason
    clock.advance(60)
    ledger.sync("harbor")

    found = world.item(ledger, "member", "M1")
    assert (found.status, found.attempts) == ("synced", 1)
    assert found.external_id == books.find("member", "M1").external_id
    assert "nothing was sent again" in ledger.history(found.id)[-1].reason
    assert len(exports.calls) == 1
    assert books.write_counts() == {("member", "M1", "create"): 1}


def crash_after_claim(ledger, *, send: bool):
    """A worker that claimed every due item, maybe sent them, and died without a word."""
    claimed = claim(ledger._context, "harbor", owner="crashed-worker", limit=10, run_id=None)
    connector = ledger.connector("harbor")
    for item in claimed:
        if send:
            record = record_from_json(json.loads(item.payload, parse_float=Decimal))
            connector.export(ExportRequest(
                item_id=item.id, company=item.company, kind=item.kind,
                operation=Operation(item.operation), record=record,
                idempotency_key=item.idempotency_key, attempt=item.attempts))
    return claimed


def test_an_expired_lease_turns_in_doubt_and_recovery_finds_the_record_without_a_second_write(
    world, rec, clock
):
    exports = CountExports()
    ledger = world.open({"harbor": {"fake": {"replay_keys": False}}}, plugins=(exports,))
    books = world.books()
    ledger.record([rec.member()])
    crash_after_claim(ledger, send=True)
    assert world.item(ledger, "member", "M1").status == "in_flight"

    clock.advance(ledger._context.settings.lease_seconds + 1)
    ledger.sync("harbor")

    found = world.item(ledger, "member", "M1")
    assert found.status == "synced"
    history = ledger.history(found.id)
    expired = [e for e in history if e.to_status == "in_doubt"]
    assert expired
    assert expired[0].actor == "lease-reaper"
    assert "crashed-worker" in expired[0].reason
    assert exports.calls == []
    assert books.write_counts() == {("member", "M1", "create"): 1}


def test_an_in_doubt_item_that_never_arrived_is_sent_with_its_original_key(world, rec, clock):
    exports = CountExports()
    ledger = world.open(plugins=(exports,))
    books = world.books()
    ledger.record([rec.member()])
    [claimed] = crash_after_claim(ledger, send=False)

    clock.advance(ledger._context.settings.lease_seconds + 1)
    ledger.sync("harbor")

    assert world.item(ledger, "member", "M1").status == "synced"
    assert exports.calls == [("member", "M1", claimed.idempotency_key)]
    assert books.write_counts() == {("member", "M1", "create"): 1}


@pytest.mark.parametrize("operation", ["update", "void"])
def test_an_update_or_void_in_doubt_that_never_arrived_is_sent_again_not_taken_as_written(
        world, rec, clock, operation):
    """The books hold the invoice, but not this change of it: a lookup that only asked
    whether the record exists would call the change written and lose it."""
    exports = CountExports()
    ledger = world.open(plugins=(exports,))
    books = world.books()
    ledger.record([rec.member(), rec.invoice()])
    ledger.sync("harbor")
    ledger.record([rec.invoice(amount="120.00") if operation == "update"
                   else rec.invoice(voided=True)])
    [claimed] = crash_after_claim(ledger, send=False)
    assert claimed.operation == operation

    clock.advance(ledger._context.settings.lease_seconds + 1)
    ledger.sync("harbor")

    assert world.item(ledger, "invoice", "I1", operation).status == "synced"
    assert exports.calls[-1] == ("invoice", "I1", claimed.idempotency_key)
    assert books.write_counts()[("invoice", "I1", operation)] == 1


def test_a_result_after_the_lease_was_lost_is_kept_in_history_and_not_applied(world, rec,
                                                                               clock):
    ledger = world.open()
    books = world.books()
    ledger.record([rec.member()])
    [late] = claim(ledger._context, "harbor", owner="slow-worker", limit=10, run_id=None)
    clock.advance(ledger._context.settings.lease_seconds + 1)
    ledger.sync("harbor")  # another worker recovers the item and syncs it
    synced = world.item(ledger, "member", "M1")
    assert synced.status == "synced"

    outcome = ItemExporter(ledger._context).process(late)  # the slow worker finally answers

    assert outcome.status is None
    after = world.item(ledger, "member", "M1")
    assert (after.status, after.external_id, after.error_code) == ("synced", synced.external_id,
                                                                    None)
    last = ledger.history(after.id)[-1]
    assert last.actor == "slow-worker"
    assert last.to_status is None
    assert "after the lease was lost and was not applied" in last.reason
    assert books.write_counts() == {("member", "M1", "create"): 1}


def test_a_late_success_does_not_overwrite_the_newer_outcome(world, rec, clock):
    ledger = world.open()
    ledger.record([rec.member()])
    [late] = claim(ledger._context, "harbor", owner="slow-worker", limit=10, run_id=None)
    clock.advance(ledger._context.settings.lease_seconds + 1)
    world.fail_next(ledger, "inactive")
    ledger.sync("harbor")  # the recovering worker's attempt needs a person
    assert world.item(ledger, "member", "M1").status == "error"

    outcome = ItemExporter(ledger._context).process(late)

    assert outcome.status is None
    assert world.item(ledger, "member", "M1").status == "error"
    assert "not applied (synced as" in ledger.history(late.id)[-1].reason


def test_a_worker_waits_for_another_workers_lease_without_spinning(world, rec, clock):
    ledger = world.open()
    ledger.record([rec.member()])
    claim(ledger._context, "harbor", owner="other-worker", limit=10, run_id=None)
    start = clock.monotonic()

    ledger.run_now("harbor")
    ledger.run_pending(deadline=clock.monotonic() + 30)

    assert clock.monotonic() - start >= 29  # it waited (slept), it did not spin
    assert world.item(ledger, "member", "M1").status == "in_flight"


class NeverAnswers:
    """Every export ends without an answer, and nothing ever arrives remotely."""

    @hookimpl(tryfirst=True)
    def ledgersync_export(self, request):
        raise TimeoutError("read timed out after sending")


def test_an_item_still_in_doubt_after_max_attempts_needs_a_person_and_keeps_its_lookup(
    world, rec, clock
):
    ledger = world.open(plugins=(NeverAnswers(),))
    ledger.record([rec.member()])
    for _ in range(ledger._context.settings.max_attempts):
        ledger.sync("harbor")
        clock.advance(ledger._context.settings.backoff_cap_seconds * 2)

    item = world.item(ledger, "member", "M1")
    assert (item.status, item.attempts) == ("error", ledger._context.settings.max_attempts)
    assert "still unknown" in item.error_message
    assert "looks it up before sending it again" in item.error_remedy
    ledger.requeue(ItemFilter(ids=[item.id]))
    assert world.item(ledger, "member", "M1").status == "pending"
    [claimed] = claim(ledger._context, "harbor", owner="next-worker", limit=1, run_id=None)
    assert claimed.needs_lookup


# -- the accounting system unreachable -----------------------------------------------------------


class Unreachable:
    """The accounting system does not answer the first ``times`` writes (a hook, so it holds
    whichever connector instance the engine uses)."""

    def __init__(self, times: int, code: str = "timeout") -> None:
        self.left = times
        self.code = code

    @hookimpl(tryfirst=True)
    def ledgersync_export(self, request):
        if self.left > 0:
            self.left -= 1
            raise ConnectorError("no answer from the books", code=self.code)
        return None


def test_an_outage_never_spends_an_items_attempts(world, rec, clock):
    down = Unreachable(SETTINGS.max_attempts + 3)
    ledger = world.open(plugins=(down,))
    ledger.record([rec.member()])
    while down.left:
        ledger.sync("harbor")
        clock.advance(hours=1)
    ledger.sync("harbor")

    item = world.item(ledger, "member", "M1")
    assert (item.status, item.attempts) == ("synced", 1)
    failures = [e for e in ledger.history(item.id) if e.to_status == "in_doubt"]
    assert len(failures) == SETTINGS.max_attempts + 3  # more than an item's own allowance


def test_timeouts_in_a_row_back_the_whole_company_off(world, rec, clock):
    from ledgersync._engine.outage import FIRST_BACKOFF_SECONDS, THRESHOLD

    ledger = world.open(plugins=(Unreachable(10),))
    ledger.record([rec.member(f"M{n}", f"Member {n}") for n in range(10)])
    ledger.run_now("harbor")

    summary = ledger.run_pending(max_items=10)

    assert summary.outcomes["in_doubt"] == THRESHOLD  # then the rest of the batch was released
    [company] = [c for c in ledger.companies() if c.name == "harbor"]
    assert company.throttled_until is not None
    assert company.throttled_until >= clock.now + dt.timedelta(
        seconds=FIRST_BACKOFF_SECONDS - 1)
    statuses = sorted(i.status for i in ledger.items())
    assert statuses == ["in_doubt"] * THRESHOLD + ["pending"] * (10 - THRESHOLD)
    assert {i.attempts for i in ledger.items()} == {0}  # nobody's allowance was spent


def test_an_outage_is_recorded_until_a_write_goes_through(world, rec, clock):
    from ledgersync._engine.outage import STATE_KEY

    ledger = world.open(plugins=(Unreachable(1, code="network"),))
    ledger.record([rec.member()])
    ledger.run_now("harbor")
    ledger.run_pending(max_items=1)

    outage = ledger.state("harbor").get(STATE_KEY)
    assert outage["failures"] == 1
    assert dt.datetime.fromisoformat(outage["since"]) <= clock.now
    clock.advance(hours=1)
    ledger.sync("harbor")
    assert world.item(ledger, "member", "M1").status == "synced"
    assert ledger.state("harbor").get(STATE_KEY) is None


@pytest.mark.parametrize("operation", ["update", "void"])
def test_an_update_or_void_still_in_doubt_says_to_check_the_change_not_to_link_it(
    world, rec, clock, operation, monkeypatch
):
    ledger = world.open()
    ledger.record([rec.member(), rec.invoice()])
    ledger.sync("harbor")
    ledger.close()
    ledger = world.open(plugins=(NeverAnswers(),))

    def lookup_times_out(self, request):
        raise TimeoutError("read timed out")

    # The lookup before each new attempt gets no answer either: the doubt never clears.
    monkeypatch.setattr(FakeConnector, "lookup", lookup_times_out)
    ledger.record([rec.invoice(amount="120.00") if operation == "update"
                   else rec.invoice(voided=True)])
    for _ in range(ledger._context.settings.max_attempts):
        ledger.sync("harbor")
        clock.advance(ledger._context.settings.backoff_cap_seconds * 2)

    item = world.item(ledger, "invoice", "I1", operation)
    assert item.status == "error"
    assert f"whether the accounting system applied the {operation}" in item.error_message
    assert "ledgersync map`;" not in item.error_remedy
    assert "is already linked" in item.error_remedy
    expected = "is voided" if operation == "void" else "is changed as the MMS has it"
    assert f"Check in the accounting system whether invoice 'I1' {expected}" in (
        item.error_remedy)
    assert "ledgersync requeue" in item.error_remedy
