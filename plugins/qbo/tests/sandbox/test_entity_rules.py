"""SyncToken, names, DocNumber, references, required fields and other entity rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledgersync_qbo.sandbox import SandboxConfig, jsonio


def test_sync_token_increments_on_every_update(api):
    customer = api.create("Customer", {"DisplayName": "Ada Byron"})
    assert customer["SyncToken"] == "0"
    for expected in ("1", "2"):
        customer = api.create("Customer", {"Id": customer["Id"], "sparse": True,
                                           "SyncToken": customer["SyncToken"], "Notes": expected})
        assert customer["SyncToken"] == expected


def test_stale_sync_token_is_rejected_with_5010(api):
    customer = api.create("Customer", {"DisplayName": "Ada Byron"})
    api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                            "Notes": "first"})
    errors = api.fault(api.post("customer", {"Id": customer["Id"], "SyncToken": "0",
                                             "sparse": True, "Notes": "second"}))
    assert errors[0]["code"] == "5010"
    assert errors[0]["Message"] == "Stale Object Error"


def test_update_without_sync_token_is_a_missing_parameter(api):
    errors = api.fault(api.post("customer", {"Id": "58", "sparse": True, "Notes": "x"}))
    assert (errors[0]["code"], errors[0]["element"]) == ("2020", "SyncToken")


def test_sparse_update_keeps_omitted_fields(api):
    customer = api.create("Customer", {"DisplayName": "Ada Byron", "CompanyName": "Engines"})
    updated = api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                      "Notes": "vip"})
    assert updated["CompanyName"] == "Engines"
    assert updated["Notes"] == "vip"


def test_full_update_clears_omitted_fields(api):
    customer = api.create("Customer", {"DisplayName": "Ada Byron", "CompanyName": "Engines"})
    updated = api.create("Customer", {"Id": customer["Id"], "SyncToken": "0",
                                      "DisplayName": "Ada Byron"})
    assert "CompanyName" not in updated


def test_sparse_update_cannot_remove_display_name(api):
    customer = api.create("Customer", {"DisplayName": "Ada Byron"})
    updated = api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                      "DisplayName": ""})
    assert updated["DisplayName"] == "Ada Byron"


def test_read_only_fields_sent_by_the_client_are_ignored(api, make_invoice):
    body = make_invoice(amount="40.00")
    body.update({"TotalAmt": Decimal("999"), "Balance": Decimal("999"), "Id": None})
    invoice = api.create("Invoice", body)
    assert invoice["TotalAmt"] == Decimal("40.00")
    assert invoice["Balance"] == Decimal("40.00")


@pytest.mark.parametrize("entity", ["Customer", "Vendor", "Employee"])
def test_display_name_is_unique_across_customers_vendors_and_employees(api, entity):
    errors = api.fault(api.post(entity.lower(), {"DisplayName": "Harbor Print Shop"}))
    assert errors[0]["code"] == "6240"


def test_display_name_uniqueness_includes_inactive_names(api):
    customer = api.create("Customer", {"DisplayName": "Gone Member"})
    api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                            "Active": False})
    errors = api.fault(api.post("customer", {"DisplayName": "gone  member"}))
    assert errors[0]["code"] == "6240"


def test_display_name_is_built_from_name_parts_when_missing(api):
    customer = api.create("Customer", {"GivenName": "Grace", "FamilyName": "Hopper"})
    assert customer["DisplayName"] == "Grace Hopper"
    assert customer["FullyQualifiedName"] == "Grace Hopper"


def test_customer_without_any_name_is_a_missing_parameter(api):
    errors = api.fault(api.post("customer", {"Notes": "nameless"}))
    assert (errors[0]["code"], errors[0]["element"]) == ("2020", "DisplayName")


def test_display_name_longer_than_500_is_rejected_with_2050(api):
    errors = api.fault(api.post("customer", {"DisplayName": "x" * 501}))
    assert errors[0]["code"] == "2050"
    assert "Max:500" in errors[0]["Detail"]
    assert "Supplied length:501" in errors[0]["Detail"]


def test_item_names_are_unique_among_items(api):
    errors = api.fault(api.post("item", {"Name": "membership dues",
                                         "IncomeAccountRef": {"value": "79"}}))
    assert errors[0]["code"] == "6240"


def test_duplicate_invoice_doc_number_is_rejected_with_6140(api, make_invoice):
    first = api.create("Invoice", make_invoice(doc="INV-1"))
    errors = api.fault(api.post("invoice", make_invoice(doc="INV-1")))
    assert errors[0]["code"] == "6140"
    assert errors[0]["Detail"].endswith(
        f"DocNumber=INV-1 is assigned to TxnType=Invoice with TxnId={first['Id']}")


def test_doc_number_longer_than_21_is_rejected_with_2050(api, make_invoice):
    errors = api.fault(api.post("invoice", make_invoice(doc="X" * 22)))
    assert (errors[0]["code"], errors[0]["element"]) == ("2050", "DocNumber")


def test_missing_customer_ref_is_a_missing_parameter(api, make_invoice):
    body = make_invoice()
    del body["CustomerRef"]
    errors = api.fault(api.post("invoice", body))
    assert (errors[0]["code"], errors[0]["element"]) == ("2020", "CustomerRef")
    assert errors[0]["Detail"] == "Required parameter CustomerRef is missing in the request"


def test_invoice_without_lines_is_rejected(api, make_invoice):
    body = make_invoice()
    del body["Line"]
    assert api.fault(api.post("invoice", body))[0]["code"] == "2020"
    body["Line"] = []
    assert api.fault(api.post("invoice", body))[0]["code"] == "6000"


def test_reference_to_a_missing_item_is_an_invalid_reference(api, make_invoice):
    body = make_invoice()
    body["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] = "999"
    errors = api.fault(api.post("invoice", body))
    assert errors[0]["code"] == "2500"
    assert errors[0]["element"] == "Line.SalesItemLineDetail.ItemRef"


def test_reference_to_a_missing_customer_is_an_invalid_reference(api, make_invoice):
    errors = api.fault(api.post("invoice", make_invoice(customer="4040")))
    assert errors[0]["code"] == "2500"


def test_reference_to_an_inactive_item_is_object_not_found(api, make_invoice):
    api.create("Item", {"Id": "21", "SyncToken": "0", "sparse": True, "Active": False})
    errors = api.fault(api.post("invoice", make_invoice()))
    assert errors[0]["code"] == "610"
    assert errors[0]["Message"] == "Object Not Found"


def test_reference_to_an_inactive_customer_is_object_not_found(api, make_invoice):
    api.create("Customer", {"Id": "62", "SyncToken": "0", "sparse": True, "Active": False})
    assert api.fault(api.post("invoice", make_invoice(customer="62")))[0]["code"] == "610"


def test_missing_account_reference_uses_the_accounts_wording(api, payload):
    body = payload("refundreceipt_create_request.json")
    body["DepositToAccountRef"] = {"value": "999"}
    errors = api.fault(api.post("refundreceipt", body))
    assert errors[0]["Detail"] == "Invalid Reference Id : Accounts element id 999 not found"


def test_amount_must_equal_quantity_times_unit_price(api, make_invoice):
    body = make_invoice(amount="10.00")
    body["Line"][0]["SalesItemLineDetail"]["Qty"] = 3
    assert api.fault(api.post("invoice", body))[0]["code"] == "6070"


def test_reading_a_missing_object_is_object_not_found(api):
    errors = api.fault(api.get("invoice/424242"))
    assert errors[0]["code"] == "610"


def test_malformed_json_body_is_an_invalid_property_fault(api):
    response = api.client.post(api.url("invoice"), content=b"{not json",
                               headers={"Content-Type": "application/json"})
    errors = api.fault(response)
    assert errors[0]["code"] == "2010"
    assert errors[0]["Message"] == "Request has invalid or unsupported property"


def test_unknown_entity_is_an_unsupported_operation(api):
    errors = api.fault(api.post("frobnicator", {"Name": "x"}))
    assert errors[0]["code"] == "500"
    assert "Could not find resource" in errors[0]["Detail"]


def test_customers_cannot_be_deleted_only_deactivated(api):
    errors = api.fault(api.post("customer", {"Id": "58", "SyncToken": "0"},
                                operation="delete"))
    assert errors[0]["code"] == "500"


def test_tax_codes_are_read_only(api):
    assert api.fault(api.post("taxcode", {"Name": "NEW"}))[0]["code"] == "500"
    assert jsonio.loads(api.get("taxcode/3").content)["TaxCode"]["Name"] == "Portland"


def test_deleting_an_invoice_returns_the_deleted_status(api, make_invoice):
    invoice = api.create("Invoice", make_invoice())
    response = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    assert jsonio.loads(response.content)["Invoice"] == {
        "status": "Deleted", "domain": "QBO", "Id": invoice["Id"]}
    assert api.fault(api.get(f"invoice/{invoice['Id']}"))[0]["code"] == "610"


def test_deleting_an_invoice_with_a_stale_sync_token_fails(api, make_invoice):
    invoice = api.create("Invoice", make_invoice())
    api.create("Invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True,
                           "DueDate": "2026-03-01"})
    errors = api.fault(api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"},
                                operation="delete"))
    assert errors[0]["code"] == "5010"


def test_voiding_an_invoice_zeroes_amounts_and_marks_the_note(api, make_invoice):
    body = make_invoice(amount="80.00")
    body["PrivateNote"] = "mms:1"
    invoice = api.create("Invoice", body)
    response = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")
    voided = jsonio.loads(response.content)["Invoice"]
    assert voided["TotalAmt"] == 0
    assert voided["Balance"] == 0
    assert voided["SyncToken"] == "1"
    assert voided["PrivateNote"].startswith("Voided")
    assert all(line["Amount"] == 0 for line in voided["Line"])


def test_credit_memos_cannot_be_voided(api, payload):
    memo = api.create("CreditMemo", payload("creditmemo_create_request.json"))
    errors = api.fault(api.post("creditmemo", {"Id": memo["Id"], "SyncToken": "0"},
                                operation="void"))
    assert errors[0]["code"] == "500"


def test_journal_entry_must_balance(api, payload):
    body = payload("journalentry_create_request.json")
    body["Line"][0]["Amount"] = Decimal("61.00")
    assert api.fault(api.post("journalentry", body))[0]["code"] == "2300"


def test_journal_entry_receivable_line_needs_a_customer(api, payload):
    body = payload("journalentry_create_request.json")
    del body["Line"][1]["JournalEntryLineDetail"]["Entity"]
    errors = api.fault(api.post("journalentry", body))
    assert errors[0]["code"] == "6000"
    assert "Accounts Receivable" in errors[0]["Detail"]


def test_refund_receipt_requires_a_deposit_account(api, payload):
    body = payload("refundreceipt_create_request.json")
    del body["DepositToAccountRef"]
    errors = api.fault(api.post("refundreceipt", body))
    assert (errors[0]["code"], errors[0]["element"]) == ("2020", "DepositToAccountRef")


def test_refund_receipt_deposit_account_must_be_bank_or_current_asset(api, payload):
    body = payload("refundreceipt_create_request.json")
    body["DepositToAccountRef"] = {"value": "79"}
    assert api.fault(api.post("refundreceipt", body))[0]["code"] == "6430"


def test_customer_with_open_balance_cannot_be_deactivated(api, make_invoice):
    api.create("Invoice", make_invoice(customer="61"))
    errors = api.fault(api.post("customer", {"Id": "61", "SyncToken": "0", "sparse": True,
                                             "Active": False}))
    assert errors[0]["code"] == "6220"


@pytest.mark.parametrize("config", [SandboxConfig(closing_date=date(2025, 12, 31))])
def test_creating_a_transaction_in_a_closed_period_is_rejected(api, make_invoice, payload):
    errors = api.fault(api.post("invoice", make_invoice(txn_date="2025-12-31")))
    assert errors[0]["code"] == "6210"
    assert errors[0]["Message"] == payload("fault_6210_period_closed.json")["Fault"]["Error"][0][
        "Message"]
    assert api.create("Invoice", make_invoice(txn_date="2026-01-01"))["TxnDate"] == "2026-01-01"


@pytest.mark.parametrize("config", [SandboxConfig(closing_date=date(2026, 1, 10))])
def test_moving_a_transaction_into_a_closed_period_is_rejected(api, make_invoice):
    invoice = api.create("Invoice", make_invoice(txn_date="2026-01-15"))
    moved = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True,
                                 "TxnDate": "2026-01-05"})
    assert api.fault(moved)[0]["code"] == "6210"


def test_closing_the_books_later_blocks_changes_to_old_transactions(api, sandbox,
                                                                    make_invoice):
    invoice = api.create("Invoice", make_invoice(txn_date="2026-01-15"))
    sandbox.close_books(date(2026, 1, 31))
    for operation in ("delete", "void"):
        response = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"},
                            operation=operation)
        assert api.fault(response)[0]["code"] == "6210"
    sandbox.close_books(None)
    assert api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"},
                    operation="void").status_code == 200


@pytest.mark.parametrize("config", [SandboxConfig(warn_duplicate_doc_numbers=False)])
def test_duplicate_doc_numbers_pass_when_the_warning_preference_is_off(api, make_invoice):
    api.create("Invoice", make_invoice(doc="INV-7"))
    assert api.create("Invoice", make_invoice(doc="INV-7"))["DocNumber"] == "INV-7"


@pytest.mark.parametrize("config", [SandboxConfig(custom_txn_numbers=False)])
def test_doc_numbers_are_generated_when_custom_numbers_are_off(api, make_invoice):
    first = api.create("Invoice", make_invoice())
    second = api.create("Invoice", make_invoice())
    assert (first["DocNumber"], second["DocNumber"]) == ("1001", "1002")


@pytest.mark.parametrize("entity", ["Class", "Department"])
def test_classes_and_departments_are_name_lists_for_journal_lines(api, entity):
    created = api.create(entity, {"Name": "Marina"})
    assert created["FullyQualifiedName"] == "Marina"
    duplicate = api.post(entity.lower(), {"Name": "marina"})
    assert api.fault(duplicate)[0]["code"] == "6240"


def test_an_invoice_downloads_as_a_pdf(api, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    answer = api.get(f"invoice/{invoice['Id']}/pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/pdf")
    assert answer.content.startswith(b"%PDF-1.4")
    assert answer.content.rstrip().endswith(b"%%EOF")
    assert b"Total: 100.00" in answer.content


def test_the_pdf_of_an_unknown_invoice_is_a_610_fault(api):
    answer = api.get("invoice/99999/pdf")
    assert answer.status_code == 400
    assert api.fault(answer)[0]["code"] == "610"
