"""Hostile XML is refused while it is parsed, before it can cost memory or time."""

from __future__ import annotations

import pytest

from ledgersync_qbd.qbwc.app import MAX_BODY_BYTES
from ledgersync_qbd.qbwc.soap import MAX_ENVELOPE_ELEMENTS, SoapFault, read_call
from ledgersync_qbd.xmlsafe import XmlRejected, parse

SOAP_START = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
              b'<authenticate xmlns="http://developer.intuit.com/">')


def test_an_element_flood_is_refused_at_the_limit_not_after_the_whole_tree() -> None:
    # Garbage after the limit: a parser that built the whole tree first would report the
    # garbage ("not well-formed"); one that counts while parsing never reaches it.
    flood = b"<r>" + b"<a/>" * 2_000 + b"<<< never reached"
    with pytest.raises(XmlRejected, match="more than 1000 elements"):
        parse(flood, max_bytes=1_000_000, max_elements=1_000)


def test_nesting_is_refused_at_the_limit_while_parsing() -> None:
    deep = b"<a>" * 100 + b"<<< never reached"
    with pytest.raises(XmlRejected, match="nesting deeper than 40 levels"):
        parse(deep, max_bytes=1_000_000)


def test_a_document_within_the_limits_parses_whole() -> None:
    root = parse('<r><a x="1">one</a><b>two</b></r>', max_bytes=1_000)
    assert [(child.tag, child.text) for child in root] == [("a", "one"), ("b", "two")]
    assert root[0].attrib == {"x": "1"}


@pytest.mark.parametrize("text", ["", "   ", "<a>", "<a></b>"])
def test_malformed_documents_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(XmlRejected, match="not well-formed"):
        parse(text, max_bytes=1_000)


def test_a_soap_envelope_holds_only_a_handful_of_elements_before_authentication() -> None:
    flood = SOAP_START + b"<strUserName>u</strUserName>" * (MAX_ENVELOPE_ELEMENTS + 1)
    with pytest.raises(SoapFault, match=f"more than {MAX_ENVELOPE_ELEMENTS} elements"):
        read_call(flood + b"<<<", content_type="text/xml", soap_action=None,
                  max_bytes=MAX_BODY_BYTES)


def test_the_body_limit_fits_the_largest_web_connector_response_and_no_more() -> None:
    # A 500-customer iterator page escaped in receiveResponseXML is about 0.53 MB; an unpaged
    # chart of accounts a few MB (see the measurement beside MAX_BODY_BYTES).
    assert 4 * 1024 * 1024 <= MAX_BODY_BYTES <= 16 * 1024 * 1024
