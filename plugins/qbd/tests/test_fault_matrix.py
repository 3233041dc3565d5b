"""The fault matrix (bench/campaign.md): each failure of the Web Connector path, injected while
the sample records sync through the simulated Web Connector, must end tied out: every item
synced, every record in the company file exactly once, every customer's balance the MMS one
(``ledgersync reconcile``, after an update that read the customer list again).

429/5xx and tokens do not apply (QuickBooks Desktop answers through the Web Connector, which
signs in with a password each session).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
import pytest

from ledgersync import ConnectorError, ItemFilter, Ledger, Member, Record, Status
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector
from ledgersync_qbd.testing import CompanyFileProbe

from .conftest import LedgerFactory, sync_until_idle, web_connector

COMPANY = "club"
UNFINISHED = {"pending", "retry_wait", "in_doubt", "in_flight", "blocked"}
KINDS = ("member", "invoice", "payment", "credit_memo", "refund", "journal_entry")


class Clock:
    """The ledger's clock, moved on an hour when work waits for a backoff."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@attrs.define
class World:
    ledger: Ledger
    service: QbwcService
    company: CompanyFile
    wc: SimulatedWebConnector
    records: list[Record]
    clock: Clock

    def sync(self, *, settled: frozenset[str] = frozenset()) -> None:
        """Updates until nothing is left (but items in ``settled``), letting backoffs pass."""
        for _ in range(10):
            sync_until_idle(self.wc)
            counts = self.ledger.status_counts(COMPANY)
            if not any(s in UNFINISHED - settled for (_, s) in counts):
                return
            self.clock.now += dt.timedelta(hours=1)
        raise AssertionError(f"still unfinished: {counts}")

    def restart_server(self) -> None:
        """A new service: the sessions held in the old process are gone."""
        self.service = QbwcService(self.ledger)
        self.wc = web_connector(self.service, self.company)


@pytest.fixture
def world(make_ledger: LedgerFactory, company_file: CompanyFile) -> World:
    clock = Clock()
    ledger = make_ledger(clock=clock)
    service = QbwcService(ledger)
    return World(ledger, service, company_file, web_connector(service, company_file),
                 sample_records(), clock)


def assert_tied_out(w: World) -> None:
    w.sync()
    try:
        report = w.ledger.reconcile(COMPANY)
    except ConnectorError:  # read before the last write: the next update reads them again
        w.sync()
        report = w.ledger.reconcile(COMPANY)
    assert report.ties_out, report.mismatches
    statuses = {(i.kind, i.mms_id): i.status
                for i in w.ledger.items(ItemFilter(company=COMPANY), limit=None)}
    assert set(statuses.values()) == {"synced"}, statuses
    probe = CompanyFileProbe(w.company, COMPANY)
    for record in w.records:
        if record.kind in KINDS:
            assert probe.count(record.kind, record.mms_id) == 1, record.mms_id


def _wc_fault(kind: str, contains: str) -> Callable[[World], None]:
    def cell(w: World) -> None:
        fault = w.wc.inject(kind, contains=contains)
        w.ledger.record(w.records)
        w.sync()
        assert fault not in w.wc.faults, "the fault never fired"

    cell.__name__ = kind
    return cell


def answer_lost_between_quickbooks_and_the_web_connector(w: World) -> None:
    w.company.lose_next_response()
    w.ledger.record(w.records)
    w.sync()
    assert w.company.faults.lose_count == 0


def server_restarted_with_a_set_outstanding(w: World) -> None:
    w.wc.inject("drop_response", contains="InvoiceAddRq")
    w.ledger.record(w.records)
    assert w.wc.run_update().outcome == "died"
    w.restart_server()
    w.sync()


def company_file_in_use(w: World) -> None:
    w.company.inject_status(3180, request_type="InvoiceAddRq", times=2)
    w.ledger.record(w.records)
    w.sync()
    assert not w.company.faults.statuses, "the fault never fired"


def stale_edit_sequence(w: World) -> None:
    w.ledger.record(w.records)
    w.sync()
    member = next(r for r in w.records if isinstance(r, Member))
    customer = w.company.customer(member.display_name)
    assert customer is not None
    # The bookkeeper edits the customer in QuickBooks; then the MMS changes the member.
    w.company.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
        f'"stopOnError"><CustomerModRq><CustomerMod><ListID>{customer.list_id}</ListID>'
        f"<EditSequence>{customer.edit_sequence}</EditSequence><Phone>555-0100</Phone>"
        "</CustomerMod></CustomerModRq></QBXMLMsgsRq></QBXML>")
    changed = attrs.evolve(member, email="new.address@example.org")
    w.records[w.records.index(member)] = changed
    w.ledger.record([changed])
    w.sync()
    updated = w.company.customer(member.display_name)
    assert updated is not None
    assert updated.fields["Email"][0].text == "new.address@example.org"


def closed_period(w: World) -> None:
    day = min(r.txn_date for r in w.records if hasattr(r, "txn_date"))
    w.company.set_closing_date(day)  # with its password: QuickBooks refuses, 3171
    w.ledger.record(w.records)
    w.sync(settled=frozenset({"blocked"}))  # what depends on a refused item waits for it
    failed = w.ledger.items(ItemFilter(company=COMPANY, status=[Status.ERROR]), limit=None)
    assert failed
    assert {i.error_code for i in failed} == {"3171"}
    for item in failed:
        assert "closing date" in (item.error_message or "")
        assert f"ledgersync requeue --company {COMPANY} --kind {item.kind} --mms-id " \
            f"{item.mms_id}" in (item.error_remedy or "")
    # Nothing dated in the closed period reached the company file, nothing was retried.
    probe = CompanyFileProbe(w.company, COMPANY)
    assert all(probe.count(i.kind, i.mms_id) == 0 for i in failed)
    # The bookkeeper reopens the period; the operator requeues what needed a person.
    w.company.set_closing_date(None)
    assert w.ledger.requeue(ItemFilter(company=COMPANY, status=[Status.ERROR])) == len(failed)
    w.sync()


Cell = Callable[[World], None]
dropped_response = _wc_fault("drop_response", "InvoiceAddRq")
died_before_quickbooks_ran_the_set = _wc_fault("die_before_run", "ReceivePaymentAddRq")
timed_out_after_the_answer = _wc_fault("timeout_after_receive", "InvoiceAddRq")
request_processor_failed = _wc_fault("hresult", "InvoiceAddRq")
FAST: list[Cell] = [dropped_response, died_before_quickbooks_ran_the_set,
                    server_restarted_with_a_set_outstanding, stale_edit_sequence]
SLOW: list[Cell] = [timed_out_after_the_answer, request_processor_failed,
                    answer_lost_between_quickbooks_and_the_web_connector, company_file_in_use,
                    closed_period]
CELLS = [pytest.param(c, id=c.__name__) for c in FAST] + [
    pytest.param(c, id=c.__name__, marks=pytest.mark.slow) for c in SLOW]


@pytest.mark.parametrize("cell", CELLS)
def test_every_fault_ends_tied_out_with_no_duplicate_and_no_loss(cell: Cell,
                                                                 world: World) -> None:
    cell(world)
    assert_tied_out(world)
