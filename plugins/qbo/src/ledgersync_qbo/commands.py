"""Command-line additions: `ledgersync connect`, `ledgersync qbo ...` and
`ledgersync sandbox qbo`.

Imports stay inside the command functions so that `ledgersync --help` does not load httpx,
Starlette or intuit-oauth.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ledgersync import Ledger

    from .connector import QboConnector

_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "Account": [("Id", "id"), ("Name", "name"), ("AcctNum", "number"), ("AccountType", "type"),
                ("Active", "active")],
    "Item": [("Id", "id"), ("Name", "name"), ("Type", "type"), ("IncomeAccountRef", "income"),
             ("UnitPrice", "price"), ("Active", "active")],
    "TaxCode": [("Id", "id"), ("Name", "name"), ("Taxable", "taxable"),
                ("SalesTaxRateList", "rates"), ("Active", "active")],
    "TaxRate": [("Id", "id"), ("Name", "name"), ("RateValue", "rate %"), ("Active", "active")],
    "Term": [("Id", "id"), ("Name", "name"), ("DueDays", "due days"), ("Active", "active")],
    "PaymentMethod": [("Id", "id"), ("Name", "name"), ("Type", "type"), ("Active", "active")],
    "Customer": [("Id", "id"), ("DisplayName", "name"), ("PrimaryEmailAddr", "e-mail"),
                 ("Balance", "balance"), ("Active", "active")],
    "Class": [("Id", "id"), ("Name", "name"), ("Active", "active")],
    "Department": [("Id", "id"), ("Name", "name"), ("Active", "active")],
}


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        if "TaxRateDetail" in value:
            return ", ".join(str((d.get("TaxRateRef") or {}).get("name") or
                                 (d.get("TaxRateRef") or {}).get("value"))
                             for d in value["TaxRateDetail"]) or "-"
        return str(value.get("name") or value.get("value") or value.get("Address") or "")
    return "" if value is None else str(value)


def _ledger(ctx: click.Context) -> Ledger:
    from ledgersync.cli.helpers import State

    state = ctx.find_object(State)
    if state is None:  # pragma: no cover - always set by the `ledgersync` group
        raise click.UsageError("run this through the `ledgersync` command")
    return state.ledger()


def _connector(ctx: click.Context, company: str) -> QboConnector:
    from .connector import QboConnector

    ledger = _ledger(ctx)
    connector = ledger.connector(company)
    if not isinstance(connector, QboConnector):
        raise click.BadParameter(f"company {company!r} does not use the qbo connector",
                                 param_hint="COMPANY")
    return connector


# -- ledgersync connect -----------------------------------------------------------------------


@click.command("connect")
@click.argument("company")
@click.option("--refresh-token", help="Connect headless with this refresh token (it is spent "
              "and replaced by a new one, stored encrypted).")
@click.option("--paste", is_flag=True, help="Paste the redirect address instead of receiving "
              "it on redirect_uri.")
@click.option("--no-browser", is_flag=True, help="Only print the authorization address.")
@click.option("--timeout", default=300.0, show_default=True,
              help="Seconds to wait for the redirect.")
@click.pass_context
def connect(ctx: click.Context, company: str, refresh_token: str | None, paste: bool,
            no_browser: bool, timeout: float) -> None:
    """Connect COMPANY to QuickBooks Online (OAuth 2.0); tokens are stored encrypted."""
    from .connect import connect_interactive, connect_with_refresh_token

    connector = _connector(ctx, company)  # settings and client secret checked here
    # The tokens are stored encrypted: a missing or wrong key must stop us before the browser
    # round trip (and before a refresh token is spent), not after.
    connector.context.secrets.check_key()
    if refresh_token:
        connect_with_refresh_token(connector.tokens, refresh_token)
    else:
        def open_url(url: str) -> None:
            click.echo(f"Open this address to connect {company} to QuickBooks Online:\n{url}")
            if not no_browser:
                import webbrowser

                webbrowser.open(url)

        def read_paste() -> str:
            return str(click.prompt("Paste the address your browser was sent to"))

        connect_interactive(connector.tokens, open_url=open_url,
                            paste=read_paste if paste else None, timeout=timeout)
    click.echo(f"connected: {connector.check()}")
    click.echo(f"if {company} was paused, resume it: ledgersync companies resume {company}")


# -- ledgersync qbo ... ------------------------------------------------------------------------


@click.group("qbo")
def qbo() -> None:
    """QuickBooks Online: reference lists for mapping, customer search, drift."""


def _list_command(word: str, entity: str) -> click.Command:
    @click.command(word, help=f"List QuickBooks {entity} records with their ids (for "
                   "`ledgersync map`).")
    @click.argument("company")
    @click.argument("search", required=False)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    @click.pass_context
    def command(ctx: click.Context, company: str, search: str | None, as_json: bool) -> None:
        from ledgersync.cli.helpers import print_json, table

        connector = _connector(ctx, company)
        if entity == "Customer" and search:
            rows = connector.search_customers(search)
        else:
            rows = connector.reference(entity)
            if search:
                rows = [r for r in rows if search.casefold() in str(
                    r.get("Name") or r.get("DisplayName") or "").casefold()]
        if as_json:
            print_json(rows)
            return
        columns = _COLUMNS[entity]
        table(f"{company}: QuickBooks {word}", [title for _, title in columns],
              [[_cell(row.get(key)) for key, _ in columns] for row in rows])

    return command


def _register_lists() -> None:
    from .connector import REFERENCE_ENTITIES

    for word, entity in REFERENCE_ENTITIES.items():
        qbo.add_command(_list_command(word, entity))


@qbo.command("check")
@click.argument("company")
@click.pass_context
def check(ctx: click.Context, company: str) -> None:
    """Reach the company's QuickBooks and say which company it is."""
    click.echo(_connector(ctx, company).check())


