"""Every distribution of the repository ships its type information and has one version
source: ``__version__`` in its package, which hatch reads for the metadata."""

from __future__ import annotations

import importlib
import importlib.metadata
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DISTRIBUTIONS = {
    "core": ("ledgersync", "ledgersync"),
    "plugins/qbo": ("ledgersync-qbo", "ledgersync_qbo"),
    "plugins/qbd": ("ledgersync-qbd", "ledgersync_qbd"),
    "plugins/sage": ("ledgersync-sage", "ledgersync_sage"),
    "plugins/quickbooks_legacy": ("ledgersync-quickbooks-legacy", "ledgersync_quickbooks_legacy"),
}


def test_every_distribution_of_the_repository_is_listed() -> None:
    found = {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("plugins/*/pyproject.toml")}
    assert found | {"core"} == set(DISTRIBUTIONS)


@pytest.mark.parametrize("where", sorted(DISTRIBUTIONS))
def test_the_package_is_marked_typed(where: str) -> None:
    _, package = DISTRIBUTIONS[where]
    assert (ROOT / where / "src" / package / "py.typed").is_file()


@pytest.mark.parametrize("where", sorted(DISTRIBUTIONS))
def test_the_version_has_one_source_the_package(where: str) -> None:
    distribution, package = DISTRIBUTIONS[where]
    project = tomllib.loads((ROOT / where / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == f"src/{package}/__init__.py"
    module = importlib.import_module(package)
    assert module.__version__ == importlib.metadata.version(distribution)
