"""Reference data: members, items, GL accounts, tax rates, terms."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from ledgersync._errors import RecordError
from ledgersync._records import AccountType, Address, Reference


def test_records_are_frozen(samples):
    member = samples.member()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        member.display_name = "Someone else"


def test_records_are_keyword_only(samples):
    with pytest.raises(TypeError):
        type(samples.terms())("NET30", "Net 30", 30)


def test_records_are_hashable_and_equal_by_content(samples):
    assert samples.member() == samples.member()
    assert hash(samples.member()) == hash(samples.member())
    assert len({samples.invoice(), samples.invoice()}) == 1


def test_each_record_class_has_its_kind(samples):
    kinds = {kind: samples.of_kind(kind).kind for kind in ("member", "item", "gl_account")}
    assert kinds == {"member": "member", "item": "item", "gl_account": "gl_account"}
    assert samples.tax_rate().kind == "tax_rate"
    assert samples.terms().kind == "terms"


def test_mms_id_is_stripped(samples):
    assert samples.member(mms_id="  M-1 ").mms_id == "M-1"


def test_blank_mms_id_is_refused(samples):
    with pytest.raises(RecordError) as caught:
        samples.member(mms_id="   ")
    error = caught.value
    assert (error.kind, error.mms_id, error.field) == ("member", None, "mms_id")
    assert error.problem == "must not be blank"


def test_mms_id_longer_than_100_characters_is_refused(samples):
    with pytest.raises(RecordError) as caught:
        samples.item(mms_id="x" * 101)
    assert caught.value.field == "mms_id"
    assert "at most 100" in caught.value.problem


def test_mms_id_must_be_a_string(samples):
    with pytest.raises(RecordError) as caught:
        samples.member(mms_id=17)
    assert (caught.value.field, caught.value.problem) == ("mms_id", "expected a string, got int")


def test_member_needs_a_display_name(samples):
    with pytest.raises(RecordError) as caught:
        samples.member(display_name=" ")
    error = caught.value
    assert (error.kind, error.mms_id, error.field) == ("member", "M-1", "display_name")


def test_member_optional_text_is_stripped_and_blank_means_none(samples):
    member = samples.member(email=" ada@example.org ", phone="  ")
    assert member.email == "ada@example.org"
    assert member.phone is None


def test_member_is_active_unless_told_otherwise(samples):
    assert samples.member().active is True


def test_member_address_parts_are_checked_with_their_path(samples):
    with pytest.raises(RecordError) as caught:
        samples.member(billing_address=Address(city=5))  # type: ignore[arg-type]  # on purpose
    assert caught.value.field == "billing_address.city"


def test_member_address_must_be_an_address(samples):
    with pytest.raises(RecordError) as caught:
        samples.member(billing_address={"city": "Annapolis"})
    assert caught.value.field == "billing_address"


def test_member_is_its_own_customer_and_has_no_date_or_references(samples):
    member = samples.member()
    assert member.customer_mms_id() == "M-1"
    assert member.document_date() is None
    assert member.references() == ()


def test_item_references_its_income_account(samples):
    assert samples.item().references() == (Reference("gl_account", "GL-4000", "income_account_id"),)
    assert samples.item(income_account_id=None).references() == ()


def test_item_unit_price_is_optional_and_may_be_negative(samples):
    assert samples.item(unit_price=None).unit_price is None
    assert samples.item(unit_price="-5.00").unit_price == Decimal("-5.00")


def test_item_unit_price_refuses_float(samples):
    with pytest.raises(RecordError) as caught:
        samples.item(unit_price=9.99)
    assert (caught.value.kind, caught.value.field) == ("item", "unit_price")


def test_reference_data_touches_no_customer(samples):
    for kind in ("item", "gl_account", "tax_rate", "terms"):
        record = samples.of_kind(kind)
        assert record.customer_mms_id() is None
        assert record.document_date() is None


def test_gl_account_type_accepts_its_string_value(samples):
    account = samples.gl_account(account_type="bank")
    assert account.account_type is AccountType.BANK


def test_gl_account_type_must_be_known(samples):
    with pytest.raises(RecordError) as caught:
        samples.gl_account(account_type="cash")
    error = caught.value
    assert (error.kind, error.mms_id, error.field) == ("gl_account", "GL-4000", "account_type")
    assert "unknown account type 'cash'" in error.problem


def test_gl_account_needs_a_number(samples):
    with pytest.raises(RecordError) as caught:
        samples.gl_account(number="")
    assert caught.value.field == "number"


def test_account_types_are_the_ten_known_values():
    assert {t.value for t in AccountType} == {
        "income",
        "other_income",
        "expense",
        "asset",
        "bank",
        "accounts_receivable",
        "liability",
        "other_current_liability",
        "equity",
        "cost_of_goods_sold",
    }


def test_tax_rate_is_a_percentage_between_0_and_100(samples):
    assert samples.tax_rate(rate="0").rate == 0
    assert samples.tax_rate(rate="100").rate == 100
    with pytest.raises(RecordError) as caught:
        samples.tax_rate(rate="100.5")
    assert (caught.value.kind, caught.value.field) == ("tax_rate", "rate")
    with pytest.raises(RecordError):
        samples.tax_rate(rate="-1")


def test_terms_due_days_must_not_be_negative(samples):
    with pytest.raises(RecordError) as caught:
        samples.terms(due_days=-1)
    error = caught.value
    assert (error.kind, error.mms_id, error.field) == ("terms", "NET30", "due_days")
    assert error.problem == "must not be negative"


def test_terms_due_days_must_be_a_whole_number(samples):
    with pytest.raises(RecordError) as caught:
        samples.terms(due_days="30")
    assert caught.value.field == "due_days"


def test_terms_discount_defaults_to_none_and_stays_within_100_percent(samples):
    terms = samples.terms()
    assert (terms.discount_percent, terms.discount_days) == (0, 0)
    assert samples.terms(discount_percent="2", discount_days=10).discount_percent == 2
    with pytest.raises(RecordError) as caught:
        samples.terms(discount_percent="101")
    assert caught.value.field == "discount_percent"
