"""Fixtures of the foundation tests: a clean environment, databases, and a CLI working directory.

PostgreSQL tests run when ``LEDGERSYNC_TEST_DATABASE_URL`` names a PostgreSQL server; they use a
database of their own on that server (the configured name + ``_foundation``, created when
missing), so they never disturb the tests that share the database named in the variable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledgersync.cli import cli
from ledgersync.testing import empty_database, postgresql_suite_url

DATABASE_URL_ENV = "LEDGERSYNC_TEST_DATABASE_URL"

#: Variables that change what ledgersync does; no test may inherit them from the shell.
LEDGERSYNC_ENV = (
    "LEDGERSYNC_PLUGINS",
    "LEDGERSYNC_DISABLE_PLUGINS",
    "LEDGERSYNC_CONFIG",
    "LEDGERSYNC_SECRET_KEY",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LEDGERSYNC_ENV:
        monkeypatch.delenv(name, raising=False)


def own_postgresql_url() -> str | None:
    """This suite's own database on the test server (other suites run at the same time)."""
    return postgresql_suite_url("foundation")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty ledger database: a SQLite file, then PostgreSQL when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    url = own_postgresql_url()
    if url is None:
        pytest.skip(f"{DATABASE_URL_ENV} does not name a PostgreSQL database")
    empty_database(url)
    yield url
    empty_database(url)


Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    """Run a ledgersync command in-process: ``invoke("status", "--json")``."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False,
                             prog_name="ledgersync")

    return run


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Invoke) -> Path:
    """A directory with ``ledgersync.toml`` from ``ledgersync init --connector fake``
    (company ``club``) and its ledger, as the current directory."""
    monkeypatch.chdir(tmp_path)
    result = invoke("init", "--connector", "fake")
    assert result.exit_code == 0, result.output
    return tmp_path
