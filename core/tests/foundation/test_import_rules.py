"""Plugins and the docs' examples use only public names: ruff's banned-api rule (TID251) fails
any import of a private core module from plugins/ or docs/examples/, and its list stays
complete."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import ledgersync.cli

ROOT = Path(__file__).parents[3]
CORE = ROOT / "core" / "src" / "ledgersync"
PRIVATE_IMPORT = "from ledgersync._engine.claims import ClaimedItem\n\nprint(ClaimedItem)\n"


def _banned() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"])


def _private_children(package: Path, dotted: str) -> set[str]:
    return {f"{dotted}.{path.stem}" for path in package.iterdir()
            if path.name.startswith("_") and not path.name.startswith("__")
            and (path.suffix == ".py" or (path / "__init__.py").exists())}


def _ruff(source: str, filename: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "TID251", "--output-format",
         "concise", "--stdin-filename", filename, "-"],
        input=source, capture_output=True, text=True, cwd=ROOT, check=False)


def test_every_private_core_module_is_banned() -> None:
    expected = _private_children(CORE, "ledgersync") | _private_children(
        CORE / "cli", "ledgersync.cli")
    assert expected - _banned() == set()


def test_every_private_name_of_the_cli_package_is_banned() -> None:
    private = {f"ledgersync.cli.{name}" for name in vars(ledgersync.cli)
               if name.startswith("_") and not name.startswith("__")}
    modules = _private_children(CORE / "cli", "ledgersync.cli")
    assert private - modules - _banned() == set()


@pytest.mark.parametrize("filename", [
    "plugins/qbo/src/ledgersync_qbo/anything.py",
    "plugins/qbd/tests/test_anything.py",
    "docs/examples/ledgersync_anything.py",
])
def test_a_private_import_fails_ruff_in_plugins_and_docs_examples(filename: str) -> None:
    result = _ruff(PRIVATE_IMPORT, filename)
    assert result.returncode == 1
    assert "TID251 `ledgersync._engine` is banned" in result.stdout


def test_a_private_cli_module_import_fails_ruff_in_a_plugin() -> None:
    result = _ruff("from ledgersync.cli._common import State\n\nprint(State)\n",
                   "plugins/qbd/src/ledgersync_qbd/cli.py")
    assert "`ledgersync.cli._common` is banned" in result.stdout


@pytest.mark.parametrize("filename", ["core/src/ledgersync/anything.py",
                                      "core/tests/test_anything.py"])
def test_the_core_may_import_its_private_modules(filename: str) -> None:
    result = _ruff(PRIVATE_IMPORT, filename)
    assert result.returncode == 0, result.stdout


def test_the_public_cli_helpers_are_allowed_in_a_plugin() -> None:
    result = _ruff("from ledgersync.cli.helpers import State\n\nprint(State)\n",
                   "plugins/qbd/src/ledgersync_qbd/cli.py")
    assert result.returncode == 0, result.stdout
