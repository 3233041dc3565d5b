"""`reconcile --accounts`: debits and credits per GL account the MMS posts to, computed from
the ledger's records, against the books' account activity; differences named with the
transactions behind them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ledgersync import Cause, ConnectorError, Ledger, LedgerSyncError
from ledgersync.fakebooks import FakeConnector

from .conftest import invoice

D = Decimal
END = dt.date(2026, 3, 31)


def _by_account(report: Any) -> dict[str, Any]:
    return {a.account_id: a for a in report.accounts}


def test_a_clean_sync_ties_out_per_account(harbor: Ledger) -> None:
    report = harbor.reconcile_accounts("harbor", end=END)
    assert report.ties_out
    rows = {a: (r.mms_debit, r.mms_credit, r.books_debit, r.books_credit)
            for a, r in _by_account(report).items()}
    assert rows["4000"] == (D("0.00"), D("220.00"), D("0.00"), D("220.00"))
    assert rows["receivable"] == (D("228.25"), D("50.00"), D("228.25"), D("50.00"))
    assert rows["tax_payable"] == (D("0.00"), D("8.25"), D("0.00"), D("8.25"))
    assert rows["undeposited_funds"] == (D("50.00"), D("0.00"), D("50.00"), D("0.00"))


def test_an_amount_edited_in_the_books_is_named_on_each_account_it_moved(
    harbor: Ledger, world: Any
) -> None:
    world.books().edit("invoice", "I2", amount=D("70.00"))
    accounts = _by_account(harbor.reconcile_accounts("harbor", end=END))
    for account, amount in (("4000", D("10.00")), ("receivable", D("-10.00"))):
        row = accounts[account]
        assert row.difference == amount
        assert [(e.mms_id, e.cause, e.amount) for e in row.explanations] == [
            ("I2", Cause.EDITED_IN_BOOKS, amount)]
        assert row.unexplained == 0


def test_tax_computed_at_another_rate_is_named_on_tax_payable(harbor: Ledger,
                                                              world: Any) -> None:
    books = world.books()
    books.set_tax_rate(books.find("tax_rate", "TX").external_id, D("9"))
    harbor.record([invoice("I4", "M3", "200.00", tax="16.50")])
    harbor.sync("harbor")
    tax = _by_account(harbor.reconcile_accounts("harbor", end=END))["tax_payable"]
    assert tax.difference == D("-1.50")  # 1.50 more credited in the books
    assert [(e.mms_id, e.cause) for e in tax.explanations] == [("I4", Cause.TAX_DIFFERS)]


def test_an_mms_account_with_no_books_account_is_listed_as_unmapped(harbor: Ledger) -> None:
    harbor.record([invoice("I7", "M3", "15.00", account="4999")])
    harbor.sync("harbor")  # waits for account 4999
    report = harbor.reconcile_accounts("harbor", end=END)
    assert report.unmapped == (("4999", D("15.00")),)
    assert not report.ties_out
    receivable = _by_account(report)["receivable"]
    assert [(e.mms_id, e.cause, e.status) for e in receivable.explanations] == [
        ("I7", Cause.NOT_SYNCED, "blocked")]


def test_the_period_leaves_out_activity_outside_it(harbor: Ledger) -> None:
    report = harbor.reconcile_accounts("harbor", start=dt.date(2026, 3, 1),
                                       end=dt.date(2026, 3, 5))
    assert report.ties_out
    accounts = _by_account(report)
    assert accounts["undeposited_funds"].mms_debit == D("0.00")  # the payment is on 3-10
    assert accounts["receivable"].mms_debit == D("228.25")


def test_a_period_that_ends_before_it_starts_is_refused(harbor: Ledger) -> None:
    with pytest.raises(LedgerSyncError, match="starts 2026-04-01, after it ends 2026-03-31"):
        harbor.reconcile_accounts("harbor", start=dt.date(2026, 4, 1), end=END)


def test_a_connector_without_account_activity_says_so(harbor: Ledger,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(FakeConnector, "account_activity")
    with pytest.raises(ConnectorError, match="cannot report account activity"):
        harbor.reconcile_accounts("harbor", end=END)


def _item_invoice(mms_id: str) -> Any:
    import ledgersync

    return ledgersync.Invoice(
        mms_id=mms_id, member_id="M3", number=mms_id, txn_date=dt.date(2026, 3, 3),
        currency="USD", lines=[ledgersync.InvoiceLine(item_id="SLIP", quantity=D(1),
                                                      rate=D("60.00"), amount=D("60.00"))])


def test_where_the_books_items_are_accounts_an_item_line_posts_to_the_items_mapping(
    harbor: Ledger, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeConnector, "items_are_accounts", True)
    harbor.map("harbor", "item", "SLIP", world.books().find("gl_account", "4000").external_id)
    harbor.record([_item_invoice("I8")])
    harbor.sync("harbor")
    report = harbor.reconcile_accounts("harbor", end=END)
    assert report.ties_out
    assert _by_account(report)["4000"].mms_credit == D("280.00")  # 220 + the slip's 60


def test_an_item_with_no_income_account_is_unmapped_where_items_are_the_books_own(
    harbor: Ledger, world: Any
) -> None:
    harbor.map("harbor", "item", "SLIP", world.books().find("gl_account", "4000").external_id)
    harbor.record([_item_invoice("I8")])
    harbor.sync("harbor")
    assert harbor.reconcile_accounts("harbor", end=END).unmapped == (("item SLIP", D("60.00")),)


def test_an_items_income_account_is_known_though_no_connector_exports_items(
    harbor: Ledger, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledgersync

    monkeypatch.setattr(FakeConnector, "supported_kinds",
                        FakeConnector.supported_kinds - {"item"})  # mapped, as QBD does
    summary = harbor.record([ledgersync.Item(mms_id="SLIP", name="Slip",
                                             income_account_id="4000")])
    assert summary["unsupported"] == 1
    harbor.map("harbor", "item", "SLIP", world.books().find("gl_account", "4000").external_id)
    harbor.record([_item_invoice("I8")])
    harbor.sync("harbor")
    report = harbor.reconcile_accounts("harbor", end=END)
    assert report.unmapped == ()
    assert _by_account(report)["4000"].mms_credit == D("280.00")
