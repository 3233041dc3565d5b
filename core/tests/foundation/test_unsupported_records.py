"""Records a connector does not create: ingest names their lines, and what waits for them says
to map them (issue 9, point 12)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import pytest

import ledgersync
from ledgersync import ItemFilter, Ledger, connector_plugin, parse_config
from ledgersync._ingest import ingest
from ledgersync.testing import FakeConnector

from .conftest import Invoke

ACCOUNT = {"kind": "gl_account", "mms_id": "4000", "number": "4000", "name": "Dues income",
           "account_type": "income"}
MEMBER = {"kind": "member", "mms_id": "M1", "display_name": "Ann Anchor"}
INVOICE = {"kind": "invoice", "mms_id": "INV-1", "member_id": "M1", "number": "1",
           "txn_date": "2026-01-25", "currency": "USD",
           "lines": [{"account_id": "4000", "description": "Dues", "quantity": "1",
                      "rate": "450.00", "amount": "450.00"}]}


class TransactionsOnly(FakeConnector):
    """Creates customers and transactions; accounts are the bookkeeper's, as in QuickBooks."""

    name: ClassVar[str] = "transactions_only"
    supported_kinds: ClassVar[frozenset[str]] = frozenset(
        {"member", "invoice", "payment", "credit_memo", "refund", "journal_entry"})


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[ledgersync.Ledger]:
    config = parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"harbor": {"connector": "transactions_only",
                                 "transactions_only": {"books_path": "books.db"}}},
    }, base_dir=tmp_path)
    opened = Ledger(config, plugins=[connector_plugin(TransactionsOnly)], load_entrypoints=False)
    yield opened
    opened.close()


def _jsonl(*records: Mapping[str, object]) -> io.StringIO:
    return io.StringIO("".join(json.dumps(r) + "\n" for r in records))


def test_ingest_names_each_line_the_connector_does_not_export(ledger: Ledger) -> None:
    report = ingest(ledger, _jsonl(MEMBER, ACCOUNT, INVOICE))
    assert report.summary["unsupported"] == 1
    [entry] = report.unsupported
    assert (entry.line, entry.kind, entry.mms_id, entry.companies) == (
        2, "gl_account", "4000", ("harbor",))


def test_an_item_waiting_for_an_account_the_connector_does_not_create_says_map_it(
    ledger: Ledger,
) -> None:
    ingest(ledger, _jsonl(MEMBER, ACCOUNT, INVOICE))
    ledger.sync("harbor")
    [invoice] = ledger.items(ItemFilter(kind="invoice"))
    assert invoice.status == "blocked"
    assert "map it: `ledgersync map account harbor 4000 <remote id>`" in (invoice.reason or "")
    assert "record it from the MMS" not in (invoice.reason or "")


def test_mapping_the_account_releases_the_waiting_item(ledger: Ledger) -> None:
    ingest(ledger, _jsonl(MEMBER, ACCOUNT, INVOICE))
    ledger.sync("harbor")
    ledger.map("harbor", "gl_account", "4000", "81")
    ledger.sync("harbor")
    [invoice] = ledger.items(ItemFilter(kind="invoice"))
    assert invoice.status == "synced"


def test_plain_status_with_blocked_items_says_how_to_see_why(
    workdir: Path, invoke: Invoke
) -> None:
    (workdir / "orphan.jsonl").write_text(json.dumps(INVOICE) + "\n", encoding="utf-8")
    invoke("ingest", "orphan.jsonl")
    invoke("run", "--once")
    result = invoke("status")
    assert "1 item(s) blocked: `ledgersync status --status blocked` shows why" in result.stdout


def test_the_ingest_output_names_the_lines_and_the_mapping_command() -> None:
    from ledgersync._ingest import Unsupported
    from ledgersync.cli.setup_cmds import _unsupported_lines

    [line] = _unsupported_lines([Unsupported(2, "gl_account", "4000", ("qbo",)),
                                 Unsupported(3, "gl_account", "4100", ("qbo",))])
    assert "4000 (line 2), 4100 (line 3)" in line
    assert "`ledgersync map account qbo 4000 <remote id>`" in line
