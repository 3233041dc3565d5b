"""The one XML parser everything from the network goes through.

defusedxml with DTDs, entity declarations and external references forbidden (no "billion
laughs", no file or network access), plus limits on size, depth and element count counted
*while* parsing (a tree builder that refuses the element past the limit), so a hostile SOAP
envelope or qbXML response is refused before it can cost memory or time: checking the
shape after building the tree let 7 million empty elements reach 1.2 GB first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building and walking only
from typing import Any

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

Element = ET.Element

MAX_DEPTH = 40
MAX_ELEMENTS = 500_000
_CHUNK = 64 * 1024


class XmlRejected(ValueError):
    """Not a safe, well-formed XML document within the limits."""


def parse(data: str | bytes, *, max_bytes: int, max_elements: int = MAX_ELEMENTS,
          max_depth: int = MAX_DEPTH) -> Element:
    """The root element of ``data``, or :class:`XmlRejected` with the reason."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise XmlRejected(f"the document is {size} bytes; the limit is {max_bytes}")
    builder = _BoundedTreeBuilder(max_depth=max_depth, max_elements=max_elements)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    try:
        view = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
        for start in range(0, len(view), _CHUNK):
            parser.feed(bytes(view[start:start + _CHUNK]))
        root = parser.close()
    except _LimitExceeded as exc:
        raise XmlRejected(str(exc)) from None
    except DefusedXmlException as exc:
        raise XmlRejected(f"forbidden XML construct ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        raise XmlRejected(f"not well-formed XML ({exc})") from None
    except (ValueError, LookupError) as exc:  # e.g. an unknown encoding in the declaration
        raise XmlRejected(f"unreadable XML ({exc})") from None
    if not isinstance(root, ET.Element):
        raise XmlRejected("not well-formed XML (no root element)")
    return root


class _LimitExceeded(Exception):
    pass


class _BoundedTreeBuilder(ET.TreeBuilder):
    """A tree builder that stops the parse at the first element past a limit."""

    def __init__(self, *, max_depth: int, max_elements: int) -> None:
        super().__init__()
        self._max_depth = max_depth
        self._max_elements = max_elements
        self._depth = 0
        self._count = 0

    def start(self, tag: Any, attrs: dict[Any, Any], /) -> Element:
        self._depth += 1
        self._count += 1
        if self._depth > self._max_depth:
            raise _LimitExceeded(f"nesting deeper than {self._max_depth} levels")
        if self._count > self._max_elements:
            raise _LimitExceeded(f"more than {self._max_elements} elements")
        return super().start(tag, attrs)

    def end(self, tag: Any, /) -> Element:
        self._depth -= 1
        return super().end(tag)


def local(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def text_of(parent: Element, tag: str) -> str | None:
    child = parent.find(tag)
    return None if child is None else (child.text or "").strip()
