"""Fixtures for the connector tests: a QBO sandbox served on loopback (the connector talks to it
over real HTTP, OAuth included), settings pointing at it, and a ledger using the connector.

The sandbox's own tests under ``tests/sandbox`` keep their in-process fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from ledgersync import CompanyConfig, Config, Ledger, connector_plugin
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.sandbox import Sandbox, SandboxConfig, run_in_thread
from ledgersync_qbo.testing import (
    SAMPLE_MAPPINGS,
    connect_sandbox,
    sample_seed,
    sandbox_settings,
)

COMPANY = "harbor"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", key)
    return key


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=sample_seed(), throttle_retry_after=1)


@pytest.fixture
def qbo(sandbox_config: SandboxConfig) -> Iterator[tuple[Sandbox, str]]:
    """A sandbox on loopback: (sandbox, base URL)."""
    sandbox = Sandbox(sandbox_config)
    with run_in_thread(sandbox) as url:
        yield sandbox, url


@pytest.fixture
def sandbox(qbo: tuple[Sandbox, str]) -> Sandbox:
    return qbo[0]


@pytest.fixture
def base_url(qbo: tuple[Sandbox, str]) -> str:
    return qbo[1]


@pytest.fixture
def qbo_settings(sandbox: Sandbox, base_url: str) -> dict[str, Any]:
    return sandbox_settings(sandbox, base_url, timeout_seconds=10.0)


@pytest.fixture
def open_ledger(tmp_path: Path) -> Iterator[Any]:
    """``open_ledger(settings, name=..., mappings=...)``: a ledger with a qbo company."""
    opened: list[Ledger] = []

    def make(settings: Mapping[str, Any], *, name: str = "ledger.db",
             mappings: Mapping[tuple[str, str], str] = SAMPLE_MAPPINGS,
             **kwargs: Any) -> Ledger:
        config = Config(ledger_url=f"sqlite:///{tmp_path / name}",
                        companies={COMPANY: CompanyConfig(name=COMPANY, connector="qbo",
                                                          settings=dict(settings))})
        ledger = Ledger(config, plugins=[connector_plugin(QboConnector)],
                        load_entrypoints=False, **kwargs)
        opened.append(ledger)
        for (kind, mms_id), external in mappings.items():
            ledger.map(COMPANY, kind, mms_id, external, actor="test")
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(open_ledger: Any, qbo_settings: dict[str, Any], sandbox: Sandbox) -> Ledger:
    ledger: Ledger = open_ledger(qbo_settings)
    connect_sandbox(ledger, COMPANY, sandbox)
    return ledger


@pytest.fixture
def connector(ledger: Ledger) -> QboConnector:
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, QboConnector)
    return connector
