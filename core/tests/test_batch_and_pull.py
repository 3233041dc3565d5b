"""Batching connectors (several items per remote call) and pull-mode connectors (the remote
side asks for work and reports back later)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pytest

import ledgersync
from ledgersync import (
    ConnectorError,
    ExportRequest,
    ExportResult,
    Status,
    connector_plugin,
    hookimpl,
)
from ledgersync.testing import FakeBooks, FakeConnector


class BatchingConnector(FakeConnector):
    name: ClassVar[str] = "batching"
    batch_size: ClassVar[int] = 3
    calls: ClassVar[list[list[str]]] = []
    fail_in_batch: ClassVar[set[str]] = set()
    lose_answers: ClassVar[int] = 0  # calls whose answer never comes (a timeout)

    def export_batch(self, requests: Sequence[ExportRequest]
                     ) -> Sequence[ExportResult | Exception]:
        type(self).calls.append([r.record.mms_id for r in requests])
        if self.lose_answers:
            type(self).lose_answers -= 1
            return [ConnectorError("no answer from the books", code="timeout")
                    for _ in requests]
        results: list[ExportResult | Exception] = []
        for request in requests:
            if request.record.mms_id in self.fail_in_batch:
                results.append(ConnectorError("item is inactive", code="inactive"))
            else:
                results.append(self.books.write(request))
        return results


def _open(tmp_path: Path) -> ledgersync.Ledger:
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"harbor": {"connector": "batching",
                                 "batching": {"books_path": str(tmp_path / "books.db")}}},
    })
    return ledgersync.open(config, plugins=[ledgersync.connector_plugin(BatchingConnector)],
                           load_entrypoints=False)


def _members_and_invoices(count: int) -> list[ledgersync.Record]:
    records: list[ledgersync.Record] = []
    for n in range(count):
        records.append(ledgersync.Member(mms_id=f"M{n}", display_name=f"Member {n}"))
        records.append(ledgersync.Invoice(
            mms_id=f"I{n}", member_id=f"M{n}", number=f"{1000 + n}",
            txn_date=dt.date(2026, 3, 1), currency="USD",
            lines=[ledgersync.InvoiceLine(account_id="4000", quantity=Decimal(1),
                                          rate=Decimal("10.00"), amount=Decimal("10.00"))]))
    return records


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[ledgersync.Ledger]:
    BatchingConnector.calls = []
    BatchingConnector.fail_in_batch = set()
    BatchingConnector.lose_answers = 0
    ledger = _open(tmp_path)
    ledger.map("harbor", "gl_account", "4000", "81")
    yield ledger
    ledger.close()


def test_a_batching_connector_receives_up_to_batch_size_items_per_call(
    ledger: ledgersync.Ledger, tmp_path: Path
) -> None:
    ledger.record(_members_and_invoices(5))
    ledger.sync("harbor")
    invoice_calls = [c for c in BatchingConnector.calls if c[0].startswith("I")]
    assert [len(c) for c in invoice_calls] == [3, 2]
    assert FakeBooks(str(tmp_path / "books.db")).record_count("invoice") == 5


def test_new_members_are_exported_one_by_one_so_customer_mapping_can_link_them(
    ledger: ledgersync.Ledger,
) -> None:
    ledger.record(_members_and_invoices(2))
    ledger.sync("harbor")
    assert not any(c[0].startswith("M") for c in BatchingConnector.calls)
    assert {i.status for i in ledger.items()} == {Status.SYNCED.value}


def test_one_failure_in_a_batch_fails_only_its_item(ledger: ledgersync.Ledger) -> None:
    BatchingConnector.fail_in_batch = {"I1"}
    ledger.record(_members_and_invoices(3))
    ledger.sync("harbor")
    statuses = {i.mms_id: i.status for i in ledger.items(ledgersync.ItemFilter(kind="invoice"))}
    assert statuses == {"I0": "synced", "I1": "error", "I2": "synced"}
    failed = ledger.items(ledgersync.ItemFilter(mms_id="I1"))[0]
    assert failed.error_remedy is not None
    assert "requeue" in failed.error_remedy


def test_a_batch_whose_answer_is_lost_counts_once_towards_an_outage(
        ledger: ledgersync.Ledger) -> None:
    from ledgersync._engine.outage import STATE_KEY, THRESHOLD

    ledger.record(_members_and_invoices(3))
    ledger.sync("harbor", max_items=3)  # the members, one by one
    BatchingConnector.lose_answers = 1
    ledger.run_now("harbor")
    ledger.run_pending(max_items=3)  # one batch of the three invoices, its answer lost
    assert THRESHOLD <= 3  # so counting each item would have backed the company off
    assert ledger.state("harbor").get(STATE_KEY)["failures"] == 1
    [company] = [c for c in ledger.companies() if c.name == "harbor"]
    assert company.throttled_until is None
    invoices = ledger.items(ledgersync.ItemFilter(kind="invoice"))
    assert {i.status for i in invoices} == {Status.IN_DOUBT.value}


# -- pull mode ---------------------------------------------------------------------------------


def test_pulled_items_are_in_flight_until_their_outcome_is_reported(
    ledger: ledgersync.Ledger,
) -> None:
    ledger.record(_members_and_invoices(2))
    queue = ledger.pull("harbor", owner="web-connector-session-1")
    queue.open_run("web_connector")
    pulled = queue.claim(10)
    assert [p.request.record.mms_id for p in pulled] == ["M0", "M1"]
    statuses = {i.mms_id: i.status for i in ledger.items()}
    # The invoices wait for their customers, which are not synced until the answer comes.
    assert statuses == {"M0": "in_flight", "M1": "in_flight", "I0": "blocked", "I1": "blocked"}


def test_a_later_process_finds_the_pulled_items_by_id_and_records_their_outcome(
    ledger: ledgersync.Ledger,
) -> None:
    ledger.record([ledgersync.Member(mms_id="M9", display_name="Nine")])
    first = ledger.pull("harbor", owner="session-A")
    first.open_run()
    (pulled,) = first.claim(5)
    # Another server process answers the Web Connector's next call:
    again = ledger.pull("harbor", owner="session-A")
    (found,) = again.held([pulled.id])
    again.succeed(found, ExportResult(external_id="80000001-1", version_token="1"))
    (item,) = ledger.items()
    assert (item.status, item.external_id) == (Status.SYNCED.value, "80000001-1")
    assert again.finish_run()


def test_another_owner_cannot_record_the_outcome_of_pulled_items(
    ledger: ledgersync.Ledger,
) -> None:
    ledger.record([ledgersync.Member(mms_id="M9", display_name="Nine")])
    queue = ledger.pull("harbor", owner="company-a-session")
    queue.open_run()
    (pulled,) = queue.claim(5)
    intruder = ledger.pull("harbor", owner="someone-else")
    assert intruder.held([pulled.id]) == []


def test_a_pulled_failure_is_classified_by_the_connector(ledger: ledgersync.Ledger) -> None:
    ledger.record([ledgersync.Member(mms_id="M9", display_name="Nine")])
    queue = ledger.pull("harbor")
    queue.open_run()
    (pulled,) = queue.claim(5)
    status = queue.fail(pulled, ConnectorError("busy", code="transient"))
    assert status is Status.RETRY_WAIT
    (item,) = ledger.items()
    assert item.status == Status.RETRY_WAIT.value


def test_pulled_items_whose_lease_expires_become_in_doubt(tmp_path: Path) -> None:
    now = [dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)]
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"harbor": {"connector": "batching",
                                 "batching": {"books_path": str(tmp_path / "books.db")}}},
    })
    ledger = ledgersync.open(config, plugins=[ledgersync.connector_plugin(BatchingConnector)],
                           load_entrypoints=False,
                             clock=lambda: now[0])
    ledger.record([ledgersync.Member(mms_id="M9", display_name="Nine")])
    queue = ledger.pull("harbor")
    queue.open_run()
    queue.claim(5, lease_seconds=60)
    now[0] += dt.timedelta(minutes=2)
    retry = queue.claim(5)
    assert len(retry) == 1
    assert retry[0].needs_lookup
    ledger.close()



# -- one attempt pipeline: every item passes the same hooks ------------------------------------


class SeeExports:
    """An export wrapper: records every item it sees and what its write came to."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    @hookimpl(wrapper=True)
    def ledgersync_export(self, request: ExportRequest) -> Iterator[None]:
        try:
            result = yield
        except Exception as exc:
            self.seen.append((request.record.mms_id, type(exc).__name__))
            raise
        self.seen.append((request.record.mms_id, "ok"))
        return result


