"""The one XML parser everything from the network goes through.

defusedxml with DTDs, entity declarations and external references forbidden (no "billion
laughs", no file or network access), plus limits on size, depth and element count checked
here, so a hostile SOAP envelope or qbXML response is refused before it can cost anything.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building and walking only

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

Element = ET.Element

MAX_DEPTH = 40
MAX_ELEMENTS = 500_000


class XmlRejected(ValueError):
    """Not a safe, well-formed XML document within the limits."""


def parse(data: str | bytes, *, max_bytes: int) -> Element:
    """The root element of ``data``, or :class:`XmlRejected` with the reason."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise XmlRejected(f"the document is {size} bytes; the limit is {max_bytes}")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlRejected(f"forbidden XML construct ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        raise XmlRejected(f"not well-formed XML ({exc})") from None
    except (ValueError, LookupError) as exc:  # e.g. an unknown encoding in the declaration
        raise XmlRejected(f"unreadable XML ({exc})") from None
    _check_shape(root)
    return root


def _check_shape(root: Element) -> None:
    count = 0
    stack: list[tuple[Element, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise XmlRejected(f"nesting deeper than {MAX_DEPTH} levels")
        if count > MAX_ELEMENTS:
            raise XmlRejected(f"more than {MAX_ELEMENTS} elements")
        stack.extend((child, depth + 1) for child in node)


def local(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def text_of(parent: Element, tag: str) -> str | None:
    child = parent.find(tag)
    return None if child is None else (child.text or "").strip()
