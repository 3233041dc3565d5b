"""Recording many records in one call: the same rows as one call per record, in a few
statements whatever the number of records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import ledgersync
from ledgersync import GoNoGo, hookimpl
from ledgersync._ledger.schema import sync_events, sync_item_dependencies, sync_items
from ledgersync.testing import empty_database

JAN_15, FEB_1 = dt.date(2026, 1, 15), dt.date(2026, 2, 1)
COMPANIES = {"harbor": {"in_sync_date": FEB_1}, "review": {"approval_required": True}}


class HoldMemo:
    @hookimpl
    def ledgersync_mark_go_no_go(self, company, record):
        if getattr(record, "memo", None) == "hold":
            return GoNoGo.no_go("the treasurer holds this one")
        return None


def _records(rec: Any) -> tuple[list[ledgersync.Record], list[ledgersync.Record]]:
    """Records queued before the big call, and the 1,000 of the big call: new members and
    invoices (their dependencies), no-go by date and by vote, records already queued
    (unchanged, changed, voided) and records repeated within the call."""
    before = [rec.member(f"M{i}") for i in range(20)]
    before += [rec.invoice(f"OLD{i}", f"M{i}") for i in range(10)]
    call: list[ledgersync.Record] = []
    call += [rec.member(f"M{i}") for i in range(10)]  # unchanged
    call += [rec.member(f"M{i}", name=f"Renamed {i}") for i in range(10, 20)]  # changed
    call += [rec.invoice(f"OLD{i}", f"M{i}", voided=True) for i in range(5)]  # voided
    call += [rec.member(f"N{i}") for i in range(400)]
    call += [rec.invoice(f"I{i}", f"N{i % 400}", date=JAN_15 if i % 7 == 0 else FEB_1,
                         memo="hold" if i % 11 == 0 else "") for i in range(565)]
    call += [rec.member("N3", name="Changed in the same call"),
             rec.invoice("I5", "N5", voided=True, date=FEB_1),
             rec.member("N4"),  # the same content again: unchanged
             rec.invoice("I6", "N6", amount="7.00", date=FEB_1),
             rec.member("N7", name="Third version")]
    call += [rec.invoice(f"OLD{i}", f"M{i}", amount="55.00") for i in range(5, 10)]
    assert len(call) == 1000
    return before, call


def _rows(ledger: ledgersync.Ledger) -> dict[str, list[tuple[Any, ...]]]:
    with ledger._database.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(
            sa.select(table).order_by(*table.primary_key.columns))]
            for table in (sync_items, sync_item_dependencies, sync_events)}


def _recorded(world: Any, clock: Any, rec: Any, *, one_call: bool
              ) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, int]]:
    clock.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    ledger = world.open(COMPANIES, plugins=(HoldMemo(),))
    before, call = _records(rec)
    ledger.record(before)
    ledger.sync("harbor")  # synced creates: their changes become update and void items
    if one_call:
        counts = dict(ledger.record(call).counts)
    else:
        total = ledgersync.RecordSummary()
        for record in call:
            total.merge(ledger.record([record]))
        counts = dict(total.counts)
    rows = _rows(ledger)
    ledger.close()
    return rows, counts


def test_a_thousand_records_in_one_call_write_the_same_rows_as_one_call_each(
        world, clock, rec, database_url):
    bulk, bulk_counts = _recorded(world, clock, rec, one_call=True)
    empty_database(database_url)
    for company in COMPANIES:
        Path(world.books_path(company)).unlink(missing_ok=True)

    single, single_counts = _recorded(world, clock, rec, one_call=False)

    assert bulk_counts == single_counts
    assert {"new", "updated", "unchanged", "voided"} <= set(bulk_counts)
    for table in ("sync_items", "sync_item_dependencies", "sync_events"):
        assert bulk[table] == single[table], table


def test_a_thousand_new_records_take_a_few_statements_not_one_per_record(ledger, rec):
    statements: list[str] = []
    sa.event.listen(ledger._database, "before_cursor_execute",
                    lambda conn, cursor, sql, *rest: statements.append(sql))
    records = [rec.member(f"M{i}") for i in range(500)]
    records += [rec.invoice(f"I{i}", f"M{i}") for i in range(500)]

    summary = ledger.record(records)

    assert summary["new"] == 1000
    assert len(statements) <= 20, statements[:30]
    assert len(ledger.items(limit=None)) == 1000


def test_one_new_record_takes_one_read_of_the_company_one_of_its_item_and_two_inserts(
        ledger, rec):
    """An MMS saving one invoice pays per statement (each is planned on PostgreSQL): the
    company's row and its in-sync date come in one read, the item's by its key."""
    ledger.record([rec.member("M0")])  # the company's row exists
    statements: list[str] = []
    sa.event.listen(ledger._database, "before_cursor_execute",
                    lambda conn, cursor, sql, *rest: statements.append(" ".join(sql.split())))

    ledger.record([rec.member("M1")])

    statements = [s for s in statements if not s.startswith("BEGIN")]  # SQLite's own
    verbs = [s.split()[0] + " " + s.split(" FROM ")[-1].split()[0] if s.startswith("SELECT")
             else " ".join(s.split()[:3]) for s in statements]
    assert verbs == ["SELECT companies", "SELECT sync_items",
                     "INSERT INTO sync_items", "INSERT INTO sync_events"], statements
    assert "unnest" not in statements[1]
    assert " IN " not in statements[1]
