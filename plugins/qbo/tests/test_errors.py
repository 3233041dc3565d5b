"""Reading QBO's fault shapes (JSON both casings, XML 429, HTTP 200) and classifying them,
including duplicates resolved by looking the holder up."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from ledgersync import Action, ExportRequest, Invoice, InvoiceLine, Member, Operation, Record
from ledgersync_qbo.client import QboClient
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.errors import QboError, from_fault, from_xml, retry_after_seconds
from ledgersync_qbo.sandbox import Sandbox

PAYLOADS = Path(__file__).parent / "data" / "payloads"
THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse><Fault '
    'type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; '
    "statusCode=429</Message><Detail>The request limit was reached.  Try again later</Detail>"
    "</Error></Fault></IntuitResponse>")


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(), parse_float=Decimal)


def answer(status: int, content: bytes | str, headers: dict[str, str] | None = None
           ) -> QboError:
    response = httpx.Response(status, content=content, headers=headers or {})
    with pytest.raises(QboError) as raised:
        QboClient._answer(response)
    return raised.value


def test_a_duplicate_number_fault_keeps_code_detail_and_tid() -> None:
    error = answer(400, json.dumps(payload("fault_6140_duplicate_docnumber.json")),
                   {"intuit_tid": "tid-1"})
    assert (error.code, error.status, error.fault_type) == ("6140", 400, "ValidationFault")
    assert "TxnId=1042" in error.detail
    assert error.intuit_tid == "tid-1"


def test_every_error_of_a_fault_is_kept() -> None:
    error = answer(400, json.dumps(payload("fault_multiple_errors.json")))
    assert error.codes == ("2500", "2020")
    assert "PostingType is missing" in error.detail


def test_the_lowercase_401_body_is_read() -> None:
    error = answer(401, json.dumps(payload("fault_401_authentication.json")))
    assert error.code == "3200"
    assert "Token expired" in error.detail


def test_the_lowercase_403_body_is_read() -> None:
    error = answer(403, json.dumps(payload("fault_403_3100.json")))
    assert (error.code, error.fault_type) == ("3100", "SERVICE")


def test_a_fault_inside_http_200_is_an_error() -> None:
    error = answer(200, json.dumps(payload("fault_6210_period_closed.json")))
    assert (error.code, error.status) == ("6210", 200)


def test_account_period_closed_under_code_5010_is_closed_books_not_a_stale_version() -> None:
    error = answer(400, json.dumps(payload("fault_5010_period_closed.json")))
    assert (error.code, error.period_closed, error.stale_version) == ("5010", True, False)


def test_a_stale_object_fault_is_a_stale_version() -> None:
    error = from_fault({"Fault": {"Error": [{"code": "5010", "Message": "Stale Object Error"}]}},
                       status=400)
    assert (error.period_closed, error.stale_version) == (False, True)


def test_closed_books_under_code_5010_wait_for_the_bookkeeper(connector: QboConnector) -> None:
    error = answer(400, json.dumps(payload("fault_5010_period_closed.json")))
    request = request_for(invoice(), {})
    resolution = connector.classify_error(error, request)
    assert resolution.action is Action.NEEDS_PERSON
    assert resolution.remedy is not None
    assert "closing date" in resolution.remedy


def test_the_xml_429_body_is_a_throttle_with_60_seconds_by_default() -> None:
    error = answer(429, THROTTLE_XML, {"Content-Type": "application/xml"})
    assert error.code == "3001"
    assert error.retry_after == 60.0


def test_retry_after_is_honoured_when_sent() -> None:
    assert answer(429, THROTTLE_XML, {"Retry-After": "7"}).retry_after == 7.0
    assert retry_after_seconds("soon") == 60.0


def test_a_429_without_any_body_is_still_a_throttle() -> None:
    assert answer(429, b"").code == "3001"


def test_an_html_503_is_an_http_error() -> None:
    error = answer(503, "<html>unavailable</html>")
    assert (error.code, error.status) == ("http-503", 503)


def test_a_batch_item_fault_is_read_like_a_response_fault() -> None:
    item = payload("batch_response.json")["BatchItemResponse"][0]
    error = from_fault(item["Fault"], status=200)
    assert error.code == "6240"


def test_embedded_error_codes_are_found_when_code_is_missing() -> None:
    error = from_xml("<Fault><Error><Message>errorCode=003200</Message></Error></Fault>",
                     status=401)
    assert error.code == "http-401"
    body = {"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200"}]}}
    assert from_fault(body, status=401).code == "3200"


# -- classification against the sandbox --------------------------------------------------------


def request_for(record: Record, refs: dict[tuple[str, str], str]) -> ExportRequest:
    return ExportRequest(item_id=12, company="harbor", kind=record.kind,
                         operation=Operation.CREATE, record=record,
                         idempotency_key="ls-" + "b" * 40, attempt=1, references=refs)


def invoice(number: str = "INV-7", total: str = "150.00") -> Invoice:
    return Invoice(mms_id="INV-7", member_id="M-58", number=number,
                   txn_date=dt.date(2026, 1, 15), currency="USD",
                   lines=(InvoiceLine(item_id="DUES", quantity=Decimal(1), rate=Decimal(total),
                                      amount=Decimal(total)),))


def test_a_duplicate_number_held_by_our_record_is_linked(connector: QboConnector) -> None:
    refs = {("member", "M-58"): "58", ("item", "DUES"): "21"}
    request = request_for(invoice(), refs)
    created = connector.export(request)
    again = attrs.evolve(request, idempotency_key="ls-" + "c" * 40)
    with pytest.raises(QboError) as raised:
        connector.export(again)
    assert raised.value.code == "6140"
    resolution = connector.classify_error(raised.value, again)
    assert resolution.action is Action.LINK_EXISTING
    assert resolution.external_id == created.external_id


def test_a_duplicate_number_of_someone_elses_document_needs_a_person(
        connector: QboConnector, sandbox: Sandbox) -> None:
    refs = {("member", "M-58"): "58", ("item", "DUES"): "21"}
    other = attrs.evolve(request_for(invoice(total="99.00"), {**refs, ("member", "M-58"): "61"}),
                         idempotency_key="ls-" + "d" * 40)
    written = connector.export(other)  # same number, another customer: a hand-made invoice
    stored = sandbox.company().store.get("Invoice", written.external_id)
    assert stored is not None
    stored["PrivateNote"] = "typed by hand"
    request = request_for(invoice(), refs)
    with pytest.raises(QboError) as raised:
        connector.export(request)
    resolution = connector.classify_error(raised.value, request)
    assert resolution.action is Action.NEEDS_PERSON
    assert f"Invoice {written.external_id}" in resolution.message
    assert resolution.remedy is not None
    assert "requeue 12" in resolution.remedy


def test_a_duplicate_name_of_a_vendor_needs_a_person_and_names_the_vendor(
        connector: QboConnector) -> None:
    member = Member(mms_id="M-70", display_name="Harbor Print Shop")
    request = request_for(member, {})
    with pytest.raises(QboError) as raised:
        connector.export(request)
    resolution = connector.classify_error(raised.value, request)
    assert resolution.action is Action.NEEDS_PERSON
    assert "vendor 'Harbor Print Shop' (Id 70)" in resolution.message


def test_a_duplicate_name_of_the_same_customer_is_linked(connector: QboConnector) -> None:
    member = Member(mms_id="M-1", display_name="Jordan Alvarez",
                    email="jordan.alvarez@example.org")
    request = request_for(member, {})
    with pytest.raises(QboError) as raised:
        connector.export(request)
    resolution = connector.classify_error(raised.value, request)
    assert (resolution.action, resolution.external_id) == (Action.LINK_EXISTING, "58")


def test_voiding_an_invoice_with_payments_waits_for_the_payments_voids(
        connector: QboConnector) -> None:
    error = from_fault({"Fault": {"Error": [{"code": "6000", "Detail": (
        "Business Validation Error: You must unlink any linked transactions associated "
        "with this Invoice before you void it.")}]}}, status=400)
    request = request_for(invoice(), {})
    assert connector.classify_error(error, request).action is Action.RETRY


def test_every_remedy_names_a_command_or_a_place_to_act(connector: QboConnector) -> None:
    from ledgersync_qbo.classify import _RULES

    request = request_for(invoice(), {})
    for code, rule in _RULES.items():
        if rule.action not in (Action.NEEDS_PERSON, Action.PAUSE_COMPANY):
            continue
        error = QboError(f"[{code}]", code=code, status=400)
        resolution = connector.classify_error(error, request)
        assert resolution.remedy, code
        assert "ledgersync" in resolution.remedy or "QuickBooks" in resolution.remedy \
            or "MMS" in resolution.remedy, code
