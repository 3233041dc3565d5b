"""The `ledgersync` command line: one group, commands grouped by topic in sibling modules."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from sqlalchemy.exc import InterfaceError, OperationalError

from .._errors import LedgerError, LedgerSyncError
from .._plugins import PluginHost
from ._common import CONFIG_ENV, DEFAULT_CONFIG, State, err_console


class _Group(click.Group):
    """Turns every ledgersync error into one clear line plus its remedy (no traceback unless
    --debug), and keeps commands listed in the order they were added (the order of the tour)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (LedgerSyncError, OperationalError, InterfaceError) as exc:
            state = ctx.find_object(State)
            if state is not None and state.debug:
                raise
            if not isinstance(exc, LedgerSyncError):
                # The database went away mid-command (server stopped, file removed).
                exc = _database_failed(exc)
            err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
            if exc.remedy:
                err_console.print(f"[bold]what to do:[/] {escape(exc.remedy)}", highlight=False)
            ctx.exit(1)
        finally:
            state = ctx.find_object(State)
            if state is not None:
                state.close()


def _database_failed(exc: OperationalError | InterfaceError) -> LedgerError:
    detail = " ".join(str(exc.orig or exc).split())
    return LedgerError(f"the ledger database failed: {detail}",
                       remedy="Check that the database in ledger.url is reachable, then run "
                       "the command again (nothing half-done is kept)")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    envvar=CONFIG_ENV, default=DEFAULT_CONFIG, show_default=True, show_envvar=True,
    help="The config file.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.version_option(package_name="ledgersync")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, debug: bool) -> None:
    """ledgersync keeps an accounting system in step with a membership-management system:
    every invoice, payment, credit and refund exactly once, every failure explained."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = State(config_path=config_path, debug=debug, plugins=_host)


@click.group()
def sandbox() -> None:
    """Run the stand-in of an accounting system (each connector adds its own)."""


def core_commands() -> list[click.Command]:
    """The core's own commands, in help order (a bare install has these; plugins add more)."""
    from . import (
        demo_cmds,
        item_cmds,
        map_cmds,
        reconcile_cmds,
        setup_cmds,
        sync_cmds,
        web_cmds,
    )

    modules = (demo_cmds, setup_cmds, sync_cmds, item_cmds, map_cmds, reconcile_cmds, web_cmds)
    return [command for module in modules for command in module.COMMANDS] + [sandbox]


def _register() -> None:
    for command in core_commands():
        cli.add_command(command)


_register()


#: The plugin host of this process: it registers the plugins' commands, and the ledger a
#: command opens uses it too (see ``State.ledger``).
_host: PluginHost | None = None


def register_plugin_commands() -> None:
    """Load the installed plugins and let them add their commands (`connect`, `serve`,
    `sandbox qbo`, ...); ``main()`` does this before parsing the command line."""
    global _host
    try:
        _host = PluginHost(load_entrypoints=True)
        _host.register_commands(cli)
    except LedgerSyncError as exc:
        _host = None
        err_console.print(f"[bold yellow]warning:[/] plugin commands unavailable: "
                          f"{escape(str(exc))}", highlight=False)


def main() -> None:
    """The `ledgersync` console script."""
    register_plugin_commands()
    cli(prog_name="ledgersync")


if __name__ == "__main__":  # pragma: no cover
    main()
