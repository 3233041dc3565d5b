"""Batch: up to 30 items, per-item faults with HTTP 200, queries, requestid replay."""

from __future__ import annotations

from ledgersync_qbo.sandbox import jsonio


def _item(b_id: str, name: str) -> dict:
    return {"bId": b_id, "operation": "create", "Customer": {"DisplayName": name}}


def test_batch_items_succeed_or_fail_independently_with_http_200(api):
    response = api.post("batch", {"BatchItemRequest": [
        _item("a", "New One"), _item("b", "Jordan Alvarez"),
        {"bId": "q", "Query": "select * from Customer where DisplayName = 'New One'"}]})
    assert response.status_code == 200
    items = {i["bId"]: i for i in jsonio.loads(response.content)["BatchItemResponse"]}
    assert items["a"]["Customer"]["DisplayName"] == "New One"
    assert items["b"]["Fault"]["Error"][0]["code"] == "6240"
    assert items["b"]["Fault"]["type"] == "ValidationFault"
    assert "QueryResponse" in items["q"]


def test_batch_of_more_than_30_items_is_rejected_with_1040(api, sandbox):
    items = [_item(f"b{i}", f"Member {i}") for i in range(31)]
    errors = api.fault(api.post("batch", {"BatchItemRequest": items}))
    assert errors[0]["code"] == "1040"
    assert sandbox.write_count("Customer") == 0


def test_batch_of_30_items_is_accepted(api, sandbox):
    items = [_item(f"b{i}", f"Member {i}") for i in range(30)]
    assert api.post("batch", {"BatchItemRequest": items}).status_code == 200
    assert sandbox.write_count("Customer") == 30


def test_batch_supports_update_and_delete(api, make_invoice):
    invoice = api.create("Invoice", make_invoice())
    response = api.post("batch", {"BatchItemRequest": [
        {"bId": "u", "operation": "update",
         "Customer": {"Id": "58", "SyncToken": "0", "sparse": True, "Notes": "batch"}},
        {"bId": "d", "operation": "delete", "Invoice": {"Id": invoice["Id"], "SyncToken": "0"}},
    ]})
    items = {i["bId"]: i for i in jsonio.loads(response.content)["BatchItemResponse"]}
    assert items["u"]["Customer"]["SyncToken"] == "1"
    assert items["d"]["Invoice"]["status"] == "Deleted"


def test_batch_with_the_same_requestid_is_replayed_without_writing(api, sandbox):
    body = {"BatchItemRequest": [_item("a", "Replay Member")]}
    first = api.post("batch", body, requestid="batch-0001")
    second = api.post("batch", body, requestid="batch-0001")
    assert first.content == second.content
    assert sandbox.write_count("Customer") == 1


def test_long_bids_with_a_requestid_overflow_the_request_id_field(api, sandbox):
    request_id = "r" * 32
    body = {"BatchItemRequest": [_item("x" * 36, "Too Long Id")]}
    items = jsonio.loads(api.post("batch", body, requestid=request_id).content)[
        "BatchItemResponse"]
    assert items[0]["Fault"]["Error"][0]["code"] == "6000"
    assert "request_id" in items[0]["Fault"]["Error"][0]["Detail"]
    assert sandbox.write_count("Customer") == 0
