"""SOAP 1.1 envelopes of the Web Connector's methods, read and written by hand.

No Python SOAP server is usable here (spyne fails to import on 3.12+), and the
interface is eleven fixed operations of strings and ints, so a small reader on the hardened
parser is simpler and safer than a framework. Rules:

* the method is the Body's first element, in the namespace ``http://developer.intuit.com/``;
  ``SOAPAction`` may be quoted or not, or absent; when present it must name the same method;
* parameters are read by their documented names; unknown children are ignored;
* answers are ``text/xml; charset=utf-8``, every element namespace-qualified (a default
  namespace, as .NET writes them), carriage returns kept as ``&#13;``;
* anything wrong is a SOAP ``Client`` fault (HTTP 500, as SOAP 1.1 requires) or, for bytes that
  are not XML at all, an HTTP 400 carrying the same fault.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import attrs

from ..xmlsafe import XmlRejected, local, parse

NS = "http://developer.intuit.com/"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

#: method -> (parameter names in order, result type: "string" | "int" | "strings").
METHODS: dict[str, tuple[tuple[str, ...], str]] = {
    "serverVersion": ((), "string"),
    "clientVersion": (("strVersion",), "string"),
    "authenticate": (("strUserName", "strPassword"), "strings"),
    "sendRequestXML": (("ticket", "strHCPResponse", "strCompanyFileName", "qbXMLCountry",
                        "qbXMLMajorVers", "qbXMLMinorVers"), "string"),
    "receiveResponseXML": (("ticket", "response", "hresult", "message"), "int"),
    "connectionError": (("ticket", "hresult", "message"), "string"),
    "getLastError": (("ticket",), "string"),
    "closeConnection": (("ticket",), "string"),
    "getInteractiveURL": (("wcTicket", "sessionID"), "string"),
    "interactiveDone": (("wcTicket",), "string"),
    "interactiveRejected": (("wcTicket", "reason"), "string"),
}
# The largest Web Connector call (receiveResponseXML: ticket, response, hresult, message) is an
# envelope of under a dozen elements; the qbXML inside travels as escaped text. A small cap
# refuses an element flood before authentication at the cost of a few microseconds.
MAX_ENVELOPE_ELEMENTS = 64
INT_PARAMS = frozenset({"qbXMLMajorVers", "qbXMLMinorVers"})
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)\"?", re.I)


class SoapFault(Exception):
    def __init__(self, code: str, message: str, *, status: int = 500) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@attrs.frozen
class Call:
    method: str
    args: dict[str, str]

    def text(self, name: str) -> str:
        return self.args.get(name, "")

    def number(self, name: str) -> int:
        raw = self.args.get(name, "").strip()
        try:
            return int(raw) if raw else 0
        except ValueError:
            raise SoapFault("Client", f"{name} must be a whole number, got {raw!r}") from None


def read_call(body: bytes, *, content_type: str, soap_action: str | None,
              max_bytes: int) -> Call:
    """The method call in ``body``; raises :class:`SoapFault`."""
    data: str | bytes = body
    charset = _CHARSET.search(content_type or "")
    if charset is not None and charset.group(1).lower().replace("_", "-") not in ("utf-8",
                                                                                 "utf8"):
        try:
            # The HTTP charset wins over the document's own declaration (RFC 3023 text/xml).
            data = _XML_DECL.sub("", body.decode(charset.group(1)), count=1)
        except LookupError:
            raise SoapFault("Client", f"unknown charset {charset.group(1)!r}",
                            status=415) from None
        except UnicodeDecodeError:
            raise SoapFault("Client", f"the body is not valid {charset.group(1)}",
                            status=400) from None
    try:
        root = parse(data, max_bytes=max_bytes, max_elements=MAX_ENVELOPE_ELEMENTS)
    except XmlRejected as exc:
        raise SoapFault("Client", f"the request is not acceptable XML: {exc}",
                        status=400) from None
    if root.tag == f"{{{SOAP12}}}Envelope":
        raise SoapFault("VersionMismatch", "SOAP 1.2 is not served here; use SOAP 1.1")
    if root.tag != f"{{{SOAP11}}}Envelope":
        raise SoapFault("Client", "the request is not a SOAP 1.1 envelope")
    header = root.find(f"{{{SOAP11}}}Header")
    if header is not None:
        for block in header:
            if block.get(f"{{{SOAP11}}}mustUnderstand") in ("1", "true"):
                raise SoapFault("MustUnderstand", f"header {local(str(block.tag))} is not "
                                "understood")
    soap_body = root.find(f"{{{SOAP11}}}Body")
    if soap_body is None or len(soap_body) == 0:
        raise SoapFault("Client", "the SOAP Body is empty")
    element = soap_body[0]
    tag = str(element.tag)
    if not tag.startswith(f"{{{NS}}}"):
        raise SoapFault("Client", f"the method must be in namespace {NS}")
    method = local(tag)
    if method not in METHODS:
        raise SoapFault("Client", f"unknown method {method!r}")
    if soap_action:
        action = soap_action.strip().strip('"').strip()
        if action and action.rsplit("/", 1)[-1] != method:
            raise SoapFault("Client", f"SOAPAction {action!r} does not match the body's "
                            f"method {method!r}")
    wanted = set(METHODS[method][0])
    args: dict[str, str] = {}
    for child in element:
        name = local(str(child.tag))
        if name in wanted:
            if len(child):
                raise SoapFault("Client", f"{name} must be text, not elements")
            args[name] = child.text or ""
    return Call(method, args)


def _text(value: str) -> str:
    return escape(_NOT_XML_CHARS.sub("", value)).replace("\r", "&#13;")


def _envelope(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>'
            f'<soap:Envelope xmlns:soap="{SOAP11}" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            f"<soap:Body>{body}</soap:Body></soap:Envelope>").encode()


def response(method: str, result: str | int | list[str]) -> bytes:
    """The answer envelope of ``method``."""
    if isinstance(result, list):
        inner = "".join(f"<string>{_text(s)}</string>" for s in result)
    else:
        inner = _text(str(result))
    return _envelope(f'<{method}Response xmlns="{NS}"><{method}Result>{inner}'
                     f"</{method}Result></{method}Response>")


def fault(code: str, message: str) -> bytes:
    return _envelope(f"<soap:Fault><faultcode>soap:{code}</faultcode>"
                     f"<faultstring>{_text(message)}</faultstring></soap:Fault>")
