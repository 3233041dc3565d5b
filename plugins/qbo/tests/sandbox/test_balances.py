"""Customer balances and invoice balances, in exact Decimal arithmetic."""

from __future__ import annotations

from decimal import Decimal

from ledgersync_qbo.sandbox import jsonio


def _pay(api, invoice_id: str, amount: str, total: str | None = None, customer: str = "58"):
    return api.post("payment", {
        "CustomerRef": {"value": customer}, "TotalAmt": Decimal(total or amount),
        "Line": [{"Amount": Decimal(amount),
                  "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}]})


def test_invoices_add_to_the_customer_balance(api, sandbox, make_invoice):
    api.create("Invoice", make_invoice(amount="100.10"))
    api.create("Invoice", make_invoice(amount="0.20"))
    assert sandbox.customer_balance("58") == Decimal("100.30")
    customer = jsonio.loads(api.get("customer/58").content)["Customer"]
    assert customer["Balance"] == Decimal("100.30")


def test_payments_subtract_from_the_customer_balance(api, sandbox, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    assert _pay(api, invoice["Id"], "40.00").status_code == 200
    assert sandbox.customer_balance("58") == Decimal("60.00")


def test_partial_payment_reduces_the_invoice_balance_and_bumps_its_sync_token(api,
                                                                              make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    payment = jsonio.loads(_pay(api, invoice["Id"], "30.00").content)["Payment"]
    after = jsonio.loads(api.get(f"invoice/{invoice['Id']}").content)["Invoice"]
    assert after["Balance"] == Decimal("70.00")
    assert after["SyncToken"] == "1"
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in after["LinkedTxn"]


def test_unapplied_payment_amount_is_reported_and_still_credits_the_customer(api, sandbox,
                                                                             make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="50.00"))
    payment = jsonio.loads(_pay(api, invoice["Id"], "50.00", total="80.00").content)["Payment"]
    assert payment["UnappliedAmt"] == Decimal("30.00")
    assert sandbox.customer_balance("58") == Decimal("-30.00")


def test_payment_larger_than_the_open_balance_is_rejected(api, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="50.00"))
    errors = api.fault(_pay(api, invoice["Id"], "50.01"))
    assert errors[0]["code"] == "6000"


def test_payment_applied_to_another_customers_invoice_is_rejected(api, make_invoice):
    invoice = api.create("Invoice", make_invoice(customer="61"))
    assert api.fault(_pay(api, invoice["Id"], "10.00"))[0]["code"] == "6000"


def test_credit_memos_subtract_from_the_customer_balance(api, sandbox, payload, make_invoice):
    api.create("Invoice", make_invoice(amount="100.00"))
    api.create("CreditMemo", payload("creditmemo_create_request.json"))
    assert sandbox.customer_balance("58") == Decimal("75.00")


def test_refund_receipts_do_not_touch_the_receivable_balance(api, sandbox, payload,
                                                             make_invoice):
    api.create("Invoice", make_invoice(amount="100.00"))
    api.create("RefundReceipt", payload("refundreceipt_create_request.json"))
    assert sandbox.customer_balance("58") == Decimal("100.00")


def test_journal_entry_receivable_credit_writes_off_the_balance(api, sandbox, payload,
                                                                make_invoice):
    api.create("Invoice", make_invoice(customer="64", amount="60.00"))
    api.create("JournalEntry", payload("journalentry_create_request.json"))
    assert sandbox.customer_balance("64") == Decimal("0.00")


def test_voiding_a_payment_restores_the_balances(api, sandbox, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    payment = jsonio.loads(_pay(api, invoice["Id"], "100.00").content)["Payment"]
    voided = api.post("payment", {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
                      operation="update", include="void")
    assert jsonio.loads(voided.content)["Payment"]["TotalAmt"] == 0
    assert sandbox.customer_balance("58") == Decimal("100.00")
    after = jsonio.loads(api.get(f"invoice/{invoice['Id']}").content)["Invoice"]
    assert after["Balance"] == Decimal("100.00")
    assert after["LinkedTxn"] == []


def test_deleting_a_payment_restores_the_balances(api, sandbox, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    payment = jsonio.loads(_pay(api, invoice["Id"], "100.00").content)["Payment"]
    api.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
    assert sandbox.customer_balance("58") == Decimal("100.00")


def test_invoice_with_payments_cannot_be_deleted_until_unlinked(api, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    _pay(api, invoice["Id"], "10.00")
    errors = api.fault(api.post("invoice", {"Id": invoice["Id"], "SyncToken": "1"},
                                operation="delete"))
    assert errors[0]["code"] == "6000"


def test_deleting_an_invoice_removes_it_from_the_balance(api, sandbox, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    assert sandbox.customer_balance("58") == Decimal("0.00")


def test_updating_an_invoice_amount_moves_the_balance(api, sandbox, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    body = make_invoice(amount="120.00")
    body.update({"Id": invoice["Id"], "SyncToken": "0"})
    api.create("Invoice", body)
    assert sandbox.customer_balance("58") == Decimal("120.00")


def test_money_stays_exact_decimal(api, sandbox, make_invoice):
    for _ in range(10):
        api.create("Invoice", make_invoice(amount="0.10"))
    assert sandbox.customer_balance("58") == Decimal("1.00")
    assert isinstance(sandbox.customer_balance("58"), Decimal)


def test_a_payment_voided_with_operation_void_is_refused_as_qbo_refuses_it(api, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    payment = jsonio.loads(_pay(api, invoice["Id"], "100.00").content)["Payment"]
    answer = api.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="void")
    assert answer.status_code == 400
    assert jsonio.loads(answer.content)["Fault"]["Error"][0]["code"] == "500"
    unchanged = jsonio.loads(api.get(f"payment/{payment['Id']}").content)["Payment"]
    assert unchanged["TotalAmt"] == Decimal("100.00")


def test_an_invoice_is_not_voided_by_an_update_with_include_void(api, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    answer = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True},
                      operation="update", include="void")
    assert answer.status_code == 400
    unchanged = jsonio.loads(api.get(f"invoice/{invoice['Id']}").content)["Invoice"]
    assert unchanged["TotalAmt"] == Decimal("100.00")


def test_a_payment_void_by_update_must_be_sparse(api, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="100.00"))
    payment = jsonio.loads(_pay(api, invoice["Id"], "100.00").content)["Payment"]
    answer = api.post("payment", {"Id": payment["Id"], "SyncToken": "0"},
                      operation="update", include="void")
    assert answer.status_code == 400
