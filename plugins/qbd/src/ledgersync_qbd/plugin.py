"""The entry point of the ``ledgersync`` plugin group: the connector and the CLI commands.

Light on purpose: `ledgersync plugins` imports this; zeep, uvicorn and the SOAP server are
imported only inside the commands that use them, and the demo sandbox only when
`ledgersync demo` asks for it.
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
    from .connector import QbdConnector

    return [QbdConnector]


@hookimpl
def ledgersync_register_commands(cli: click.Group) -> None:
    from .cli import SERVE_OPTIONS, qbd, sandbox_qbd

    serve = cli.commands.get("serve")
    if serve is not None:
        taken = {param.name for param in serve.params}
        serve.params.extend(o for o in SERVE_OPTIONS if o.name not in taken)
    if "qbd" not in cli.commands:
        cli.add_command(qbd)
    sandbox = cli.commands.get("sandbox")
    if sandbox is not None and hasattr(sandbox, "add_command"):
        sandbox.add_command(sandbox_qbd)


@hookimpl
def ledgersync_web_mounts(ledger: Ledger, options: Mapping[str, Any]) -> Sequence[WebMount]:
    """The Web Connector endpoint (SOAP at /qbwc, its WSDL at /qbwc?wsdl) beside the page,
    when a company uses QuickBooks Desktop."""
    if not any(c.connector == "qbd" for c in ledger.config.companies.values()):
        return []
    import click

    from .qbwc.app import QbwcApp

    for company in ledger.config.enabled_companies():
        if company.connector == "qbd":  # a stored password hash needs the key to be read
            ledger.secrets(company.name).check_key(storing=False)
    path = str(options.get("qbwc_path") or "/qbwc")
    app = QbwcApp(ledger, path=path, public_url=options.get("qbwc_public_url"),
                  min_client_version=str(options.get("qbwc_min_client_version") or ""),
                  client_version_policy=str(options.get("qbwc_client_version_policy")
                                            or "warn"))
    served = ", ".join(sorted(app.service.companies)) or "none"
    for name in sorted(app.service.companies):
        # Found now rather than at the Web Connector's first login.
        for problem in ledger.connector(name).setup_problems():
            click.echo(f"warning: {problem}", err=True)
    return [WebMount(path=path, app=app,
                     title=f"QuickBooks Web Connector endpoint (companies: {served})")]


@hookimpl
def ledgersync_web_company_tools(ledger: Ledger, company: CompanyConfig
                                 ) -> Sequence[CompanyTool]:
    """Set the Web Connector password and download the .qwc, on the page (admins)."""
    if company.connector != "qbd":
        return []
    from .webtools import company_tools

    return company_tools(ledger, company)


@hookimpl
def ledgersync_demo_sandbox(workdir: Path) -> DemoSandbox:
    from .demo import QbdDemoSandbox

    return QbdDemoSandbox(workdir)
