"""What one Web Connector call stores, and when: its state in one transaction at its end, and
the items of a set it sent kept for the answer to that set (see qbwc/callstate.py and
SentItems in qbwc/work.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgersync import Ledger, PullQueue, Status
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc import planner
from ledgersync_qbd.qbwc.callstate import CallState
from ledgersync_qbd.qbwc.direct import DirectService
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.qbwc.sessions import OUTSTANDING
from ledgersync_qbd.qbxml import document
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector

from .conftest import PASSWORD, USER, LedgerFactory, sync_until_idle, web_connector

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def synced_everything(ledger: Ledger) -> bool:
    return {i.status for i in ledger.items(limit=None)} == {Status.SYNCED.value}


# -- the call's view of the state ---------------------------------------------------------------


def test_a_call_reads_back_what_it_wrote_and_the_store_has_it_only_after_the_flush(
        ledger: Ledger) -> None:
    store = ledger.state("club")
    store.put("k", {"v": 1})
    call = CallState(store)
    call.put("k", {"v": 2})
    call.put("new", [1, 2])
    assert call.get("k") == {"v": 2}
    assert call.get("new") == [1, 2]
    assert store.get("k") == {"v": 1}
    assert store.get("new") is None
    with store.exclusive("test") as conn:
        call.flush(conn)
    assert store.get("k") == {"v": 2}
    assert store.get("new") == [1, 2]
    assert call.pending == 0


def test_a_key_the_call_deleted_reads_as_absent_before_and_after_the_flush(
        ledger: Ledger) -> None:
    store = ledger.state("club")
    store.put("k", "there")
    call = CallState(store)
    assert call.get("k") == "there"
    call.delete("k")
    assert call.get("k") is None
    assert store.get("k") == "there"
    with store.exclusive("test") as conn:
        call.flush(conn)
    assert store.get("k") is None
    assert call.get("k") is None


def test_changing_a_value_got_or_put_changes_nothing_in_the_call(ledger: Ledger) -> None:
    store = ledger.state("club")
    store.put("read", {"rows": [1]})
    call = CallState(store)
    got = call.get("read")
    got["rows"].append(2)
    written = {"rows": [1]}
    call.put("written", written)
    written["rows"].append(2)
    assert call.get("read") == {"rows": [1]}
    assert call.get("written") == {"rows": [1]}


def test_a_value_written_with_a_ttl_expires_in_the_call_and_in_the_store(
        make_ledger: LedgerFactory) -> None:
    now = [T0]
    ledger = make_ledger(clock=lambda: now[0])
    store = ledger.state("club", clock=lambda: now[0])
    call = CallState(store, clock=lambda: now[0])
    call.put("short", "soon gone", ttl=60)
    with store.exclusive("test") as conn:
        call.flush(conn)
    call.put("short", "again", ttl=60)
    assert store.get("short") == "soon gone"
    now[0] += dt.timedelta(seconds=61)
    assert call.get("short") is None
    assert store.get("short") is None


@pytest.fixture
def state_writes() -> Iterator[list[int]]:
    """For each committed transaction that wrote connector state, how many such statements."""
    counts: list[int] = []
    current: dict[int, int] = {}

    def executed(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith(("INSERT", "UPDATE", "DELETE")) and "CONNECTOR_STATE" in text:
            current[id(conn)] = current.get(id(conn), 0) + 1

    def committed(conn: Any) -> None:
        written = current.pop(id(conn), 0)
        if written:
            counts.append(written)

    def rolled_back(conn: Any) -> None:
        current.pop(id(conn), None)

    sa.event.listen(Engine, "after_cursor_execute", executed)
    sa.event.listen(Engine, "commit", committed)
    sa.event.listen(Engine, "rollback", rolled_back)
    try:
        yield counts
    finally:
        sa.event.remove(Engine, "after_cursor_execute", executed)
        sa.event.remove(Engine, "commit", committed)
        sa.event.remove(Engine, "rollback", rolled_back)


def test_a_message_set_call_stores_its_state_in_the_transaction_that_releases_the_mutex(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile,
        state_writes: list[int]) -> None:
    ledger.record(sample_records())
    ticket, _ = service.authenticate(USER, PASSWORD)
    version = max(company_file.supported_versions)
    major, minor = (int(p) for p in version.split("."))
    state_writes.clear()
    text = service.send_request_xml(ticket, "", "", company_file.edition, major, minor)
    assert "requestID" in text
    # Taking the mutex, then one transaction with the session, the outstanding set and the
    # mutex's release (they were four commits or more, one per key).
    assert len(state_writes) == 2
    assert state_writes[1] >= 2  # the keys in one upsert; the lease dropped
    assert ledger.state("club").get(OUTSTANDING) is not None


def test_a_call_that_fails_half_way_keeps_what_it_wrote_so_the_next_update_asks_about_the_set(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    real = document.message_set
    calls = [0]

    def fails_the_second_time(*args: Any, **kwargs: Any) -> str:
        calls[0] += 1
        if calls[0] == 2:  # the first set of work: claimed and stored as outstanding
            raise RuntimeError("the server died while building the set")
        return real(*args, **kwargs)

    monkeypatch.setattr(planner, "message_set", fails_the_second_time)
    with pytest.raises(RuntimeError):
        connector.run_update()
    assert ledger.state("club").get(OUTSTANDING) is not None
    monkeypatch.setattr(planner, "message_set", real)
    sync_until_idle(connector)
    assert synced_everything(ledger)
    assert company_file.write_count("InvoiceAdd", "9001") == 1


# -- the items of a set, kept for its answer ----------------------------------------------------


class SplitService(DirectService):
    """sendRequestXML to one server process, receiveResponseXML to another (or, with
    ``before_receive``, something happens between the two)."""

    def __init__(self, sender: QbwcService, receiver: QbwcService,
                 before_receive: Callable[[], None] | None = None) -> None:
        super().__init__(sender)
        self.receiver = receiver
        self.before_receive = before_receive

    def receiveResponseXML(self, *, ticket: str, response: str, hresult: str,
                           message: str) -> int:
        if self.before_receive is not None:
            self.before_receive()
        return self.receiver.receive_response_xml(ticket, response, hresult, message)


def split_connector(service: DirectService, company_file: CompanyFile) -> SimulatedWebConnector:
    return SimulatedWebConnector("direct://", USER, PASSWORD, company_file, service=service)


def counting_rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    rebuilt: list[int] = []
    real = PullQueue.held

    def held(self: PullQueue, item_ids: list[int]) -> list[Any]:
        rebuilt.extend(item_ids)
        return real(self, item_ids)

    monkeypatch.setattr(PullQueue, "held", held)
    return rebuilt


def test_the_answer_to_a_set_is_recorded_with_the_items_as_sent_not_read_again(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ledger.record(sample_records())
    rebuilt = counting_rebuilds(monkeypatch)
    sync_until_idle(web_connector(service, company_file))
    assert synced_everything(ledger)
    assert rebuilt == []


def test_an_answer_that_reaches_another_server_process_reads_the_items_again(
        ledger: Ledger, company_file: CompanyFile, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger.record(sample_records())
    rebuilt = counting_rebuilds(monkeypatch)
    connector = split_connector(SplitService(QbwcService(ledger), QbwcService(ledger)),
                                company_file)
    sync_until_idle(connector)
    assert synced_everything(ledger)
    assert rebuilt  # the receiving process had nothing kept: it read them
    assert company_file.write_count("InvoiceAdd", "9001") == 1


def test_an_item_claimed_by_another_session_since_its_set_was_sent_is_left_to_that_session(
        make_ledger: LedgerFactory, company_file: CompanyFile) -> None:
    now = [T0]
    ledger = make_ledger(clock=lambda: now[0])
    ledger.record(sample_records())
    service = QbwcService(ledger)
    taken: list[int] = []

    def lease_runs_out_and_another_session_claims() -> None:
        if taken:
            return
        in_flight = [i.id for i in ledger.items(limit=None)
                     if i.status == Status.IN_FLIGHT.value]
        if not in_flight:
            return  # the list reads: nothing claimed yet
        # Past the session's 15-minute leases, within its 30-minute ticket.
        now[0] += dt.timedelta(minutes=20)
        taken.extend(p.id for p in ledger.pull("club", owner="other-session").claim(100))

    connector = split_connector(
        SplitService(service, service, lease_runs_out_and_another_session_claims),
        company_file)
    report = connector.run_update()
    assert taken
    assert report.progress  # the answer was recorded (nothing of it for the taken items)
    for item_id in taken:
        item = next(i for i in ledger.items(limit=None) if i.id == item_id)
        assert item.status == Status.IN_FLIGHT.value  # still the other session's
        late = [e for e in ledger.history(item_id)
                if "after the lease was lost" in (e.reason or "")]
        assert late == []  # the answer was not applied to it, not even as a late result
