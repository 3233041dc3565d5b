"""Record -> QBO body mapping, checked against the shapes of plugins/qbo/tests/data/payloads/."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledgersync import (
    CreditMemo,
    ExportRequest,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Member,
    Operation,
    Payment,
    PaymentApplication,
    Record,
    Refund,
)
from ledgersync_qbo import mapping
from ledgersync_qbo.mapping import MappingError
from ledgersync_qbo.settings import QboSettings

PAYLOADS = Path(__file__).parent / "data" / "payloads"
D = Decimal
DAY = dt.date(2026, 1, 15)
REFS = {("member", "M-58"): "58", ("item", "DUES"): "21", ("item", "PIN"): "22",
        ("tax_rate", "TX"): "3", ("terms", "NET30"): "3", ("gl_account", "1000"): "35",
        ("gl_account", "6900"): "91", ("gl_account", "1200"): "84",
        ("invoice", "INV-123"): "1042"}


def settings(**extra: Any) -> QboSettings:
    return QboSettings(realm_id="9341452123456789", client_id="id", client_secret="secret",
                       **extra)


def request(record: Record, operation: Operation = Operation.CREATE) -> ExportRequest:
    return ExportRequest(item_id=7, company="harbor", kind=record.kind, operation=operation,
                         record=record, idempotency_key="ls-" + "a" * 40, attempt=1,
                         references={k: v for k, v in REFS.items()})


def paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value; list items share one path (``Line[]``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            found |= paths(inner, path)
    elif isinstance(value, list):
        for inner in value:
            found |= paths(inner, f"{prefix}[]")
    return found


def sample(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(), parse_float=Decimal)


def assert_shape_within(body: dict[str, Any], sample_name: str) -> None:
    extra = paths(body) - paths(sample(sample_name))
    assert not extra, f"fields the sample {sample_name} does not have: {sorted(extra)}"


def invoice(**changes: Any) -> Invoice:
    values: dict[str, Any] = dict(
        mms_id="INV-123", member_id="M-58", number="MMS-INV-000123", txn_date=DAY,
        due_date=DAY + dt.timedelta(days=30), currency="USD", terms_id="NET30",
        memo="Thank you for renewing your membership.",
        lines=(InvoiceLine(item_id="DUES", description="Annual Membership Dues 2026",
                           quantity=D("1"), rate=D("150.00"), amount=D("150.00")),
               InvoiceLine(item_id="PIN", description="Member lapel pin", quantity=D("2"),
                           rate=D("12.50"), amount=D("25.00"), tax_rate_id="TX",
                           tax_amount=D("2.00"))))
    values.update(changes)
    return Invoice(**values)


def test_an_invoice_maps_to_the_sample_invoice_shape() -> None:
    body = mapping.invoice(request(invoice()), settings())
    assert body.entity == "Invoice"
    assert_shape_within(body.data, "invoice_create_request.json")
    assert body.data["CustomerRef"] == {"value": "58"}
    assert body.data["SalesTermRef"] == {"value": "3"}
    assert body.data["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "3"}}
    assert body.data["PrivateNote"] == "mms:invoice:INV-123"
    lines = body.data["Line"]
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in lines] == [
        "NON", "TAX"]
    assert [(line["Amount"], line["SalesItemLineDetail"]["Qty"],
             line["SalesItemLineDetail"]["UnitPrice"]) for line in lines] == [
        (D("150.00"), D("1"), D("150.00")), (D("25.00"), D("2"), D("12.50"))]


def test_an_invoice_without_taxable_lines_clears_the_tax_code() -> None:
    record = invoice(lines=invoice().lines[:1])
    assert mapping.invoice(request(record), settings()).data["TxnTaxDetail"] == {}


def test_two_tax_rates_on_one_invoice_are_refused_before_sending() -> None:
    lines = (*invoice().lines, InvoiceLine(item_id="DUES", quantity=D(1), rate=D(10),
                                           amount=D("10.00"), tax_rate_id="OTHER",
                                           tax_amount=D("1.00")))
    with pytest.raises(MappingError, match="one sales tax code") as raised:
        mapping.invoice(request(invoice(lines=lines)), settings())
    assert raised.value.sent is False
    assert raised.value.remedy


def test_a_line_with_an_account_but_no_item_is_refused_before_sending() -> None:
    line = InvoiceLine(account_id="4000", quantity=D(1), rate=D(5), amount=D("5.00"))
    with pytest.raises(MappingError, match=r"lines\[0\] has a GL account but no item"):
        mapping.invoice(request(invoice(lines=(line,))), settings())


def test_a_credit_memo_maps_to_the_sample_credit_memo_shape() -> None:
    record = CreditMemo(mms_id="CM-7", member_id="M-58", number="MMS-CM-000007",
                        txn_date=DAY, currency="USD", memo="Pro-rated credit",
                        lines=(InvoiceLine(item_id="DUES", description="Tier change credit",
                                           quantity=D(1), rate=D("25.00"),
                                           amount=D("25.00")),))
    body = mapping.credit_memo(request(record), settings())
    assert body.entity == "CreditMemo"
    assert_shape_within({k: v for k, v in body.data.items() if k != "TxnTaxDetail"},
                        "creditmemo_create_request.json")
    assert body.data["CustomerMemo"] == {"value": "Pro-rated credit"}


def test_a_credit_application_is_the_sample_zero_amount_payment() -> None:
    record = CreditMemo(mms_id="CM-7", member_id="M-58", number="CM-7", txn_date=DAY,
                        currency="USD", applied_to_invoice_id="INV-123",
                        lines=(InvoiceLine(item_id="DUES", quantity=D(1), rate=D("25.00"),
                                           amount=D("25.00")),))
    body = mapping.credit_application(request(record), "1061", "1050", D("25.00"))
    assert_shape_within(body, "payment_apply_creditmemo_request.json")
    assert body["TotalAmt"] == 0
    assert [line["LinkedTxn"][0]["TxnType"] for line in body["Line"]] == [
        "Invoice", "CreditMemo"]


def payment(**changes: Any) -> Payment:
    values: dict[str, Any] = dict(
        mms_id="PAY-987", member_id="M-58", txn_date=DAY, currency="USD", amount=D("177.00"),
        number="MMS-PAY-000987", method="card", deposit_account_id="1000",
        applications=(PaymentApplication(invoice_id="INV-123", amount=D("177.00")),))
    values.update(changes)
    return Payment(**values)


def test_a_payment_maps_to_the_sample_payment_shape() -> None:
    body = mapping.payment(request(payment()), settings(payment_methods={"card": "3"}))
    assert_shape_within(body.data, "payment_create_request.json")
    assert body.data["Line"] == [{"Amount": D("177.00"), "LinkedTxn": [
        {"TxnId": "1042", "TxnType": "Invoice"}]}]
    assert body.data["PaymentMethodRef"] == {"value": "3"}
    assert body.data["DepositToAccountRef"] == {"value": "35"}
    assert body.warnings == []


def test_an_unmapped_payment_method_is_left_out_and_said_so() -> None:
    body = mapping.payment(request(payment()), settings())
    assert "PaymentMethodRef" not in body.data
    assert "payment method 'card'" in body.warnings[0]


def test_an_unapplied_payment_has_no_lines() -> None:
    body = mapping.payment(request(payment(applications=())), settings())
    assert body.data["Line"] == []
    assert body.data["TotalAmt"] == D("177.00")


def journal(**changes: Any) -> JournalEntry:
    values: dict[str, Any] = dict(
        mms_id="JE-31", number="MMS-JE-000031", txn_date=DAY, currency="USD",
        memo="Write-off of uncollectible dues", lines=(
            JournalLine(account_id="6900", debit=D("60.00"), description="Write-off"),
            JournalLine(account_id="1200", credit=D("60.00"), member_id="M-58",
                        description="Write-off")))
    values.update(changes)
    return JournalEntry(**values)


def test_a_journal_entry_maps_to_the_sample_shape_with_the_customer_on_the_ar_line() -> None:
    body = mapping.journal_entry(request(journal()), settings())
    assert_shape_within(body.data, "journalentry_create_request.json")
    debit, credit = (line["JournalEntryLineDetail"] for line in body.data["Line"])
    assert (debit["PostingType"], debit["AccountRef"]) == ("Debit", {"value": "91"})
    assert credit["Entity"] == {"Type": "Customer", "EntityRef": {"value": "58"}}
    assert body.data["PrivateNote"] == "mms:journal_entry:JE-31 Write-off of uncollectible dues"


def test_journal_dimensions_become_classes_or_a_warning() -> None:
    lines = (JournalLine(account_id="6900", debit=D("1.00"),
                         dimensions={"class": "Marina", "fund": "General"}),
             JournalLine(account_id="1000", credit=D("1.00")))
    body = mapping.journal_entry(request(journal(lines=lines)),
                                 settings(classes={"Marina": "5"}))
    assert body.data["Line"][0]["JournalEntryLineDetail"]["ClassRef"] == {"value": "5"}
    assert body.warnings == ["dimension fund='General' has no QuickBooks class or department "
                             "in the settings and was not sent"]


def refund() -> Refund:
    return Refund(mms_id="RF-4", member_id="M-58", number="MMS-RF-000004", txn_date=DAY,
                  currency="USD", amount=D("40.00"), method="card", from_account_id="1000",
                  memo="cancelled event registration")


def test_a_refund_is_by_default_a_journal_entry_that_raises_the_receivable() -> None:
    body = mapping.refund(request(refund()), settings(), ar_account_id="84")
    assert body.entity == "JournalEntry"
    assert_shape_within(body.data, "journalentry_create_request.json")
    debit, credit = (line["JournalEntryLineDetail"] for line in body.data["Line"])
    assert debit["AccountRef"] == {"value": "84"}
    assert debit["Entity"]["EntityRef"] == {"value": "58"}
    assert credit["AccountRef"] == {"value": "35"}


def test_a_refund_receipt_maps_to_the_sample_refund_receipt_shape() -> None:
    chosen = settings(refund_style="refund_receipt", refund_item_id="23",
                      payment_methods={"card": "3"})
    body = mapping.refund(request(refund()), chosen, ar_account_id=None)
    assert body.entity == "RefundReceipt"
    assert_shape_within(body.data, "refundreceipt_create_request.json")
    assert body.data["DepositToAccountRef"] == {"value": "35"}
    assert body.data["Line"][0]["SalesItemLineDetail"]["ItemRef"] == {"value": "23"}


def test_a_member_maps_to_the_sample_customer_shape() -> None:
    member = Member(mms_id="M-58", display_name="Jordan Alvarez", first_name="Jordan",
                    last_name="Alvarez", email="jordan.alvarez@example.org")
    body = mapping.customer(member, settings())
    customer = sample("query_response_customers.json")["QueryResponse"]["Customer"][0]
    assert not paths(body.data) - paths(customer)
    assert body.data["PrimaryEmailAddr"] == {"Address": "jordan.alvarez@example.org"}


def test_display_names_lose_colons_and_line_breaks_with_a_warning() -> None:
    member = Member(mms_id="M-2", display_name="Keel: Ada")
    body = mapping.customer(member, settings())
    assert body.data["DisplayName"] == "Keel- Ada"
    assert "Keel- Ada" in body.warnings[0]


def test_the_account_number_goes_to_the_configured_customer_field() -> None:
    member = Member(mms_id="M-2", display_name="Ada Keel", account_number="0002")
    assert "ResaleNum" not in mapping.customer(member, settings()).data
    chosen = settings(account_number_field="ResaleNum")
    assert mapping.customer(member, chosen).data["ResaleNum"] == "0002"


def test_a_foreign_currency_document_names_its_currency() -> None:
    body = mapping.payment(request(payment(currency="CAD")), settings())
    assert body.data["CurrencyRef"] == {"value": "CAD"}
    assert "CurrencyRef" not in mapping.payment(request(payment()), settings()).data


def test_the_marker_is_recognised_after_a_void_and_with_a_memo() -> None:
    assert mapping.has_marker({"PrivateNote": "mms:payment:P-1"}, "payment", "P-1")
    assert mapping.has_marker({"PrivateNote": "Voided - mms:payment:P-1"}, "payment", "P-1")
    assert mapping.has_marker({"PrivateNote": "mms:refund:R-1 memo"}, "refund", "R-1")
    assert not mapping.has_marker({"PrivateNote": "mms:payment:P-10"}, "payment", "P-1")
