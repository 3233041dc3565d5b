"""The Accounting Sync page on the command line: `ledgersync serve` and `ledgersync users`."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from .._operators import ROLES
from ._common import State, console, json_option, pass_state, print_json, table


@click.command(context_settings={"ignore_unknown_options": False})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--trusted-user-header", envvar="LEDGERSYNC_TRUSTED_USER_HEADER",
              help="Trust this request header (set by your reverse proxy, e.g. "
              "X-Forwarded-User) as the signed-in operator's name. Only behind a proxy that "
              "removes it from clients' requests.")
@click.option("--secure-cookies/--no-secure-cookies", default=None,
              help="Send the session cookie only over HTTPS (default: when the request came "
              "over HTTPS; use --secure-cookies behind a TLS-terminating proxy).")
@click.option("--session-hours", type=click.FloatRange(0.1, 24 * 7), default=8.0,
              show_default=True, help="Sessions end this long after sign-in.")
@click.option("--work-runs/--no-work-runs", default=True, show_default=True,
              help="'Run now' on the page also works the run in this process (else a "
              "`ledgersync worker` does).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@pass_state
def serve(state: State, /, host: str, port: int, trusted_user_header: str | None,
          secure_cookies: bool | None, session_hours: float, work_runs: bool, log_level: str,
          **plugin_options: Any) -> None:
    """Serve the Accounting Sync page at / and the plugins' endpoints beside it (such as
    the QuickBooks Web Connector's at /qbwc). Add operators with `ledgersync users add`."""
    from ..web import WebSettings, create_app
    from ..web.server import serve as run_server

    ledger = state.ledger()
    settings = WebSettings(session_lifetime=dt.timedelta(hours=session_hours),
                           trusted_user_header=trusted_user_header,
                           secure_cookies=secure_cookies, work_runs=work_runs)
    app = create_app(ledger, settings, mount_options=plugin_options)
    console.print(f"Accounting Sync page: http://{host}:{port}/", highlight=False)
    for path, title in app.web.mounts:
        console.print(f"{title}: http://{host}:{port}{path}", highlight=False)
    if not ledger.operators().list() and trusted_user_header is None:
        console.print("[bold yellow]warning:[/] no operator can sign in yet: add one with "
                      "`ledgersync users add NAME --role admin`", highlight=False)
    run_server(app, host=host, port=port, log_level=log_level)


@click.group()
def users() -> None:
    """Operator accounts of the Accounting Sync page (viewer, operator, admin)."""


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="viewer reads; operator also acts on items; admin also sets credentials.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_state
def users_add(state: State, name: str, role: str, password_stdin: bool) -> None:
    """Add an operator who signs in to the page with NAME and a password."""
    state.ledger().operators().add(name, role, _read_password(password_stdin))
    console.print(f"added {name} ({role})", highlight=False, markup=False)


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_state
def users_set_password(state: State, name: str, password_stdin: bool) -> None:
    """Change an operator's password (their sessions end)."""
    state.ledger().operators().set_password(name, _read_password(password_stdin))
    console.print(f"password of {name} changed; their sessions ended", highlight=False,
                  markup=False)


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@pass_state
def users_set_role(state: State, name: str, role: str) -> None:
    """Change an operator's role."""
    state.ledger().operators().set_role(name, role)
    console.print(f"{name} is now {role}", highlight=False, markup=False)


@users.command("remove")
@click.argument("name")
@pass_state
def users_remove(state: State, name: str) -> None:
    """Remove an operator (their sessions end)."""
    state.ledger().operators().remove(name)
    console.print(f"removed {name}", highlight=False, markup=False)


@users.command("list")
@json_option
@pass_state
def users_list(state: State, as_json: bool) -> None:
    """Every operator and their role (never a password)."""
    found = state.ledger().operators().list()
    if as_json:
        print_json(found)
        return
    table("operators", ["name", "role", "added (UTC)"],
          [(o.name, o.role, f"{o.created_at:%Y-%m-%d %H:%M}") for o in found])


COMMANDS = [serve, users]
