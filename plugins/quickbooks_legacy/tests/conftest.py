"""Fixtures: a sandbox on a clock the tests move, reached in-process (the connector's httpx
client gets the sandbox's transport), and a ledger whose company uses the connector."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from ledgersync import CompanyConfig, Config, EngineSettings, Ledger
from ledgersync_quickbooks_legacy.connector import QuickBooksLegacyConnector
from ledgersync_quickbooks_legacy.sandbox import Clock, Sandbox
from ledgersync_quickbooks_legacy.testing import (
    LegacyPlugin,
    connect_sandbox,
    map_reference_data,
    sandbox_settings,
    seeded_sandbox,
)

COMPANY = "club"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
DATA = Path(__file__).parent / "data"
#: Runs end as soon as nothing is due now (the tests move the clock themselves).
SETTINGS = EngineSettings(linger_seconds=0, backoff_base_seconds=30, max_attempts=4,
                          confirm_base_seconds=60, confirm_cap_seconds=600)


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", key)
    return key


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def sandbox(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    sandbox = seeded_sandbox(clock=clock)
    monkeypatch.setattr(QuickBooksLegacyConnector, "transport", sandbox.transport())
    return sandbox


@pytest.fixture
def settings(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox_settings(sandbox)


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def open_ledger(ledger_url: str, clock: Clock, sandbox: Sandbox) -> Iterator[Any]:
    opened: list[Ledger] = []

    def make(settings: dict[str, Any], **company: Any) -> Ledger:
        config = Config(ledger_url=ledger_url, companies={
            COMPANY: CompanyConfig(name=COMPANY, connector="quickbooks_legacy",
                                   settings=dict(settings), **company)})
        ledger = Ledger(config, plugins=[LegacyPlugin()], load_entrypoints=False,
                        settings=SETTINGS, clock=clock.now)
        opened.append(ledger)
        map_reference_data(ledger, COMPANY)
        connect_sandbox(ledger, COMPANY, sandbox)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(open_ledger: Any, settings: dict[str, Any]) -> Ledger:
    made: Ledger = open_ledger(settings)
    return made


@pytest.fixture
def connector(ledger: Ledger) -> QuickBooksLegacyConnector:
    found = ledger.connector(COMPANY)
    assert isinstance(found, QuickBooksLegacyConnector)
    return found
