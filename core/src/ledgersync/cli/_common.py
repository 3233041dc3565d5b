"""What every command shares: the open ledger, item filters, tables and JSON output."""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .._config import Config, load_config
from .._engine.filters import ItemFilter
from .._engine.statuses import Status
from .._errors import LedgerSyncError
from .._files import clear_secret_warning
from .._ledger_api import Ledger

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_ENV = "LEDGERSYNC_CONFIG"
DEFAULT_CONFIG = "ledgersync.toml"

console = Console()
# Messages, not tables: each stays on one line whatever the width (logs, grep, CI output).
err_console = Console(stderr=True, soft_wrap=True)


@attrs.define
class State:
    """The click context object: the config path and, once needed, the ledger."""

    config_path: Path
    debug: bool = False
    _ledger: Ledger | None = None
    _warned: bool = False

    def config(self) -> Config:
        if not self.config_path.exists():
            raise LedgerSyncError(
                f"no config file at {self.config_path}",
                remedy="Create one with `ledgersync init`, or point --config / "
                f"{CONFIG_ENV} at yours",
            )
        config = load_config(self.config_path)
        if not self._warned:
            self._warned = True
            warning = clear_secret_warning(self.config_path, {
                f"companies.{name}.{company.connector}": company.settings
                for name, company in config.companies.items()})
            if warning:
                err_console.print(warning, highlight=False, markup=False)
        return config

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.config(), create=False)
        return self._ledger

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()


pass_state = click.make_pass_decorator(State)


def actor() -> str:
    """Who did it, for the history: the operating-system user."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "operator"


# -- filters -------------------------------------------------------------------------------------


def known_company(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """Refuse a company the config does not name as a bad argument (usage error, exit code 2),
    before a typo silently matches nothing."""
    state = ctx.find_object(State)
    if state is None or value is None:
        return value
    names = [value] if isinstance(value, str) else list(value)
    if not names:
        return value
    configured = state.config().companies
    for name in names:
        if name not in configured:
            raise click.BadParameter(
                f"no company {name!r} in {state.config_path} "
                f"(configured: {', '.join(sorted(configured)) or 'none'})"
            )
    return value


def _parse_date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-31") from None


def _parse_statuses(
    _ctx: click.Context, _param: click.Parameter, value: Sequence[str]
) -> list[Status] | None:
    return [Status(v.replace("-", "_")) for v in value] if value else None


STATUS_CHOICE = click.Choice([s.value for s in Status] + [s.value.replace("_", "-")
                                                          for s in Status if "_" in s.value])


def item_filters(func: F) -> F:
    """Options that select items: ids as arguments, or --company/--kind/--status/... filters."""
    decorators = [
        click.argument("ids", nargs=-1, type=int),
        click.option("--company", "-c", callback=known_company, help="Only this company."),
        click.option("--kind", "-k", help="Only this record kind (invoice, payment, ...)."),
        click.option("--status", "-s", "statuses", multiple=True, type=STATUS_CHOICE,
                     callback=_parse_statuses, help="Only items in this status (repeatable)."),
        click.option("--member", "-m", help="Only records of this member (MMS id)."),
        click.option("--mms-id", help="Only this record (MMS id)."),
        click.option("--from", "date_from", callback=_parse_date,
                     help="Only documents dated on or after this day (YYYY-MM-DD)."),
        click.option("--to", "date_to", callback=_parse_date,
                     help="Only documents dated on or before this day (YYYY-MM-DD)."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_filter(kwargs: dict[str, Any], *, require: bool = False) -> ItemFilter:
    ids = kwargs.pop("ids", ())
    selection = ItemFilter(
        ids=list(ids) or None,
        company=kwargs.pop("company", None),
        kind=kwargs.pop("kind", None),
        status=kwargs.pop("statuses", None),
        member=kwargs.pop("member", None),
        mms_id=kwargs.pop("mms_id", None),
        date_from=kwargs.pop("date_from", None),
        date_to=kwargs.pop("date_to", None),
    )
    if require and selection == ItemFilter():
        raise click.UsageError(
            "say which items: give item ids, or at least one filter such as --company or --kind"
        )
    return selection


# -- output --------------------------------------------------------------------------------------


def json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return attrs.asdict(value, recurse=False)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def print_json(data: Any) -> None:
    if isinstance(data, list):
        data = [attrs.asdict(d) if attrs.has(type(d)) else d for d in data]
    elif attrs.has(type(data)):
        data = attrs.asdict(data)
    click.echo(json.dumps(data, default=json_default, indent=2))


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        # Text, not markup: data such as "[inactive] ..." or "a[/b]" is shown as it is.
        t.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(t)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )

