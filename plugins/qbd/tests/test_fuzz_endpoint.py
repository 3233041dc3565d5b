"""Fuzz: the Web Connector endpoint and the qbXML response reader never fail unexpectedly.

Mutated SOAP envelopes of every Web Connector method go through ``QbwcApp.handle`` (the code
path of HTTP requests): every answer is a SOAP envelope with a known status, never the
"could not process the call" of an unexpected exception. Mutated qbXML responses go through
``read_response``: a ResponseSet or XmlRejected, nothing else. Bounded here; the long run is in
bench/campaign.md.
"""

from __future__ import annotations

from hypothesis import given

from ledgersync import Ledger
from ledgersync.testing.fuzzing import counted, fuzz_settings, mutations
from ledgersync_qbd.qbwc.app import QbwcApp
from ledgersync_qbd.qbwc.soap import NS
from ledgersync_qbd.qbxml.document import ResponseSet, read_response
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.xmlsafe import XmlRejected

from .conftest import PASSWORD, USER

_ENVELOPE = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap='
             '"http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{body}</soap:Body>'
             '</soap:Envelope>')
_CALLS = [
    f'<serverVersion xmlns="{NS}"/>',
    f'<clientVersion xmlns="{NS}"><strVersion>2.3.0.215</strVersion></clientVersion>',
    f'<authenticate xmlns="{NS}"><strUserName>{USER}</strUserName>'
    f'<strPassword>{PASSWORD}</strPassword></authenticate>',
    f'<sendRequestXML xmlns="{NS}"><ticket>abc</ticket><strHCPResponse>&lt;QBXML/&gt;'
    '</strHCPResponse><strCompanyFileName>C:\\club.QBW</strCompanyFileName><qbXMLCountry>US'
    '</qbXMLCountry><qbXMLMajorVers>13</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers>'
    '</sendRequestXML>',
    f'<receiveResponseXML xmlns="{NS}"><ticket>abc</ticket><response>&lt;QBXML&gt;'
    '&lt;QBXMLMsgsRs/&gt;&lt;/QBXML&gt;</response><hresult/><message/></receiveResponseXML>',
    f'<connectionError xmlns="{NS}"><ticket>abc</ticket><hresult>0x80040408</hresult>'
    '<message>could not open</message></connectionError>',
    f'<getLastError xmlns="{NS}"><ticket>abc</ticket></getLastError>',
    f'<closeConnection xmlns="{NS}"><ticket>abc</ticket></closeConnection>',
]
ENVELOPES = [_ENVELOPE.format(body=call).encode() for call in _CALLS]
UNEXPECTED = b"could not process the call"


def _responses() -> list[bytes]:
    company = CompanyFile()
    request = ('<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
               '"continueOnError"><CustomerQueryRq requestID="1"><MaxReturned>3</MaxReturned>'
               '</CustomerQueryRq><InvoiceQueryRq requestID="2"><MaxReturned>2</MaxReturned>'
               '</InvoiceQueryRq><AccountQueryRq requestID="3"/></QBXMLMsgsRq></QBXML>')
    return [company.process(request).encode("utf-8")]


RESPONSES = _responses()


@fuzz_settings
@given(body=mutations(ENVELOPES))
@counted
def test_fuzz_every_mutated_envelope_gets_a_soap_answer(ledger: Ledger, body: bytes) -> None:
    app = QbwcApp(ledger)
    status, answer = app.handle(body, "text/xml; charset=utf-8", None, "192.0.2.1")
    assert status in (200, 400, 415, 500)
    assert answer.startswith(b"<?xml") or answer.startswith(b"<soap")
    assert UNEXPECTED not in answer


@fuzz_settings
@given(text=mutations(RESPONSES))
@counted
def test_fuzz_a_mutated_qbxml_response_is_read_or_refused(text: bytes) -> None:
    try:
        result = read_response(text.decode("utf-8", "replace"))
    except XmlRejected:
        return
    assert isinstance(result, ResponseSet)
