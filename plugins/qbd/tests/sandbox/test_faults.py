"""Fault injection: injected statuses, HRESULTs and lost responses."""

from __future__ import annotations

import pytest

from ledgersync_qbd.sandbox import TRANSIENT_CODES, RequestProcessorError

ADD = "<CustomerAddRq><CustomerAdd><Name>{}</Name></CustomerAdd></CustomerAddRq>"


def test_injected_error_is_answered_without_running_the_request(qb) -> None:
    qb.company.inject_status(3180)
    rs = qb.one(ADD.format("Ann"))
    assert rs.get("statusCode") == "3180"
    assert 3180 in TRANSIENT_CODES
    assert qb.company.customer("Ann") is None


def test_injected_status_applies_only_to_its_request_type(qb) -> None:
    qb.company.inject_status(3170, request_type="InvoiceAddRq")
    qb.add_customer("Ann")
    rs = qb.one("<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Ann</FullName></CustomerRef>"
                "</InvoiceAdd></InvoiceAddRq>")
    assert rs.get("statusCode") == "3170"


def test_injected_status_lasts_for_times_requests(qb) -> None:
    qb.company.inject_status(3175, times=2)
    codes = [qb.one(ADD.format(name)).get("statusCode") for name in ("A", "B", "C")]
    assert codes == ["3175", "3175", "0"]


def test_injected_warning_keeps_the_write_and_reports_warn(qb) -> None:
    qb.company.inject_status(530)
    rs = qb.one(ADD.format("Ann"))
    assert rs.get("statusCode") == "530"
    assert rs.get("statusSeverity") == "Warn"
    assert rs.find("CustomerRet") is not None
    assert qb.company.customer("Ann") is not None


def test_raise_hresult_fails_the_next_message_set(qb) -> None:
    qb.company.raise_hresult("0x80040408", "Could not start QuickBooks.")
    with pytest.raises(RequestProcessorError) as info:
        qb.company.process(qb.doc(ADD.format("Ann")))
    assert info.value.hresult == "0x80040408"
    assert qb.company.customer("Ann") is None
    qb.one(ADD.format("Ann"))


def test_lost_response_is_processed_and_flagged(qb) -> None:
    qb.company.lose_next_response()
    result = qb.company.handle(qb.doc(ADD.format("Ann")))
    assert result.lost
    assert "CustomerAddRs" in result.response_xml
    assert qb.company.customer("Ann") is not None
    assert not qb.company.handle(qb.doc("<HostQueryRq/>")).lost