class MatchFirstMember:
    """A customer-mapping policy: M0 is an existing customer; M1 matches two of them."""

    @hookimpl
    def ledgersync_map_customer(self, member: ledgersync.Member
                                ) -> ledgersync.CustomerMatch | None:
        if member.mms_id == "M1":
            raise ConnectorError("two customers are called Member 1", code="inactive")
        if member.mms_id == "M0":
            return ledgersync.CustomerMatch(external_id="C-77", display_name="Member Zero",
                                            matched_by="name")
        return None


def _open_with(tmp_path: Path, *plugins: object) -> ledgersync.Ledger:
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"harbor": {"connector": "batching",
                                 "batching": {"books_path": str(tmp_path / "books.db")}}},
    })
    ledger = ledgersync.open(config, plugins=[connector_plugin(BatchingConnector), *plugins],
                             load_entrypoints=False)
    ledger.map("harbor", "gl_account", "4000", "81")
    return ledger


def test_each_item_of_a_batch_passes_the_export_wrappers(tmp_path: Path) -> None:
    BatchingConnector.calls = []
    BatchingConnector.fail_in_batch = {"I1"}
    seen = SeeExports()
    ledger = _open_with(tmp_path, seen)
    ledger.record(_members_and_invoices(3))
    ledger.sync("harbor")
    ledger.close()

    assert [c for c in BatchingConnector.calls if c[0].startswith("I")] == [["I0", "I1", "I2"]]
    invoices = sorted(s for s in seen.seen if s[0].startswith("I"))
    assert invoices == [("I0", "ok"), ("I1", "ConnectorError"), ("I2", "ok")]


