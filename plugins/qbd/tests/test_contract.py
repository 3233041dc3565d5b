"""The connector contract kit, with ``sync`` running simulated Web Connector updates over HTTP
(uvicorn on loopback, zeep with the WSDL the server serves) against a simulated company file.

The kit's direct export/lookup tests are skipped for pull-mode connectors; recovery is proven
through sessions in test_sessions_work.py and test_end_to_end.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ledgersync import Action, ConnectorError, Ledger
from ledgersync.testing import ConnectorContract, ErrorCase
from ledgersync.testing.contract import COMPANY
from ledgersync_qbd.connector import QbdConnector
from ledgersync_qbd.errors import (
    QbdInDoubt,
    QbdValidationError,
    QbwcHresultError,
    QbxmlStatusError,
)
from ledgersync_qbd.qbwc.app import QbwcApp
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector
from ledgersync_qbd.server import ServerThread
from ledgersync_qbd.testing import CompanyFileProbe

from .conftest import MAPPINGS, PASSWORD, USER, company_settings


def status(code: int, request_type: str = "InvoiceAddRq") -> QbxmlStatusError:
    return QbxmlStatusError(code, f"status {code}", request_type=request_type)


class TestQbdContract(ConnectorContract):
    connector_class = QbdConnector
    error_cases = [
        ErrorCase(status(3200, "CustomerModRq"), Action.REREAD, "stale EditSequence"),
        ErrorCase(status(3140), Action.NEEDS_PERSON, "invalid reference"),
        ErrorCase(status(3100, "CustomerAddRq"), Action.NEEDS_PERSON, "name in use"),
        ErrorCase(status(3120, "InvoiceModRq"), Action.NEEDS_PERSON, "object not found"),
        ErrorCase(status(3070), Action.NEEDS_PERSON, "string too long"),
        ErrorCase(status(3020), Action.NEEDS_PERSON, "bad date"),
        ErrorCase(status(3210, "ReceivePaymentAddRq"), Action.NEEDS_PERSON, "amount due"),
        ErrorCase(status(3250), Action.NEEDS_PERSON, "feature off"),
        ErrorCase(status(3260), Action.PAUSE_COMPANY, "insufficient permission"),
        ErrorCase(status(3261), Action.PAUSE_COMPANY, "no personal data permission"),
        *(ErrorCase(status(code), Action.RETRY, f"busy {code}")
          for code in (1000, 1010, 3170, 3175, 3176, 3180)),
        ErrorCase(status(1030), Action.NEEDS_PERSON, "unsupported request"),
        ErrorCase(QbwcHresultError("0x80040400", "parse error"), Action.NEEDS_PERSON,
                  "parse HRESULT"),
        ErrorCase(QbwcHresultError("0x80040408", "could not start QuickBooks"), Action.RETRY,
                  "start HRESULT"),
        ErrorCase(QbdValidationError("name too long", remedy="shorten it"),
                  Action.NEEDS_PERSON, "refused before sending"),
        ErrorCase(QbdInDoubt("no answer"), Action.IN_DOUBT, "no answer"),
    ]

    company_file: CompanyFile

    @pytest.fixture(autouse=True)
    def _company_file(self) -> None:
        self.company_file = CompanyFile()

    @pytest.fixture
    def settings(self) -> dict[str, Any]:
        return company_settings()

    @pytest.fixture
    def mappings(self) -> dict[tuple[str, str], str]:
        return MAPPINGS

    @pytest.fixture
    def remote(self) -> CompanyFileProbe:
        return CompanyFileProbe(self.company_file, "contract")

    @pytest.fixture
    def check_mentions(self) -> str:
        return USER  # the Web Connector user of this company's settings

    def sync(self, ledger: Ledger) -> int:
        """Web Connector updates until the server says there is no work, then the update that
        reads QuickBooks' receivable transactions for `reconcile` (asked for as an operator's
        reconcile asks); items written."""
        written = 0
        asked = False
        with ServerThread(QbwcApp(ledger)) as server:
            connector = SimulatedWebConnector(f"{server.url}/qbwc", USER, PASSWORD,
                                              self.company_file)
            for _ in range(10):
                report = connector.run_update()
                if report.outcome == "none":
                    if asked or not _ask_for_the_books(ledger):
                        return written
                    asked = True
                    continue
                assert report.outcome == "done", report.text()
                found = re.search(r"(\d+) written", report.close_message or "")
                written += int(found.group(1)) if found else 0
        raise AssertionError("the Web Connector still had work after 10 updates")


def _ask_for_the_books(ledger: Ledger) -> bool:
    """True when the next update has a read to run (what was read is missing or stale)."""
    try:
        ledger.connector(COMPANY).books_transactions(None)
    except ConnectorError:
        return True
    return False


def test_the_connector_is_pull_mode_with_nothing_for_workers_to_call() -> None:
    from ledgersync import PullConnector

    assert issubclass(QbdConnector, PullConnector)
    assert not hasattr(QbdConnector, "export")
    assert not hasattr(QbdConnector, "lookup")
