"""Fixtures for the connector and Web Connector tests.

Ledgers live in a SQLite file under ``tmp_path``; when ``LEDGERSYNC_TEST_DATABASE_URL`` names a
PostgreSQL server, in a database of their own on it (``<name>_qbd``, emptied per test), so
these tests never drop tables another suite is using.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ledgersync import CompanyConfig, Config, Ledger, connector_plugin
from ledgersync.testing import empty_database, postgresql_suite_url
from ledgersync_qbd.connector import QbdConnector
from ledgersync_qbd.qbwc.direct import DirectService
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector

DATABASE_URL_ENV = "LEDGERSYNC_TEST_DATABASE_URL"
ENVELOPES = Path(__file__).parent / "data" / "envelopes"

#: The sample records' reference data, mapped to the names a fresh sandbox file is seeded with.
MAPPINGS: dict[tuple[str, str], str] = {
    ("item", "SLIP-30"): "Event Fee",
    ("item", "DUES"): "Membership Dues",
    ("gl_account", "1000"): "Checking",
    ("gl_account", "4000"): "Membership Income",
    ("gl_account", "4100"): "Event Income",
    ("tax_rate", "TAX-6.25"): "IL Sales Tax",
    ("terms", "NET30"): "Net 30",
}
USER, PASSWORD = "clubwc", "harbour-secret"


def _postgres_url() -> str:
    ours = postgresql_suite_url("qbd")
    assert ours is not None
    empty_database(ours)
    return ours


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    if not os.environ.get(DATABASE_URL_ENV):
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return _postgres_url()


def company_settings(username: str = USER, **extra: Any) -> dict[str, Any]:
    return {"username": username, "password": PASSWORD, "busy_seconds": 0,
            "message_set_size": 10, **extra}


LedgerFactory = Callable[..., Ledger]


@pytest.fixture
def make_ledger(database_url: str) -> Iterator[LedgerFactory]:
    made: list[Ledger] = []

    def make(companies: dict[str, dict[str, Any]] | None = None, *,
             mappings: bool = True, clock: Callable[[], Any] | None = None) -> Ledger:
        companies = companies or {"club": company_settings()}
        config = Config(ledger_url=database_url, companies={
            name: CompanyConfig(name=name, connector="qbd", settings=settings)
            for name, settings in companies.items()})
        ledger = Ledger(config, plugins=[connector_plugin(QbdConnector)],
                        load_entrypoints=False, clock=clock)
        made.append(ledger)
        if mappings:
            for name in companies:
                for (kind, mms_id), remote in MAPPINGS.items():
                    ledger.map(name, kind, mms_id, remote, actor="test")
        return ledger

    yield make
    for ledger in made:
        ledger.close()


@pytest.fixture
def ledger(make_ledger: LedgerFactory) -> Ledger:
    return make_ledger()


@pytest.fixture
def company_file() -> CompanyFile:
    return CompanyFile()


@pytest.fixture
def service(ledger: Ledger) -> QbwcService:
    return QbwcService(ledger)


def web_connector(service: QbwcService, company: CompanyFile, *, username: str = USER,
                  password: str = PASSWORD, **options: Any) -> SimulatedWebConnector:
    """A simulated Web Connector talking to ``service`` in process (no HTTP)."""
    return SimulatedWebConnector("direct://", username, password, company,
                                 service=DirectService(service), **options)


def sync_until_idle(connector: SimulatedWebConnector, *, limit: int = 20) -> list[str]:
    """Run updates until the server says there is nothing to do; returns their outcomes."""
    outcomes = []
    for _ in range(limit):
        report = connector.run_update()
        outcomes.append(report.outcome)
        if report.outcome in ("none", "nvu"):
            return outcomes
    raise AssertionError(f"still not idle after {limit} updates: {outcomes}")