def test_a_pulled_answer_passes_the_export_wrappers(tmp_path: Path) -> None:
    seen = SeeExports()
    ledger = _open_with(tmp_path, seen)
    ledger.record([ledgersync.Member(mms_id="M8", display_name="Eight"),
                   ledgersync.Member(mms_id="M9", display_name="Nine")])
    queue = ledger.pull("harbor")
    queue.open_run()
    first, second = queue.claim(5)
    queue.succeed(first, ExportResult(external_id="80000001-1"))
    queue.fail(second, ConnectorError("busy", code="transient"))
    ledger.close()

    assert seen.seen == [("M8", "ok"), ("M9", "ConnectorError")]


def test_pull_mode_offers_new_members_to_customer_mapping_before_handing_them_out(
        tmp_path: Path) -> None:
    ledger = _open_with(tmp_path, MatchFirstMember())
    ledger.record([ledgersync.Member(mms_id=f"M{n}", display_name=f"Member {n}")
                   for n in range(3)])
    queue = ledger.pull("harbor")
    queue.open_run()

    handed_out = [p.request.record.mms_id for p in queue.claim(5)]

    items = {i.mms_id: i for i in ledger.items()}
    ledger.close()
    assert handed_out == ["M2"]
    assert (items["M0"].status, items["M0"].external_id) == ("synced", "C-77")
    assert items["M1"].status == "error"  # never guessed between two customers


class NoInstances(BatchingConnector):
    """A batching connector that must not be built: claiming reads its batch size alone."""

    name: ClassVar[str] = "no-instances"
    sizes_read: ClassVar[int] = 0

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("claiming built a connector instance")

    @classmethod
    def batch_size_for(cls, settings: object) -> int:
        cls.sizes_read += 1
        return 2


def test_claiming_reads_the_batch_size_without_building_a_connector(tmp_path: Path) -> None:
    from ledgersync._engine.claims import claim

    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"harbor": {"connector": "no-instances", "limits": {"max_in_flight": 1},
                                 "no-instances": {"books_path": str(tmp_path / "b.db")}}},
    })
    ledger = ledgersync.open(config, plugins=[connector_plugin(NoInstances)],
                             load_entrypoints=False)
    ledger.record([ledgersync.Member(mms_id=f"M{n}", display_name=f"M {n}") for n in range(5)])

    claimed = claim(ledger._context, "harbor", owner="w", limit=10, run_id=None)
    ledger.close()

    assert NoInstances.sizes_read >= 1
    assert len(claimed) == 2  # one request at once, of up to two items
