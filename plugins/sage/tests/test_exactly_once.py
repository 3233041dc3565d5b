"""Exactly once over the XML gateway: uniqueid and controlids, REFERENCENO lookups after a
doubt, several functions per request with each result on its own item."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import httpx
import pytest

from ledgersync import (
    Action,
    ExportRequest,
    ExportResult,
    Invoice,
    InvoiceLine,
    ItemFilter,
    JournalEntry,
    JournalLine,
    Ledger,
    Member,
    Operation,
    Record,
)
from ledgersync_sage.connector import SageConnector
from ledgersync_sage.errors import IntacctError, IntacctFailure
from ledgersync_sage.sandbox import Sandbox

from .conftest import COMPANY, Clock, sync_once, sync_until_idle

DAY = dt.date(2026, 3, 2)


def records(n: int = 3) -> list[Record]:
    out: list[Record] = []
    for i in range(1, n + 1):
        out.append(Member(mms_id=f"M-{i}", display_name=f"Member {i}"))
        out.append(JournalEntry(mms_id=f"JE-{i}", txn_date=DAY, currency="USD", lines=(
            JournalLine(account_id="1000", debit=D(f"{i}0.00"), member_id=f"M-{i}"),
            JournalLine(account_id="4000", credit=D(f"{i}0.00")))))
    return out


def statuses(ledger: Ledger) -> dict[str, str]:
    return {i.mms_id: i.status for i in ledger.items(limit=None)}


@pytest.fixture
def seen(in_process: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bodies of the requests the connector sends."""
    bodies: list[bytes] = []
    inner = in_process.transport()

    def spy(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        return inner.handle_request(request)

    monkeypatch.setattr(SageConnector, "transport", httpx.MockTransport(spy))
    return bodies


def test_writes_carry_uniqueid_and_the_item_versions_controlid(
        ledger: Ledger, seen: list[bytes]) -> None:
    ledger.record(records(1))
    sync_once(ledger)
    writes = [b for b in seen if b"<create>" in b]
    item = next(i for i in ledger.items(ItemFilter(kind="journal_entry")))
    assert writes
    assert all(b"<uniqueid>true</uniqueid>" in b for b in writes)
    key = re.search(rb'controlid="([^"]+)"><create><GLBATCH>', writes[-1])
    assert key is not None
    history = " ".join(e.reason or "" for e in ledger.history(item.id))
    assert item.status == "synced"
    assert "synced" in history
    assert b"<REFERENCENO>LS-JE-JE-1</REFERENCENO>" in writes[-1]


def test_several_entries_share_a_request_and_each_result_lands_on_its_item(
        ledger: Ledger, in_process: Sandbox, seen: list[bytes]) -> None:
    in_process.company().accounts["4000"].active = False  # JE-2 will be refused
    recs = records(3)
    recs[3] = JournalEntry(mms_id="JE-2", txn_date=DAY, currency="USD", lines=(
        JournalLine(account_id="1000", debit=D("5.00")),
        JournalLine(account_id="4000", credit=D("5.00"))))
    recs[1] = JournalEntry(mms_id="JE-1", txn_date=DAY, currency="USD", lines=(
        JournalLine(account_id="1000", debit=D("5.00")),
        JournalLine(account_id="1499", credit=D("5.00"))))
    recs[5] = JournalEntry(mms_id="JE-3", txn_date=DAY, currency="USD", lines=(
        JournalLine(account_id="1000", debit=D("7.00")),
        JournalLine(account_id="1499", credit=D("7.00"))))
    ledger.record(recs)
    sync_once(ledger, seconds=60)  # ends when idle; the deadline only guards a loaded machine
    result = statuses(ledger)
    assert result["JE-1"] == result["JE-3"] == "synced"
    assert result["JE-2"] == "error"
    failed = next(i for i in ledger.items(ItemFilter(kind="journal_entry", mms_id="JE-2")))
    assert "Account 4000 is not valid" in (failed.error_message or "")
    assert "ledgersync map account harbor 4000" in (failed.error_remedy or "")
    entry_requests = [b for b in seen if b"<GLBATCH>" in b]
    assert len(entry_requests) == 1
    assert entry_requests[0].count(b"<GLBATCH>") == 3


@pytest.mark.parametrize("fault", ["lost", "timeout"])
def test_an_answer_lost_after_the_post_is_found_by_reference_not_posted_again(
        ledger: Ledger, in_process: Sandbox, clock: Clock, fault: str) -> None:
    in_process.inject(fault, match="<create><GLBATCH>")
    ledger.record(records(2))
    sync_once(ledger)
    assert "in_doubt" in statuses(ledger).values()
    sync_until_idle(ledger, clock)
    assert set(statuses(ledger).values()) == {"synced"}
    for mms_id in ("JE-1", "JE-2"):
        assert in_process.count("journal_entry", mms_id) == 1


def test_a_503_before_processing_is_retried_and_posts_once(
        ledger: Ledger, in_process: Sandbox, clock: Clock) -> None:
    in_process.inject("http_503", match="<create><GLBATCH>")
    ledger.record(records(1))
    sync_until_idle(ledger, clock)
    assert in_process.count("journal_entry", "JE-1") == 1
    assert statuses(ledger)["JE-1"] == "synced"


def test_a_replayed_controlid_is_answered_with_the_entry_it_made(
        ledger: Ledger, in_process: Sandbox, seen: list[bytes]) -> None:
    ledger.record(records(1))
    sync_once(ledger)
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, SageConnector)
    item = next(i for i in ledger.items(ItemFilter(kind="journal_entry")))
    sent = next(b for b in seen if b"<GLBATCH>" in b)
    key = re.search(rb'controlid="([^"]+)"><create>', sent)
    assert key is not None
    record = ledger.recorded(COMPANY, "journal_entry", "JE-1")
    assert record is not None
    request = ExportRequest(item_id=item.id, company=COMPANY, kind="journal_entry",
                            operation=Operation.CREATE, record=record,
                            idempotency_key=key.group(1).decode(), attempt=2,
                            references={("gl_account", "1000"): "1000",
                                        ("gl_account", "4000"): "4000",
                                        ("member", "M-1"): "M-1"})
    again = connector.export(request)
    assert again.external_id == item.external_id
    assert any("already run" in w for w in again.warnings)
    assert in_process.count("journal_entry", "JE-1") == 1


