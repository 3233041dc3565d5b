"""Two-phase completion: staged -> synced | rejected | conflict | orphaned, driven by a minimal
two-stage connector whose "desktop" answers what each test scripts."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pytest

from ledgersync import (
    CompanyConfig,
    Confirmation,
    ConfirmOutcome,
    Connector,
    ConnectorContext,
    ExportRequest,
    ExportResult,
    ItemFilter,
    PushConnector,
    Resolution,
    StagedItem,
    StagedResult,
    Status,
    TransitionError,
    hookimpl,
)
from ledgersync._engine.statuses import check_transition


@attrs.define
class Intermediary:
    """Stage one's remote: NG ids by idempotency key (replayed), the writes it took, and the
    desktop's scripted answers by MMS id."""

    by_key: dict[str, str] = attrs.field(factory=dict)
    objects: dict[str, tuple[str, str]] = attrs.field(factory=dict)  # NG id -> (kind, mms id)
    writes: list[tuple[str, str, str, str | None]] = attrs.field(factory=list)
    answers: dict[str, Confirmation] = attrs.field(factory=dict)
    extra: list[Confirmation] = attrs.field(factory=list)
    asked: list[list[str]] = attrs.field(factory=list)
    references: list[tuple[str, dict[tuple[str, str], str], frozenset[Any]]] = attrs.field(
        factory=list)
    balances: dict[str, Decimal] = attrs.field(factory=dict)
    counter: itertools.count[int] = attrs.field(factory=lambda: itertools.count(100))

    def ng(self, kind: str, mms_id: str) -> str:
        return next(ng for ng, obj in self.objects.items() if obj == (kind, mms_id))

    def answer(self, kind: str, mms_id: str, outcome: ConfirmOutcome, **fields: Any) -> None:
        ng = self.ng(kind, mms_id)
        self.answers[ng] = Confirmation(intermediary_id=ng, outcome=outcome, **fields)

    def confirm(self, kind: str, mms_id: str, desktop_id: str) -> None:
        self.answer(kind, mms_id, ConfirmOutcome.SYNCED, external_id=desktop_id)


@attrs.frozen
class StagingSettings:
    books_path: str = ""


class StagingConnector(PushConnector[StagingSettings]):
    name: ClassVar[str] = "staging"
    display_name: ClassVar[str] = "Two-stage test books"
    supported_kinds: ClassVar[frozenset[str]] = frozenset({"member", "invoice", "payment"})
    settings_type: ClassVar[type[Any]] = StagingSettings
    two_stage: ClassVar[bool] = True
    staged_references: ClassVar[frozenset[str]] = frozenset({"member"})
    remote: ClassVar[Intermediary]

    def __init__(self, company: CompanyConfig, settings: Any, context: ConnectorContext) -> None:
        super().__init__(company, settings, context)

    def export(self, request: ExportRequest) -> ExportResult | StagedResult:
        remote = self.remote
        remote.references.append((request.record.mms_id, dict(request.references),
                                  request.staged_references))
        if request.idempotency_key in remote.by_key:
            return StagedResult(intermediary_id=remote.by_key[request.idempotency_key])
        ng = request.intermediary_id or f"NG-{next(remote.counter)}"
        remote.objects[ng] = (request.kind, request.record.mms_id)
        remote.by_key[request.idempotency_key] = ng
        remote.writes.append((request.kind, request.record.mms_id,
                              "mod" if request.intermediary_id else "add",
                              request.intermediary_id))
        remote.answers.pop(ng, None)  # a fresh write waits for a fresh answer
        return StagedResult(intermediary_id=ng)

    def lookup(self, request: ExportRequest) -> ExportResult | StagedResult | None:
        ng = self.remote.by_key.get(request.idempotency_key)
        return StagedResult(intermediary_id=ng) if ng else None

    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        raise AssertionError(f"no failures expected: {error}")

    def confirm(self, items: Sequence[StagedItem]) -> Sequence[Confirmation]:
        self.remote.asked.append([i.intermediary_id for i in items])
        found = [self.remote.answers[i.intermediary_id] for i in items
                 if i.intermediary_id in self.remote.answers]
        extra, self.remote.extra = self.remote.extra, []
        return [*found, *extra]

    def customer_balances(self, as_of: dt.date | None = None) -> dict[str, Decimal]:
        return dict(self.remote.balances)


class StagingPlugin:
    def __init__(self, remote: Intermediary) -> None:
        StagingConnector.remote = remote

    @hookimpl
    def ledgersync_connectors(self) -> list[type[Connector]]:
        return [StagingConnector]


@pytest.fixture
def remote() -> Intermediary:
    return Intermediary()


@pytest.fixture
def ledger(world: Any, remote: Intermediary) -> Any:
    return world.open({"harbor": {"connector": "staging"}}, plugins=(StagingPlugin(remote),))


