"""Fault injection on the Sandbox object."""

from __future__ import annotations

from ledgersync_qbo.sandbox import jsonio


def test_injected_fault_code_answers_that_fault_once(api, sandbox):
    sandbox.inject(6240, entity="customer")
    errors = api.fault(api.post("customer", {"DisplayName": "Fresh Name"}))
    assert errors[0]["code"] == "6240"
    assert api.create("Customer", {"DisplayName": "Fresh Name"})["DisplayName"] == "Fresh Name"
    assert sandbox.write_count("Customer") == 1


def test_injected_fault_can_come_with_http_200(api, sandbox):
    sandbox.inject("5010", http200=True)
    response = api.get("customer/58")
    assert response.status_code == 200
    assert jsonio.loads(response.content)["Fault"]["Error"][0]["code"] == "5010"


def test_injection_repeats_the_requested_number_of_times(api, sandbox):
    sandbox.inject(503, times=2)
    assert [api.get("customer/58").status_code for _ in range(3)] == [503, 503, 200]


def test_injection_only_hits_the_named_entity(api, sandbox):
    sandbox.inject(500, entity="invoice")
    assert api.get("customer/58").status_code == 200
    response = api.get("invoice/1")
    assert response.status_code == 500
    assert jsonio.loads(response.content)["Fault"]["type"] == "SystemFault"
    assert sandbox.injector.pending() == []


def test_injected_500_before_the_write_writes_nothing(api, sandbox, make_invoice):
    sandbox.inject(500)
    assert api.post("invoice", make_invoice(), requestid="r-500").status_code == 500
    assert sandbox.write_count("Invoice") == 0
    retry = api.post("invoice", make_invoice(), requestid="r-500")
    assert retry.status_code == 200
    assert sandbox.write_count("Invoice") == 1


def test_after_write_failure_leaves_the_client_in_doubt_and_replay_succeeds(api, sandbox,
                                                                           make_invoice):
    sandbox.inject(504, after_write=True)
    lost = api.post("invoice", make_invoice(doc="DOUBT-1"), requestid="r-doubt")
    assert lost.status_code == 504
    assert sandbox.write_count("Invoice") == 1  # the write happened
    retry = api.post("invoice", make_invoice(doc="DOUBT-1"), requestid="r-doubt")
    assert retry.status_code == 200
    assert jsonio.loads(retry.content)["Invoice"]["DocNumber"] == "DOUBT-1"
    assert sandbox.write_count("Invoice") == 1


def test_after_write_failure_without_requestid_duplicates_or_hits_6140(api, sandbox,
                                                                      make_invoice):
    sandbox.inject(500, after_write=True)
    api.post("invoice", make_invoice(doc="DOUBT-2"))
    errors = api.fault(api.post("invoice", make_invoice(doc="DOUBT-2")))
    assert errors[0]["code"] == "6140"


def test_after_write_injection_ignores_reads(api, sandbox):
    sandbox.inject(500, after_write=True)
    assert api.get("customer/58").status_code == 200
    assert len(sandbox.injector.pending()) == 1


def test_injected_429_uses_the_xml_throttle_body(api, sandbox):
    sandbox.inject(429)
    response = api.get("customer/58")
    assert response.status_code == 429
    assert b'<Error code="3001">' in response.content


def test_injected_401_uses_the_authentication_body(api, sandbox):
    sandbox.inject(401)
    response = api.get("customer/58")
    assert response.status_code == 401
    assert jsonio.loads(response.content)["fault"]["error"][0]["code"] == "3200"


def test_string_500_injects_qbo_code_500_not_http_500(api, sandbox):
    sandbox.inject("500")
    errors = api.fault(api.get("customer/58"))
    assert errors[0]["code"] == "500"


def test_injection_can_target_the_batch_endpoint(api, sandbox):
    sandbox.inject(10000, entity="batch")
    response = api.post("batch", {"BatchItemRequest": []})
    assert response.status_code == 500


def test_in_batch_injection_fails_only_a_batch_that_carries_the_entity(api, sandbox):
    sandbox.inject("3200", entity="payment", in_batch=True)
    customers = {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch One"}}]}
    assert api.post("batch", customers).status_code == 200
    assert len(sandbox.injector.pending()) == 1
    carrying = {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch Two"}},
        {"bId": "2", "operation": "create", "Payment": {"CustomerRef": {"value": "58"},
                                                        "TotalAmt": 10}}]}
    assert api.post("batch", carrying).status_code == 401  # the whole request, as in QBO
    assert sandbox.injector.pending() == []
    assert sandbox.write_count("Customer") == 1


def test_in_batch_after_write_injection_writes_the_batch_then_fails(api, sandbox):
    sandbox.inject(500, entity="creditmemo", after_write=True, in_batch=True)
    memo = {"BatchItemRequest": [{"bId": "1", "operation": "create", "Customer": {
        "DisplayName": "In Doubt"}}, {"bId": "2", "operation": "create", "CreditMemo": {
            "CustomerRef": {"value": "58"}, "Line": []}}]}
    assert api.post("batch", memo, requestid="r-cm").status_code == 500
    assert sandbox.write_count("Customer") == 1  # written before the failure
    assert api.post("batch", memo, requestid="r-cm").status_code == 200  # replayed
    assert sandbox.write_count("Customer") == 1
