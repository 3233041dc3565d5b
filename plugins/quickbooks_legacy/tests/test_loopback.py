"""The sandbox on loopback (uvicorn): the connector's real HTTP and OAuth signing end to end."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from ledgersync import Action, ConnectorError, ExportRequest, ItemFilter, Member, Operation
from ledgersync.testing import TricklingServer
from ledgersync_quickbooks_legacy.connector import QuickBooksLegacyConnector
from ledgersync_quickbooks_legacy.oauth import LOST_RENEWAL, reconnect
from ledgersync_quickbooks_legacy.sandbox import LoopbackServer
from ledgersync_quickbooks_legacy.testing import sandbox_settings

from .conftest import COMPANY


def test_both_stages_over_loopback(open_ledger, sandbox, monkeypatch):
    monkeypatch.setattr(QuickBooksLegacyConnector, "transport", None)
    with LoopbackServer(sandbox) as server:
        ledger = open_ledger(sandbox_settings(sandbox, server.base_url))
        ledger.record([Member(mms_id="M1", display_name="Ann Sailor")])
        ledger.sync(COMPANY)
        sandbox.run_desktop()
        ledger.confirm_staged(COMPANY)

    [item] = ledger.items(ItemFilter(company=COMPANY))
    assert item.status == "synced"
    assert ("POST", "/sb/customer/v2/688875295") in sandbox.requests


def test_an_answer_trickled_past_the_request_deadline_is_a_timeout(open_ledger, sandbox,
                                                                   monkeypatch):
    monkeypatch.setattr(QuickBooksLegacyConnector, "transport", None)
    # Each byte comes well within the read timeout; the whole answer would take 40 s.
    answer = b"<RestResponse/>" + b" " * 185
    with TricklingServer(answer, interval=0.2, content_type="application/xml") as server:
        ledger = open_ledger(sandbox_settings(sandbox, f"{server.url}/sb", timeout_seconds=2.0,
                                              request_deadline_seconds=1.0))
        connector = ledger.connector(COMPANY)
        with pytest.raises(httpx.ReadTimeout, match="request deadline of 1 s") as raised:
            connector.client.post("customer", ET.Element("Add"))
        assert server.body_bytes_sent < len(answer)  # cut before the answer ended
    request = ExportRequest(item_id=1, company=COMPANY, kind="member",
                            operation=Operation.CREATE, idempotency_key="k-1", attempt=1,
                            record=Member(mms_id="M1", display_name="Ann Sailor"))
    resolution = connector.classify_error(raised.value, request)
    # "timeout": the code the engine counts towards an outage (ledgersync._engine.outage).
    assert (resolution.action, resolution.code) == (Action.IN_DOUBT, "timeout")


def test_headers_trickled_past_the_request_deadline_are_a_timeout(open_ledger, sandbox,
                                                                  monkeypatch):
    monkeypatch.setattr(QuickBooksLegacyConnector, "transport", None)
    # The status line and headers a byte every 0.2 s, each within the read timeout.
    with TricklingServer(b"<RestResponse/>", interval=0.2, content_type="application/xml",
                         trickle_headers=True) as server:
        ledger = open_ledger(sandbox_settings(sandbox, f"{server.url}/sb", timeout_seconds=2.0,
                                              request_deadline_seconds=1.0))
        connector = ledger.connector(COMPANY)
        with pytest.raises(httpx.ReadTimeout, match="request deadline of 1 s"):
            connector.client.post("customer", ET.Element("Add"))
        assert server.heads_sent == 0  # cut while the headers were still coming


def test_a_reconnect_answer_trickled_past_the_request_deadline_is_a_timeout(
        open_ledger, sandbox, monkeypatch):
    monkeypatch.setattr(QuickBooksLegacyConnector, "transport", None)
    # The reconnect address's status line and headers a byte every 0.2 s (about 20 s), each
    # within the read timeout: only the request deadline ends the call.
    with TricklingServer(b"<ReconnectResponse/>", interval=0.2, content_type="application/xml",
                         trickle_headers=True) as server:
        ledger = open_ledger(sandbox_settings(sandbox, f"{server.url}/sb", timeout_seconds=2.0,
                                              request_deadline_seconds=1.0))
        connector = ledger.connector(COMPANY)
        with pytest.raises(ConnectorError, match="request deadline of 1 s") as raised:
            reconnect(connector.settings, connector.credentials)
        assert server.heads_sent == 0  # cut while the headers were still coming
        assert server.requests == 1
    # The renewal may have happened: the remedy says how to tell.
    assert (raised.value.code, raised.value.sent) == ("timeout", True)
    assert raised.value.remedy == LOST_RENEWAL
