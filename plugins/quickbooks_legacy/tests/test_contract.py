"""The connector contract kit (ledgersync.testing), two-phase completion included, against the
sandbox in-process; ``settle`` runs the desktop's Sync Manager between the stages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from ledgersync import Action, Ledger
from ledgersync.testing import ConnectorContract, ErrorCase, sample_records
from ledgersync.testing.contract import COMPANY
from ledgersync_quickbooks_legacy.connector import QuickBooksLegacyConnector
from ledgersync_quickbooks_legacy.errors import LegacyError
from ledgersync_quickbooks_legacy.objects import OBJECT_TYPES, reference_of
from ledgersync_quickbooks_legacy.sandbox import Sandbox
from ledgersync_quickbooks_legacy.testing import (
    MAPPINGS,
    connect_sandbox,
    sandbox_settings,
    seeded_sandbox,
)

_REQUEST = httpx.Request("POST", "https://services.intuit.com/sb/customer/v2/1")
ERROR_CASES = [
    ErrorCase(LegacyError("error 401: Invalid security token", code="401"),
              Action.PAUSE_COMPANY, id="401"),
    ErrorCase(LegacyError("error -2001: cvc-complex-type.2.4.a: ...", code="-2001"),
              Action.NEEDS_PERSON, id="-2001"),
    ErrorCase(LegacyError("error -2001: cvc-maxLength-valid: ... maxLength '41' ...",
                          code="-2001"), Action.NEEDS_PERSON, id="-2001/name"),
    ErrorCase(LegacyError("error -9005: stale SyncToken", code="-9005"), Action.RETRY,
              id="stale"),
    ErrorCase(LegacyError("HTTP 504 without an IDS response", code="http-504"),
              Action.IN_DOUBT, id="http-504"),
    ErrorCase(httpx.ConnectError("refused", request=_REQUEST), Action.RETRY, id="connect"),
    ErrorCase(httpx.ReadTimeout("no answer", request=_REQUEST), Action.IN_DOUBT,
              id="read-timeout"),
    ErrorCase(LegacyError("error -9002: delete refused", code="-9002"), Action.NEEDS_PERSON,
              id="-9002"),
]


class Probe:
    """Counts the intermediary's objects carrying a record's reference (exactly once means
    one, whatever the desktop did with it)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.references = {(r.kind, r.mms_id): (OBJECT_TYPES.get(r.kind), reference_of(r))
                           for r in sample_records()}

    def count(self, kind: str, mms_id: str) -> int:
        wanted = self.references[(kind, mms_id)]
        return sum(1 for o in self.sandbox.cloud.objects.values()
                   if (o.kind, o.reference) == wanted)


class TestQuickBooksLegacyContract(ConnectorContract):
    connector_class: ClassVar[type[QuickBooksLegacyConnector]] = QuickBooksLegacyConnector
    error_cases: ClassVar[list[ErrorCase]] = ERROR_CASES
    #: The path had no void: a voided record's item needs a person ("void it in QuickBooks
    #: Desktop by hand"), tested in test_two_stages.py.
    voids_records: ClassVar[bool] = False

    @pytest.fixture(autouse=True)
    def sandbox(self, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
        from cryptography.fernet import Fernet

        monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", Fernet.generate_key().decode())
        self._sandbox = seeded_sandbox()
        monkeypatch.setattr(QuickBooksLegacyConnector, "transport", self._sandbox.transport())
        return self._sandbox

    @pytest.fixture
    def settings(self, sandbox: Sandbox) -> Mapping[str, Any]:
        return sandbox_settings(sandbox)

    @pytest.fixture
    def check_mentions(self, sandbox: Sandbox) -> str:
        return sandbox.company_name

    @pytest.fixture
    def remote(self, sandbox: Sandbox) -> Probe:
        return Probe(sandbox)

    @pytest.fixture
    def mappings(self) -> Mapping[tuple[str, str], str]:
        return MAPPINGS

    def make_ledger(self, tmp_path: Path, settings: Mapping[str, Any],
                    mappings: Mapping[tuple[str, str], str], **company: Any) -> Ledger:
        ledger = super().make_ledger(tmp_path, settings, mappings, **company)
        connect_sandbox(ledger, COMPANY, self._sandbox)
        return ledger

    def settle(self, ledger: Ledger) -> None:
        self._sandbox.run_desktop()
