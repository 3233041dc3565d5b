"""What the Ledger offers plugins instead of its internals: connector state, customer mapping
through the hooks, its plugins' descriptions, and progress callbacks in public types."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

import ledgersync
from ledgersync import ConnectorError, CustomerMatch, ItemRef, Member, hookimpl
from ledgersync.testing import FakeConnector, FakePlugin

ADA = Member(mms_id="M1", display_name="Ada Keel", email="ada@example.org")


class MatchingConnector(FakeConnector):
    name: ClassVar[str] = "matching"

    def map_customer(self, member: Member) -> CustomerMatch | None:
        return CustomerMatch(external_id="C-CONNECTOR", display_name=member.display_name,
                             matched_by="email")


class PolicyFirst:
    @hookimpl
    def ledgersync_map_customer(self, member: Member) -> CustomerMatch | None:
        if member.mms_id == "M1":
            return CustomerMatch(external_id="C-POLICY", display_name="Ada", matched_by="policy")
        return None


def _open(tmp_path: Path, *plugins: object, connector: str = "fake") -> ledgersync.Ledger:
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"harbor": {"connector": connector,
                                 connector: {"books_path": str(tmp_path / "books.db")}}},
    })
    return ledgersync.open(config, plugins=[FakePlugin(), *plugins], load_entrypoints=False)


def test_state_is_shared_by_every_ledger_on_the_database(tmp_path: Path) -> None:
    with _open(tmp_path) as first:
        first.state("harbor").put("cursor", {"page": 2})
    with _open(tmp_path) as second:
        assert second.state("harbor").get("cursor") == {"page": 2}


def test_state_expires_by_the_clock_it_is_given(tmp_path: Path) -> None:
    import datetime as dt

    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with _open(tmp_path) as ledger:
        ledger.state("harbor").put("ticket", "t-1", ttl=60)
        later = ledger.state("harbor", clock=lambda: now + dt.timedelta(days=365 * 100))
        assert later.get("ticket") is None


def test_map_customer_asks_the_policy_hooks_before_the_connector(tmp_path: Path) -> None:
    with _open(tmp_path, ledgersync.connector_plugin(MatchingConnector), PolicyFirst(),
               connector="matching") as ledger:
        by_policy = ledger.map_customer("harbor", ADA)
        other = Member(mms_id="M2", display_name="Bo", email="bo@example.org")
        by_connector = ledger.map_customer("harbor", other)
    assert by_policy is not None
    assert by_policy.external_id == "C-POLICY"
    assert by_connector is not None
    assert by_connector.external_id == "C-CONNECTOR"


def test_map_customer_passes_on_a_refusal_to_guess(tmp_path: Path) -> None:
    class Ambiguous(FakeConnector):
        name: ClassVar[str] = "ambiguous"

        def map_customer(self, member: Member) -> CustomerMatch | None:
            raise ConnectorError("two customers match", remedy="merge them")

    with _open(tmp_path, ledgersync.connector_plugin(Ambiguous),
               connector="ambiguous") as ledger, pytest.raises(ConnectorError, match="two"):
        ledger.map_customer("harbor", ADA)


def test_map_customer_of_an_unknown_company_names_it(tmp_path: Path) -> None:
    with _open(tmp_path) as ledger, pytest.raises(ledgersync.LedgerSyncError, match="nowhere"):
        ledger.map_customer("nowhere", ADA)


def test_plugin_info_lists_the_ledgers_plugins(tmp_path: Path) -> None:
    with _open(tmp_path, ledgersync.connector_plugin(MatchingConnector),
               connector="matching") as ledger:
        connectors = {c for info in ledger.plugin_info() for c in info.connectors}
    assert {"fake", "matching"} <= connectors


def test_progress_callbacks_receive_public_item_refs(tmp_path: Path) -> None:
    seen: list[tuple[ItemRef, str]] = []
    with _open(tmp_path) as ledger:
        ledger.record([ADA])
        ledger.sync("harbor", on_item=lambda item, status: seen.append((item, status)))
    assert seen == [(ItemRef(id=1, company="harbor", kind="member", mms_id="M1",
                             operation="create"), "synced")]
