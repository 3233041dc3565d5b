"""Hardened qbXML parsing and serialisation helpers (pure functions, no company state).

Parsing goes through :mod:`defusedxml` with DTDs, entity declarations and external
references forbidden, and with size, depth and element-count limits checked here, so a
"billion laughs" or external-entity document is refused before anything expands or any
network/file access happens.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # building/serialising only; parsing goes through defusedxml
from dataclasses import dataclass
from decimal import Decimal

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
MAX_ELEMENTS = 200_000

_QBXML_PI = re.compile(r"<\?qbxml\s+version\s*=\s*([\"'])([^\"']{1,16})\1\s*\?>")
_XML_DECL = re.compile(r"^\s*<\?xml\s[^>]*\?>")

Element = ET.Element


class XmlRejected(ValueError):
    """The text is not a safe, well-formed XML document within the limits."""


@dataclass(frozen=True)
class QbxmlDocument:
    """A parsed qbXML document: its root element plus what the prolog declared."""

    root: Element
    qbxml_version: str | None
    has_xml_declaration: bool


def parse_xml(text: str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Element:
    """Parse ``text`` safely and return the root element, or raise :class:`XmlRejected`."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > max_bytes:
        raise XmlRejected(f"document is {len(raw)} bytes, limit {max_bytes}")
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlRejected(f"forbidden XML construct: {type(exc).__name__}") from exc
    except ET.ParseError as exc:
        raise XmlRejected(f"not well-formed XML: {exc}") from exc
    _check_shape(root)
    return root


def _check_shape(root: Element) -> None:
    count = 0
    stack: list[tuple[Element, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise XmlRejected(f"nesting deeper than {MAX_DEPTH}")
        if count > MAX_ELEMENTS:
            raise XmlRejected(f"more than {MAX_ELEMENTS} elements")
        stack.extend((child, depth + 1) for child in node)


def parse_qbxml(text: str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> QbxmlDocument:
    """Parse a qbXML request or response document, keeping the ``<?qbxml version?>`` value."""
    head = (text[:512].decode("utf-8", "replace") if isinstance(text, bytes) else text[:512])
    root = parse_xml(text, max_bytes=max_bytes)
    match = _QBXML_PI.search(head)
    return QbxmlDocument(
        root=root,
        qbxml_version=match.group(2) if match else None,
        has_xml_declaration=bool(_XML_DECL.match(head)),
    )


def version_tuple(version: str) -> tuple[int, ...]:
    """``"13.0"`` -> ``(13, 0)``; non-numeric parts (``"CA3.0"``) are stripped of letters."""
    cleaned = re.sub(r"[^0-9.]", "", version)
    try:
        return tuple(int(part) for part in cleaned.split(".") if part)
    except ValueError:  # pragma: no cover - regex leaves only digits and dots
        return ()


def text_of(parent: Element, tag: str) -> str | None:
    """Text of the first child ``tag`` (stripped), or ``None`` when absent."""
    child = parent.find(tag)
    if child is None:
        return None
    return (child.text or "").strip()


def texts_of(parent: Element, tag: str) -> list[str]:
    return [(child.text or "").strip() for child in parent.findall(tag)]


def sub(parent: Element, tag: str, text: str | None = None) -> Element:
    """Append a child element, with optional text."""
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def money(value: Decimal) -> str:
    """qbXML AMTTYPE rendering: two decimals, no exponent."""
    return f"{value.quantize(Decimal('0.01')):f}"


def serialize_response(msgs_rs: Element) -> str:
    """Wrap a ``QBXMLMsgsRs`` element into a full qbXML response document.

    The shape follows the real responses in plugins/qbd/tests/data/envelopes/:
    ``<?xml version="1.0" ?>`` then ``<QBXML>`` with the message set, ``\\n`` line ends.
    """
    root = ET.Element("QBXML")
    root.append(msgs_rs)
    ET.indent(root, space="")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" ?>\n' + body + "\n"


def serialize_element(element: Element) -> str:
    return ET.tostring(element, encoding="unicode")


def copy_element(element: Element) -> Element:
    """Deep copy of an element tree (ElementTree has no public deepcopy helper)."""
    clone = ET.Element(element.tag, dict(element.attrib))
    clone.text = element.text
    clone.tail = None
    for child in element:
        clone.append(copy_element(child))
    return clone
