"""The sandbox accepts the reference payloads and answers in their shapes (tests/data)."""

from __future__ import annotations

from ledgersync_quickbooks_legacy.xmlio import parse, q

from .conftest import Post, one, paths, payload, text_of


def test_the_sales_order_add_of_payload_01_is_answered_like_payload_02(post: Post, sandbox):
    answer = post("salesorder", payload("01_ids_v2_qbd_add_salesorder_request.xml"))

    assert answer.status_code == 200
    assert paths(answer.content) == paths(payload("02_ids_v2_qbd_add_success_response.xml"))
    success = one(parse(answer.content), "Success")
    assert success.get("RequestId") == "ecc53f53d70f0a52de4c88021721ba32"
    assert text_of(success, "RequestName") == "SalesOrderAdd"
    assert one(success, "ObjectRef/Id").get("idDomain") == "NG"


def test_the_status_request_of_payload_03_is_answered_like_payload_04_once_netted(
        post: Post, sandbox):
    post("salesorder", payload("01_ids_v2_qbd_add_salesorder_request.xml"))
    [ng] = sandbox.cloud.objects
    sandbox.run_desktop()
    request = payload("03_ids_v2_qbd_syncstatus_request_ngidset.xml").replace(
        b"<NgId>984434</NgId>", f"<NgId>{ng}</NgId>".encode()).replace(
        b"<NgObjectType>Payment</NgObjectType>", b"<NgObjectType>SalesOrder</NgObjectType>")

    answer = post("status", request)

    expected = paths(payload("04_ids_v2_qbd_syncstatus_response_netted.xml"))
    assert paths(answer.content) - {"/RestResponse/SyncStatusResponses/SyncStatusResponse/"
                                    "NgIdSet/SyncToken"} == expected
    row = one(parse(answer.content), "SyncStatusResponses/SyncStatusResponse")
    assert (text_of(row, "StateCode"), text_of(row, "MessageCode")) == ("8", "70")
    assert text_of(row, "StateDesc") == "Record netted with QB"


def test_a_transaction_without_lines_is_taken_then_reported_like_payload_05(post: Post,
                                                                           sandbox):
    empty = payload("01_ids_v2_qbd_add_salesorder_request.xml").replace(
        b"<Line>\n<ItemId idDomain=\"QB\">1</ItemId>\n<Qty>6</Qty>\n</Line>\n", b"").replace(
        b"SalesOrder", b"Invoice").replace(b"<SalesRepId idDomain=\"QB\">1</SalesRepId>\n", b"")
    assert post("invoice", empty).status_code == 200
    [ng] = sandbox.cloud.objects

    answer = post("status", (f'<SyncStatusRequest xmlns="http://www.intuit.com/sb/cdm/v2">'
                             f"<OfferingId>ipp</OfferingId><NgIdSet><NgId>{ng}</NgId>"
                             "<NgObjectType>Invoice</NgObjectType></NgIdSet>"
                             "</SyncStatusRequest>").encode())

    assert paths(answer.content) == paths(
        payload("05_ids_v2_qbd_syncstatus_response_rejected.xml"))
    row = one(parse(answer.content), "SyncStatusResponses/SyncStatusResponse")
    assert (text_of(row, "StateCode"), text_of(row, "MessageCode")) == ("4", "60")
    assert "at least one line" in text_of(row, "MessageDesc")


def test_the_activity_query_answers_like_payload_06(post: Post, sandbox):
    post("salesorder", payload("01_ids_v2_qbd_add_salesorder_request.xml"))
    sandbox.run_desktop()

    answer = post("syncActivity", b'<SyncActivityRequest xmlns="http://www.intuit.com/sb/cdm/'
                                  b'v2"><OfferingId>ipp</OfferingId></SyncActivityRequest>')

    assert paths(answer.content) == paths(payload("06_ids_v2_qbd_syncactivity_response.xml"))


def test_an_unsigned_request_is_refused_like_payload_07(sandbox):
    import httpx

    with httpx.Client(transport=sandbox.transport()) as client:
        answer = client.post(f"https://services.intuit.com/sb/customer/v2/{sandbox.realm_id}",
                             content=payload("01_ids_v2_qbd_add_salesorder_request.xml"))

    assert answer.status_code == 401
    assert paths(answer.content) == paths(payload("07_ids_v2_error_response_401.xml"))
    assert text_of(parse(answer.content), "Error/ErrorDesc") == "Invalid security token"


def test_elements_out_of_order_are_refused_like_payload_08(post: Post, sandbox):
    swapped = payload("01_ids_v2_qbd_add_salesorder_request.xml").replace(
        b"<DocNumber>6</DocNumber>\n<TxnDate>2010-12-25</TxnDate>",
        b"<TxnDate>2010-12-25</TxnDate>\n<DocNumber>6</DocNumber>")

    answer = post("salesorder", swapped)

    assert paths(answer.content) == paths(payload("08_ids_v2_error_response_schema.xml"))
    error = one(parse(answer.content), "Error")
    assert text_of(error, "ErrorCode") == "-2001"
    assert text_of(error, "ErrorDesc").startswith("cvc-complex-type.2.4.a")
    assert sandbox.cloud.objects == {}


def test_both_queries_of_payload_09_are_answered(post: Post, sandbox):
    samples = parse(payload("09_ids_v2_qbd_queries_unsynced_and_errored.xml"))
    customer_query, check_query = list(samples)
    import xml.etree.ElementTree as ET

    customers = post("customer", ET.tostring(customer_query))
    checks = post("check", ET.tostring(check_query))

    assert parse(customers.content).find(q("Customers")) is not None
    assert parse(checks.content).find(q("Checks")) is not None
