"""Reading Intacct's responses at their three layers, from the reference samples."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgersync_sage.envelope import Login, Session, build_request, parse_response
from ledgersync_sage.errors import IntacctFailure
from ledgersync_sage.functions import get_api_session

from .conftest import sample


def test_a_session_response_gives_the_session_id_endpoint_and_timeout() -> None:
    response = parse_response(sample("02_getAPISession_response.xml"))
    result = response.results[0]
    assert result.ok
    assert result.function == "getAPISession"
    assert result.data is not None
    assert result.data.findtext("api/sessionid") == "fAkESesSiOnId.."
    assert result.data.findtext("api/endpoint") == "https://api.intacct.com/ia/xml/xmlgw.phtml"
    assert response.authentication.session_timeout == dt.datetime(2015, 10, 24, 3, 58, 27,
                                                                  tzinfo=dt.UTC)


def test_a_created_journal_entry_gives_its_recordno() -> None:
    result = parse_response(sample("04_create_glbatch_response_success.xml")).results[0]
    assert result.controlid == "mms-gl-HARBORCLUB-batch-000123-v1"
    assert result.records() == [{"RECORDNO": "6679"}]


def test_a_business_failure_keeps_every_error_without_the_support_id() -> None:
    result = parse_response(sample("05_create_response_failure_BL01001973_default.xml")
                            ).results[0]
    assert result.status == "failure"
    failure = result.failure()
    assert failure.code == "BL01001973"
    assert failure.level == "result"
    assert [e.description2 for e in failure.errors] == [
        "The account number '5000.11' already exists", "Could not create GL Account record."]
    assert failure.errors[0].support_id == "EsppO~ZEcj0DEGV_L5hm95Ec91twAAABA"


def test_additional_error_info_does_not_disturb_reading() -> None:
    result = parse_response(
        sample("06_create_response_failure_showadditionalerrorinfo.xml")).results[0]
    assert [e.errorno for e in result.errors] == ["BL01001973", "BL01001973"]


@pytest.mark.parametrize(("name", "level", "code"), [
    ("08_response_control_failure_XL03000003_xml_parse.xml", "control", "XL03000003"),
    ("09_response_gateway_error_GW-0011.xml", "gateway", "GW-0011"),
    ("10_response_auth_failure_XL03000006.xml", "authentication", "XL03000006"),
    ("11_response_control_failure_PL04000055.xml", "control", "PL04000055"),
])
def test_envelope_failures_raise_at_their_layer(name: str, level: str, code: str) -> None:
    with pytest.raises(IntacctFailure) as caught:
        parse_response(sample(name))
    assert (caught.value.level, caught.value.code) == (level, code)


def test_an_aborted_transaction_reports_each_function() -> None:
    results = parse_response(sample("12_response_transaction_aborted_XL03000009.xml")).results
    assert [r.status for r in results] == ["aborted", "failure"]
    assert results[0].failure().code == "XL03000009"


def test_a_response_without_xml_is_an_http_failure_that_may_have_run() -> None:
    with pytest.raises(IntacctFailure) as caught:
        parse_response(b"<html>524: A timeout occurred</html", http_status=524)
    assert caught.value.level == "http"
    assert caught.value.sent
    assert caught.value.code == "HTTP 524"


def test_entities_in_a_response_are_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><response>&a;</response>')
    with pytest.raises(IntacctFailure):
        parse_response(bomb)


def test_requests_follow_the_schema_order_of_the_sample() -> None:
    body = build_request(sender_id="example_sender", sender_password="SENDER_PASSWORD",
                         control_id="c1", unique_id=False,
                         auth=Login(user_id="mms_api_user", company_id="HARBORCLUB",
                                    password="USER_PASSWORD", location_id="MARINA-EAST"),
                         functions=[get_api_session("f1")])
    text = body.decode()
    order = ["<senderid>", "<password>", "<controlid>", "<uniqueid>false", "<dtdversion>3.0",
             "<operation>", "<login>", "<userid>", "<companyid>", "<locationid>MARINA-EAST",
             '<function controlid="f1"><getAPISession']
    positions = [text.index(tag) for tag in order]
    assert positions == sorted(positions)


def test_a_function_controlid_longer_than_256_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="1 to 256"):
        build_request(sender_id="s", sender_password="p", control_id="c", unique_id=True,
                      auth=Session("x"), functions=[get_api_session("x" * 257)])
