"""What taking and releasing the company's Web Connector mutex costs the database: the lease's
commit does not wait for the disk, the call's keys are read with the lease in one statement,
the release writes the call's state in a statement or two and waits for the disk only when the
call wrote something (qbwc/mutex.py, StateStore in core/src/ledgersync/_state.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgersync import Ledger
from ledgersync_qbd.qbwc.mutex import KEY, company_mutex
from ledgersync_qbd.qbwc.service import QbwcService

from .conftest import PASSWORD, USER

KEYS = [f"key:{n}" for n in range(5)]


def _durable(conn: Any) -> bool:
    """Whether the transaction about to commit on ``conn`` waits for the disk."""
    raw = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        return int(raw.execute("PRAGMA synchronous").fetchone()[0]) >= 2
    return str(raw.execute("SHOW synchronous_commit").fetchone()[0]) != "off"


@pytest.fixture
def commits() -> Iterator[list[tuple[bool, list[str]]]]:
    """Each commit: whether it waited for the disk, and its statements on connector_state."""
    seen: list[tuple[bool, list[str]]] = []
    statements: dict[int, list[str]] = {}

    def executed(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "CONNECTOR_STATE" in statement.upper():
            statements.setdefault(id(conn), []).append(statement.split()[0].upper())

    def committed(conn: Any) -> None:
        seen.append((_durable(conn), statements.pop(id(conn), [])))

    def rolled_back(conn: Any) -> None:
        statements.pop(id(conn), None)

    sa.event.listen(Engine, "after_cursor_execute", executed)
    sa.event.listen(Engine, "commit", committed)
    sa.event.listen(Engine, "rollback", rolled_back)
    try:
        yield seen
    finally:
        sa.event.remove(Engine, "after_cursor_execute", executed)
        sa.event.remove(Engine, "commit", committed)
        sa.event.remove(Engine, "rollback", rolled_back)


def _lock_statements(ledger: Ledger) -> list[str]:
    # PostgreSQL locks the lock's row; SQLite's BEGIN IMMEDIATE is the lock.
    return [] if ledger._database.dialect.name == "sqlite" else ["SELECT"]


def test_the_lease_commits_without_waiting_for_the_disk_and_the_call_state_with_it(
        ledger: Ledger, commits: list[tuple[bool, list[str]]]) -> None:
    store = ledger.state("club")
    store.put_many([(key, {"n": n}, None) for n, key in enumerate(KEYS)])
    with company_mutex(store):  # the first use makes PostgreSQL's lock row
        pass
    commits.clear()
    with company_mutex(store, load=KEYS) as call:
        assert [call.get(key) for key in KEYS] == [{"n": n} for n in range(5)]
        call.put("key:0", {"n": 10})
        call.put("new", "written")
        call.delete("key:1")
    lock = _lock_statements(ledger)
    assert commits == [
        # The lease, with the call's five keys read in the same statement.
        (False, [*lock, "SELECT", "INSERT"]),
        # The call's writes (one upsert, one delete) and the lease dropped: durable.
        (True, [*lock, "INSERT", "DELETE", "DELETE"]),
    ]
    assert store.get_many([*KEYS, KEY]) == {"key:0": {"n": 10}, "key:2": {"n": 2},
                                            "key:3": {"n": 3}, "key:4": {"n": 4}}
    assert store.get("new") == "written"
    # The relaxed setting was the lease transaction's only: the pooled connection is back
    # to the engine's own.
    with ledger._database.connect() as conn:
        assert _durable(conn)


def test_a_call_that_wrote_nothing_drops_its_lease_without_waiting_for_the_disk(
        ledger: Ledger, commits: list[tuple[bool, list[str]]]) -> None:
    store = ledger.state("club")
    with company_mutex(store):
        pass
    commits.clear()
    with company_mutex(store, load=KEYS) as call:
        assert call.get("key:0") is None
    lock = _lock_statements(ledger)
    assert commits == [(False, [*lock, "SELECT", "INSERT"]), (False, [*lock, "DELETE"])]
    assert store.get(KEY) is None


def test_a_release_leaves_a_lease_taken_over_by_another_call_alone(ledger: Ledger) -> None:
    store = ledger.state("club")
    with company_mutex(store, hold_seconds=0.0):
        # The lease ran out at once: another call takes the company over.
        other = {"holder": "other", "until": "2999-01-01T00:00:00+00:00"}
        store.put(KEY, other)
    assert store.get(KEY) == other


def test_reading_state_outside_a_transaction_does_not_take_the_sqlite_write_lock(
        ledger: Ledger) -> None:
    if ledger._database.dialect.name != "sqlite":
        pytest.skip("only SQLite has a database-wide write lock a read could take; "
                    "PostgreSQL reads lock nothing")
    store = ledger.state("club")
    store.put("k", 1)
    begins: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.upper().startswith("BEGIN"):
            begins.append(statement.upper())

    sa.event.listen(ledger._database, "after_cursor_execute", executed)
    try:
        assert store.get("k") == 1
        assert store.keys() == ["k"]
    finally:
        sa.event.remove(ledger._database, "after_cursor_execute", executed)
    assert begins == ["BEGIN", "BEGIN"]


def test_a_tickets_company_is_read_from_the_index_once_per_process(
        ledger: Ledger, service: QbwcService) -> None:
    ticket, _ = service.authenticate(USER, PASSWORD)
    statements: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(ledger._database, "after_cursor_execute", executed)
    try:
        assert service.sessions.company_of(ticket) == "club"
        read_once = len(statements)
        assert service.sessions.company_of(ticket) == "club"
    finally:
        sa.event.remove(ledger._database, "after_cursor_execute", executed)
    assert read_once > 0
    assert len(statements) == read_once
    # An ended session is gone however its company is found.
    session = service.sessions.load(ticket)
    assert session is not None
    service.sessions.end(session)
    assert service.sessions.load(ticket) is None


def test_a_failed_non_durable_transaction_leaves_the_connection_durable(
        ledger: Ledger) -> None:
    store = ledger.state("club")
    relaxed: list[bool] = []

    def work() -> None:
        with store.exclusive("work", durable=False) as conn:
            relaxed.append(not _durable(conn))
            raise LookupError("the work failed")

    with pytest.raises(LookupError, match="the work failed"):
        work()
    assert relaxed == [True]
    with ledger._database.connect() as conn:
        assert _durable(conn)
