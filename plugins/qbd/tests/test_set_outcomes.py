"""The outcomes of one answer (receiveResponseXML) are written together: the successes of a
message set in one transaction (``PullQueue.succeed_many``), not one commit per item, and a
server that dies before that commit leaves every record in QuickBooks exactly once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgersync import Invoice, InvoiceLine, ItemFilter, Ledger, Member, Record, Status
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.testing import CompanyFileProbe

from .conftest import LedgerFactory, sync_until_idle, web_connector

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
KINDS = ("member", "invoice", "payment", "credit_memo", "refund", "journal_entry")


def many_invoices(count: int = 12) -> list[Record]:
    """Members and one invoice each: sets full of independent writes."""
    records: list[Record] = [Member(mms_id=f"MB{n}", display_name=f"Bulk Member {n}")
                             for n in range(count)]
    for n in range(count):
        line = InvoiceLine(item_id="DUES", description="Dues", quantity=Decimal(1),
                           rate=Decimal("45.00"), amount=Decimal("45.00"))
        records.append(Invoice(mms_id=f"IB{n}", member_id=f"MB{n}", number=f"B-{n}",
                               txn_date=dt.date(2026, 3, 1), currency="USD", lines=(line,)))
    return records


class ItemWrites:
    """Per receiveResponseXML call: the committed transactions that changed ``sync_items``,
    and how many items became synced in the call."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.calls: list[tuple[int, int]] = []
        self._wrote: set[int] = set()
        self._transactions = 0

    def executed(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE SYNC_ITEMS"):
            self._wrote.add(id(conn))

    def committed(self, conn: Any) -> None:
        if id(conn) in self._wrote:
            self._wrote.discard(id(conn))
            self._transactions += 1

    def synced(self) -> int:
        return sum(1 for i in self.ledger.items(ItemFilter(status=[Status.SYNCED]), limit=None))


@pytest.fixture
def item_writes(ledger: Ledger, service: QbwcService,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[ItemWrites]:
    writes = ItemWrites(ledger)
    real = service.receive_response_xml

    def receive(*args: Any, **kwargs: Any) -> int:
        before, writes._transactions = writes.synced(), 0
        try:
            return real(*args, **kwargs)
        finally:
            writes.calls.append((writes._transactions, writes.synced() - before))

    monkeypatch.setattr(service, "receive_response_xml", receive)
    sa.event.listen(Engine, "after_cursor_execute", writes.executed)
    sa.event.listen(Engine, "commit", writes.committed)
    try:
        yield writes
    finally:
        sa.event.remove(Engine, "after_cursor_execute", writes.executed)
        sa.event.remove(Engine, "commit", writes.committed)


def test_the_successes_of_a_message_set_are_written_in_one_transaction(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile,
        item_writes: ItemWrites) -> None:
    ledger.record([*sample_records(), *many_invoices()])
    sync_until_idle(web_connector(service, company_file))
    assert {i.status for i in ledger.items(limit=None)} == {Status.SYNCED.value}
    answers_with_successes = [(t, n) for t, n in item_writes.calls if n > 0]
    assert max(n for _, n in answers_with_successes) >= 8  # sets of several items
    # One transaction recorded each answer's items, however many succeeded (one each before).
    assert {t for t, _ in answers_with_successes} == {1}, item_writes.calls


class KilledBeforeCommit:
    """Kills the server (raises) when it is about to commit the first invoices it links: the
    answer came back from QuickBooks, its outcomes are not committed."""

    def __init__(self) -> None:
        self.armed = True
        self._linking: set[int] = set()

    def executed(self, conn: Any, _cursor: Any, statement: str, parameters: Any,
                 *_args: Any) -> None:
        text = statement.lstrip().upper()
        if self.armed and text.startswith("INSERT INTO LINKS") and "invoice" in str(parameters):
            self._linking.add(id(conn))

    def committing(self, conn: Any) -> None:
        if id(conn) in self._linking:
            self._linking.clear()
            self.armed = False
            raise RuntimeError("the server process was killed")


def test_a_server_killed_before_the_outcomes_commit_leaves_every_record_exactly_once(
        make_ledger: LedgerFactory, company_file: CompanyFile) -> None:
    now = [T0]
    ledger = make_ledger(clock=lambda: now[0])
    records = [*sample_records(), *many_invoices()]
    ledger.record(records)
    kill = KilledBeforeCommit()
    sa.event.listen(Engine, "after_cursor_execute", kill.executed)
    sa.event.listen(Engine, "commit", kill.committing)
    try:
        with pytest.raises(RuntimeError, match="killed"):
            sync_until_idle(web_connector(QbwcService(ledger), company_file))
    finally:
        sa.event.remove(Engine, "after_cursor_execute", kill.executed)
        sa.event.remove(Engine, "commit", kill.committing)
    # QuickBooks ran the set; nothing of its answer was recorded.
    lost = ledger.items(ItemFilter(status=[Status.IN_FLIGHT]), limit=None)
    assert any(i.kind == "invoice" for i in lost)
    probe = CompanyFileProbe(company_file, "club")
    assert all(probe.count(i.kind, i.mms_id) == 1 for i in lost)

    now[0] += dt.timedelta(minutes=20)  # past the dead session's leases
    sync_until_idle(web_connector(QbwcService(ledger), company_file))  # a restarted server

    assert {i.status for i in ledger.items(limit=None)} == {Status.SYNCED.value}
    for record in records:
        if record.kind in KINDS:
            assert probe.count(record.kind, record.mms_id) == 1, record.mms_id
