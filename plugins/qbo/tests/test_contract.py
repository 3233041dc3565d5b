"""The connector contract kit (ledgersync.testing) against the loopback QBO sandbox, with every
error code the connector classifies declared."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from ledgersync import Action, Ledger, Record
from ledgersync.testing import ConnectorContract, ErrorCase
from ledgersync.testing.contract import COMPANY
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.errors import FaultItem, QboAuthError, QboError
from ledgersync_qbo.mapping import MappingError
from ledgersync_qbo.sandbox import Sandbox, SandboxConfig, run_in_thread
from ledgersync_qbo.testing import (
    SAMPLE_MAPPINGS,
    SandboxProbe,
    connect_sandbox,
    sample_seed,
    sandbox_settings,
)


def fault(code: str, detail: str = "", *, status: int = 400,
          fault_type: str = "ValidationFault") -> QboError:
    return QboError(f"[{code}] {detail}", code=code, status=status, fault_type=fault_type,
                    faults=[FaultItem(code=code, message="QuickBooks fault", detail=detail)])


def _case(code: str, action: Action, **kwargs: Any) -> ErrorCase:
    return ErrorCase(fault(code, f"detail of {code}", **kwargs), action, id=code)


ERROR_CASES = [
    # the reference's table, in its order
    _case("100", Action.REFRESH_AUTH, status=401),
    _case("110", Action.REFRESH_AUTH, status=401),
    _case("120", Action.PAUSE_COMPANY, status=403, fault_type="AuthorizationFault"),
    _case("130", Action.RETRY), _case("140", Action.RETRY), _case("150", Action.RETRY),
    _case("500", Action.NEEDS_PERSON),
    _case("600", Action.NEEDS_PERSON),
    _case("610", Action.NEEDS_PERSON),
    _case("620", Action.NEEDS_PERSON),
    _case("1040", Action.NEEDS_PERSON),
    *(_case(code, Action.NEEDS_PERSON) for code in (
        "2010", "2020", "2030", "2040", "2050", "2060", "2070", "2080", "2090", "2100",
        "2110", "2120", "2130", "2140", "2210", "2250", "2260", "2290", "2300")),
    _case("2500", Action.NEEDS_PERSON),
    ErrorCase(QboError("throttled", code="3001", status=429, retry_after=60.0,
                       faults=[FaultItem("3001", "ThrottleExceeded")]), Action.THROTTLE,
              id="3001/429"),
    _case("3100", Action.PAUSE_COMPANY, status=403),
    _case("3200", Action.REFRESH_AUTH, status=401),
    _case("4000", Action.NEEDS_PERSON), _case("4001", Action.NEEDS_PERSON),
    _case("4002", Action.NEEDS_PERSON),
    _case("5010", Action.REREAD),
    _case("6000", Action.NEEDS_PERSON),
    _case("6070", Action.NEEDS_PERSON),
    *(_case(code, Action.NEEDS_PERSON) for code in ("6100", "6160", "6170", "6230")),
    # A 6140 whose holder is not ours (TxnId 999999 does not exist): a person decides.
    ErrorCase(fault("6140", "Duplicate Document Number Error : DocNumber=9001 is assigned "
                    "to TxnType=Invoice with TxnId=999999"), Action.NEEDS_PERSON, id="6140"),
    _case("6190", Action.PAUSE_COMPANY),
    _case("6200", Action.NEEDS_PERSON), _case("6210", Action.NEEDS_PERSON),
    _case("6220", Action.NEEDS_PERSON),
    # The first sample record is an invoice: a duplicate name cannot be ours.
    _case("6240", Action.NEEDS_PERSON),
    _case("6250", Action.NEEDS_PERSON), _case("6430", Action.NEEDS_PERSON),
    _case("6540", Action.NEEDS_PERSON),
    _case("10000", Action.RETRY, status=500, fault_type="SystemFault"),
    _case("10200", Action.PAUSE_COMPANY, status=500, fault_type="SystemFault"),
    # HTTP statuses and the network
    ErrorCase(QboError("HTTP 500", code="http-500", status=500), Action.RETRY, id="http-500"),
    ErrorCase(QboError("HTTP 502", code="http-502", status=502), Action.RETRY, id="http-502"),
    ErrorCase(QboError("HTTP 503", code="http-503", status=503), Action.RETRY, id="http-503"),
    ErrorCase(QboError("HTTP 504", code="http-504", status=504), Action.RETRY, id="http-504"),
    ErrorCase(QboError("no answer", code="timeout", sent=True), Action.IN_DOUBT, id="timeout"),
    ErrorCase(QboError("refused", code="network", sent=False), Action.RETRY, id="connect"),
    # OAuth
    ErrorCase(QboAuthError("revoked", code="invalid_grant", status=400),
              Action.PAUSE_COMPANY, id="invalid_grant"),
    ErrorCase(QboAuthError("bad keys", code="invalid_client", status=401),
              Action.PAUSE_COMPANY, id="invalid_client"),
    ErrorCase(QboAuthError("no tokens", code="not_connected", sent=False),
              Action.PAUSE_COMPANY, id="not_connected"),
    # refused before sending
    ErrorCase(MappingError("two tax rates", remedy="split it"), Action.NEEDS_PERSON,
              id="mapping"),
    ErrorCase(ValueError("a bug"), Action.IN_DOUBT, id="unexpected"),
]


class TestQboContract(ConnectorContract):
    connector_class = QboConnector
    error_cases = ERROR_CASES

    @pytest.fixture
    def sandbox(self) -> Iterator[tuple[Sandbox, str]]:
        sandbox = Sandbox(SandboxConfig(seed=sample_seed()))
        with run_in_thread(sandbox) as url:
            yield sandbox, url

    @pytest.fixture
    def settings(self, sandbox: tuple[Sandbox, str]) -> Mapping[str, Any]:
        return sandbox_settings(*sandbox, timeout_seconds=10.0)

    @pytest.fixture
    def mappings(self) -> Mapping[tuple[str, str], str]:
        return SAMPLE_MAPPINGS

    @pytest.fixture
    def remote(self, sandbox: tuple[Sandbox, str], records: list[Record]) -> SandboxProbe:
        return SandboxProbe(sandbox[0], records)

    @pytest.fixture
    def check_mentions(self, sandbox: tuple[Sandbox, str]) -> str:
        return str(sandbox[0].company().read("CompanyInfo", "1")["CompanyName"])

    @pytest.fixture(autouse=True)
    def _tokens_for(self, sandbox: tuple[Sandbox, str]) -> Iterator[None]:
        type(self)._current = sandbox[0]
        yield
        type(self)._current = None

    _current: Sandbox | None = None

    def make_ledger(self, tmp_path: Path, settings: Mapping[str, Any],
                    mappings: Mapping[tuple[str, str], str], **company: Any) -> Ledger:
        """The kit's ledger, connected to the sandbox as `ledgersync connect` would."""
        ledger = super().make_ledger(tmp_path, settings, mappings, **company)
        assert self._current is not None
        connect_sandbox(ledger, COMPANY, self._current)
        return ledger
