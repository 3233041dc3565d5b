"""The command line: `ledgersync connect` (browser, pasted, headless), `ledgersync qbo ...`
reference lists for mapping, and `ledgersync sandbox qbo`; the entry point stays light."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from ledgersync import ConnectorError, Ledger
from ledgersync.cli import cli, register_plugin_commands
from ledgersync_qbo.connect import connect_interactive
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.sandbox import Sandbox
from ledgersync_qbo.testing import sandbox_settings

COMPANY = "harbor"


@pytest.fixture(scope="module", autouse=True)
def _plugin_commands() -> None:
    register_plugin_commands()


@pytest.fixture
def config(tmp_path: Path, sandbox: Sandbox, base_url: str) -> Path:
    path = tmp_path / "ledgersync.toml"
    settings = sandbox_settings(sandbox, base_url)
    table = "\n".join(f'{key} = "{value}"' for key, value in settings.items())
    path.write_text(f"""[ledger]
url = "sqlite:///{tmp_path / 'cli.db'}"

[companies.{COMPANY}]
connector = "qbo"

[companies.{COMPANY}.qbo]
{table}

[companies.books]
connector = "fake"

[companies.books.fake]
books_path = "{tmp_path / 'books.db'}"
""", encoding="utf-8")
    assert CliRunner().invoke(cli, ["--config", str(path), "db", "upgrade"]).exit_code == 0
    return path


def invoke(config: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    assert result.exit_code == code, (result.output, result.exception)
    return result


@pytest.fixture
def connected(config: Path, sandbox: Sandbox) -> Path:
    invoke(config, "connect", COMPANY, "--refresh-token",
           sandbox.issue_tokens()["refresh_token"])
    return config


def test_connect_with_a_refresh_token_stores_a_rotated_pair(config: Path,
                                                            sandbox: Sandbox) -> None:
    given = sandbox.issue_tokens()["refresh_token"]
    output = invoke(config, "connect", COMPANY, "--refresh-token", given).output
    assert "connected: QuickBooks Online: Sandbox Company" in output
    assert sandbox.oauth.token_requests == 1


def test_connect_with_a_spent_refresh_token_says_how_to_reconnect(config: Path) -> None:
    result = invoke(config, "connect", COMPANY, "--refresh-token", "RT1-nonsense", code=1)
    assert "invalid_grant" in result.output
    assert "ledgersync connect harbor" in result.output


def test_connect_without_the_key_stops_before_spending_the_refresh_token(
        config: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGERSYNC_SECRET_KEY", raising=False)
    given = sandbox.issue_tokens()["refresh_token"]
    result = invoke(config, "connect", COMPANY, "--refresh-token", given, code=1)
    assert "LEDGERSYNC_SECRET_KEY" in result.output
    assert "Traceback" not in result.output
    assert sandbox.oauth.token_requests == 0


def test_connect_without_the_key_stops_before_the_browser(
        config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGERSYNC_SECRET_KEY", raising=False)
    result = invoke(config, "connect", COMPANY, "--no-browser", "--timeout", "1", code=1)
    assert "LEDGERSYNC_SECRET_KEY" in result.output
    assert "Open this address" not in result.output


def test_connect_with_a_key_that_cannot_read_the_stored_tokens_stops_before_the_browser(
        connected: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", "w" * 43 + "=")
    result = invoke(connected, "connect", COMPANY, "--no-browser", "--timeout", "1", code=1)
    assert "not the key the secrets were stored with" in result.output
    assert "Open this address" not in result.output


def test_qbo_accounts_lists_ids_for_mapping(connected: Path) -> None:
    rows = json.loads(invoke(connected, "qbo", "accounts", COMPANY, "--json").stdout)
    assert {"84", "35", "79"} <= {row["Id"] for row in rows}
    table = invoke(connected, "qbo", "accounts", COMPANY).output
    assert "Accounts Receivable (A/R)" in table


@pytest.mark.parametrize(("word", "expected"), [
    ("items", "Membership Dues"), ("taxcodes", "State sales tax"), ("taxrates", "6.25"),
    ("terms", "Net 30"), ("paymentmethods", "Credit Card"), ("customers", "Jordan Alvarez"),
])
def test_qbo_reference_lists(connected: Path, word: str, expected: str) -> None:
    assert expected in invoke(connected, "qbo", word, COMPANY).output


def test_qbo_customers_searches_by_name(connected: Path) -> None:
    rows = json.loads(invoke(connected, "qbo", "customers", COMPANY, "jordan",
                             "--json").stdout)
    assert [row["Id"] for row in rows] == ["58"]


def test_qbo_check_names_the_company(connected: Path) -> None:
    assert "Sandbox Company" in invoke(connected, "qbo", "check", COMPANY).output


def test_qbo_commands_refuse_a_company_on_another_connector(connected: Path) -> None:
    result = invoke(connected, "qbo", "accounts", "books", code=2)
    assert "does not use the qbo connector" in result.output


def test_sandbox_qbo_is_registered() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "qbo", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output


# -- the browser flow ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def interactive(open_ledger: Any, sandbox: Sandbox, base_url: str) -> QboConnector:
    settings = sandbox_settings(sandbox, base_url,
                                redirect_uri=f"http://127.0.0.1:{free_port()}/callback")
    ledger: Ledger = open_ledger(settings)
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, QboConnector)
    return connector


def approve(url: str) -> str:
    """What the user's browser does: QuickBooks' consent page redirects to redirect_uri."""
    consent = httpx.get(url, follow_redirects=False)
    assert consent.status_code == 302
    return consent.headers["location"]


def test_connect_captures_the_redirect_on_localhost(interactive: QboConnector,
                                                    sandbox: Sandbox) -> None:
    def browser(url: str) -> None:
        redirect = approve(url)
        threading.Thread(target=httpx.get, args=(redirect,), daemon=True).start()

    tokens = connect_interactive(interactive.tokens, open_url=browser, timeout=10)
    assert tokens.realm_id == sandbox.default_realm_id
    assert interactive.tokens.load().access_token == tokens.access_token
    assert "Sandbox Company" in interactive.check()


def test_connect_accepts_a_pasted_redirect(interactive: QboConnector) -> None:
    seen: list[str] = []
    tokens = connect_interactive(interactive.tokens, open_url=seen.append,
                                 paste=lambda: approve(seen[0]))
    assert tokens.access_token
    assert "state=" in seen[0]
    assert "scope=com.intuit.quickbooks.accounting" in seen[0]


def test_a_redirect_from_another_attempt_is_refused(interactive: QboConnector) -> None:
    seen: list[str] = []
    with pytest.raises(ConnectorError, match="state does not match"):
        connect_interactive(interactive.tokens, open_url=seen.append,
                            paste=lambda: approve(seen[0]).replace("state=", "state=x"))


def test_authorizing_another_company_is_refused(interactive: QboConnector) -> None:
    seen: list[str] = []
    with pytest.raises(ConnectorError, match="you authorized QuickBooks company 123"):
        connect_interactive(interactive.tokens, open_url=seen.append,
                            paste=lambda: approve(seen[0] + "&realmId=123"))


# -- the entry point ----------------------------------------------------------------------------


def test_the_entry_point_registers_the_connector_without_heavy_imports() -> None:
    code = ("import sys, importlib.metadata as m;"
            "ep = [e for e in m.entry_points(group='ledgersync') if e.name == 'qbo'][0];"
            "plugin = ep.load(); [c] = plugin.ledgersync_connectors();"
            "print(c.name, sorted(n for n in ('httpx', 'intuitlib.client', 'starlette', 'uvicorn')"
            " if n in sys.modules))")
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True).stdout
    assert output.strip() == "qbo []"
