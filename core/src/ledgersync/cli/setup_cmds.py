"""Setting up: init, config check, db upgrade, plugins, secrets, ingest."""

from __future__ import annotations

import os
import sys
from typing import BinaryIO

import click
import sqlalchemy as sa

from .._config import Config, check_config, example_config_text
from .._errors import ConfigError, LedgerError, LedgerSyncError, SecretKeyError
from .._files import write_private
from .._ingest import Unsupported
from .._ingest import ingest as ingest_records
from .._ledger import database
from .._ledger_api import Ledger
from .._secrets import KEY_ENV, check_key, generate_key, rotate_all
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
from .map_cmds import MAP_WORDS

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
    "fake": 'books_path = "fake-books.db"  # the stand-in books, beside this file\n',
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
    host = state._plugin_host(cfg)
    settings = {name: cls.settings_type for name, cls in host.connectors.items()}
    problems = check_config(cfg, settings)
    ledger_problems = _ledger_problems(cfg.ledger_url)
    problems += ledger_problems or ([] if problems else _setup_problems(cfg))
    for name, error in host.load_errors.items():
        err_console.print(f"warning: plugin {name} failed to load: {error}", highlight=False,
                          markup=False)
    if problems:
        for problem in problems:
            err_console.print(problem, highlight=False, markup=False)
        err_console.print(f"{len(problems)} problem(s) in {cfg.source}", highlight=False)
        sys.exit(1)
    console.print(f"{cfg.source}: ok ({len(cfg.companies)} companies)", highlight=False)


def _ledger_problems(url: str) -> list[str]:
    """Connect to the ledger: a wrong URL, a missing database or a closed port is a problem of
    the config file, found here rather than by the first command that needs the ledger."""
    if _sqlite_file_to_create(url):
        return []  # `ledgersync init` creates it; connecting here would leave an empty file
    try:
        engine = database.create_ledger_engine(url)
    except LedgerError as exc:
        return [f"ledger.url: {exc.message} ({exc.remedy})"]
    try:
        database.check_connection(engine)
        current = database.current_revision(engine)
    except LedgerError as exc:
        return [f"ledger.url: {exc.message} ({exc.remedy})"]
    finally:
        engine.dispose()
    head = database.head_revision()
    if current == head:
        try:
            check_key(engine)
        except SecretKeyError as exc:
            return [f"{KEY_ENV}: {exc.message} ({exc.remedy})"]
        finally:
            engine.dispose()
    if current is not None and current != head:
        return [f"ledger.url: the ledger is at schema revision {current}, this ledgersync "
                f"needs {head} (run `ledgersync db upgrade`, back the database up first)"]
    return []


def _setup_problems(cfg: Config) -> list[str]:
    """What each enabled company's connector finds missing (a password, a token), once the
    config and the ledger are fine."""
    if not database_exists(cfg.ledger_url):
        return []
    problems: list[str] = []
    with Ledger(cfg, create=False) as ledger:
        for company in cfg.enabled_companies():
            try:
                problems += ledger.connector(company.name).setup_problems()
            except LedgerSyncError as exc:
                problems.append(f"companies.{company.name}: {exc.message}")
    return problems


def _sqlite_file_to_create(url: str) -> bool:
    """A SQLite ledger whose folder exists but whose file does not yet (`ledgersync init`
    creates it); opening an engine on it would create the file."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return False
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not file or file == ":memory:" or file.startswith("file:"):
        return False
    return os.path.isdir(os.path.dirname(file) or ".") and not os.path.exists(file)


def database_exists(url: str) -> bool:
    """False for a SQLite ledger not created yet (`ledgersync init` does that)."""
    return not _sqlite_file_to_create(url)


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
        database.check_connection(engine)
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
    host = state._plugin_host(cfg)
    infos = host.describe()
    if as_json:
        print_json(infos)
        return
    table("plugins", ["name", "distribution", "version", "connectors", "hooks", "error"], [
        (i.name, i.distribution, i.version, ", ".join(i.connectors), ", ".join(i.hooks),
         i.error) for i in infos
    ])


@click.command()
@click.argument("file", type=click.File("rb"))
@click.option("--company", "-c", "companies", multiple=True, callback=known_company,
              help="Queue for this company only (repeatable; default: all).")
@json_option
@pass_state
def ingest(state: State, file: BinaryIO, companies: tuple[str, ...],
           as_json: bool) -> None:
    """Record MMS records from a JSON Lines FILE (one record per line with a "kind")."""
    ledger = state.ledger()
    report = ingest_records(ledger, file, companies=list(companies) or None)
    counts = dict(report.summary.counts)
    if as_json:
        print_json({"lines": report.lines, "counts": counts,
                    "unsupported": report.unsupported,
                    "problems": [{"line": p.line, "reason": p.reason} for p in report.problems]})
    else:
        summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing"
        console.print(f"read {report.lines} lines: {summary}", highlight=False)
        for line in _unsupported_lines(report.unsupported):
            console.print(line, highlight=False, markup=False)
        for problem in report.problems:
            err_console.print(f"{file.name}: {problem}", highlight=False, markup=False)
    if report.problems:
        err_console.print(
            f"{len(report.problems)} line(s) were not recorded; the others were. Fix those "
            "lines and ingest the file again (recorded lines are not duplicated).",
            highlight=False,
        )
        sys.exit(1)


def _unsupported_lines(unsupported: list[Unsupported]) -> list[str]:
    """One line per company and kind: which records its connector does not export, by line,
    and the mapping that stands in for them."""
    groups: dict[tuple[str, str], list[Unsupported]] = {}
    for entry in unsupported:
        for company in entry.companies:
            groups.setdefault((company, entry.kind), []).append(entry)
    lines = []
    for (company, kind), entries in groups.items():
        shown = ", ".join(f"{e.mms_id} (line {e.line})" for e in entries[:10])
        more = f" and {len(entries) - 10} more" if len(entries) > 10 else ""
        word = MAP_WORDS.get(kind)
        hint = (f": map them, e.g. `ledgersync map {word} {company} {entries[0].mms_id} "
                "<remote id>`" if word else "")
        lines.append(f"not exported to {company} (its connector does not create "
                     f"{kind.replace('_', ' ')} records): {shown}{more}{hint}")
    return lines


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
    count = rotate_all(state.ledger()._database)
    console.print(f"re-encrypted {count} secret(s) under the newest key")


COMMANDS = [init, config, db, plugins, ingest, secrets]
