"""A third-party connector written from docs/plugin-authoring.md and installed as a separate
distribution (docs/examples/folderbooks, installed by requirements-dev.txt) passes the contract
kit through the kit's ``pytest11`` plugin, importing nothing private."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import ledgersync

ROOT = Path(__file__).parents[1]
DIST = ROOT / "docs" / "examples" / "folderbooks"
GUIDE = ROOT / "docs" / "plugin-authoring.md"


def _run_its_tests(**env: str) -> subprocess.CompletedProcess[str]:
    # Its own directory and config, as its author would run it: not this repository's.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-v", "-p", "no:cacheprovider"],
        cwd=DIST, capture_output=True, text=True, check=False, timeout=600,
        env={**os.environ, **env})


def test_it_is_installed_as_its_own_distribution_with_an_entry_point() -> None:
    dist = importlib.metadata.distribution("ledgersync-folderbooks")
    points = [ep for ep in dist.entry_points if ep.group == "ledgersync"]
    assert [(ep.name, ep.value) for ep in points] == [("folderbooks", "ledgersync_folderbooks")]
    with ledgersync.open("sqlite://") as ledger:
        loaded = {info.name: info for info in ledger.plugin_info()}
    assert loaded["folderbooks"].distribution == "ledgersync-folderbooks"
    assert loaded["folderbooks"].connectors == ("folderbooks",)


def test_it_passes_the_contract_kit_through_the_pytest11_plugin() -> None:
    result = _run_its_tests()
    assert result.returncode == 0, result.stdout + result.stderr
    passed = set(re.findall(r"::(test_\S+) PASSED", result.stdout))
    # One test per declared native error: the plugin parametrized them.
    assert {"test_native_error_is_classified[FolderBooksError-NOT_FOUND]",
            "test_native_error_is_classified[FolderBooksError-AMBIGUOUS]",
            "test_native_error_is_classified[PermissionError-2]",
            "test_native_error_is_classified[ConnectorError-3]"} <= passed
    assert {"test_export_batch_answers_every_request_in_order",
            "test_a_changed_record_updates_the_remote_one",
            "test_a_voided_record_voids_the_remote_one",
            "test_map_customer_never_guesses_between_two_candidates",
            "test_check_describes_the_connection"} <= {name.split("[")[0] for name in passed}
    # Only the two-stage tests may skip (the connector writes in one stage), and the books'
    # transactions test (the example does not list them for `reconcile`).
    skipped = re.findall(r"::(test_\S+) SKIPPED", result.stdout)
    assert all("confirm" in name or "stag" in name or "books_transactions" in name
               for name in skipped), skipped


def test_without_the_pytest11_plugin_the_kit_says_it_is_missing() -> None:
    result = _run_its_tests(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    assert result.returncode == 1
    assert "the contract kit's pytest plugin is not loaded" in result.stdout


def test_it_imports_no_private_name() -> None:
    private = []
    for path in DIST.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [f"{node.module}.{a.name}" for a in node.names]
                     if isinstance(node, ast.ImportFrom) and node.module else [])
            private += [f"{path.name}: {n}" for n in names
                        if n.startswith("ledgersync") and "._" in n]
    assert private == []


def test_the_guide_shows_the_contract_test_that_runs() -> None:
    # Every fixture the guide's snippet uses is defined in it, because it is this file.
    test_file = (DIST / "tests" / "test_contract.py").read_text(encoding="utf-8")
    assert f"```python\n{test_file}```" in GUIDE.read_text(encoding="utf-8")
