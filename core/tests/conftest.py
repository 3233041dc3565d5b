"""Shared fixtures: a ledger on a fresh database with the fake connector, and a clock to drive it.

The database is a SQLite file under ``tmp_path``, or the database named by the environment
variable ``LEDGERSYNC_TEST_DATABASE_URL`` (e.g. PostgreSQL), emptied before every test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import ledgersync
from ledgersync import EngineSettings, Ledger
from ledgersync._engine.context import Clock as EngineClock
from ledgersync._ledger.schema import sync_items
from ledgersync.testing import FakeBooks, FakePlugin, empty_database

DATABASE_URL_ENV = "LEDGERSYNC_TEST_DATABASE_URL"

#: Small, quick settings: a retry waits longer than a run lingers, a throttle (1 s) less.
SETTINGS = EngineSettings(
    lease_seconds=60.0,
    backoff_base_seconds=10.0,
    backoff_cap_seconds=40.0,
    max_attempts=3,
    claim_batch=10,
    linger_seconds=5.0,
    poll_seconds=0.5,
)

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    """The ledger's clock and the scheduler's ``time``: it moves 1 ms per reading (time does
    pass, and two runs opened in a row get distinct times) and jumps when a test moves it.

    ``sleep`` advances the clock, so a run that waits for a throttle to pass does so at once.
    A run that keeps sleeping zero seconds is spinning: that fails the test instead of hanging.
    """

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start
        self._monotonic = 1_000.0
        self._idle_spins = 0

    TICK = dt.timedelta(milliseconds=1)

    def __call__(self) -> dt.datetime:
        self.now += self.TICK
        self._monotonic += self.TICK.total_seconds()
        return self.now

    def advance(self, seconds: float = 0.0, **delta: float) -> dt.datetime:
        step = dt.timedelta(seconds=seconds, **delta)
        self.now += step
        self._monotonic += step.total_seconds()
        return self.now

    def monotonic(self) -> float:
        return self._monotonic

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            self._idle_spins += 1
            if self._idle_spins > 500:
                raise AssertionError("the scheduler is spinning: it keeps sleeping 0 s")
        else:
            self._idle_spins = 0
        self.advance(seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def engine_clock(fake: Clock) -> EngineClock:
    """The engine's clock reading ``fake``: its time, its monotonic time, its sleep."""
    return EngineClock(now=fake, monotonic=fake.monotonic, sleep=fake.sleep)


@pytest.fixture
def settings() -> EngineSettings:
    """The engine settings every test ledger uses unless it asks for others."""
    return SETTINGS


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = os.environ.get(DATABASE_URL_ENV)
    if not url:
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    empty_database(url)
    return url


class Books(FakeBooks):
    """FakeBooks with the reads the tests need beyond the public ones."""

    def write_order(self) -> list[tuple[str, str, str]]:
        db = sqlite3.connect(self.path)
        try:
            return db.execute("SELECT kind, mms_id, operation FROM writes ORDER BY id").fetchall()
        finally:
            db.close()

    def body(self, kind: str, mms_id: str) -> dict[str, Any] | None:
        """The record as the accounting system holds it (None when it has none)."""
        db = sqlite3.connect(self.path)
        try:
            found = db.execute("SELECT body FROM records WHERE kind = ? AND mms_id = ?",
                               (kind, mms_id)).fetchone()
        finally:
            db.close()
        return None if found is None else dict(json.loads(found[0]))

    def bump_version(self, kind: str, mms_id: str) -> None:
        """Someone edited the record in the accounting system by hand."""
        db = sqlite3.connect(self.path)
        try:
            db.execute("UPDATE records SET version = version + 1 WHERE kind = ? AND mms_id = ?",
                       (kind, mms_id))
            db.commit()
        finally:
            db.close()


