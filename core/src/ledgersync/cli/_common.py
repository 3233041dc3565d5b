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
from rich.console import Console, ConsoleDimensions
from rich.table import Table
from rich.text import Text

from .._config import Config, load_config
from .._engine.filters import ItemFilter
from .._engine.statuses import Status
from .._errors import LedgerSyncError
from .._files import clear_secret_warning
from .._ledger_api import Ledger
from .._plugins import PluginHost

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_ENV = "LEDGERSYNC_CONFIG"
DEFAULT_CONFIG = "ledgersync.toml"

#: The width output gets when it does not go to a terminal: wide enough that nothing wraps.
UNWRAPPED_WIDTH = 100_000


class _OutputConsole(Console):
    """Wraps at the terminal's width on a terminal, and nowhere else: piped into cron mail, a
    CI log, `| grep` or a test's captured output, a table is one row a line and a message one
    line, whatever COLUMNS says (rich would wrap at COLUMNS or 80 and split words)."""

    @property
    def size(self) -> ConsoleDimensions:
        terminal = super().size
        if _writes_to_terminal(self):
            return terminal
        return ConsoleDimensions(UNWRAPPED_WIDTH, terminal.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]  # the base setter


def _writes_to_terminal(console: Console) -> bool:
    """A real terminal, whatever FORCE_COLOR says (colour may be forced; a width may not)."""
    isatty = getattr(console.file, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed file
        return False


def writes_to_terminal() -> bool:
    """Whether standard output is a terminal (tables are then drawn to fit its width)."""
    return _writes_to_terminal(console)


console = _OutputConsole()
# Messages, not tables: each stays on one line whatever the width (logs, grep, CI output).
err_console = _OutputConsole(stderr=True, soft_wrap=True)


@attrs.define
class State:
    """The click context object: the config path and, once needed, the ledger.

    ``plugins`` (internal) is the host that registered the plugins' commands; the ledger
    opened here uses that same host, so commands and engine see the same plugins.
    """

    config_path: Path
    debug: bool = False
    _plugins: PluginHost | None = attrs.field(default=None, repr=False, alias="plugins")
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
            self._ledger = Ledger(self.config(), create=False, _host=self._plugins)
        return self._ledger

    def _plugin_host(self, config: Config | None) -> PluginHost:
        """The shared plugin host with ``config``'s plugin lists applied (a new host when the
        command line was started without one, as in tests)."""
        allow = config.plugins_enabled if config else None
        block = config.plugins_disabled if config else ()
        if self._plugins is None:
            self._plugins = PluginHost(allow=allow, block=block)
        else:
            self._plugins.restrict(allow, block)
        return self._plugins

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
        click.option("--error-code", help="Only failed items with this error code (the "
                     "[code] `ledgersync status` shows): fixes a whole group at once."),
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
        error_code=kwargs.pop("error_code", None),
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
    if not rows:
        # An empty table reads as a rendering glitch; say it.
        console.print(f"{title}: none" if title else "none", highlight=False, markup=False)
        return
    t = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        t.add_column(column, overflow="fold")
    one_line = not writes_to_terminal()
    for row in rows:
        # Text, not markup: data such as "[inactive] ..." or "a[/b]" is shown as it is.
        t.add_row(*(Text(_cell(v, one_line=one_line)) for v in row))
    console.print(t)


def _cell(value: Any, *, one_line: bool) -> str:
    text = "" if value is None else str(value)
    # Off a terminal a table is one row a line, so a multi-line message is joined.
    return " ".join(text.split()) if one_line and "\n" in text else text


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )

