"""`ledgersync qbd set-password|qwc|lists` and `ledgersync sandbox qbd`."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from ledgersync import Member, open, verify_password
from ledgersync.cli import cli, sandbox
from ledgersync_qbd.cli import qbd, sandbox_qbd
from ledgersync_qbd.qbwc.app import QbwcApp
from ledgersync_qbd.qbwc.auth import SECRET_NAME
from ledgersync_qbd.server import ServerThread
from ledgersync_qbd.xmlsafe import parse

from .conftest import MAPPINGS, PASSWORD, USER

KEY = "q" * 43 + "="


@pytest.fixture
def config(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", KEY)
    monkeypatch.setenv("QBD_CLI_PASSWORD", PASSWORD)
    path = tmp_path / "ledgersync.toml"
    path.write_text(f"""
[ledger]
url = "{database_url}"

[plugins]
enabled = ["qbd"]

[companies.harbor]
connector = "qbd"
schedule = "15m"

[companies.harbor.qbd]
username = "{USER}"
password = "env:QBD_CLI_PASSWORD"
busy_seconds = 0
""", encoding="utf-8")
    open(path).close()  # creates the ledger's tables
    if "qbd" not in cli.commands:
        cli.add_command(qbd)
    if "qbd" not in sandbox.commands:
        sandbox.add_command(sandbox_qbd)
    return path


def run(config: Path, *args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], input=stdin,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_set_password_stores_a_scrypt_hash_only(config: Path) -> None:
    run(config, "qbd", "set-password", "harbor", "--password-stdin",
        stdin="a-new-long-password\n")
    with open(config) as ledger:
        stored = ledger.secrets("harbor").get(SECRET_NAME)
    assert stored is not None
    assert stored.startswith("scrypt$")
    assert "a-new-long-password" not in stored
    assert verify_password("a-new-long-password", stored)


def test_a_short_password_is_refused(config: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config), "qbd", "set-password", "harbor",
                                      "--password-stdin"], input="short\n")
    assert result.exit_code != 0
    assert "at least 8" in result.output


def test_qwc_is_written_with_stable_guids_per_company(config: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.qwc", tmp_path / "b.qwc"
    run(config, "qbd", "qwc", "harbor", "--url", "https://sync.example.org/qbwc", "-o",
        str(first))
    run(config, "qbd", "qwc", "harbor", "--url", "https://sync.example.org/qbwc", "-o",
        str(second))
    assert first.read_text() == second.read_text()
    qwc = parse(first.read_bytes(), max_bytes=100_000)
    assert qwc.tag == "QBWCXML"
    values = {child.tag: child.text or "" for child in qwc}
    assert values["AppURL"] == "https://sync.example.org/qbwc"
    assert values["AppSupport"] == "https://sync.example.org/"
    assert values["UserName"] == USER
    assert values["QBType"] == "QBFS"
    assert values["IsReadOnly"] == "false"
    assert values["OwnerID"].startswith("{")
    assert values["FileID"].startswith("{")
    assert qwc.findtext("Scheduler/RunEveryNMinutes") == "15"
    assert values["AppName"] == "ledgersync (harbor)"


def test_qwc_warns_about_plain_http_away_from_localhost(config: Path, tmp_path: Path) -> None:
    result = run(config, "qbd", "qwc", "harbor", "--url", "http://sync.example.org/qbwc", "-o",
                 str(tmp_path / "x.qwc"))
    assert "https" in result.output


def test_lists_are_shown_and_a_refresh_is_queued(config: Path) -> None:
    assert "not read yet" in run(config, "qbd", "lists", "harbor").output
    run(config, "qbd", "lists", "harbor", "--refresh", "--list", "items")
    with open(config) as ledger:
        assert ledger.state("harbor").get("qbwc:lists:refresh") == ["items"]


def test_sandbox_qbd_runs_one_update_against_a_server_and_says_what_happened(
        config: Path, tmp_path: Path) -> None:
    with open(config) as ledger:
        for (kind, mms_id), remote in MAPPINGS.items():
            ledger.map("harbor", kind, mms_id, remote)
        ledger.record([Member(mms_id="M-1", display_name="Ada Keel")])
        state = tmp_path / "company.pickle"
        with ServerThread(QbwcApp(ledger)) as server:
            args = ["sandbox", "qbd", "--url", f"{server.url}/qbwc", "--username", USER,
                    "--password", PASSWORD, "--state-file", str(state)]
            first = run(config, *args)
            second = run(config, *args)
    assert "outcome: done" in first.output
    assert "closeConnection: ledgersync: 1 written" in first.output
    assert "1 customer(s)" in first.output
    assert "authenticate: none" in second.output
    assert "1 customer(s)" in second.output  # the company file was kept between runs


def test_sandbox_qbd_with_a_wrong_password_exits_non_zero_with_a_sentence(config: Path) -> None:
    with open(config) as ledger, ServerThread(QbwcApp(ledger)) as server:
        result = CliRunner().invoke(cli, [
            "--config", str(config), "sandbox", "qbd", "--url", f"{server.url}/qbwc",
            "--username", USER, "--password", "wrong"])
    assert result.exit_code == 1, result.output
    assert "authenticate: nvu" in result.stdout
    assert f"refused user {USER!r}: wrong user name or password" in result.stderr
    assert "what to do:" in result.stderr
    assert "Traceback" not in result.output


def test_set_password_without_the_key_stops_before_the_prompt(
        config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGERSYNC_SECRET_KEY")
    result = CliRunner().invoke(cli, ["--config", str(config), "qbd", "set-password", "harbor"])
    assert result.exit_code == 1, result.output
    assert "LEDGERSYNC_SECRET_KEY" in result.stderr
    assert "Web Connector password:" not in result.output


def _without_password(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('password = "env:QBD_CLI_PASSWORD"\n', ""), encoding="utf-8")


def test_config_check_names_a_company_without_a_web_connector_password(config: Path) -> None:
    _without_password(config)
    result = CliRunner().invoke(cli, ["--config", str(config), "config", "check"])
    assert result.exit_code == 1, result.output
    assert "companies.harbor.qbd: no Web Connector password" in result.stderr
    assert "ledgersync qbd set-password harbor" in result.stderr


def test_config_check_accepts_a_password_set_with_set_password(config: Path) -> None:
    _without_password(config)
    run(config, "qbd", "set-password", "harbor", "--password-stdin",
        stdin="a-new-long-password\n")
    run(config, "config", "check")


def test_the_plugin_registers_its_commands_and_the_endpoint_options_of_serve() -> None:
    from ledgersync.cli.web_cmds import serve
    from ledgersync_qbd.plugin import ledgersync_register_commands

    core_serve = click.Command("serve", params=list(serve.params), callback=serve.callback)
    group = click.Group(commands={"sandbox": click.Group("sandbox"), "serve": core_serve})
    ledgersync_register_commands(group)
    assert {"qbd", "sandbox"} <= set(group.commands)
    assert "qbd" in group.commands["sandbox"].commands  # type: ignore[attr-defined]
    options = {p.name for p in group.commands["serve"].params}
    assert {"qbwc_path", "qbwc_public_url", "qbwc_client_version_policy"} <= options


def test_status_shows_a_refused_list_read_with_its_remedy(config: Path) -> None:
    from ledgersync_qbd.qbxml.lists import record_failure

    with open(config) as ledger:
        record_failure(ledger.state("harbor"), "accounts",
                       "QuickBooks refused the request (parse error 0x80040400)",
                       "It is read again at the next Web Connector update",
                       "2026-03-01T10:00:00+00:00")
    output = run(config, "status").output
    assert "harbor:" in output
    assert "'accounts' could not be read" in output
    assert "what to do: It is read again at the next Web Connector update" in output
    assert "last read failed" in run(config, "qbd", "lists", "harbor").output


def test_drift_asks_the_next_update_for_a_check_and_accepts_an_edit(config: Path) -> None:
    from ledgersync_qbd.qbwc import drift

    with open(config) as ledger:
        store = ledger.state("harbor")
        store.put(drift.FINDINGS, {"invoice:INV-1": {"problem": "Invoice 1-1 changed: total",
                                                     "remedy": "ledgersync resync ..."}})
    output = run(config, "qbd", "drift", "harbor").output
    assert "Invoice 1-1 changed: total" in output
    assert "what to do: ledgersync resync" in output
    with open(config) as ledger:
        assert ledger.state("harbor").get(drift.REQUESTED) is True
    run(config, "qbd", "drift", "harbor", "--accept", "invoice", "INV-1")
    assert "no differences found" in run(config, "qbd", "drift", "harbor").output