@qbo.command("drift")
@click.argument("company")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Check changes since this day (default: since the last check; QuickBooks "
                   "keeps 30 days).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of messages.")
@click.pass_context
def drift(ctx: click.Context, company: str, since: dt.datetime | None, as_json: bool) -> None:
    """Find records changed or deleted in QuickBooks after they were exported; each is written
    to the sync log with the command that pushes the MMS version again. Exit 1 if any."""
    from ledgersync.cli.helpers import print_json

    from .drift import check_drift

    _connector(ctx, company)
    report = check_drift(_ledger(ctx), company,
                         since=since.replace(tzinfo=dt.UTC) if since else None)
    if as_json:
        print_json({"company": company, "since": report.since, "until": report.until,
                    "clamped": report.clamped,
                    "findings": [{**_asdict(f), "message": f.message(company)}
                                 for f in report.findings]})
    else:
        if report.clamped:
            click.echo("note: QuickBooks keeps changes for 30 days; older ones were not checked")
        for finding in report.findings:
            click.echo(finding.message(company))
        click.echo(f"{company}: {len(report.findings)} record(s) changed in QuickBooks since "
                   f"{report.since}")
    if report.findings:
        ctx.exit(1)


def _asdict(value: Any) -> dict[str, Any]:
    import attrs

    return attrs.asdict(value)


# -- ledgersync sandbox qbo --------------------------------------------------------------------


@click.command("qbo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
def sandbox_qbo(host: str, port: int) -> None:
    """Serve a local QuickBooks Online stand-in (in memory) until Ctrl-C."""
    from ledgersync.demo import require_extra

    from .extras import SANDBOX_EXTRA, SANDBOX_MODULES

    require_extra(SANDBOX_EXTRA, SANDBOX_MODULES, needed_by="`ledgersync sandbox qbo`")
    from .sandbox import Sandbox, SandboxConfig, serve

    sandbox = Sandbox(SandboxConfig())
    base = f"http://{host}:{port}"
    click.echo(f"QuickBooks Online sandbox on {base} (data is kept in memory only)\n"
               "Company settings for it:\n"
               f'  realm_id = "{sandbox.default_realm_id}"\n'
               f'  client_id = "{sandbox.config.client_id}"\n'
               f'  client_secret = "{sandbox.config.client_secret}"\n'
               f'  environment = "{base}/.well-known/openid_configuration"\n'
               f'  api_base_url = "{base}"\n'
               "then `ledgersync connect COMPANY` (the sandbox approves at once).")
    serve(sandbox, host=host, port=port)


def register(cli: click.Group) -> None:
    _register_lists()
    cli.add_command(connect)
    cli.add_command(qbo)
    sandbox = cli.commands.get("sandbox")
    if isinstance(sandbox, click.Group):
        sandbox.add_command(sandbox_qbo)
