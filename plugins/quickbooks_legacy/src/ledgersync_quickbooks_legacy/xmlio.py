"""IDS v2 XML: the namespace, safe parsing and small helpers shared by the client and the
sandbox. Parsing goes through defusedxml (no DTDs, entities or external references)."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building and walking only; parsing goes through defusedxml

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

NS = "http://www.intuit.com/sb/cdm/v2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI}}}type"
#: Bodies larger than this are refused before parsing (a record is a few kilobytes).
MAX_BODY = 1_000_000

ET.register_namespace("", NS)
ET.register_namespace("xsi", XSI)


class XmlError(ValueError):
    """A body that is not well-formed, too large, or uses forbidden XML features."""


def q(tag: str) -> str:
    """The qualified name of an IDS v2 element."""
    return f"{{{NS}}}{tag}"


def parse(body: bytes | str) -> ET.Element:
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_BODY:
        raise XmlError(f"body of {len(raw)} bytes is larger than {MAX_BODY}")
    try:
        root: ET.Element = SafeET.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise XmlError(f"forbidden XML construct: {type(exc).__name__}") from exc
    except ET.ParseError as exc:
        raise XmlError(f"not well-formed XML: {exc}") from exc
    return root


def text(element: ET.Element | None, tag: str, default: str | None = None) -> str | None:
    """The stripped text of a child element in the IDS namespace (or ``default``)."""
    if element is None:
        return default
    child = element.find(q(tag))
    if child is None or child.text is None:
        return default
    return child.text.strip()


def sub(parent: ET.Element, tag: str, value: object | None = None, **attrib: str) -> ET.Element:
    child = ET.SubElement(parent, q(tag), attrib)
    if value is not None:
        child.text = str(value)
    return child


def dumps(element: ET.Element) -> bytes:
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return body
