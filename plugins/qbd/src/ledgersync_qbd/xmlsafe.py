"""The one XML parser everything from the network goes through.

defusedxml with DTDs, entity declarations and external references forbidden (no "billion
laughs", no file or network access), plus limits on size, depth and element count counted
*while* parsing (a tree builder that refuses the element past the limit), so a hostile SOAP
envelope or qbXML response is refused before it can cost memory or time: checking the
shape after building the tree let 7 million empty elements reach 1.2 GB first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building and walking only

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
    builder = ET.TreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    _count_elements(parser, builder, max_depth=max_depth, max_elements=max_elements)
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


class _Names(dict[str, str]):
    """expat's ``ns}name`` -> ElementTree's ``{ns}name``, each name worked out once."""

    def __missing__(self, key: str) -> str:
        name = self[key] = "{" + key if "}" in key else key
        return name


def _count_elements(parser: DefusedXMLParser, builder: ET.TreeBuilder, *, max_depth: int,
                    max_elements: int) -> None:
    """Make ``parser`` stop at the first element past a limit.

    Its expat parser's element handlers are replaced by ones that count, then do what the
    XMLParser's own handlers do (expand ``ns}name`` to ``{ns}name``; attributes come as a
    list, ``ordered_attributes`` being set) and hand the element to the (C) tree builder:
    one Python call per element instead of three, which was most of the time a 25-invoice
    answer took to parse. DTDs, entities and external references are still refused by the
    handlers defusedxml set, which stay.
    """
    expat = parser.parser
    start, end = builder.start, builder.end
    names = _Names()
    depth = count = 0

    def on_start(tag: str, attr_list: list[str]) -> Element:
        nonlocal depth, count
        depth += 1
        count += 1
        if depth > max_depth:
            raise _LimitExceeded(f"nesting deeper than {max_depth} levels")
        if count > max_elements:
            raise _LimitExceeded(f"more than {max_elements} elements")
        attrib = {}
        for i in range(0, len(attr_list), 2):
            attrib[names[attr_list[i]]] = attr_list[i + 1]
        return start(names[tag], attrib)

    def on_end(tag: str) -> Element:
        nonlocal depth
        depth -= 1
        return end(names[tag])

    expat.ordered_attributes = True  # as XMLParser sets it: [name, value, ...]
    expat.StartElementHandler = on_start
    expat.EndElementHandler = on_end


def local(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def text_of(parent: Element, tag: str) -> str | None:
    child = parent.find(tag)
    return None if child is None else (child.text or "").strip()
