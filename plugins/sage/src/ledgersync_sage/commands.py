"""Command-line additions: `ledgersync connect` (for Intacct companies), `ledgersync sage ...`
(sign-in check; Intacct's accounts and dimension values, for mapping) and
`ledgersync sandbox sage`.

Imports stay inside the command functions so `ledgersync --help` stays fast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ledgersync import Ledger

    from .connector import SageConnector

#: `ledgersync sage WORD COMPANY`: Intacct object and the columns shown.
LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "accounts": ("GLACCOUNT", ("ACCOUNTNO", "TITLE", "STATUS")),
    "locations": ("LOCATION", ("LOCATIONID", "NAME", "STATUS")),
    "departments": ("DEPARTMENT", ("DEPARTMENTID", "NAME", "STATUS")),
    "classes": ("CLASS", ("CLASSID", "NAME", "STATUS")),
    "projects": ("PROJECT", ("PROJECTID", "NAME", "STATUS")),
    "customers": ("CUSTOMER", ("CUSTOMERID", "NAME", "STATUS")),
}


#: The same lists over the REST API (object, and the fields shown).
REST_LISTS: dict[str, str] = {
    "accounts": "general-ledger/account", "locations": "company-config/location",
    "departments": "company-config/department", "classes": "company-config/class",
    "projects": "projects/project", "customers": "accounts-receivable/customer",
}


def _ledger(ctx: click.Context) -> Ledger:
    from ledgersync.cli.helpers import State

    state = ctx.find_object(State)
    if state is None:  # pragma: no cover - always set by the `ledgersync` group
        raise click.UsageError("run this through the `ledgersync` command")
    return state.ledger()


def _connector(ctx: click.Context, company: str) -> SageConnector:
    from .connector import SageConnector

    connector = _ledger(ctx).connector(company)
    if not isinstance(connector, SageConnector):
        raise click.BadParameter(f"company {company!r} does not use the sage connector",
                                 param_hint="COMPANY")
    return connector


def _table(title: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    click.echo(title)
    widths = [max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        click.echo("  ".join(str(row.get(c, "")).ljust(w)
                             for c, w in zip(columns, widths, strict=True)))
    click.echo(f"({len(rows)} row(s))")


@click.command("connect")
@click.argument("company")
@click.pass_context
def connect(ctx: click.Context, company: str) -> None:
    """Sign in to COMPANY's Intacct company and say which credential is wrong, if any."""
    from ledgersync import ConnectorError

    try:
        click.echo(f"connected: {_connector(ctx, company).check()}")
    except ConnectorError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("authorize")
@click.argument("company")
@click.option("--code", help="The code the authorization redirect brought back.")
@click.option("--refresh-token", help="Seed with a refresh token instead (it is spent at once "
              "and replaced by the rotated one).")
@click.option("--redirect-uri", default="http://localhost:8726/callback", show_default=True)
@click.pass_context
def authorize(ctx: click.Context, company: str, code: str | None, refresh_token: str | None,
              redirect_uri: str) -> None:
    """REST API, authorization-code grant: print the address an administrator approves, then
    store the tokens (encrypted) from the code it redirects with."""
    import secrets

    from ledgersync import ConnectorError

    connector = _connector(ctx, company)
    if connector.settings.api != "rest":
        raise click.ClickException(f"company {company!r} uses the XML gateway (api = "
                                   '"xml"): it signs in with the sender and user instead')
    try:
        if code:
            connector.tokens.exchange_code(code, redirect_uri)
        elif refresh_token:
            connector.tokens.store_authorization(refresh_token)
        else:
            click.echo("Open this address, approve, and run this command again with the "
                       "code from the address you are sent to:\n"
                       + connector.tokens.authorize_url(redirect_uri, secrets.token_urlsafe(8)))
            return
        click.echo(f"authorized: {connector.check()}")
    except ConnectorError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("sage")
def sage() -> None:
    """Sage Intacct: the sign-in check, accounts and dimension values for mapping."""


def _list_command(word: str, obj: str, columns: tuple[str, ...]) -> click.Command:
    @click.command(word, help=f"List Intacct {word} with their ids (for `ledgersync map` and "
                   "dimension_values).")
    @click.argument("company")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    @click.pass_context
    def command(ctx: click.Context, company: str, as_json: bool) -> None:
        connector = _connector(ctx, company)
        shown: tuple[str, ...] = columns
        if connector.settings.api == "rest":
            shown = ("id", "name")
            rows: list[dict[str, Any]] = list(connector.rest.query(
                REST_LISTS[word], ["key", *shown], []))
        else:
            rows = list(connector.gateway.query_all(obj, ["RECORDNO", *columns], None,
                                                    orderby=columns[0]))
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        _table(f"{company}: Intacct {word}", shown, rows)

    return command


@click.command("sage")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8766, show_default=True, type=int)
def sandbox_sage(host: str, port: int) -> None:
    """Serve a local Sage Intacct XML gateway stand-in (in memory) until Ctrl-C."""
    from .sandbox import Sandbox
    from .sandbox.server import serve

    sandbox = Sandbox()
    config = sandbox.config.gateway
    sender, sender_password = next(iter(config.senders.items()))
    (company_id, user_id), user_password = next(iter(config.users.items()))
    click.echo(f"Sage Intacct sandbox on http://{host}:{port} (kept in memory only)\n"
               "Company settings for it ([companies.NAME.sage]):\n"
               f'  sender_id = "{sender}"\n  sender_password = "{sender_password}"\n'
               f'  company_id = "{company_id}"\n  user_id = "{user_id}"\n'
               f'  user_password = "{user_password}"\n  ar_account = "1200"\n'
               f'  endpoint_url = "http://{host}:{port}/ia/xml/xmlgw.phtml"')
    serve(sandbox, host=host, port=port)


def register(cli: click.Group) -> None:
    for word, (obj, columns) in LISTS.items():
        sage.add_command(_list_command(word, obj, columns))
    sage.add_command(connect)
    sage.add_command(authorize)
    if "connect" not in cli.commands:  # another connector may own `ledgersync connect`
        cli.add_command(connect)
    cli.add_command(sage)
    sandbox = cli.commands.get("sandbox")
    if isinstance(sandbox, click.Group):
        sandbox.add_command(sandbox_sage)
