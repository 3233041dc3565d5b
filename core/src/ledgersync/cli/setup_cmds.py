"""Setting up: init, config check, db upgrade, plugins, secrets, ingest."""

from __future__ import annotations

import sys
from typing import TextIO

import click

from .._config import check_config, example_config_text
from .._errors import ConfigError
from .._files import write_private
from .._ingest import ingest as ingest_records
from .._ledger import database
from .._ledger_api import Ledger
from .._plugins import PluginHost
from .._secrets import generate_key, rotate_all
from ._common import (
    State,
    console,
    err_console,
    json_option,
    known_company,
    pass_state,
    print_json,
    table,
)

_SINGLE_COMPANY = """\
# ledgersync configuration, written by `ledgersync init --connector {connector}`.
# `ledgersync init` without --connector writes a fully commented example of every key.

[ledger]
url = "sqlite:///ledgersync.db"

[companies.{company}]
connector = "{connector}"
schedule = "1h"

[companies.{company}.{connector}]
{settings}
"""

_CONNECTOR_STARTERS = {
    "fake": 'books_path = "{dir}/fake-books.db"  # the stand-in accounting system\n',
}


@click.command()
@click.option("--connector", help="Write a minimal config for one company on this connector "
              "(e.g. fake, the built-in stand-in books) instead of the commented example.")
@click.option("--company", default="club", show_default=True,
              help="Name of that company.")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_state
def init(state: State, connector: str | None, company: str, force: bool) -> None:
    """Write a config file and create the ledger database."""
    path = state.config_path
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    if connector is None:
        text = example_config_text()
    else:
        starter = _CONNECTOR_STARTERS.get(connector, "# add this connector's settings here\n")
        text = _SINGLE_COMPANY.format(
            connector=connector, company=company,
            settings=starter.format(dir=path.parent.resolve().as_posix()),
        )
    write_private(path, text)
    ledger = Ledger(state.config(), create=True)
    ledger.close()
    console.print(f"wrote {path} and created the ledger at {ledger.config.ledger_url}")
    console.print("next: `ledgersync config check`, then `ledgersync ingest FILE`")


@click.group()
def config() -> None:
    """Inspect the config file."""


@config.command("check")
@pass_state
def config_check(state: State) -> None:
    """Report every problem in the config, each with its key path."""
    try:
        cfg = state.config()
    except ConfigError as exc:
        for problem in exc.problems:
            err_console.print(problem, highlight=False, markup=False)
        err_console.print(f"{len(exc.problems)} problem(s) in {state.config_path}",
                          highlight=False, markup=False)
        sys.exit(1)
    host = PluginHost(allow=cfg.plugins_enabled, block=cfg.plugins_disabled)
    settings = {name: cls.settings_type for name, cls in host.connectors.items()}
    problems = check_config(cfg, settings)
    for name, error in host.load_errors.items():
        err_console.print(f"warning: plugin {name} failed to load: {error}", highlight=False,
                          markup=False)
    if problems:
        for problem in problems:
            err_console.print(problem, highlight=False, markup=False)
        err_console.print(f"{len(problems)} problem(s) in {cfg.source}", highlight=False)
        sys.exit(1)
    console.print(f"{cfg.source}: ok ({len(cfg.companies)} companies)", highlight=False)


@click.group()
def db() -> None:
    """Manage the ledger database."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: State) -> None:
    """Apply schema migrations (back the database up first)."""
    cfg = state.config()
    engine = database.create_ledger_engine(cfg.ledger_url)
    try:
        before, after = database.upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        console.print(f"the ledger is up to date (revision {after})")
    else:
        console.print(f"upgraded the ledger from {before or 'empty'} to {after}")


@click.command()
@json_option
@pass_state
def plugins(state: State, as_json: bool) -> None:
    """List installed plugins: version, hooks, connectors, load errors."""
    cfg = state.config() if state.config_path.exists() else None
    host = PluginHost(
        allow=cfg.plugins_enabled if cfg else None, block=cfg.plugins_disabled if cfg else ()
    )
    infos = host.describe()
    if as_json:
        print_json(infos)
        return
    table("plugins", ["name", "distribution", "version", "connectors", "hooks", "error"], [
        (i.name, i.distribution, i.version, ", ".join(i.connectors), ", ".join(i.hooks),
         i.error) for i in infos
    ])


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--company", "-c", "companies", multiple=True, callback=known_company,
              help="Queue for this company only (repeatable; default: all).")
@json_option
@pass_state
def ingest(state: State, file: TextIO, companies: tuple[str, ...],
           as_json: bool) -> None:
    """Record MMS records from a JSON Lines FILE (one record per line with a "kind")."""
    ledger = state.ledger()
    report = ingest_records(ledger, file, companies=list(companies) or None)
    counts = dict(report.summary.counts)
    if as_json:
        print_json({"lines": report.lines, "counts": counts,
                    "problems": [{"line": p.line, "reason": p.reason} for p in report.problems]})
    else:
        summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing"
        console.print(f"read {report.lines} lines: {summary}", highlight=False)
        for problem in report.problems:
            err_console.print(f"{file.name}: {problem}", highlight=False, markup=False)
    if report.problems:
        err_console.print(
            f"{len(report.problems)} line(s) were not recorded; the others were. Fix those "
            "lines and ingest the file again (recorded lines are not duplicated).",
            highlight=False,
        )
        sys.exit(1)


@click.group()
def secrets() -> None:
    """Manage the key that encrypts stored secrets."""


@secrets.command("generate-key")
def secrets_generate_key() -> None:
    """Print a new key for LEDGERSYNC_SECRET_KEY."""
    click.echo(generate_key())


@secrets.command("rotate")
@pass_state
def secrets_rotate(state: State) -> None:
    """Re-encrypt every secret under the first key in LEDGERSYNC_SECRET_KEY."""
    count = rotate_all(state.ledger().engine)
    console.print(f"re-encrypted {count} secret(s) under the newest key")


COMMANDS = [init, config, db, plugins, ingest, secrets]
