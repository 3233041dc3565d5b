"""Fixtures for the connector tests: a QBO sandbox served on loopback (the connector talks to it
over real HTTP, OAuth included), settings pointing at it, and a ledger using the connector.

The sandbox's own tests under ``tests/sandbox`` keep their in-process fixtures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from ledgersync import (
    CompanyConfig,
    Config,
    Invoice,
    InvoiceLine,
    Item,
    Ledger,
    Member,
    Payment,
    PaymentApplication,
    connector_plugin,
)
from ledgersync.testing import empty_database, postgresql_suite_url
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
             url: str | None = None, **kwargs: Any) -> Ledger:
        config = Config(ledger_url=url or f"sqlite:///{tmp_path / name}",
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
def test_database_ledger(open_ledger: Any, qbo_settings: dict[str, Any],
                         sandbox: Sandbox) -> Ledger:
    """Like ``ledger``, on PostgreSQL when ``LEDGERSYNC_TEST_DATABASE_URL`` names a server (a
    database of this suite's own, emptied first), else SQLite. A module opts in by defining
    ``ledger`` as this fixture."""
    url = postgresql_suite_url("qbo")
    if url is not None:
        empty_database(url)
    ledger: Ledger = open_ledger(qbo_settings, url=url)
    connect_sandbox(ledger, COMPANY, sandbox)
    return ledger


@pytest.fixture
def connector(ledger: Ledger) -> QboConnector:
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, QboConnector)
    return connector


def dues(mms_id: str, member: str, day: int, amount: str) -> Invoice:
    return Invoice(mms_id=mms_id, member_id=member, number=f"D-{mms_id}",
                   txn_date=dt.date(2026, 1, day), currency="USD",
                   lines=(InvoiceLine(item_id="DUES", quantity=Decimal(1), rate=Decimal(amount),
                                      amount=Decimal(amount)),))


def club_records() -> list[Any]:
    """Two members, three invoices (one taxed at 6.25 %) and a payment, all in January 2026:
    the books the reconcile tests change by hand."""
    return [
        Member(mms_id="M-1", display_name="Nia Obi", email="nia@example.org"),
        Member(mms_id="M-2", display_name="Oren Park", email="oren@example.org"),
        Item(mms_id="DUES", name="Membership Dues", income_account_id="4000"),
        Item(mms_id="MERCH", name="Merchandise", income_account_id="4100", taxable=True),
        dues("INV-1", "M-1", 10, "120.00"),
        dues("INV-2", "M-1", 15, "80.00"),
        Invoice(mms_id="INV-3", member_id="M-2", number="D-INV-3",
                txn_date=dt.date(2026, 1, 12), currency="USD",
                lines=(InvoiceLine(item_id="MERCH", quantity=Decimal(1), rate=Decimal("100.00"),
                                   amount=Decimal("100.00"), tax_rate_id="TAX-6.25",
                                   tax_amount=Decimal("6.25")),)),
        Payment(mms_id="PAY-1", member_id="M-1", txn_date=dt.date(2026, 1, 20),
                currency="USD", amount=Decimal("120.00"),
                applications=(PaymentApplication(invoice_id="INV-1", amount=Decimal("120.00")),)),
    ]


@pytest.fixture
def synced(ledger: Ledger) -> Ledger:
    """:func:`club_records` synced to the sandbox."""
    ledger.map(COMPANY, "item", "DUES", "21")
    ledger.map(COMPANY, "item", "MERCH", "22")
    ledger.record(club_records())
    ledger.sync(COMPANY)
    assert {i.status for i in ledger.items()} == {"synced"}
    return ledger


def qbo_id(ledger: Ledger, kind: str, mms_id: str) -> str:
    item = next(i for i in ledger.items()
                if (i.kind, i.mms_id, i.operation) == (kind, mms_id, "create"))
    assert item.external_id is not None
    return item.external_id
