"""What QuickBooks' qbXML parser checks, from the qbXML 13.0 schema facts (:mod:`.schema_facts`).

QuickBooks validates every request of a set against the schema before running any of them; a
request the schema does not allow fails the whole set with HRESULT 0x80040400 and "QuickBooks
found an error when parsing the provided XML text stream." Checked here, for every request type:

* the request is one the 13.0 schema defines, and carries only the attributes its type
  declares (``iterator``/``iteratorID`` only on the queries that take them), with their
  enumerated values;
* for the modelled requests, the whole content: element order, occurrences, ``choice``
  alternatives, required elements, attributes of the aggregates (``defMacro``, ``useMacro``)
  and every enumerated value (``TxnVoidType``, ``TxnDelType``, ``AccountType`` ...).

Value formats and lengths are checked afterwards by :mod:`.schema` with the handlers' specs
(an over-long string is status 3070 on its request, not a parse error, as :mod:`.schema` says).
"""

from __future__ import annotations

from typing import Any

from .schema_facts import DECLARATIONS, MODELLED, REQUEST_ATTRIBUTES
from .status import QbParseError
from .xml import Element

Particle = tuple[Any, ...]

_MODELLED = frozenset(MODELLED)


def takes_iterator(request_type: str) -> bool:
    """Whether the 13.0 schema gives ``request_type`` the ``iterator`` attribute."""
    return "iterator" in REQUEST_ATTRIBUTES.get(request_type, {})


def void_types() -> tuple[str, ...]:
    return tuple(DECLARATIONS["TxnVoidType"][3])


def del_types() -> tuple[str, ...]:
    return tuple(DECLARATIONS["TxnDelType"][3])


def check_request(rq: Element) -> None:
    """Raise :class:`QbParseError` when QuickBooks' parser would refuse ``rq``."""
    tag = str(rq.tag)
    declared = REQUEST_ATTRIBUTES.get(tag)
    if declared is None:
        raise QbParseError(f"<{tag}> is not a qbXML 13.0 request")
    _check_attributes(rq, declared, tag)
    if tag in _MODELLED:
        _check_complex(rq, DECLARATIONS[tag], tag)


def _check_attributes(element: Element, declared: dict[str, Any], path: str) -> None:
    for name, value in element.attrib.items():
        if name not in declared:
            raise QbParseError(f"{path}: attribute {name!r} is not declared for <{element.tag}>")
        allowed = declared[name][0]
        if allowed is not None and value not in allowed:
            raise QbParseError(f"{path}: {name}={value!r} is not one of {allowed}")
    for name, (_values, required) in declared.items():
        if required and name not in element.attrib:
            raise QbParseError(f"{path}: required attribute {name!r} is missing")


def _check_element(element: Element, key: str, path: str) -> None:
    decl = DECLARATIONS[key]
    if decl[0] == "complex":
        _check_attributes(element, decl[2], path)
        _check_complex(element, decl, path)
        return
    _check_attributes(element, decl[4] if len(decl) > 4 else {}, path)
    if len(element):
        raise QbParseError(f"{path}: a simple element cannot contain elements")
    enum = decl[3]
    value = (element.text or "").strip()
    if enum and value not in enum:
        raise QbParseError(f"{path}: {value!r} is not one of {enum}")


def _check_complex(element: Element, decl: tuple[Any, ...], path: str) -> None:
    if (element.text or "").strip():
        raise QbParseError(f"{path}: unexpected text in an aggregate")
    particle: Particle = decl[1]
    tags = [str(child.tag) for child in element]
    matcher = _Matcher(tags)
    if len(tags) not in matcher.ends(particle, 0):
        at = matcher.furthest
        if at < len(tags):
            raise QbParseError(f"{path}: element <{tags[at]}> is not expected here")
        raise QbParseError(f"{path}: a required element is missing after "
                           f"<{tags[-1] if tags else path}>")
    keys = _keys(particle)
    for child in element:
        _check_element(child, keys[str(child.tag)], f"{path}/{child.tag}")


def _keys(particle: Particle) -> dict[str, str]:
    found: dict[str, str] = {}
    stack = [particle]
    while stack:
        part = stack.pop()
        if part[0] == "el":
            found.setdefault(part[3], part[4])
        else:
            stack.extend(part[3])
    return found


class _Matcher:
    """Which end positions a particle can reach from a start position (a small NFA walk)."""

    def __init__(self, tags: list[str]) -> None:
        self.tags = tags
        self.furthest = 0
        self._memo: dict[tuple[int, int], frozenset[int]] = {}

    def ends(self, particle: Particle, start: int) -> frozenset[int]:
        memo_key = (id(particle), start)
        cached = self._memo.get(memo_key)
        if cached is not None:
            return cached
        low, high = particle[1], particle[2]
        reached: set[int] = {start} if low == 0 else set()
        frontier = {start}
        count = 0
        limit = len(self.tags) + low + 1  # an empty-matching body cannot loop forever
        while frontier and (high == -1 or count < high) and count < limit:
            count += 1
            following: set[int] = set()
            for position in frontier:
                following |= self._once(particle, position)
            if count >= low:
                reached |= following
            frontier = following
        result = frozenset(reached)
        self._memo[memo_key] = result
        return result

    def _once(self, particle: Particle, start: int) -> set[int]:
        kind = particle[0]
        if kind == "el":
            if start < len(self.tags) and self.tags[start] == particle[3]:
                self.furthest = max(self.furthest, start + 1)
                return {start + 1}
            return set()
        if kind == "choice":
            found: set[int] = set()
            for part in particle[3]:
                found |= self.ends(part, start)
            return found
        current = {start}
        for part in particle[3]:
            following: set[int] = set()
            for position in current:
                following |= self.ends(part, position)
            current = following
            if not current:
                break
        return current
