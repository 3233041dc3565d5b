"""Hostile XML is refused before anything expands or is fetched."""

from __future__ import annotations

import pytest

from ledgersync_qbd.sandbox import HRESULT_PARSE_ERROR
from ledgersync_qbd.sandbox.xml import XmlRejected, parse_xml

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<?qbxml version="13.0"?>
<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><Name>&lol3;</Name>
</CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE QBXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<?qbxml version="13.0"?>
<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><Name>&xxe;</Name>
</CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"""


def test_billion_laughs_is_refused(qb) -> None:
    result = qb.company.handle(BILLION_LAUGHS)
    assert result.hresult == HRESULT_PARSE_ERROR
    assert qb.company.store.lists_of(("Customer",)) == []


def test_external_entity_is_refused(qb) -> None:
    result = qb.company.handle(EXTERNAL_ENTITY)
    assert result.hresult == HRESULT_PARSE_ERROR
    assert "root:" not in result.response_xml


def test_parser_rejects_doctype_outright() -> None:
    with pytest.raises(XmlRejected):
        parse_xml('<!DOCTYPE a [<!ELEMENT a ANY>]><a/>')


def test_oversized_document_is_refused() -> None:
    with pytest.raises(XmlRejected):
        parse_xml("<a>" + "x" * 100 + "</a>", max_bytes=50)


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(XmlRejected):
        parse_xml("<a>" * 100 + "</a>" * 100)


def test_malformed_xml_is_a_parse_error(qb) -> None:
    assert qb.company.handle("<QBXML><unclosed></QBXML>").hresult == HRESULT_PARSE_ERROR
