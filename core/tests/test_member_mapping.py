"""A member mapped by a person to an existing remote customer is linked, never created."""

from __future__ import annotations

from pathlib import Path

import ledgersync
from ledgersync.testing import FakeBooks, FakePlugin


def test_a_mapped_member_links_to_its_customer_without_a_write(tmp_path: Path) -> None:
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"harbor": {"connector": "fake",
                                 "fake": {"books_path": str(tmp_path / "books.db")}}},
    })
    with ledgersync.open(config, plugins=[FakePlugin()], load_entrypoints=False) as ledger:
        ledger.record([ledgersync.Member(mms_id="M1", display_name="Ada")])
        ledger.map("harbor", "member", "M1", "CUST-77", external_name="Ada Keel")
        ledger.sync("harbor")
        (item,) = ledger.items()
        assert (item.status, item.external_id) == ("synced", "CUST-77")
        assert "already linked" in (ledger.history(item.id)[-1].reason or "")
    assert FakeBooks(str(tmp_path / "books.db")).write_counts() == {}
