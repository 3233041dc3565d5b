"""Fixtures: an in-process sandbox (its transport handed to the connector), settings pointing
at it, and a ledger whose only company uses the Sage Intacct connector."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from ledgersync import CompanyConfig, Config, EngineSettings, Ledger, hookimpl
from ledgersync_sage.connector import SageConnector
from ledgersync_sage.sandbox import Sandbox

DATA = Path(__file__).parent / "data"
COMPANY = "harbor"
#: The demo club's MMS accounts and their Intacct numbers (the same in the sandbox).
ACCOUNT_MAP = {"1000": "1000", "1200": "1200", "1499": "1499", "2200": "2200",
               "4000": "4000", "4100": "4100", "4200": "4200"}


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


class SagePlugin:
    @hookimpl
    def ledgersync_connectors(self) -> list[type[SageConnector]]:
        return [SageConnector]


def sandbox_settings(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "sender_id": "ls_sender", "sender_password": "sender-pass",
        "company_id": "HARBORCLUB", "user_id": "mms_api_user", "user_password": "user-pass",
        "ar_account": "1200", "tax_payable_account": "2200",
        "undeposited_funds_account": "1499",
        "endpoint_url": "https://api.intacct.com/ia/xml/xmlgw.phtml",
    }
    settings.update(overrides)
    return settings


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """REST tokens are stored encrypted with this key."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", key)
    return key


def rest_settings(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "api": "rest", "client_id": "ls-client", "client_secret": "ls-client-secret",
        "company_id": "HARBORCLUB", "ar_account": "1200", "tax_payable_account": "2200",
        "undeposited_funds_account": "1499", "api_base_url": "https://api.intacct.com/ia/api/v1",
    }
    settings.update(overrides)
    return settings


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def in_process(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The connector talks to ``sandbox`` in process."""
    monkeypatch.setattr(SageConnector, "transport", sandbox.transport())
    return sandbox


@pytest.fixture
def settings() -> dict[str, Any]:
    return sandbox_settings()


class Clock:
    """The ledger's clock, moved on by the tests (backoffs and throttles pass at once)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


UNFINISHED = {"pending", "retry_wait", "in_doubt", "in_flight"}


def sync_once(ledger: Ledger, seconds: float = 1.0) -> None:
    """Sync what is due now (items waiting for a backoff wait for the clock: give up soon)."""
    ledger.sync(COMPANY, deadline=time.monotonic() + seconds)


def sync_until_idle(ledger: Ledger, clock: Clock, *, rounds: int = 30) -> None:
    """Sync, let backoffs pass, again, until nothing is left to try."""
    for _ in range(rounds):
        sync_once(ledger)
        if not any(status in UNFINISHED for (_, status) in ledger.status_counts(COMPANY)):
            return
        clock.advance(3600)
    raise AssertionError(f"still unfinished: {ledger.status_counts(COMPANY)}")


def make_ledger(tmp_path: Path, settings: Mapping[str, Any], *, clock: Clock | None = None,
                ledger_url: str | None = None, **company: Any) -> Ledger:
    config = Config(ledger_url=ledger_url or f"sqlite:///{tmp_path / 'ledger.db'}", companies={
        COMPANY: CompanyConfig(name=COMPANY, connector="sage", settings=dict(settings),
                               **company)})
    ledger = Ledger(config, plugins=[SagePlugin()], load_entrypoints=False,
                    clock=clock, settings=EngineSettings(backoff_base_seconds=1,
                                                         backoff_cap_seconds=60))
    for mms, number in ACCOUNT_MAP.items():
        ledger.map(COMPANY, "gl_account", mms, number, actor="test")
    return ledger


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(tmp_path: Path, settings: dict[str, Any], in_process: Sandbox, clock: Clock
           ) -> Iterator[Ledger]:
    ledger = make_ledger(tmp_path, settings, clock=clock)
    yield ledger
    ledger.close()
