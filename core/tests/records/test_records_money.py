"""Money: Decimal only, in a known currency, never finer than the currency's smallest coin."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgersync._errors import RecordError
from ledgersync._records import (
    CURRENCY_MINOR_UNITS,
    InvoiceLine,
    is_known_currency,
    minor_units,
    round_to_currency,
)


def test_decimal_int_and_string_amounts_all_become_decimals(samples):
    payment = samples.payment(amount=Decimal("50"), applications=())
    assert payment.amount == Decimal("50")
    assert samples.payment(amount=50, applications=()).amount == Decimal("50")
    assert samples.payment(amount=" 50.00 ", applications=()).amount == Decimal("50.00")
    assert isinstance(samples.payment(amount=50, applications=()).amount, Decimal)


def test_string_amount_keeps_its_scale(samples):
    assert str(samples.payment(amount="50.00", applications=()).amount) == "50.00"


def test_float_amount_is_refused_naming_the_field(samples):
    with pytest.raises(RecordError) as caught:
        samples.payment(amount=50.0, applications=())
    error = caught.value
    assert (error.kind, error.mms_id, error.field) == ("payment", "PAY-1", "amount")
    assert "float is not allowed for money; pass a Decimal or a string" in error.problem


def test_float_on_a_line_is_refused_naming_the_line(samples):
    line = samples.line(quantity=2.0)
    with pytest.raises(RecordError) as caught:
        samples.invoice(lines=(samples.line(), line))
    error = caught.value
    assert (error.kind, error.mms_id, error.field) == ("invoice", "INV-1", "lines[1].quantity")
    assert "float is not allowed" in error.problem


def test_text_that_is_not_a_number_is_refused(samples):
    with pytest.raises(RecordError) as caught:
        samples.payment(amount="12,50", applications=())
    assert caught.value.field == "amount"
    assert "expected a decimal number" in caught.value.problem


def test_nan_and_infinity_are_refused(samples):
    for value in ("NaN", "Infinity"):
        with pytest.raises(RecordError) as caught:
            samples.payment(amount=value, applications=())
        assert caught.value.field == "amount"


def test_absurdly_large_amount_is_refused(samples):
    with pytest.raises(RecordError) as caught:
        samples.payment(amount="1e30", applications=())
    assert "too large" in caught.value.problem


def test_unknown_currency_is_refused(samples):
    with pytest.raises(RecordError) as caught:
        samples.invoice(currency="XYZ")
    error = caught.value
    assert (error.kind, error.mms_id, error.field) == ("invoice", "INV-1", "currency")
    assert "unknown currency 'XYZ'" in error.problem


def test_currency_code_is_stripped_and_upper_cased(samples):
    assert samples.invoice(currency=" usd").currency == "USD"


def test_amount_finer_than_the_currency_is_refused(samples):
    with pytest.raises(RecordError) as caught:
        samples.payment(amount="50.001", applications=())
    error = caught.value
    assert (error.kind, error.mms_id, error.field) == ("payment", "PAY-1", "amount")
    assert "3 decimal places; USD allows at most 2" in error.problem


def test_yen_amounts_have_no_decimal_places(samples):
    assert samples.payment(currency="JPY", amount="5000", applications=()).amount == 5000
    with pytest.raises(RecordError) as caught:
        samples.payment(currency="JPY", amount="5000.5", applications=())
    assert "JPY allows at most 0" in caught.value.problem


def test_bahraini_dinar_amounts_have_three_decimal_places(samples):
    assert samples.payment(currency="BHD", amount="1.125", applications=()).amount
    with pytest.raises(RecordError):
        samples.payment(currency="BHD", amount="1.1255", applications=())


def test_trailing_zeros_do_not_count_as_decimal_places(samples):
    # An MMS with DECIMAL(19,4) columns sends "50.0000"; its value has no sub-cent part.
    payment = samples.payment(amount="50.0000", applications=())
    assert payment.amount == Decimal("50")


def test_line_amounts_are_checked_against_the_invoice_currency(samples):
    line = samples.line(quantity="1", rate="12.345", amount="12.345")
    with pytest.raises(RecordError) as caught:
        samples.invoice(lines=(line,))
    assert caught.value.field == "lines[0].amount"


def test_rates_may_have_six_decimal_places_but_not_seven(samples):
    fine = samples.line(quantity="1", rate="0.123456", amount="0.12")
    assert samples.invoice(lines=(fine,)).lines[0].rate == Decimal("0.123456")
    finer = samples.line(quantity="1", rate="0.1234567", amount="0.12")
    with pytest.raises(RecordError) as caught:
        samples.invoice(lines=(finer,))
    assert caught.value.field == "lines[0].rate"
    assert "at most 6" in caught.value.problem


def test_line_amount_must_equal_quantity_times_rate(samples):
    line = samples.line(quantity="3", rate="12.50", amount="25.00")
    with pytest.raises(RecordError) as caught:
        samples.invoice(lines=(samples.line(), line))
    error = caught.value
    assert (error.kind, error.mms_id, error.field) == ("invoice", "INV-1", "lines[1].amount")
    assert "expected 37.50" in error.problem
    assert "given 25.00" in error.problem


def test_line_amount_is_quantity_times_rate_rounded_half_up(samples):
    # 3 x 0.335 = 1.005, which rounds half-up to 1.01 (banker's rounding would give 1.00).
    line = samples.line(quantity="3", rate="0.335", amount="1.01")
    assert samples.invoice(lines=(line,)).total() == Decimal("1.01")
    with pytest.raises(RecordError):
        samples.invoice(lines=(samples.line(quantity="3", rate="0.335", amount="1.00"),))


def test_round_to_currency_rounds_half_up_to_minor_units():
    assert round_to_currency(Decimal("1.005"), "USD") == Decimal("1.01")
    assert round_to_currency(Decimal("2.5"), "JPY") == Decimal("3")
    assert str(round_to_currency(Decimal("1"), "BHD")) == "1.000"


def test_currency_table_knows_minor_units():
    assert minor_units("USD") == 2
    assert minor_units("JPY") == 0
    assert minor_units("BHD") == 3
    assert CURRENCY_MINOR_UNITS["CLF"] == 4
    assert is_known_currency("EUR")
    assert not is_known_currency("usd")
    assert not is_known_currency("XAU")  # gold has no minor unit: not money for invoices


def test_unknown_currency_code_has_no_minor_units():
    with pytest.raises(KeyError):
        minor_units("XYZ")


def test_lines_carry_decimals_unchecked_until_their_parent_checks_them():
    # A line alone cannot name its record, so it does not refuse anything by itself.
    line = InvoiceLine(item_id="DUES", quantity="-1", rate="1", amount="-1")
    assert line.quantity == Decimal("-1")
