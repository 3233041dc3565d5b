"""The connector contract kit (ledgersync.testing) against the in-process Intacct sandbox, with
the documented Intacct errors declared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ledgersync import Action, Record
from ledgersync.testing import ConnectorContract, ErrorCase
from ledgersync.testing.samples import sample_records
from ledgersync_sage.connector import SageConnector
from ledgersync_sage.errors import IntacctError, IntacctFailure, UnmappedError
from ledgersync_sage.sandbox import Sandbox

from .conftest import sandbox_settings


def _failure(level: str, errorno: str, text: str = "", **kwargs: Any) -> IntacctFailure:
    return IntacctFailure.of(level, [IntacctError(errorno=errorno, description2=text)],
                             **kwargs)


ERROR_CASES = [
    ErrorCase(_failure("control", "XL03000003", "XML Parse schema error"),
              Action.NEEDS_PERSON, id="XL03000003"),
    ErrorCase(_failure("authentication", "XL03000006", "Sign-in information is incorrect"),
              Action.PAUSE_COMPANY, id="XL03000006-login"),
    ErrorCase(_failure("authentication", "XL03000006", "Invalid Web Services Authorization."
                       " The sender ID 'x' is not authorized"), Action.PAUSE_COMPANY,
              id="XL03000006-sender"),
    ErrorCase(_failure("result", "XL03000009", "The entire transaction in this operation "
                       "has been rolled back due to an error.", status="aborted"),
              Action.RETRY, id="XL03000009"),
    ErrorCase(_failure("control", "PL04000055", "This company is a demo company and has "
                       "expired."), Action.PAUSE_COMPANY, id="PL04000055"),
    ErrorCase(_failure("gateway", "GW-0010", http_status=429), Action.THROTTLE, id="GW-0010"),
    ErrorCase(_failure("gateway", "GW-0011", "Invalid Request"), Action.RETRY, id="GW-0011"),
    *(ErrorCase(_failure("result", "BL01001973", text), Action.NEEDS_PERSON, id=name)
      for name, text in [
          ("closed-period", "Periods are closed. Your transaction date (01/05/2026) is "
           "within a period that's been closed."),
          ("invalid-account", "Account 4000 is not valid"),
          ("restricted-account", "The account 4000 is restricted for this location"),
          ("missing-dimension", "This transaction is missing the Department dimension for "
           "the Account 4000"),
          ("invalid-dimension", "Location 'NORTH' is not valid"),
          ("invalid-project", "Invalid Project '10064' specified."),
          ("invalid-customer", "Customer 'M-1' specified is not valid."),
          ("multi-entity", "Use of empty Location is invalid. A valid Multi-Entity Location "
           "must be specified."),
          ("unbalanced", "Transactions do not balance"),
      ]),
    ErrorCase(_failure("result", "BL01001973", "You do not have permission for API "
                       "operation"), Action.PAUSE_COMPANY, id="permission"),
    ErrorCase(_failure("result", "BL01001973", "The Service is Temporarily Off-line"),
              Action.RETRY, id="offline"),
    ErrorCase(_failure("result", "BL34000061", "Another Customer with the given value(s) "
                       "already exists"), Action.IN_DOUBT, id="BL34000061"),
    ErrorCase(IntacctFailure("no answer within 60 s", level="transport"), Action.IN_DOUBT,
              id="timeout"),
    ErrorCase(IntacctFailure("HTTP 524", level="http", http_status=524), Action.IN_DOUBT,
              id="524"),
    ErrorCase(IntacctFailure("cannot reach", level="transport", sent=False), Action.RETRY,
              id="connect"),
    ErrorCase(UnmappedError("item 'X' has no income account", remedy="map it"),
              Action.NEEDS_PERSON, id="unmapped"),
]

#: Reference data the connector links without writing (items, tax rates, terms) is mapped
#: here, so every record the kit counts is one Intacct keeps.
MAPPINGS = {("gl_account", "4000"): "4000", ("gl_account", "4100"): "4100",
            ("gl_account", "1000"): "1000", ("item", "SLIP-30"): "4100",
            ("item", "DUES"): "4000", ("tax_rate", "TAX-6.25"): "2200",
            ("terms", "NET30"): "NET30"}


class TestSageContract(ConnectorContract):
    connector_class = SageConnector
    error_cases = ERROR_CASES

    @pytest.fixture
    def settings(self, in_process: Sandbox) -> Mapping[str, Any]:
        return sandbox_settings()

    @pytest.fixture
    def check_mentions(self, in_process: Sandbox) -> str:
        return f"{len(in_process.company().accounts)} GL accounts"

    @pytest.fixture
    def remote(self, in_process: Sandbox) -> Sandbox:
        return in_process

    @pytest.fixture
    def mappings(self) -> Mapping[tuple[str, str], str]:
        return MAPPINGS

    @pytest.fixture
    def records(self) -> list[Record]:
        return [r for r in sample_records()
                if r.kind in SageConnector.supported_kinds
                and r.kind not in ("item", "tax_rate", "terms")]