def test_stage_one_stages_with_the_intermediary_id_and_links_nothing(ledger, rec, world):
    ledger.record([rec.member()])

    summary = ledger.sync("harbor")

    assert summary.outcomes == {"staged": 1}
    item = world.item(ledger, "member", "M1")
    assert item.status == "staged"
    assert item.external_id is None
    assert world.row(ledger, item.id).intermediary_id == "NG-100"


def test_the_sync_log_counts_staged_apart_from_synced(ledger, rec):
    ledger.record([rec.member()])
    ledger.sync("harbor")

    [run] = ledger.runs(limit=1)

    assert [(s.kind, s.ok, s.staged) for s in run.sections] == [("member", 0, 1)]


def test_a_confirmation_makes_the_desktop_id_the_link(ledger, rec, world, remote):
    ledger.record([rec.member()])
    ledger.sync("harbor")
    remote.confirm("member", "M1", "QB-80000001")

    summary = ledger.confirm_staged("harbor")

    assert summary.outcomes == {"synced": 1}
    item = world.item(ledger, "member", "M1")
    assert (item.status, item.external_id) == ("synced", "QB-80000001")
    assert world.row(ledger, item.id).intermediary_id == "NG-100"


def test_a_dependent_references_a_staged_record_where_the_connector_allows_it(
        ledger, rec, world, remote):
    ledger.record([rec.member(), rec.invoice()])

    ledger.sync("harbor")

    assert world.item(ledger, "invoice", "I1").status == "staged"
    invoice_call = next(r for r in remote.references if r[0] == "I1")
    assert invoice_call[1] == {("member", "M1"): "NG-100", ("gl_account", "GL-4000"): "acc-4000"}
    assert invoice_call[2] == frozenset({("member", "M1")})


def test_a_dependent_waits_for_the_desktop_id_where_the_desktop_needs_it(
        ledger, rec, world, remote):
    ledger.record([rec.member(), rec.invoice(), rec.payment()])
    ledger.sync("harbor")
    payment = world.item(ledger, "payment", "P1")
    assert payment.status == "blocked"
    assert "invoice 'I1' (applications[0].invoice_id) to be confirmed" in payment.reason

    remote.confirm("member", "M1", "QB-1")
    remote.confirm("invoice", "I1", "QB-2")
    ledger.confirm_staged("harbor")
    ledger.sync("harbor")

    assert world.item(ledger, "payment", "P1").status == "staged"
    payment_call = next(r for r in remote.references if r[0] == "P1")
    assert payment_call[1][("invoice", "I1")] == "QB-2"
    assert payment_call[2] == frozenset()


def test_a_rejection_needs_a_person_and_a_requeue_modifies_the_staged_object(
        ledger, rec, world, remote):
    ledger.record([rec.member()])
    ledger.sync("harbor")
    remote.answer("member", "M1", ConfirmOutcome.REJECTED, code="9/50",
                  message="the desktop refused the name")
    ledger.confirm_staged("harbor")
    item = world.item(ledger, "member", "M1")
    assert item.status == "rejected"
    assert item.error_message == "the desktop refused the name"
    assert item.error_remedy  # the engine's default when the connector gives none
    key_before = world.row(ledger, item.id).idempotency_key

    assert ledger.requeue(ItemFilter(company="harbor", status=[Status.REJECTED])) == 1
    ledger.sync("harbor")

    assert world.row(ledger, item.id).idempotency_key != key_before
    assert remote.writes == [("member", "M1", "add", None), ("member", "M1", "mod", "NG-100")]
    assert world.item(ledger, "member", "M1").status == "staged"


def test_a_changed_record_replaces_a_rejected_one_and_goes_out_again(ledger, rec, world,
                                                                      remote):
    ledger.record([rec.member()])
    ledger.sync("harbor")
    remote.answer("member", "M1", ConfirmOutcome.REJECTED, message="bad name")
    ledger.confirm_staged("harbor")

    ledger.record([rec.member(name="Ann Sailor-Keel")])
    ledger.sync("harbor")

    assert world.item(ledger, "member", "M1").status == "staged"
    assert remote.writes[-1] == ("member", "M1", "mod", "NG-100")


def test_a_conflict_keeps_its_remedy_until_requeued(ledger, rec, world, remote):
    ledger.record([rec.member()])
    ledger.sync("harbor")
    remote.answer("member", "M1", ConfirmOutcome.CONFLICT, code="7/240",
                  message="failed validation", remedy="Fix it in the cloud copy, then requeue")

    ledger.confirm_staged("harbor")

    item = world.item(ledger, "member", "M1")
    assert (item.status, item.error_remedy) == ("conflict",
                                                "Fix it in the cloud copy, then requeue")
    assert ledger.sync("harbor").processed == 0  # nothing is re-sent by itself