def test_a_replay_refusal_is_classified_as_in_doubt() -> None:
    failure = IntacctFailure.of("result", [IntacctError(
        errorno="BL01001973", description2="A function with control ID 'k' was already "
        "executed for this company")])
    request = ExportRequest(item_id=1, company=COMPANY, kind="journal_entry",
                            operation=Operation.CREATE, record=records(1)[1],
                            idempotency_key="k", attempt=1)
    from ledgersync_sage.classify import classify
    assert classify(failure, request, company=COMPANY).action is Action.IN_DOUBT


def test_throttling_holds_the_company_back_without_spending_an_attempt(
        ledger: Ledger, in_process: Sandbox, clock: Clock) -> None:
    in_process.inject("throttle", match="<create><GLBATCH>")
    ledger.record(records(1))
    sync_once(ledger)
    item = next(i for i in ledger.items(ItemFilter(kind="journal_entry")))
    assert (item.status, item.attempts) == ("retry_wait", 0)
    sync_until_idle(ledger, clock)
    assert in_process.count("journal_entry", "JE-1") == 1


def test_an_invoice_waits_for_its_unmapped_account_and_the_map_command_releases_it(
        ledger: Ledger, in_process: Sandbox, clock: Clock) -> None:
    ledger.unmap(COMPANY, "gl_account", "4100")
    ledger.record([
        Member(mms_id="M-1", display_name="Member 1"),
        *records(1)[1:],
        Invoice(mms_id="INV-1", member_id="M-1", number="1", txn_date=DAY, currency="USD",
                lines=(InvoiceLine(account_id="4100", quantity=D(1), rate=D(10),
                                   amount=D(10)),))])
    sync_until_idle(ledger, clock)
    blocked = next(i for i in ledger.items(ItemFilter(kind="invoice")))
    assert blocked.status == "blocked"
    assert statuses(ledger)["JE-1"] == "synced"  # the others are not held back
    assert ledger.map(COMPANY, "gl_account", "4100", "4100") == 1
    sync_until_idle(ledger, clock)
    assert in_process.count("invoice", "INV-1") == 1


def test_a_failed_request_fails_only_the_entries_it_carried(
        in_process: Sandbox, clock: Clock) -> None:
    from ledgersync_sage.exporter import XmlExporter
    from ledgersync_sage.gateway import XmlGateway
    from ledgersync_sage.settings import SageSettings

    from .conftest import sandbox_settings

    settings = SageSettings(**sandbox_settings(functions_per_request=1))
    exporter = XmlExporter(XmlGateway(settings, transport=in_process.transport(), clock=clock),
                           settings)
    recs = [r for r in records(2) if r.kind == "journal_entry"]
    refs = {("gl_account", "1000"): "1000", ("gl_account", "4000"): "4000",
            ("member", "M-1"): "M-1", ("member", "M-2"): "M-2"}
    requests = [ExportRequest(item_id=n, company=COMPANY, kind=r.kind,
                              operation=Operation.CREATE, record=r, idempotency_key=f"k-{n}",
                              attempt=1, references=refs) for n, r in enumerate(recs)]
    for member in ("M-1", "M-2"):
        in_process.company().add_dimension("CUSTOMER", member)
    in_process.inject("http_503", match="LS-JE-JE-2")
    first, second = exporter.export_batch(requests)
    assert isinstance(first, ExportResult)
    assert isinstance(second, IntacctFailure)
    assert in_process.count("journal_entry", "JE-1") == 1
