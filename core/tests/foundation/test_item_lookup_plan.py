"""Looking up one record's items reads that record's rows, not every item of its kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

import ledgersync
from ledgersync import ItemFilter


def test_one_records_items_are_found_through_the_unique_index_on_sqlite(
        tmp_path: Path) -> None:
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"harbor": {"connector": "fake",
                                 "fake": {"books_path": str(tmp_path / "books.db")}}},
    })
    ledger = ledgersync.open(config)
    try:
        ledger.record([ledgersync.Member(mms_id=f"M{n}", display_name=f"Member {n}")
                       for n in range(3)], companies=["harbor"])
        engine: sa.Engine = ledger._database  # the test reads the plan of what was sent
        seen: list[tuple[str, Any]] = []

        def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                 executemany: bool) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "FROM sync_items" in statement:
                seen.append((statement, parameters))

        sa.event.listen(engine, "before_cursor_execute", keep)
        [item] = ledger.items(ItemFilter(company="harbor", kind="member", mms_id="M1"))
        sa.event.remove(engine, "before_cursor_execute", keep)
        assert item.mms_id == "M1"
        [(statement, parameters)] = seen
        with engine.connect() as conn:
            plan = " ".join(row[3] for row in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters).all())
        assert "ix_sync_items_kind" not in plan, plan
        assert "mms_id=?" in plan, plan
    finally:
        ledger.close()
