"""Every cause of a difference, created on purpose in the fake books (or the ledger), is named
by `reconcile` with the transactions behind it and a remedy that is a real command."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from ledgersync import Cause, ConnectorError, ItemFilter, Ledger
from ledgersync.fakebooks import FakeConnector

from .conftest import explanations, invoice

D = Decimal


def _item_id(ledger: Ledger, kind: str, mms_id: str) -> int:
    (item,) = ledger.items(ItemFilter(company="harbor", kind=kind, mms_id=mms_id,
                                      operation="create"))
    return item.id


def _only(ledger: Ledger) -> Any:
    (explanation,) = explanations(ledger.reconcile("harbor"))
    return explanation


def test_books_that_agree_tie_out_with_nothing_to_explain(harbor: Ledger) -> None:
    report = harbor.reconcile("harbor")
    assert report.ties_out
    assert report.source == "transactions"
    assert report.total_mms == D("178.25")  # 108.25 + 80 + 40 - 50
    assert explanations(report) == []


def test_an_amount_edited_in_the_books_says_what_changed(harbor: Ledger, world: Any) -> None:
    world.books().edit("invoice", "I2", amount=D("70.00"))
    explanation = _only(harbor)
    assert explanation.cause is Cause.EDITED_IN_BOOKS
    assert explanation.reason == "amount 80.00 in the MMS, 70.00 in the books"
    assert explanation.amount == D("-10.00")
    assert f"`ledgersync resync {_item_id(harbor, 'invoice', 'I2')}`" in explanation.remedy


def test_a_customer_changed_in_the_books_is_an_edit_on_both_customers(harbor: Ledger,
                                                                        world: Any) -> None:
    world.books().edit("invoice", "I2", member_id="M3")
    report = harbor.reconcile("harbor")
    moved = {c.member_id: [(e.cause, e.amount) for e in c.explanations]
             for c in report.mismatches}
    assert moved == {"M2": [(Cause.EDITED_IN_BOOKS, D("-80.00"))],
                     "M3": [(Cause.EDITED_IN_BOOKS, D("80.00"))]}
    reason = report.mismatches[0].explanations[0].reason or ""
    assert reason.startswith("customer M2 (")
    assert "M3 (" in reason


def test_a_transaction_voided_in_the_books_is_deleted_there(harbor: Ledger, world: Any) -> None:
    world.books().void("invoice", "I3")
    explanation = _only(harbor)
    assert (explanation.cause, explanation.amount) == (Cause.DELETED_IN_BOOKS, D("-40.00"))
    assert "voided in the books" in explanation.reason
    assert f"`ledgersync unlink {_item_id(harbor, 'invoice', 'I3')}`" in explanation.remedy


def test_tax_computed_at_another_rate_names_both_taxes_and_the_tax_mapping(
    harbor: Ledger, world: Any
) -> None:
    books = world.books()
    code = books.find("tax_rate", "TX").external_id
    books.set_tax_rate(code, D("9"))
    harbor.record([invoice("I4", "M3", "200.00", tax="16.50")])
    harbor.sync("harbor")
    explanation = _only(harbor)
    assert explanation.cause is Cause.TAX_DIFFERS
    assert explanation.amount == D("1.50")
    assert explanation.reason == "tax 16.50 in the MMS (TX 8.25 %), 18.00 in the books (9.000 %)"
    assert "`ledgersync map tax harbor TX REMOTE_ID`" in explanation.remedy


def test_a_payment_applied_to_another_invoice_is_an_open_item_though_the_total_ties(
    harbor: Ledger, world: Any
) -> None:
    world.books().reapply("payment", "P1", ["I3"])
    report = harbor.reconcile("harbor")
    assert report.ties_out
    (customer,) = report.open_items
    (explanation,) = customer.explanations
    assert (customer.member_id, explanation.cause, explanation.amount) == (
        "M1", Cause.APPLIED_ELSEWHERE, D("0.00"))
    reason = explanation.reason or ""
    assert reason.startswith("applied to I1 (")
    assert "in the MMS, to I3 (" in reason


def test_a_transaction_entered_by_hand_in_the_books_is_posted_outside(harbor: Ledger,
                                                                      world: Any) -> None:
    remote_id = world.books().enter_by_hand("invoice", "M2", D("25.00"),
                                            txn_date=dt.date(2026, 3, 4), number="H-1")
    explanation = _only(harbor)
    assert (explanation.cause, explanation.item_id, explanation.remote_id, explanation.amount) \
        == (Cause.POSTED_OUTSIDE, None, remote_id, D("25.00"))
    assert f"`ledgersync note harbor invoice:{remote_id} why --accept`" in explanation.remedy


def test_an_item_left_in_error_is_not_synced_with_its_fix_and_requeue(harbor: Ledger,
                                                                      world: Any) -> None:
    world.books().set_active("gl_account", "4000", False)
    harbor.record([invoice("I5", "M3", "30.00")])
    harbor.sync("harbor")
    explanation = _only(harbor)
    item = _item_id(harbor, "invoice", "I5")
    assert (explanation.cause, explanation.status, explanation.amount) == (
        Cause.NOT_SYNCED, "error", D("-30.00"))
    assert explanation.remedy.endswith(f"then requeue: `ledgersync requeue {item}`")
    assert "Reactivate it in the books" in explanation.remedy


def test_a_pending_item_is_not_synced_and_the_next_run_sends_it(harbor: Ledger) -> None:
    harbor.record([invoice("I6", "M3", "12.00")])
    explanation = _only(harbor)
    assert (explanation.cause, explanation.status) == (Cause.NOT_SYNCED, "pending")
    assert explanation.remedy == "the next run sends it: `ledgersync run --company harbor`"


def test_a_cent_per_line_is_rounding(harbor: Ledger, world: Any) -> None:
    world.books().edit("invoice", "I2", amount=D("80.01"))
    explanation = _only(harbor)
    assert (explanation.cause, explanation.amount) == (Cause.ROUNDING, D("0.01"))


def test_a_difference_noted_as_accepted_is_accepted(harbor: Ledger, world: Any) -> None:
    world.books().edit("invoice", "I2", amount=D("70.00"))
    item = _item_id(harbor, "invoice", "I2")
    harbor.note_difference("harbor", str(item), "discount agreed by phone", accept=True,
                           actor="jane")
    explanation = _only(harbor)
    assert (explanation.cause, explanation.accepted_cause) == (Cause.ACCEPTED,
                                                               Cause.EDITED_IN_BOOKS)
    assert explanation.reason.endswith("accepted by jane: discount agreed by phone")
    assert "accepted in reconciliation: discount agreed by phone" in [
        e.reason for e in harbor.history(item)]


def test_a_books_transaction_noted_as_accepted_is_accepted(harbor: Ledger, world: Any) -> None:
    remote_id = world.books().enter_by_hand("payment", "M2", D("5.00"),
                                            txn_date=dt.date(2026, 3, 4))
    harbor.note_difference("harbor", f"payment:{remote_id}", "cash at the bar", accept=True)
    assert _only(harbor).cause is Cause.ACCEPTED


def test_without_the_books_transactions_a_residue_is_shown_unexplained(
    harbor: Ledger, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot(self: object, as_of: object = None) -> object:
        raise ConnectorError("no transactions", sent=False)

    monkeypatch.setattr(FakeConnector, "books_transactions", cannot)
    world.books().delete("invoice", "I2")
    report = harbor.reconcile("harbor")
    assert report.source == "balances"
    (customer,) = report.mismatches
    assert (customer.member_id, customer.explanations, customer.unexplained) == (
        "M2", (), D("-80.00"))


def test_a_note_that_does_not_accept_documents_the_difference_and_keeps_its_cause(
    harbor: Ledger, world: Any
) -> None:
    world.books().edit("invoice", "I2", amount=D("70.00"))
    item = _item_id(harbor, "invoice", "I2")
    harbor.note_difference("harbor", str(item), "asked the member", actor="jane")
    explanation = _only(harbor)
    assert (explanation.cause, explanation.notes) == (Cause.EDITED_IN_BOOKS,
                                                      ("jane: asked the member",))


def test_a_payment_whose_applications_the_books_do_not_track_is_not_applied_elsewhere(
    harbor: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = FakeConnector.books_transactions

    def as_journal_postings(self: FakeConnector, as_of: dt.date | None = None) -> list[Any]:
        return [attrs.evolve(t, applied_to=(), applications_tracked=False)
                if t.kind == "payment" else t for t in listed(self, as_of)]

    monkeypatch.setattr(FakeConnector, "books_transactions", as_journal_postings)
    report = harbor.reconcile("harbor")
    assert report.ties_out
    assert report.open_items == ()
