"""The fake connector shipped with the core passes the contract kit."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgersync import Action, ConnectorError
from ledgersync.testing import ConnectorContract, ErrorCase, FakeBooks, FakeConnector


class TestFakeConnectorContract(ConnectorContract):
    connector_class = FakeConnector
    error_cases = [
        ErrorCase(ConnectorError("busy", code="transient"), Action.RETRY),
        ErrorCase(ConnectorError("slow down", code="throttle"), Action.THROTTLE),
        ErrorCase(ConnectorError("stale", code="stale"), Action.REREAD),
        ErrorCase(ConnectorError("no answer", code="timeout"), Action.IN_DOUBT),
        ErrorCase(ConnectorError("revoked", code="auth"), Action.PAUSE_COMPANY),
        ErrorCase(ConnectorError("inactive item", code="inactive"), Action.NEEDS_PERSON),
        ErrorCase(ConnectorError("deleted", code="missing"), Action.NEEDS_PERSON),
        ErrorCase(RuntimeError("socket reset"), Action.IN_DOUBT),
    ]

    @pytest.fixture
    def settings(self, tmp_path: Path) -> dict[str, str]:
        return {"books_path": str(tmp_path / "books.db")}

    @pytest.fixture
    def remote(self, settings: dict[str, str]) -> FakeBooks:
        return FakeBooks(settings["books_path"])

    @pytest.fixture
    def check_mentions(self, settings: dict[str, str]) -> str:
        return settings["books_path"]
