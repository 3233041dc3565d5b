"""The folder-books connector passes ledgersync's contract kit (pytest finds the kit through
the ``pytest11`` entry point of ``ledgersync``; nothing here is private)."""

import json
from pathlib import Path

import pytest
from ledgersync_folderbooks import FolderBooksConnector, FolderBooksError

from ledgersync import Action, ConnectorError, Member
from ledgersync.testing import ConnectorContract, ErrorCase


class FolderProbe:
    """How the kit looks into the books: one document per exported record."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def count(self, kind: str, mms_id: str) -> int:
        return len(list(self.folder.glob(f"{kind}-{mms_id}.json")))

    def is_voided(self, kind: str, mms_id: str) -> bool:
        document = json.loads((self.folder / f"{kind}-{mms_id}.json").read_text())
        return bool(document["voided"])

    def add_customer(self, member: Member) -> str:
        """A customer entered in the books by hand, with the member's e-mail."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"customer-{len(list(self.folder.glob('customer-*')))+1}.json"
        path.write_text(json.dumps({"display_name": member.display_name,
                                    "email": member.email}))
        return path.stem


class TestFolderBooksContract(ConnectorContract):
    connector_class = FolderBooksConnector
    error_cases = [
        ErrorCase(FolderBooksError("gone", code="NOT_FOUND"), Action.NEEDS_PERSON),
        ErrorCase(FolderBooksError("two", code="AMBIGUOUS", remedy="merge"),
                  Action.NEEDS_PERSON),
        ErrorCase(PermissionError("read-only folder"), Action.RETRY),
        ErrorCase(ConnectorError("???"), Action.IN_DOUBT),
    ]

    @pytest.fixture
    def settings(self, tmp_path: Path) -> dict[str, str]:
        return {"folder": str(tmp_path / "books")}

    @pytest.fixture
    def remote(self, settings: dict[str, str]) -> FolderProbe:
        return FolderProbe(Path(settings["folder"]))

    @pytest.fixture
    def check_mentions(self, settings: dict[str, str]) -> str:
        return settings["folder"]
