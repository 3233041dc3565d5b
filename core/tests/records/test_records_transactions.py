"""Transactions: invoices, payments, credit memos, refunds, journal entries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ledgersync._errors import RecordError
from ledgersync._records import JournalLine, PaymentApplication, Reference, Transaction

DAY = datetime.date(2024, 3, 1)  # the samples' txn_date


def refused(build, **fields):
    """The RecordError that building with ``fields`` raises."""
    with pytest.raises(RecordError) as caught:
        build(**fields)
    return caught.value


def where(error):
    return error.kind, error.mms_id, error.field


# ---------------------------------------------------------------------------------- common


@pytest.mark.parametrize("kind", ["invoice", "payment", "credit_memo", "refund", "journal_entry"])
def test_transactions_are_dated_by_txn_date_and_not_voided_by_default(samples, kind):
    record = samples.of_kind(kind)
    assert isinstance(record, Transaction)
    assert record.document_date() == DAY
    assert record.voided is False


def test_transaction_date_must_be_a_date_not_a_datetime(samples):
    error = refused(samples.invoice, txn_date=datetime.datetime(2024, 3, 1, 12, 0))
    assert where(error) == ("invoice", "INV-1", "txn_date")


def test_transaction_date_is_required(samples):
    assert where(refused(samples.refund, txn_date=None)) == ("refund", "RF-1", "txn_date")


@pytest.mark.parametrize("kind", ["invoice", "payment", "credit_memo", "refund"])
def test_member_documents_touch_their_members_balance(samples, kind):
    record = samples.of_kind(kind)
    assert record.member_id == "M-1"
    assert record.customer_mms_id() == "M-1"


def test_journal_entry_touches_no_single_members_balance(samples):
    entry = samples.journal_entry()
    assert entry.member_id is None
    assert entry.customer_mms_id() is None


# ---------------------------------------------------------------------------------- invoice


def test_invoice_total_is_the_sum_of_amounts_and_tax(samples):
    assert samples.invoice().total() == Decimal("35.60")


def test_invoice_references_member_items_accounts_tax_rates_and_terms(samples):
    assert samples.invoice().references() == (
        Reference("member", "M-1", "member_id"),
        Reference("item", "DUES", "lines[0].item_id"),
        Reference("gl_account", "GL-4100", "lines[1].account_id"),
        Reference("tax_rate", "TX-MD", "lines[1].tax_rate_id"),
        Reference("terms", "NET30", "terms_id"),
    )


def test_references_name_each_record_once_with_the_first_field(samples):
    invoice = samples.invoice(lines=(samples.line(), samples.line()), terms_id=None)
    assert invoice.references() == (
        Reference("member", "M-1", "member_id"),
        Reference("item", "DUES", "lines[0].item_id"),
    )


def test_invoice_needs_a_line(samples):
    error = refused(samples.invoice, lines=())
    assert where(error) == ("invoice", "INV-1", "lines")


def test_line_with_neither_item_nor_account_is_refused(samples):
    line = samples.line(item_id=None, account_id=" ")
    error = refused(samples.invoice, lines=(samples.line(), line))
    assert where(error) == ("invoice", "INV-1", "lines[1]")
    assert "a line with no item or account" in error.problem


def test_negative_quantity_is_refused(samples):
    line = samples.line(quantity="-2", amount="-25.00")
    error = refused(samples.invoice, lines=(samples.line(), samples.line(), line))
    assert where(error) == ("invoice", "INV-1", "lines[2].quantity")
    assert "must not be negative" in error.problem


def test_negative_rate_makes_a_discount_line(samples):
    discount = samples.line(quantity="1", rate="-5", amount="-5.00")
    assert samples.invoice(lines=(samples.line(), discount)).total() == Decimal("20.00")


def test_tax_amount_needs_a_tax_rate(samples):
    line = samples.line(tax_amount="1.50")
    error = refused(samples.invoice, lines=(line,))
    assert where(error) == ("invoice", "INV-1", "lines[0].tax_rate_id")


def test_tax_amount_must_not_be_negative(samples):
    line = samples.line(tax_rate_id="TX-MD", tax_amount="-1.50")
    assert refused(samples.invoice, lines=(line,)).field == "lines[0].tax_amount"


def test_line_must_be_an_invoice_line(samples):
    error = refused(samples.invoice, lines=({"item_id": "DUES"},))
    assert where(error) == ("invoice", "INV-1", "lines[0]")


def test_invoice_number_is_required(samples):
    assert where(refused(samples.invoice, number="")) == ("invoice", "INV-1", "number")


def test_invoice_number_fits_quickbooks_doc_number(samples):
    assert samples.invoice(number="x" * 21).number == "x" * 21
    error = refused(samples.invoice, number="x" * 22)
    assert error.field == "number"
    assert "at most 21" in error.problem


def test_invoice_member_is_required(samples):
    assert where(refused(samples.invoice, member_id=None)) == ("invoice", "INV-1", "member_id")


def test_due_date_may_not_precede_the_invoice_date(samples):
    error = refused(samples.invoice, due_date=DAY - datetime.timedelta(days=1))
    assert where(error) == ("invoice", "INV-1", "due_date")


def test_due_date_is_optional(samples):
    assert samples.invoice(due_date=None).due_date is None


def test_lines_given_as_a_list_are_kept_as_a_tuple(samples):
    assert isinstance(samples.invoice(lines=[samples.line()]).lines, tuple)


def test_voided_must_be_a_boolean(samples):
    assert where(refused(samples.invoice, voided="yes")) == ("invoice", "INV-1", "voided")


# ---------------------------------------------------------------------------------- payment


def test_payment_total_is_its_amount(samples):
    assert samples.payment().total() == Decimal("50.00")


def test_payment_unapplied_part_is_a_credit(samples):
    assert samples.payment().unapplied() == Decimal("4.40")


def test_payment_may_be_unapplied(samples):
    assert samples.payment(applications=()).applications == ()


def test_payment_references_member_deposit_account_and_invoices(samples):
    assert samples.payment().references() == (
        Reference("member", "M-1", "member_id"),
        Reference("gl_account", "GL-1000", "deposit_account_id"),
        Reference("invoice", "INV-1", "applications[0].invoice_id"),
        Reference("invoice", "INV-2", "applications[1].invoice_id"),
    )


def test_payment_applying_more_than_its_amount_is_refused(samples):
    applications = (
        PaymentApplication(invoice_id="INV-1", amount="40.00"),
        PaymentApplication(invoice_id="INV-2", amount="20.00"),
    )
    error = refused(samples.payment, applications=applications)
    assert where(error) == ("payment", "PAY-1", "applications")
    assert "60.00" in error.problem
    assert "50.00" in error.problem


def test_payment_applying_the_same_invoice_twice_is_refused(samples):
    applications = (
        PaymentApplication(invoice_id="INV-1", amount="10.00"),
        PaymentApplication(invoice_id="INV-1", amount="10.00"),
    )
    error = refused(samples.payment, applications=applications)
    assert where(error) == ("payment", "PAY-1", "applications[1].invoice_id")


def test_payment_amount_must_be_greater_than_zero(samples):
    error = refused(samples.payment, amount="0", applications=())
    assert where(error) == ("payment", "PAY-1", "amount")
    assert error.problem == "must be greater than zero"


def test_application_amount_must_be_greater_than_zero(samples):
    applications = (PaymentApplication(invoice_id="INV-1", amount="0.00"),)
    error = refused(samples.payment, applications=applications)
    assert where(error) == ("payment", "PAY-1", "applications[0].amount")


# ---------------------------------------------------------------------------------- credit memo


def test_credit_memo_total_is_like_an_invoice(samples):
    assert samples.credit_memo().total() == Decimal("25.00")


def test_credit_memo_references_member_lines_and_the_invoice_it_credits(samples):
    assert samples.credit_memo().references() == (
        Reference("member", "M-1", "member_id"),
        Reference("item", "DUES", "lines[0].item_id"),
        Reference("invoice", "INV-1", "applied_to_invoice_id"),
    )


def test_credit_memo_lines_are_checked_like_invoice_lines(samples):
    error = refused(samples.credit_memo, lines=(samples.line(amount="1.00"),))
    assert where(error) == ("credit_memo", "CM-1", "lines[0].amount")


# ---------------------------------------------------------------------------------- refund


def test_refund_total_is_its_amount(samples):
    assert samples.refund().total() == Decimal("25.00")


def test_refund_references_member_bank_account_and_credit_memo(samples):
    assert samples.refund().references() == (
        Reference("member", "M-1", "member_id"),
        Reference("gl_account", "GL-1000", "from_account_id"),
        Reference("credit_memo", "CM-1", "credit_memo_id"),
    )


def test_refund_needs_the_account_it_is_paid_from(samples):
    assert where(refused(samples.refund, from_account_id="")) == (
        "refund",
        "RF-1",
        "from_account_id",
    )


def test_refund_amount_must_be_greater_than_zero(samples):
    assert refused(samples.refund, amount="-1").field == "amount"


# ---------------------------------------------------------------------------------- journal


def test_journal_entry_total_is_the_sum_of_debits(samples):
    assert samples.journal_entry().total() == Decimal("100.00")


def test_journal_entry_references_accounts_and_members_of_its_lines(samples):
    assert samples.journal_entry().references() == (
        Reference("gl_account", "GL-2400", "lines[0].account_id"),
        Reference("gl_account", "GL-4000", "lines[1].account_id"),
        Reference("member", "M-1", "lines[1].member_id"),
    )


def test_unbalanced_journal_entry_is_refused(samples):
    lines = (
        JournalLine(account_id="GL-2400", debit="100.00"),
        JournalLine(account_id="GL-4000", credit="90.00"),
    )
    error = refused(samples.journal_entry, lines=lines)
    assert where(error) == ("journal_entry", "JE-1", "lines")
    assert error.problem == "debits 100.00 do not equal credits 90.00"


def test_journal_entry_needs_two_lines(samples):
    error = refused(samples.journal_entry, lines=(JournalLine(account_id="A", debit="1"),))
    assert where(error) == ("journal_entry", "JE-1", "lines")


def test_journal_line_with_both_debit_and_credit_is_refused(samples):
    lines = (
        JournalLine(account_id="A", debit="1", credit="1"),
        JournalLine(account_id="B", debit="1"),
    )
    assert refused(samples.journal_entry, lines=lines).field == "lines[0]"


def test_journal_line_with_neither_debit_nor_credit_is_refused(samples):
    lines = (
        JournalLine(account_id="A", debit="1"),
        JournalLine(account_id="B", credit="1"),
        JournalLine(account_id="C"),
    )
    assert refused(samples.journal_entry, lines=lines).field == "lines[2]"


def test_journal_line_amounts_must_not_be_negative(samples):
    lines = (JournalLine(account_id="A", debit="-1"), JournalLine(account_id="B", credit="-1"))
    assert refused(samples.journal_entry, lines=lines).field == "lines[0].debit"


def test_journal_line_needs_an_account(samples):
    lines = (JournalLine(account_id=" ", debit="1"), JournalLine(account_id="B", credit="1"))
    assert refused(samples.journal_entry, lines=lines).field == "lines[0].account_id"


def test_dimensions_are_kept_as_pairs_sorted_by_name():
    line = JournalLine(account_id="A", debit="1", dimensions={"location": "Dock A", "class": "X"})
    assert line.dimensions == (("class", "X"), ("location", "Dock A"))
    assert line == JournalLine(
        account_id="A", debit="1", dimensions=[("location", "Dock A"), ("class", "X")]
    )
    hash(line)


def test_dimension_given_twice_is_refused(samples):
    twice = JournalLine(account_id="A", debit="1", dimensions=[("class", "X"), ("class", "Y")])
    lines = (twice, JournalLine(account_id="B", credit="1"))
    assert refused(samples.journal_entry, lines=lines).field == "lines[0].dimensions.class"


def test_dimension_values_must_be_strings(samples):
    bad = JournalLine(account_id="A", debit="1",
                      dimensions={"class": 7})  # type: ignore[arg-type]  # refused on purpose
    lines = (bad, JournalLine(account_id="B", credit="1"))
    assert refused(samples.journal_entry, lines=lines).field == "lines[0].dimensions"
