"""A wrong ledger URL is one line plus what to do, from every command that opens the ledger,
and `config check` connects to find it (issue 9, point 6)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result

from .conftest import Invoke

#: Port 1 on the loopback interface: nothing listens there, so the connection is refused.
CLOSED_PORT = "postgresql+psycopg://postgres@127.0.0.1:1/ledger"

BAD_URLS = {
    "closed port": (CLOSED_PORT, "correct the host and port"),
    "postgres scheme": ("postgres://user@localhost/ledger", "postgresql+psycopg://"),
    "mysql": ("mysql://user@localhost/ledger", "SQLite or PostgreSQL only"),
    "sqlite in a missing folder": ("sqlite:///no/such/folder/ledger.db", "Create the folder"),
}

COMMANDS = [
    ("status",), ("status", "--items"), ("log",), ("history", "1"), ("requeue", "1"),
    ("unlink", "1"), ("resync", "1"), ("mark", "go", "1"), ("approve", "club", "--list"),
    ("run", "--once"), ("worker",), ("reconcile", "club"), ("map", "account", "club", "4000", "1"),
    ("companies", "list"), ("db", "upgrade"), ("secrets", "rotate"), ("ingest", "records.jsonl"),
]


def _point_at(workdir: Path, url: str) -> None:
    config = workdir / "ledgersync.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('url = "sqlite:///ledgersync.db"', f'url = "{url}"'),
                      encoding="utf-8")
    (workdir / "records.jsonl").write_text("", encoding="utf-8")


def _assert_one_error_line(result: Result, remedy: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("error: ")], result.stderr
    assert len(lines) == 2, result.stderr
    assert lines[1].startswith("what to do: ")
    assert remedy in result.stderr


@pytest.mark.parametrize("case", sorted(BAD_URLS))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_names_a_wrong_ledger_url_in_one_line_with_the_remedy(
    workdir: Path, invoke: Invoke, case: str, command: tuple[str, ...]
) -> None:
    url, remedy = BAD_URLS[case]
    _point_at(workdir, url)
    _assert_one_error_line(invoke(*command), remedy)


@pytest.mark.parametrize("case", sorted(BAD_URLS))
def test_config_check_connects_and_names_a_wrong_ledger_url(
    workdir: Path, invoke: Invoke, case: str
) -> None:
    url, remedy = BAD_URLS[case]
    _point_at(workdir, url)
    result = invoke("config", "check")
    assert result.exit_code == 1, result.output
    assert "ok" not in result.stdout
    assert "ledger.url: " in result.stderr
    assert remedy in result.stderr


def test_config_check_names_a_missing_postgresql_database(invoke: Invoke, workdir: Path) -> None:
    server = os.environ.get("LEDGERSYNC_TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        pytest.skip("LEDGERSYNC_TEST_DATABASE_URL does not name a PostgreSQL server")
    url = sa.make_url(server).set(database="ledgersync_no_such_database_here")
    _point_at(workdir, url.render_as_string(hide_password=False))
    result = invoke("config", "check")
    assert result.exit_code == 1, result.output
    assert "createdb ledgersync_no_such_database_here" in result.stderr


def test_config_check_of_a_config_before_its_ledger_exists_creates_no_file(
    tmp_path: Path, invoke: Invoke
) -> None:
    config = tmp_path / "ledgersync.toml"
    config.write_text('[ledger]\nurl = "sqlite:///ledger.db"\n', encoding="utf-8")
    result = invoke("--config", str(config), "config", "check")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "ledger.db").exists()


