"""The ``ledgersync`` entry point of the QBO connector (``qbo = "ledgersync_qbo.plugin"``).

Only the connector class (which imports nothing heavy) and click are loaded here; the API
client, OAuth library and sandbox load when a command or an export needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledgersync import CompanyConfig, CompanyTool, Connector, Ledger, WebMount, hookimpl

if TYPE_CHECKING:
    import click

    from ledgersync.demo import DemoSandbox


@hookimpl
def ledgersync_connectors() -> Sequence[type[Connector]]:
    from .connector import QboConnector

    return [QboConnector]


@hookimpl
def ledgersync_register_commands(cli: click.Group) -> None:
    from .commands import register

    register(cli)


@hookimpl
def ledgersync_web_company_tools(ledger: Ledger, company: CompanyConfig
                                 ) -> Sequence[CompanyTool]:
    """"Connect to QuickBooks Online" on the company's tools page (admins)."""
    if company.connector != "qbo":
        return []
    from .webconnect import company_tools

    return company_tools(ledger, company)


@hookimpl
def ledgersync_web_mounts(ledger: Ledger, options: Mapping[str, Any]) -> Sequence[WebMount]:
    """Intuit's OAuth redirect back to the page, at the path of each company's
    redirect_uri."""
    if not any(c.connector == "qbo" for c in ledger.config.companies.values()):
        return []
    from .webconnect import web_mounts

    return web_mounts(ledger)


@hookimpl
def ledgersync_demo_sandbox(workdir: Path) -> DemoSandbox:
    from .demo import QboDemoSandbox

    return QboDemoSandbox(workdir)
