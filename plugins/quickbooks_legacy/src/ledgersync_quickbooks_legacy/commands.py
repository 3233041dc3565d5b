"""Command-line additions: `ledgersync quickbooks_legacy ...` (connect, reconnect, status,
activity, release-drafts, delete, revert) and `ledgersync sandbox quickbooks_legacy`.

Imports stay inside the command functions so that `ledgersync --help` loads nothing heavy.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ledgersync import Ledger

    from .connector import QuickBooksLegacyConnector


def _ledger(ctx: click.Context) -> Ledger:
    from ledgersync.cli.helpers import State

    state = ctx.find_object(State)
    if state is None:  # pragma: no cover - always set by the `ledgersync` group
        raise click.UsageError("run this through the `ledgersync` command")
    return state.ledger()


def _connector(ctx: click.Context, company: str) -> QuickBooksLegacyConnector:
    from .connector import QuickBooksLegacyConnector

    connector = _ledger(ctx).connector(company)
    if not isinstance(connector, QuickBooksLegacyConnector):
        raise click.UsageError(f"company {company!r} does not use the quickbooks_legacy "
                               f"connector (it uses {connector.name!r})")
    return connector


def _fail(message: str, remedy: str | None) -> None:
    click.echo(f"error: {message}" + (f"\n  what to do: {remedy}" if remedy else ""), err=True)
    sys.exit(1)


@click.group("quickbooks_legacy")
def legacy() -> None:
    """The two-stage QuickBooks Desktop path (cloud intermediary, then the desktop's sync)."""


@legacy.command("connect")
@click.argument("company")
@click.option("--token", required=True, help="The access token of Connect to QuickBooks.")
@click.option("--token-secret", required=True, help="The access token secret.")
@click.pass_context
def connect(ctx: click.Context, company: str, token: str, token_secret: str) -> None:
    """Store the company's OAuth 1.0a access token (encrypted); it lasts 180 days."""
    connector = _connector(ctx, company)
    connector.credentials.save(token, token_secret)
    click.echo(connector.credentials.load().describe(connector.context.utcnow()))


@legacy.command("reconnect")
@click.argument("company")
@click.pass_context
def reconnect_cmd(ctx: click.Context, company: str) -> None:
    """Renew the access token (only within 30 days of its expiry)."""
    from ledgersync import ConnectorError

    from .oauth import reconnect

    connector = _connector(ctx, company)
    try:
        fresh = reconnect(connector.settings, connector.credentials, connector.transport)
    except ConnectorError as exc:
        _fail(str(exc), exc.remedy)
        return
    click.echo(f"reconnected: {fresh.describe(connector.context.utcnow())}")


@legacy.command("status")
@click.argument("company")
@click.option("--errored", is_flag=True, help="Only objects whose sync failed.")
@click.pass_context
def status(ctx: click.Context, company: str, errored: bool) -> None:
    """The connection, and the intermediary's status of every staged item."""
    from ledgersync import ConnectorError, ItemFilter, Status

    from .objects import OBJECT_TYPES
    from .statemap import describe, meaning

    connector = _connector(ctx, company)
    ledger = _ledger(ctx)
    try:
        click.echo(connector.check())
        staged = ledger.items(ItemFilter(company=company, status=[Status.STAGED]), limit=None)
        pairs = [(i.intermediary_id, OBJECT_TYPES[i.kind]) for i in staged
                 if i.intermediary_id]
        rows = connector.status_rows([] if errored else pairs, errored_only=errored)
    except ConnectorError as exc:
        _fail(str(exc), exc.remedy)
        return
    if not rows:
        click.echo("nothing waits in the intermediary")
    for row in rows:
        found = meaning(row.state, row.message)
        click.echo(f"{row.kind} {row.ng_id}: {found.outcome.value}: {found.words} "
                   f"[{describe(row.state, row.message)}]"
                   + (f" {row.message_desc}" if row.message_desc else ""))


@legacy.command("activity")
@click.argument("company")
@click.pass_context
def activity(ctx: click.Context, company: str) -> None:
    """The desktop's sync runs, record by record (the activity query's drill-down)."""
    from ledgersync import ConnectorError

    connector = _connector(ctx, company)
    try:
        entries = connector.activity()
    except ConnectorError as exc:
        _fail(str(exc), exc.remedy)
        return
    if not entries:
        click.echo("the desktop has not synced yet")
    for entry in entries:
        click.echo(f"{entry.at} {entry.operation} NG {entry.ng_id}: [{entry.code}] "
                   f"{entry.message}")


def _cloud_command(action: str, help_text: str) -> click.Command:
    @click.command(action if action != "release" else "release-drafts", help=help_text)
    @click.argument("company")
    @click.argument("item_ids", type=int, nargs=-1, required=True)
    @click.pass_context
    def command(ctx: click.Context, company: str, item_ids: tuple[int, ...]) -> None:
        from ledgersync import ConnectorError, ItemFilter

        from .objects import OBJECT_TYPES

        connector = _connector(ctx, company)
        ledger = _ledger(ctx)
        for item_id in item_ids:
            found = [i for i in ledger.items(ItemFilter(company=company), limit=None)
                     if i.id == item_id]
            ng = found[0].intermediary_id if found else None
            if ng is None:
                _fail(f"item {item_id} was never staged in the intermediary",
                      "Pick an item id from `ledgersync items --status staged`")
                return
            try:
                connector.cloud_action(action, OBJECT_TYPES[found[0].kind], ng,
                                       f"{found[0].kind}:{found[0].mms_id}:{ng}")
            except ConnectorError as exc:
                _fail(f"item {item_id}: {exc}", exc.remedy)
                return
            click.echo(f"item {item_id} ({found[0].kind} {found[0].mms_id}): {action} done")

    return command


@click.command("quickbooks_legacy")
@click.option("--port", type=click.IntRange(1, 65535), default=8731, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--desktop-every", type=click.FloatRange(min=0.1), default=30.0,
              show_default=True, metavar="SECONDS",
              help="How often the simulated desktop's Sync Manager runs.")
def sandbox_legacy(port: int, host: str, desktop_every: float) -> None:
    """Serve the intermediary and its simulated desktop on loopback (until Ctrl-C)."""
    import time

    from .sandbox import LoopbackServer, Sandbox

    sandbox = Sandbox()
    token, secret = sandbox.issue_token()
    with LoopbackServer(sandbox, host=host, port=port) as server:
        click.echo(f"intermediary at {server.base_url} (realm {sandbox.realm_id})")
        click.echo(f"consumer key {sandbox.consumer_key}, secret {sandbox.consumer_secret}")
        click.echo(f"access token {token}, secret {secret}")
        try:
            while True:
                time.sleep(desktop_every)
                sandbox.run_desktop()
        except KeyboardInterrupt:
            click.echo("sandbox stopped")


def register(cli: click.Group) -> None:
    legacy.add_command(_cloud_command(
        "release", "Release drafts: they go to the desktop at its next sync."))
    legacy.add_command(_cloud_command(
        "delete", "Delete staged objects (only drafts, or objects that failed to sync)."))
    legacy.add_command(_cloud_command(
        "revert", "Discard the cloud's changes since the last successful sync."))
    cli.add_command(legacy)
    sandbox = cli.commands.get("sandbox")
    if isinstance(sandbox, click.Group):
        sandbox.add_command(sandbox_legacy)