class World:
    """Opens ledgers on the test's database; every company's books live under ``tmp_path``."""

    def __init__(self, tmp_path: Path, database_url: str, clock: Clock) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.clock = clock
        self.opened: list[Ledger] = []

    def books_path(self, company: str) -> str:
        return str(self.tmp_path / f"{company}-books.db")

    def books(self, company: str = "harbor") -> Books:
        return Books(self.books_path(company))

    def open(
        self,
        companies: dict[str, dict[str, Any]] | None = None,
        *,
        plugins: tuple[object, ...] = (),
        settings: EngineSettings = SETTINGS,
        worker_name: str = "worker-1",
        map_accounts: bool = True,
    ) -> Ledger:
        """A ledger on the test database (``companies`` default: ``harbor`` on the fake books).

        ``map_accounts`` maps the income account every sample invoice line uses, GL-4000.
        """
        tables: dict[str, dict[str, Any]] = {}
        for name, table in (companies or {"harbor": {}}).items():
            table = dict(table)
            connector = table.setdefault("connector", "fake")
            fake = {"books_path": self.books_path(name), **table.pop("fake", {})}
            table[connector] = fake
            tables[name] = table
        config = ledgersync.parse_config({"ledger": {"url": self.database_url},
                                          "companies": tables})
        ledger = ledgersync.open(
            config, plugins=[FakePlugin(), *plugins], load_entrypoints=False,
            settings=settings, clock=engine_clock(self.clock), worker_name=worker_name,
        )
        self.opened.append(ledger)
        if map_accounts:
            for name in tables:
                ledger.map(name, "gl_account", "GL-4000", "acc-4000", actor="fixture")
        return ledger

    # -- scripting and reading -----------------------------------------------------------------

    @staticmethod
    def fail_next(ledger: Ledger, *codes: str, company: str = "harbor") -> None:
        """Script the next exports of ``company`` to fail with these fake codes, in order."""
        connector: Any = ledger.connector(company)
        connector._failures.extend(codes)

    @staticmethod
    def item(ledger: Ledger, kind: str, mms_id: str, operation: str = "create",
             company: str = "harbor") -> ledgersync.ItemView:
        found = ledger.items(ledgersync.ItemFilter(company=company, kind=kind, mms_id=mms_id,
                                                   operation=operation))
        assert len(found) == 1, f"expected one {operation} item of {kind} {mms_id}: {found}"
        return found[0]

    @staticmethod
    def row(ledger: Ledger, item_id: int) -> sa.Row[Any]:
        """The raw sync item row (idempotency key, generation, lease...)."""
        with ledger._database.connect() as conn:
            return conn.execute(sa.select(sync_items).where(sync_items.c.id == item_id)).one()

    @staticmethod
    def statuses(ledger: Ledger, company: str = "harbor") -> dict[tuple[str, str, str], str]:
        return {(i.kind, i.mms_id, i.operation): i.status
                for i in ledger.items(ledgersync.ItemFilter(company=company), limit=None)}

    def close(self) -> None:
        for ledger in self.opened:
            ledger.close()


@pytest.fixture
def world(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[World]:
    w = World(tmp_path, database_url, clock)
    yield w
    w.close()


@pytest.fixture
def ledger(world: World) -> Ledger:
    """A ledger with one company, ``harbor``, on the fake connector."""
    return world.open()


@pytest.fixture
def books(world: World) -> Books:
    return world.books("harbor")


class Records:
    """Builders of valid records; keyword arguments override fields."""

    day = dt.date(2026, 3, 1)

    def member(self, mms_id: str = "M1", name: str = "Ann Sailor", **over: Any
               ) -> ledgersync.Member:
        return ledgersync.Member(mms_id=mms_id, display_name=name, **over)

    def invoice(
        self,
        mms_id: str = "I1",
        member_id: str = "M1",
        *,
        amount: str = "100.00",
        date: dt.date | None = None,
        account: str = "GL-4000",
        **over: Any,
    ) -> ledgersync.Invoice:
        value = Decimal(amount)
        line = ledgersync.InvoiceLine(account_id=account, description="Dues",
                                      quantity=Decimal(1), rate=value, amount=value)
        fields: dict[str, Any] = {"number": f"N-{mms_id}", "txn_date": date or self.day,
                                  "currency": "USD", "lines": [line]}
        return ledgersync.Invoice(mms_id=mms_id, member_id=member_id, **{**fields, **over})

    def payment(
        self, mms_id: str = "P1", member_id: str = "M1", invoice_id: str = "I1", *,
        amount: str = "100.00", date: dt.date | None = None, **over: Any,
    ) -> ledgersync.Payment:
        app = ledgersync.PaymentApplication(invoice_id=invoice_id, amount=Decimal(amount))
        return ledgersync.Payment(mms_id=mms_id, member_id=member_id, amount=Decimal(amount),
                                  txn_date=date or self.day, currency="USD", applications=[app],
                                  **over)


@pytest.fixture
def rec() -> Records:
    return Records()
