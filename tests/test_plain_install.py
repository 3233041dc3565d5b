"""A plain install (`pip install ledgersync ledgersync-qbo ledgersync-qbd`, no extras) works:
every plugin loads, nothing outside the testing helpers imports pytest, and what needs a
sandbox extra says which one to install, in one line, instead of a traceback or a silently
missing company.

The commands run in a subprocess where the modules an extra would bring cannot be imported
(the development environment has them all); scripts/check-wheels checks real wheels.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
TESTING_EXTRA = ("pytest",)
SANDBOX_EXTRAS = ("zeep", "starlette", "uvicorn")

#: Runs `ledgersync ARGS` with the modules named in LEDGERSYNC_TEST_BLOCKED made unimportable,
#: as if the extras that bring them were not installed.
_WITHOUT = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # `import name` now raises ImportError
from ledgersync.cli import main
sys.argv = ["ledgersync", *sys.argv[2:]]
main()
"""


def ledgersync_without(blocked: tuple[str, ...], *args: str,
                       cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LEDGERSYNC_PLUGINS", "LEDGERSYNC_DISABLE_PLUGINS", "LEDGERSYNC_CONFIG")}
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT, ",".join(blocked), *args], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=300, check=False)


def _plugins(blocked: tuple[str, ...], tmp_path: Path) -> dict[str, dict[str, object]]:
    done = ledgersync_without(blocked, "plugins", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return {plugin["name"]: plugin for plugin in json.loads(done.stdout)}


def test_every_plugin_loads_without_pytest(tmp_path: Path) -> None:
    plugins = _plugins(TESTING_EXTRA, tmp_path)
    assert {"fake", "qbo", "qbd"} <= set(plugins)
    assert {name: p["error"] for name, p in plugins.items() if p["error"]} == {}


def test_every_plugin_loads_without_the_sandbox_extras(tmp_path: Path) -> None:
    plugins = _plugins(TESTING_EXTRA + SANDBOX_EXTRAS, tmp_path)
    assert {"fake", "qbo", "qbd"} <= set(plugins)
    assert {name: p["error"] for name, p in plugins.items() if p["error"]} == {}
    assert plugins["qbo"]["connectors"] == ["qbo"]
    assert plugins["qbd"]["connectors"] == ["qbd"]


def test_no_warning_is_printed_by_a_plain_install(tmp_path: Path) -> None:
    done = ledgersync_without(TESTING_EXTRA + SANDBOX_EXTRAS, "plugins", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_the_demo_names_the_missing_sandbox_extras_in_one_line(tmp_path: Path) -> None:
    done = ledgersync_without(TESTING_EXTRA + SANDBOX_EXTRAS, "demo", "--dir",
                              str(tmp_path / "demo"), "--members", "20", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "ledgersync-qbo[sandbox]" in error
    assert "ledgersync-qbd[sandbox]" in error
    [install] = [line for line in done.stderr.splitlines() if "pip install" in line]
    assert "'ledgersync-qbo[sandbox]'" in install
    assert "'ledgersync-qbd[sandbox]'" in install
    assert not (tmp_path / "demo" / "ledgersync.toml").exists()  # nothing half-started


@pytest.mark.parametrize(("command", "blocked", "extra"), [
    (("sandbox", "qbd", "--url", "http://127.0.0.1:9/qbwc", "--username", "u",
      "--password", "p"), ("zeep",), "ledgersync-qbd[sandbox]"),
    (("sandbox", "qbo", "--port", "9"), ("starlette", "uvicorn"), "ledgersync-qbo[sandbox]"),
])
def test_a_sandbox_command_without_its_extra_says_what_to_install(
        command: tuple[str, ...], blocked: tuple[str, ...], extra: str, tmp_path: Path) -> None:
    done = ledgersync_without(blocked, *command, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("error:")
    assert f"install {extra}" in first


def test_the_demo_runs_the_stand_in_books_without_pytest(tmp_path: Path) -> None:
    env_plugins = os.environ.get("LEDGERSYNC_PLUGINS")
    assert env_plugins is None or "fake" in env_plugins
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT, "pytest", "demo", "--dir", str(tmp_path / "demo"),
         "--members", "20"],
        cwd=tmp_path, env={**os.environ, "LEDGERSYNC_PLUGINS": "fake"},
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "started the stand-in books sandbox" in done.stdout
    assert "ties out to the cent" in done.stdout


_PYTEST_IMPORT = re.compile(r"^\s*(import pytest|from pytest\b|from _pytest\b)", re.MULTILINE)


def test_production_code_does_not_import_pytest() -> None:
    sources = [*ROOT.glob("core/src/ledgersync/**/*.py"), *ROOT.glob("plugins/*/src/**/*.py")]
    testing_kit = ROOT / "core" / "src" / "ledgersync" / "testing"
    importing = [path.relative_to(ROOT).as_posix() for path in sources
                 if testing_kit not in path.parents
                 and _PYTEST_IMPORT.search(path.read_text(encoding="utf-8"))]
    assert sources
    assert importing == []
