"""The sandbox on loopback (uvicorn): the connector's real HTTP and OAuth signing end to end."""

from __future__ import annotations

from ledgersync import ItemFilter, Member
from ledgersync_quickbooks_legacy.connector import QuickBooksLegacyConnector
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
