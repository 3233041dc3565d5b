"""`ledger.record(records, connection=conn)` joins the caller's own transaction: the MMS write
and the queued sync commit or roll back together.

The caller is an MMS with its own SQLAlchemy engine (plain, not ledgersync's) on the database
that holds the ledger: a SQLite file, and PostgreSQL when configured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

import ledgersync
from ledgersync import Ledger
from ledgersync._ledger.schema import sync_events, sync_items
from ledgersync.testing import FakePlugin

mms_invoices = sa.Table(
    "mms_invoices", sa.MetaData(),
    sa.Column("id", sa.String(20), primary_key=True),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
)


@pytest.fixture
def ledger(backend_url: str, tmp_path: Path) -> Iterator[Ledger]:
    config = ledgersync.parse_config({
        "ledger": {"url": backend_url},
        "companies": {"club": {"connector": "fake",
                               "fake": {"books_path": str(tmp_path / "books.db")}}},
    })
    with ledgersync.open(config, plugins=[FakePlugin()], load_entrypoints=False) as opened:
        yield opened


@pytest.fixture
def mms(backend_url: str, ledger: Ledger) -> Iterator[sa.Engine]:
    """The MMS's own engine, with its own table next to the ledger's."""
    engine = sa.create_engine(backend_url)
    mms_invoices.create(engine)
    yield engine
    mms_invoices.drop(engine)
    engine.dispose()


def _records() -> list[ledgersync.Record]:
    line = ledgersync.InvoiceLine(account_id="4000", description="Dues", quantity=Decimal(1),
                                  rate=Decimal("120.00"), amount=Decimal("120.00"))
    return [
        ledgersync.Member(mms_id="M1", display_name="Ann Sailor"),
        ledgersync.Invoice(mms_id="INV-1", member_id="M1", number="INV-1",
                           txn_date=dt.date(2026, 3, 1), currency="USD", lines=[line]),
    ]


def _count(ledger: Ledger, table: sa.Table) -> int:
    with ledger._database.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _mms_rows(mms: sa.Engine) -> int:
    with mms.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(mms_invoices))
                   .scalar_one())


def _write_and_record(ledger: Ledger, conn: sa.Connection) -> ledgersync.RecordSummary:
    conn.execute(sa.insert(mms_invoices).values(id="INV-1", amount=Decimal("120.00")))
    return ledger.record(_records(), connection=conn)


def test_rollback_of_the_callers_transaction_queues_nothing(
    ledger: Ledger, mms: sa.Engine
) -> None:
    with mms.connect() as conn:
        transaction = conn.begin()
        summary = _write_and_record(ledger, conn)
        assert summary["new"] == 2  # queued inside the transaction...
        transaction.rollback()
    assert _count(ledger, sync_items) == 0  # ...and gone with it
    assert _mms_rows(mms) == 0


def test_rollback_of_the_callers_transaction_leaves_no_event(
    ledger: Ledger, mms: sa.Engine
) -> None:
    with mms.connect() as conn:
        transaction = conn.begin()
        _write_and_record(ledger, conn)
        transaction.rollback()
    assert _count(ledger, sync_events) == 0
    assert ledger.status_counts() == {}


def test_exception_in_the_callers_transaction_rolls_back_the_queue(
    ledger: Ledger, mms: sa.Engine
) -> None:
    def write_then_fail() -> None:
        with mms.begin() as conn:
            _write_and_record(ledger, conn)
            raise RuntimeError("MMS failed after recording")

    with pytest.raises(RuntimeError, match="MMS failed"):
        write_then_fail()
    assert _count(ledger, sync_items) == 0
    assert _mms_rows(mms) == 0


def test_commit_of_the_callers_transaction_queues_the_items(
    ledger: Ledger, mms: sa.Engine
) -> None:
    with mms.begin() as conn:
        _write_and_record(ledger, conn)
    items = {(i.kind, i.mms_id) for i in ledger.items()}
    assert items == {("member", "M1"), ("invoice", "INV-1")}
    assert _count(ledger, sync_events) >= 2
    assert _mms_rows(mms) == 1


def test_records_rolled_back_are_new_work_when_recorded_again(
    ledger: Ledger, mms: sa.Engine
) -> None:
    with mms.connect() as conn:
        transaction = conn.begin()
        _write_and_record(ledger, conn)
        transaction.rollback()
    with mms.begin() as conn:
        summary = _write_and_record(ledger, conn)
    assert summary["new"] == 2
    assert summary["unchanged"] == 0


def test_committed_items_are_synced_by_the_ledger(ledger: Ledger, mms: sa.Engine) -> None:
    with mms.begin() as conn:
        conn.execute(sa.insert(mms_invoices).values(id="M1", amount=Decimal(0)))
        ledger.record(_records()[:1], connection=conn)
    summary = ledger.sync("club")
    assert summary.outcomes == {"synced": 1}
