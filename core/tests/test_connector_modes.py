"""Push and pull connectors are types: the engine calls a PushConnector, the remote side calls
in for a PullConnector's work, and a connector must be one of the two."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

import ledgersync
from ledgersync import (
    Connector,
    ExportRequest,
    ExportResult,
    PluginError,
    PullConnector,
    PushConnector,
    Resolution,
    hookimpl,
)
from ledgersync.testing import FakeSettings


class Neither(Connector[FakeSettings]):
    name: ClassVar[str] = "neither"
    display_name: ClassVar[str] = "Neither"
    supported_kinds: ClassVar[frozenset[str]] = frozenset({"member"})
    settings_type: ClassVar[type[FakeSettings]] = FakeSettings

    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        return Resolution(action=ledgersync.Action.RETRY, message=str(error))


class Desk(PullConnector[FakeSettings]):
    """A pull connector: no export, no lookup; the remote asks for its work."""

    name: ClassVar[str] = "desk"
    display_name: ClassVar[str] = "Desk"
    supported_kinds: ClassVar[frozenset[str]] = frozenset({"member"})
    settings_type: ClassVar[type[FakeSettings]] = FakeSettings

    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        return Resolution(action=ledgersync.Action.RETRY, message=str(error))


def _plugin(*classes: type[Connector[Any]]) -> object:
    class Plugin:
        @hookimpl
        def ledgersync_connectors(self) -> list[type[Connector[Any]]]:
            return list(classes)

    return Plugin()


def _open(tmp_path: Path, connector: str, *classes: type[Connector[Any]]) -> ledgersync.Ledger:
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"desk": {"connector": connector,
                               connector: {"books_path": str(tmp_path / "books.db")}}},
    })
    return ledgersync.open(config, plugins=[_plugin(*classes)], load_entrypoints=False)


def test_a_connector_that_is_neither_push_nor_pull_is_refused_by_name(tmp_path: Path) -> None:
    with _open(tmp_path, "neither", Neither) as ledger, \
            pytest.raises(PluginError, match=r"'neither'.*neither a PushConnector") as refused:
        ledger.connector("desk")

    assert refused.value.remedy is not None
    assert "PushConnector" in refused.value.remedy


def test_a_pull_connector_needs_no_export_or_lookup() -> None:
    assert not hasattr(Desk, "export")
    assert not hasattr(Desk, "lookup")
    assert hasattr(PushConnector, "export")
    assert hasattr(PushConnector, "lookup")


def test_workers_never_export_a_pull_connectors_items_but_its_queue_hands_them_out(
        tmp_path: Path) -> None:
    with _open(tmp_path, "desk", Desk) as ledger:
        ledger.record([ledgersync.Member(mms_id="M1", display_name="Ann")])
        ledger.run_now("desk")

        assert ledger.run_pending().processed == 0
        queue = ledger.pull("desk")
        queue.open_run()
        (pulled,) = queue.claim(5)
        queue.succeed(pulled, ExportResult(external_id="80000001-1"))

        assert [i.status for i in ledger.items()] == ["synced"]
