"""MMS transactions as balanced journal entries through the posting map."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from ledgersync import (
    CreditMemo,
    ExportRequest,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Operation,
    Payment,
    Record,
    Refund,
)
from ledgersync_sage.errors import UnmappedError
from ledgersync_sage.posting import build_entry
from ledgersync_sage.settings import SageSettings

from .conftest import sandbox_settings

DAY = dt.date(2026, 3, 2)
REFS = {("member", "M-1"): "M-1", ("item", "DUES"): "4000", ("item", "SLIP"): "4100",
        ("tax_rate", "TAX"): "2200", ("gl_account", "1000"): "1000",
        ("gl_account", "6900"): "6900"}


def settings(**overrides: Any) -> SageSettings:
    return SageSettings(**sandbox_settings(**overrides))


def request(record: Record, operation: Operation = Operation.CREATE) -> ExportRequest:
    return ExportRequest(item_id=1, company="harbor", kind=record.kind, operation=operation,
                         record=record, idempotency_key="ls-key", attempt=1, references=REFS)


def invoice() -> Invoice:
    return Invoice(mms_id="INV-1", member_id="M-1", number="1001", txn_date=DAY,
                   currency="USD", lines=(
                       InvoiceLine(item_id="DUES", quantity=D(1), rate=D("450.00"),
                                   amount=D("450.00"), description="Dues"),
                       InvoiceLine(item_id="SLIP", quantity=D(1), rate=D("180.00"),
                                   amount=D("180.00"), tax_rate_id="TAX",
                                   tax_amount=D("11.25"), description="Slip")))


def sides(entry: Any) -> list[tuple[str, str, D]]:
    return sorted((line.account, "Dr" if line.debit else "Cr", line.amount)
                  for line in entry.lines)


def test_an_invoice_debits_receivables_and_credits_income_and_tax() -> None:
    entry = build_entry(request(invoice()), settings())
    assert sides(entry) == [("1200", "Dr", D("641.25")), ("2200", "Cr", D("11.25")),
                            ("4000", "Cr", D("450.00")), ("4100", "Cr", D("180.00"))]
    assert entry.debits() == entry.credits()
    assert entry.reference_no == "LS-INV-INV-1"
    receivable = next(line for line in entry.lines if line.account == "1200")
    assert dict(receivable.dimensions) == {"CUSTOMERID": "M-1"}


def test_a_credit_memo_is_the_mirror_of_an_invoice() -> None:
    memo = CreditMemo(mms_id="CM-1", member_id="M-1", number="CM1", txn_date=DAY,
                      currency="USD", lines=(InvoiceLine(item_id="DUES", quantity=D(1),
                                                         rate=D(50), amount=D(50)),))
    assert sides(build_entry(request(memo), settings())) == [
        ("1200", "Cr", D(50)), ("4000", "Dr", D(50))]


def test_a_payment_without_deposit_account_goes_to_undeposited_funds() -> None:
    payment = Payment(mms_id="PAY-1", member_id="M-1", txn_date=DAY, currency="USD",
                      amount=D("100.00"))
    assert sides(build_entry(request(payment), settings())) == [
        ("1200", "Cr", D("100.00")), ("1499", "Dr", D("100.00"))]


def test_a_payment_splits_its_receivable_line_per_invoice_with_the_invoice_entry() -> None:
    from ledgersync import PaymentApplication

    payment = Payment(mms_id="PAY-1", member_id="M-1", txn_date=DAY, currency="USD",
                      amount=D("100.00"), applications=(
                          PaymentApplication(invoice_id="INV-1", amount=D("60.00")),))
    built = ExportRequest(item_id=1, company="harbor", kind="payment",
                          operation=Operation.CREATE, record=payment, idempotency_key="k",
                          attempt=1, references={**REFS, ("invoice", "INV-1"): "6679"})
    entry = build_entry(built, settings())
    receivable = sorted((line.amount, line.document) for line in entry.lines
                        if line.account == "1200")
    assert receivable == [(D("40.00"), None), (D("60.00"), "6679")]
    assert entry.debits() == entry.credits() == D("100.00")


def test_a_payment_with_no_deposit_account_anywhere_names_the_setting() -> None:
    payment = Payment(mms_id="PAY-1", member_id="M-1", txn_date=DAY, currency="USD",
                      amount=D("100.00"))
    with pytest.raises(UnmappedError, match="undeposited funds") as caught:
        build_entry(request(payment), settings(undeposited_funds_account=None))
    assert "undeposited_funds_account" in (caught.value.remedy or "")
    assert not caught.value.sent


def test_a_refund_debits_receivables_and_credits_the_bank() -> None:
    refund = Refund(mms_id="RF-1", member_id="M-1", txn_date=DAY, currency="USD",
                    amount=D(25), from_account_id="1000")
    assert sides(build_entry(request(refund), settings())) == [
        ("1000", "Cr", D(25)), ("1200", "Dr", D(25))]


def test_journal_lines_keep_their_dimensions_through_the_mapping() -> None:
    entry_record = JournalEntry(mms_id="JE-1", txn_date=DAY, currency="USD", lines=(
        JournalLine(account_id="6900", debit=D(10), dimensions={"location": "EAST",
                                                                 "fund": "F1"}),
        JournalLine(account_id="1000", credit=D(10))))
    entry = build_entry(request(entry_record), settings(
        dimension_fields={"fund": "GLDIMFUND"},
        dimension_values={"location": {"EAST": "MARINA-EAST"}}))
    debit = next(line for line in entry.lines if line.debit)
    assert dict(debit.dimensions) == {"LOCATION": "MARINA-EAST", "GLDIMFUND": "F1"}


def test_an_unmapped_dimension_value_blocks_only_that_entry_with_its_fix() -> None:
    entry_record = JournalEntry(mms_id="JE-1", txn_date=DAY, currency="USD", lines=(
        JournalLine(account_id="6900", debit=D(10), dimensions={"location": "NORTH"}),
        JournalLine(account_id="1000", credit=D(10))))
    with pytest.raises(UnmappedError, match="location 'NORTH' is not mapped") as caught:
        build_entry(request(entry_record), settings(
            dimension_values={"location": {"EAST": "MARINA-EAST"}}))
    assert "dimension_values.location" in (caught.value.remedy or "")


def test_a_dimension_without_an_intacct_field_is_named() -> None:
    entry_record = JournalEntry(mms_id="JE-1", txn_date=DAY, currency="USD", lines=(
        JournalLine(account_id="6900", debit=D(10), dimensions={"fund": "F1"}),
        JournalLine(account_id="1000", credit=D(10))))
    with pytest.raises(UnmappedError, match="'fund' has no Intacct field"):
        build_entry(request(entry_record), settings())


def test_default_dimensions_fill_lines_that_have_none() -> None:
    entry = build_entry(request(invoice()), settings(
        default_dimensions={"location": "MARINA-EAST"}))
    assert all(dict(line.dimensions)["LOCATION"] == "MARINA-EAST" for line in entry.lines)


def test_a_void_posts_the_reversing_entry_under_its_own_reference() -> None:
    entry = build_entry(request(invoice(), Operation.VOID), settings())
    assert ("1200", "Cr", D("641.25")) in sides(entry)
    assert entry.reference_no == "LS-INV-INV-1-VOID"


def test_settings_refuse_a_default_for_an_unknown_dimension() -> None:
    with pytest.raises(ValueError, match=r"dimension_fields\.fund"):
        settings(default_dimensions={"fund": "F1"})
