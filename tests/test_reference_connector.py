"""The one-file connector of docs/plugin-authoring.md passes the contract kit, so the guide's
example stays true."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ledgersync import Action, ConnectorError
from ledgersync.testing import ConnectorContract, ErrorCase

EXAMPLE = Path(__file__).parents[1] / "docs" / "examples" / "ledgersync_folderbooks.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ledgersync_folderbooks", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


folderbooks = _load()


class FolderProbe:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def count(self, kind: str, mms_id: str) -> int:
        return sum(1 for _ in self.folder.glob(f"{kind}-{mms_id}.json"))


class TestFolderBooksContract(ConnectorContract):
    connector_class = folderbooks.FolderBooksConnector
    error_cases = [
        ErrorCase(folderbooks.FolderBooksError("gone", code="NOT_FOUND"), Action.NEEDS_PERSON),
        ErrorCase(PermissionError("read-only folder"), Action.RETRY),
        ErrorCase(ConnectorError("???"), Action.IN_DOUBT),
    ]

    @pytest.fixture
    def settings(self, tmp_path: Path) -> dict[str, str]:
        return {"folder": str(tmp_path / "books")}

    @pytest.fixture
    def remote(self, settings: dict[str, str]) -> FolderProbe:
        return FolderProbe(Path(settings["folder"]))
