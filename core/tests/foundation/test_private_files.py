"""The ledger and the config hold members' data and secrets: only their owner reads them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledgersync import Config, Ledger
from ledgersync._files import clear_secret_warning
from ledgersync.cli import cli

ENV: dict[str, str | None] = {"LEDGERSYNC_PLUGINS": None, "LEDGERSYNC_DISABLE_PLUGINS": None,
                              "LEDGERSYNC_CONFIG": None}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> object:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_init_writes_the_config_and_the_ledger_readable_by_their_owner_only(
        tmp_path: Path) -> None:
    config = tmp_path / "ledgersync.toml"
    result = CliRunner().invoke(cli, ["--config", str(config), "init", "--connector", "fake"],
                                env=ENV, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert mode(config) == 0o600
    assert mode(tmp_path / "ledgersync.db") == 0o600


def test_a_new_sqlite_ledger_and_its_wal_are_created_0600(tmp_path: Path) -> None:
    ledger = Ledger(Config(ledger_url=f"sqlite:///{tmp_path / 'new.db'}"), create=True)
    ledger.close()
    assert mode(tmp_path / "new.db") == 0o600
    wal = tmp_path / "new.db-wal"
    if wal.exists():
        assert mode(wal) == 0o600


def test_an_existing_ledger_keeps_the_mode_its_owner_chose(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    Ledger(Config(ledger_url=f"sqlite:///{path}"), create=True).close()
    assert mode(path) == 0o640


def test_a_world_readable_config_with_a_clear_secret_is_warned_about(tmp_path: Path) -> None:
    config = tmp_path / "ledgersync.toml"
    config.write_text("")
    config.chmod(0o644)
    warning = clear_secret_warning(
        config, {"companies.club": {"qbo": {"client_secret": "s3cr3t", "client_id": "x"}}})
    assert warning is not None
    assert "companies.club.qbo.client_secret" in warning
    assert "s3cr3t" not in warning
    assert f"chmod 600 {config}" in warning


def test_env_references_and_private_configs_are_not_warned_about(tmp_path: Path) -> None:
    config = tmp_path / "ledgersync.toml"
    config.write_text("")
    config.chmod(0o644)
    assert clear_secret_warning(
        config, {"companies.club": {"qbo": {"client_secret": "env:QBO_SECRET"}}}) is None
    config.chmod(0o600)
    assert clear_secret_warning(
        config, {"companies.club": {"qbo": {"client_secret": "s3cr3t"}}}) is None


def test_every_command_warns_once_of_a_readable_config_holding_a_secret(tmp_path: Path) -> None:
    config = tmp_path / "ledgersync.toml"
    config.write_text(f'[ledger]\nurl = "sqlite:///{tmp_path}/l.db"\n\n'
                      '[companies.club]\nconnector = "fake"\nschedule = "manual"\n\n'
                      f'[companies.club.fake]\nbooks_path = "{tmp_path}/books.db"\n'
                      'api_token = "clear-text"\n')
    config.chmod(0o644)
    result = CliRunner().invoke(cli, ["--config", str(config), "config", "check"], env=ENV)
    assert result.output.count("holds a secret in clear (companies.club.fake.api_token)") == 1
    assert "clear-text" not in result.output