def test_an_orphan_loses_its_link_and_is_sent_again_once_requeued(ledger, rec, world, remote):
    ledger.record([rec.member()])
    ledger.sync("harbor")
    remote.confirm("member", "M1", "QB-1")
    ledger.confirm_staged("harbor")
    remote.extra.append(Confirmation(intermediary_id="NG-100", outcome=ConfirmOutcome.ORPHANED,
                                     code="7/210", message="restored from a backup"))

    ledger.confirm_staged("harbor")

    item = world.item(ledger, "member", "M1")
    assert (item.status, item.external_id) == ("orphaned", None)
    ledger.requeue(ItemFilter(company="harbor", status=[Status.ORPHANED]))
    ledger.sync("harbor")
    remote.confirm("member", "M1", "QB-2")
    ledger.confirm_staged("harbor")
    item = world.item(ledger, "member", "M1")
    assert (item.status, item.external_id) == ("synced", "QB-2")
    assert [w[2] for w in remote.writes] == ["add", "mod"]


def test_a_record_still_waiting_with_a_message_is_flagged_not_failed(ledger, rec, world,
                                                                      remote):
    ledger.record([rec.member()])
    ledger.sync("harbor")
    remote.answer("member", "M1", ConfirmOutcome.STAGED, code="6", message="write-back stalled",
                  remedy="Open QuickBooks on the desktop")

    ledger.confirm_staged("harbor")

    item = world.item(ledger, "member", "M1")
    assert (item.status, item.error_message) == ("staged", "write-back stalled")
    assert [e.reason for e in ledger.history(item.id)][-1] == "write-back stalled"


def test_polls_back_off_while_nothing_changes_and_ask_a_bounded_batch(
        world, remote, rec, clock):
    from ledgersync import EngineSettings

    ledger = world.open({"harbor": {"connector": "staging"}}, plugins=(StagingPlugin(remote),),
                        settings=EngineSettings(confirm_batch=2, confirm_base_seconds=60,
                                                confirm_cap_seconds=600, linger_seconds=1))
    ledger.record([rec.member(f"M{n}") for n in range(3)])
    ledger.sync("harbor")

    first = ledger.confirm_staged("harbor", force=False)
    second = ledger.confirm_staged("harbor", force=False)
    clock.advance(121)
    third = ledger.confirm_staged("harbor", force=False)

    assert first.polled
    assert first.asked == 2
    assert not second.polled
    assert third.polled
    assert remote.asked == [["NG-100", "NG-101"], ["NG-100", "NG-101"]]
    assert (third.next_poll_at - clock.now).total_seconds() == pytest.approx(240, abs=1)


def test_the_scheduler_polls_two_stage_companies_during_a_run(ledger, rec, world, remote):
    ledger.record([rec.member()])
    ledger.sync("harbor")
    remote.confirm("member", "M1", "QB-1")
    ledger.connector("harbor")  # same instance for the run

    summary = ledger.sync("harbor")  # the first poll of a company is due at once

    assert [c.outcomes for c in summary.confirmations] == [{"synced": 1}]
    assert world.item(ledger, "member", "M1").status == "synced"


def test_reconcile_treats_staged_amounts_as_not_yet_in_the_books(ledger, rec, remote):
    ledger.record([rec.member(), rec.invoice(amount="120.00")])
    ledger.sync("harbor")

    report = ledger.reconcile("harbor")

    assert report.awaiting_confirmation == Decimal("120.00")
    [explanation] = [e for c in report.customers for e in c.explanations]
    assert explanation.status == "staged"
    assert "not in the books until" in (explanation.reason or "")


@pytest.mark.parametrize(("current", "target"), [
    (Status.STAGED, Status.PENDING),
    (Status.REJECTED, Status.SYNCED),
    (Status.ORPHANED, Status.SYNCED),
    (Status.CONFLICT, Status.STAGED),
])
def test_two_phase_statuses_refuse_shortcuts(current, target):
    with pytest.raises(TransitionError):
        check_transition("member 'M1'", current, target)


def test_the_worker_polls_a_two_stage_company_that_has_no_run(ledger, rec, world, remote,
                                                               monkeypatch):
    import threading

    monkeypatch.setattr(StagingConnector, "default_schedule_minutes", 0)  # on demand only
    ledger.record([rec.member()])
    ledger.sync("harbor")
    remote.confirm("member", "M1", "QB-1")
    stop = threading.Event()
    original = StagingConnector.confirm

    def confirm_then_stop(self, items):
        stop.set()  # one loop of the worker is enough
        return original(self, items)

    StagingConnector.confirm = confirm_then_stop  # type: ignore[method-assign]
    try:
        ledger.run_forever(stop)
    finally:
        StagingConnector.confirm = original  # type: ignore[method-assign]

    assert world.item(ledger, "member", "M1").status == "synced"
