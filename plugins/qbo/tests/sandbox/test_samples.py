"""Every sample request is accepted and answers look like the samples."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from ledgersync_qbo.sandbox import Sandbox, jsonio


def assert_has_shape(sample: Any, actual: Any, path: str = "$") -> None:
    """Every key of the sample exists in the answer, recursively (extra keys are fine)."""
    if isinstance(sample, dict):
        assert isinstance(actual, dict), f"{path}: expected object, got {actual!r}"
        for key, value in sample.items():
            assert key in actual, f"{path}: missing key {key!r}"
            assert_has_shape(value, actual[key], f"{path}.{key}")
    elif isinstance(sample, list):
        assert isinstance(actual, list), f"{path}: expected array"
        if sample:
            assert actual, f"{path}: expected a non-empty array"
            for i, item in enumerate(sample[: len(actual)]):
                assert_has_shape(item, actual[i], f"{path}[{i}]")
    elif isinstance(sample, bool):
        assert isinstance(actual, bool), f"{path}: expected bool, got {actual!r}"
    elif isinstance(sample, int | float | Decimal):
        assert isinstance(actual, int | Decimal), f"{path}: expected number, got {actual!r}"
        assert not isinstance(actual, bool), f"{path}: expected number, got {actual!r}"
    elif isinstance(sample, str):
        assert isinstance(actual, str), f"{path}: expected string, got {actual!r}"


def assert_same_keys(sample: Any, actual: Any, path: str = "$") -> None:
    """Exact key sets (used for fault and token bodies)."""
    if isinstance(sample, dict):
        assert isinstance(actual, dict), f"{path}: expected object, got {actual!r}"
        assert set(sample) == set(actual), f"{path}: {sorted(actual)} != {sorted(sample)}"
        for key in sample:
            assert_same_keys(sample[key], actual[key], f"{path}.{key}")
    elif isinstance(sample, list) and sample:
        assert isinstance(actual, list), path
        assert len(actual) == len(sample), path
        for i, item in enumerate(sample):
            assert_same_keys(item, actual[i], f"{path}[{i}]")


def create_sample_invoice(api: Any, payload: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.create("Invoice", payload("invoice_create_request.json"))
    return result


def test_invoice_sample_is_accepted_and_answered_like_the_sample(api, payload):
    response = api.post("invoice", payload("invoice_create_request.json"), minorversion="75")
    assert response.status_code == 200
    body = jsonio.loads(response.content)
    assert_has_shape(payload("invoice_create_response.json"), body)
    invoice = body["Invoice"]
    assert invoice["TotalAmt"] == Decimal("177.00")
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("2.00")
    assert invoice["Balance"] == Decimal("177.00")
    assert invoice["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    assert b'"TotalAmt":177.00' in response.content  # a JSON number, not a string


def test_payment_sample_is_accepted_and_answered_like_the_sample(api, payload):
    invoice = create_sample_invoice(api, payload)
    body = payload("payment_create_request.json")
    body["Line"][0]["LinkedTxn"][0]["TxnId"] = invoice["Id"]
    response = api.post("payment", body)
    assert response.status_code == 200
    answer = jsonio.loads(response.content)
    assert_has_shape(payload("payment_create_response.json"), answer)
    names = {nv["value"]["Name"]: nv["value"]["Value"]
             for nv in answer["Payment"]["Line"][0]["LineEx"]["any"]}
    assert names == {"txnId": invoice["Id"], "txnOpenBalance": "177.00",
                     "txnReferenceNumber": "MMS-INV-000123"}


def test_credit_memo_sample_is_accepted(api, payload):
    memo = api.create("CreditMemo", payload("creditmemo_create_request.json"))
    assert memo["TotalAmt"] == Decimal("25.00")
    assert memo["RemainingCredit"] == Decimal("25.00")


def test_refund_receipt_sample_is_accepted(api, payload):
    refund = api.create("RefundReceipt", payload("refundreceipt_create_request.json"))
    assert refund["DepositToAccountRef"] == {"value": "35", "name": "Checking"}
    assert refund["TotalAmt"] == Decimal("40.00")
    assert refund["Balance"] == 0


def test_journal_entry_sample_is_accepted(api, payload):
    entry = api.create("JournalEntry", payload("journalentry_create_request.json"))
    assert entry["TotalAmt"] == Decimal("60.00")
    assert entry["Line"][1]["JournalEntryLineDetail"]["Entity"]["EntityRef"]["value"] == "64"


def test_credit_memo_application_sample_is_accepted(api, payload, make_invoice):
    invoice = api.create("Invoice", make_invoice(amount="25.00"))
    memo = api.create("CreditMemo", payload("creditmemo_create_request.json"))
    body = payload("payment_apply_creditmemo_request.json")
    body["Line"][0]["LinkedTxn"][0]["TxnId"] = invoice["Id"]
    body["Line"][1]["LinkedTxn"][0]["TxnId"] = memo["Id"]
    payment = api.create("Payment", body)
    assert payment["TotalAmt"] == 0
    assert jsonio.loads(api.get(f"invoice/{invoice['Id']}").content)["Invoice"]["Balance"] == 0
    assert jsonio.loads(api.get(f"creditmemo/{memo['Id']}").content)["CreditMemo"][
        "RemainingCredit"] == 0


def test_batch_sample_reproduces_the_sample_outcomes(api, payload):
    invoice = create_sample_invoice(api, payload)
    pay = payload("payment_create_request.json")
    pay["Line"][0]["LinkedTxn"][0]["TxnId"] = invoice["Id"]
    api.create("Payment", pay)  # applying it bumps the invoice SyncToken to 1
    batch = payload("batch_request.json")
    batch["BatchItemRequest"][2]["Invoice"]["Id"] = invoice["Id"]
    response = api.post("batch", batch)
    assert response.status_code == 200
    body = jsonio.loads(response.content)
    sample = payload("batch_response.json")
    assert_has_shape(sample, body)
    outcome = {item["bId"]: item for item in body["BatchItemResponse"]}
    assert outcome["c-000101"]["Fault"]["Error"][0]["code"] == "6240"
    assert "Invoice" in outcome["i-000124"]
    assert outcome["u-001042"]["Fault"]["Error"][0]["code"] == "5010"
    detail = outcome["i-000125"]["Fault"]["Error"][0]["Detail"]
    assert outcome["i-000125"]["Fault"]["Error"][0]["code"] == "6140"
    assert detail.endswith(f"DocNumber=MMS-INV-000123 is assigned to TxnType=Invoice with "
                           f"TxnId={invoice['Id']}")
    terms = outcome["q-terms"]["QueryResponse"]["Term"]
    assert "Net 30" in [t["Name"] for t in terms]
    for item in body["BatchItemResponse"]:
        if "Fault" in item:
            assert_same_keys(sample["BatchItemResponse"][0]["Fault"], item["Fault"])


def test_cdc_answer_has_the_sample_shape(api, payload, sandbox, clock):
    invoice = create_sample_invoice(api, payload)
    pay = payload("payment_create_request.json")
    pay["Line"][0]["LinkedTxn"][0]["TxnId"] = invoice["Id"]
    api.create("Payment", pay)
    api.post("customer", {"Id": "58", "SyncToken": "0", "sparse": True,
                          "Notes": "renewed"})
    doomed = api.create("Invoice", {"CustomerRef": {"value": "61"}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 5,
         "SalesItemLineDetail": {"ItemRef": {"value": "21"}}}]})
    api.post("invoice", {"Id": doomed["Id"], "SyncToken": "0"}, operation="delete")
    response = api.get("cdc", entities="Customer,Invoice,Payment",
                       changedSince="2026-01-20T00:00:00-08:00")
    body = jsonio.loads(response.content)
    assert_has_shape(payload("cdc_response.json"), body)
    invoices = body["CDCResponse"][0]["QueryResponse"][1]["Invoice"]
    deleted = [i for i in invoices if i.get("status") == "Deleted"]
    assert_same_keys(payload("cdc_response.json")["CDCResponse"][0]["QueryResponse"][1]
                     ["Invoice"][1], deleted[0])


def test_empty_cdc_answer_matches_the_sample(api, payload, clock):
    clock.advance(minutes=5)
    body = jsonio.loads(api.get("cdc", entities="Invoice",
                                changedSince=clock.now().isoformat()).content)
    sample = payload("cdc_response_empty.json")
    assert body["CDCResponse"] == sample["CDCResponse"]


def test_query_answers_match_the_samples(api, payload):
    customers = jsonio.loads(api.query(
        "SELECT * FROM Customer WHERE Id IN ('58', '61') STARTPOSITION 1 MAXRESULTS 2").content)
    assert_has_shape(payload("query_response_customers.json"), customers)
    assert customers["QueryResponse"]["maxResults"] == 2
    count = jsonio.loads(api.query("SELECT COUNT(*) FROM Invoice").content)
    assert_same_keys(payload("query_response_count.json"), count)
    empty = jsonio.loads(api.query("select * from Invoice where DocNumber = 'none'").content)
    assert_same_keys(payload("query_response_empty.json"), empty)


def test_fault_bodies_match_the_samples(api, payload, sandbox, make_invoice):
    api.create("Invoice", make_invoice(doc="MMS-INV-000123"))
    duplicate = api.post("invoice", make_invoice(doc="MMS-INV-000123"))
    assert duplicate.status_code == 400
    assert_same_keys(payload("fault_6140_duplicate_docnumber.json"),
                     jsonio.loads(duplicate.content))


def test_multiple_errors_come_back_in_one_fault_like_the_sample(api, payload):
    body = payload("journalentry_create_request.json")
    body["Line"][0]["JournalEntryLineDetail"]["AccountRef"]["value"] = "999"
    del body["Line"][1]["JournalEntryLineDetail"]["PostingType"]
    response = api.post("journalentry", body)
    answer = jsonio.loads(response.content)
    sample = payload("fault_multiple_errors.json")
    assert_same_keys(sample, answer)
    assert [(e["code"], e["Detail"]) for e in answer["Fault"]["Error"]] == \
        [(e["code"], e["Detail"]) for e in sample["Fault"]["Error"]]


def test_auth_fault_bodies_match_the_samples(sandbox, transport, payload):
    with httpx.Client(transport=transport, base_url="http://qbo.test") as anonymous:
        response = anonymous.get(f"/v3/company/{sandbox.default_realm_id}/invoice/1")
    assert response.status_code == 401
    assert_same_keys(payload("fault_401_authentication.json"), jsonio.loads(response.content))
    other = sandbox.auth_headers("1111111111")
    with httpx.Client(transport=transport, base_url="http://qbo.test", headers=other) as c:
        response = c.get(f"/v3/company/{sandbox.default_realm_id}/invoice/1")
    assert response.status_code == 403
    assert jsonio.loads(response.content) == payload("fault_403_3100.json")


def test_token_bodies_match_the_samples(sandbox: Sandbox, transport, payload):
    with httpx.Client(transport=transport, base_url="http://qbo.test") as c:
        tokens = sandbox.issue_tokens()
        auth = (sandbox.config.client_id, sandbox.config.client_secret)
        hard = {"x-include-refresh-token-hard-expires-in": "true"}
        fresh = c.post("/oauth2/v1/tokens/bearer", auth=auth, headers=hard, data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        assert_same_keys(payload("oauth_token_response.json"), fresh.json())
        again = c.post("/oauth2/v1/tokens/bearer", auth=auth, data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert again.status_code == 400
    assert again.json() == payload("oauth_error_invalid_grant.json")
