"""Output that does not go to a terminal (cron mail, CI logs, `| grep`, a test's captured
output) is never wrapped, whatever COLUMNS says: a table is one row a line, a message one line,
no word is split. On a terminal, tables still fit the terminal's width. ``--json`` is JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledgersync.cli import _common, cli

#: COLUMNS unset, narrow, and wide: the output must be the same.
WIDTHS = [None, "40", "250"]

CONFIG = """
[companies.{name}]
connector = "fake"
schedule = "manual"

[companies.{name}.fake]
books_path = "books.db"
"""


def _invoke(columns: str | None, *args: str) -> Result:
    env = {"COLUMNS": columns, "LEDGERSYNC_PLUGINS": None, "LEDGERSYNC_DISABLE_PLUGINS": None,
           "LEDGERSYNC_CONFIG": None}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def deep_config(tmp_path: Path) -> Path:
    """A config whose path is longer than any terminal, wherever the temp folder is."""
    folder = tmp_path.joinpath(*["a-folder-with-a-rather-long-name"] * 4)
    folder.mkdir(parents=True)
    config = folder / "ledgersync.toml"
    config.write_text(CONFIG.format(name="a-company-with-a-name-as-long-as-a-sentence"),
                      encoding="utf-8")
    return config


@pytest.mark.parametrize("columns", WIDTHS)
def test_a_piped_table_prints_one_row_a_line(columns: str | None) -> None:
    result = _invoke(columns, "--config", "nowhere.toml", "plugins")
    assert result.exit_code == 0, result.output
    fake_rows = [line for line in result.output.splitlines() if " fake " in line]
    assert len(fake_rows) == 1, result.output
    # The whole hooks cell on the row, not folded onto the next lines.
    assert "ledgersync_connectors, ledgersync_demo_sandbox" in fake_rows[0]


@pytest.mark.parametrize("columns", WIDTHS)
def test_a_piped_message_stays_on_one_line(columns: str | None, deep_config: Path) -> None:
    result = _invoke(columns, "--config", str(deep_config), "config", "check")
    assert result.exit_code == 0, result.output
    assert result.output == f"{deep_config}: ok (1 companies)\n"


@pytest.mark.parametrize("columns", WIDTHS)
def test_json_output_is_the_same_at_every_width(columns: str | None) -> None:
    result = _invoke(columns, "--config", "nowhere.toml", "plugins", "--json")
    assert result.exit_code == 0, result.output
    described = {plugin["name"]: plugin for plugin in json.loads(result.output)}
    assert described["fake"]["connectors"] == ["fake"]
    assert described["fake"]["error"] is None


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_table_fits_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    screen = _Terminal()
    console = _common._OutputConsole(file=screen)
    console.print("word " * 30)
    lines = screen.getvalue().splitlines()
    assert len(lines) > 1
    assert all(len(line) <= 40 for line in lines)


def test_off_a_terminal_a_long_line_is_not_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    piped = io.StringIO()
    _common._OutputConsole(file=piped).print("word " * 30)
    assert piped.getvalue().count("\n") == 1
