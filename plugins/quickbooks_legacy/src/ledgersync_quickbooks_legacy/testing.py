"""Helpers for tests, the demo and the contract kit: a sandbox with a company file's lists,
the settings that point at it, the mappings of the sample and demo reference data, and the
connection of a ledger's company to the sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledgersync import Connector, Ledger, hookimpl

from .connector import QuickBooksLegacyConnector
from .sandbox import Sandbox

#: The company file's own lists: (kind, QB id, name, receivable?).
DESKTOP_LISTS: tuple[tuple[str, str, str, bool], ...] = (
    ("Account", "A-1000", "Operating bank", False),
    ("Account", "A-1200", "Accounts Receivable", True),
    ("Account", "A-1499", "Undeposited Funds", False),
    ("Account", "A-2200", "Sales Tax Payable", False),
    ("Account", "A-4000", "Dues income", False),
    ("Account", "A-4100", "Slip rental income", False),
    ("Account", "A-4200", "Event income", False),
    ("SalesTaxCode", "STC-TAX", "Tax", False),
    ("Terms", "T-NET30", "Net 30", False),
)
#: MMS reference data -> the company file's ids (the demo's and the samples' accounts).
MAPPINGS: dict[tuple[str, str], str] = {
    ("gl_account", "1000"): "A-1000", ("gl_account", "1200"): "A-1200",
    ("gl_account", "1499"): "A-1499", ("gl_account", "2200"): "A-2200",
    ("gl_account", "4000"): "A-4000", ("gl_account", "4100"): "A-4100",
    ("gl_account", "4200"): "A-4200",
    ("tax_rate", "TAX-STATE"): "STC-TAX", ("tax_rate", "TAX-6.25"): "STC-TAX",
    ("terms", "NET30"): "T-NET30",
}


def seeded_sandbox(**kwargs: Any) -> Sandbox:
    """A sandbox whose company file holds :data:`DESKTOP_LISTS`."""
    sandbox = Sandbox(**kwargs)
    for kind, qb_id, name, receivable in DESKTOP_LISTS:
        sandbox.desktop.add_list(kind, qb_id, name, receivable=receivable)
    return sandbox


def sandbox_settings(sandbox: Sandbox, base_url: str = "https://services.intuit.com/sb",
                     **overrides: Any) -> dict[str, Any]:
    """``[companies.NAME.quickbooks_legacy]`` for the sandbox (in-process by default)."""
    settings: dict[str, Any] = {
        "realm_id": sandbox.realm_id, "consumer_key": sandbox.consumer_key,
        "consumer_secret": sandbox.consumer_secret, "base_url": base_url,
        "ar_account_id": "A-1200",
    }
    if base_url.startswith("http://127.0.0.1") or base_url.startswith("http://localhost"):
        settings["reconnect_url"] = base_url.removesuffix("/sb") + "/api/v1/connection/reconnect"
    settings.update(overrides)
    return settings


def connect_sandbox(ledger: Ledger, company: str, sandbox: Sandbox) -> None:
    """Store a fresh access token of the sandbox for the company (Connect to QuickBooks)."""
    connector = ledger.connector(company)
    assert isinstance(connector, QuickBooksLegacyConnector)
    token, secret = sandbox.issue_token()
    connector.credentials.save(token, secret, issued=sandbox.clock.now())


def map_reference_data(ledger: Ledger, company: str) -> None:
    for (kind, mms_id), external in MAPPINGS.items():
        ledger.map(company, kind, mms_id, external, actor="sandbox")


class LegacyPlugin:
    """Registers the connector without entry points (tests and embedders)."""

    @hookimpl
    def ledgersync_connectors(self) -> Sequence[type[Connector]]:
        return [QuickBooksLegacyConnector]
