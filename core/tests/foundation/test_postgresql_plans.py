"""On PostgreSQL, every execution of a prepared statement is planned for its own parameters.

A generic plan is made once for the table as it was: the ledger's tables grow from empty far
faster than autovacuum re-analyzes them, and a plan made on an empty table reads every row for
each parameter of a list (bench/RESULTS.md, "Issue 16, session 21")."""

from __future__ import annotations

import os

import pytest

from ledgersync._ledger.database import create_ledger_engine

URL = os.environ.get("LEDGERSYNC_TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql"),
    reason="a PostgreSQL setting: runs when LEDGERSYNC_TEST_DATABASE_URL names PostgreSQL")


@pytest.mark.parametrize("engine_options", [{}, {"pool_pre_ping": True}],
                         ids=["default pool", "pool_pre_ping"])
def test_every_ledger_connection_plans_each_execution(engine_options: dict[str, bool]) -> None:
    engine = create_ledger_engine(URL, **engine_options)
    try:
        for _ in range(2):  # a connection made afresh after the pool dropped the first one
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == \
                    "force_custom_plan"
            engine.dispose()
    finally:
        engine.dispose()


def test_the_setting_survives_a_rolled_back_transaction() -> None:
    engine = create_ledger_engine(URL)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            conn.rollback()
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == \
                "force_custom_plan"
    finally:
        engine.dispose()
