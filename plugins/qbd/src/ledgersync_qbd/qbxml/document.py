"""Message-set documents going out, and the responses coming back.

Out: ``<?xml …?>``, ``<?qbxml version="X"?>`` (a missing declaration broke a peer, reference
§5), ``QBXMLMsgsRq`` with ``onError="continueOnError"`` (one bad record never stops its
siblings), a ``newMessageSetID`` on every set (QuickBooks then keeps the set's responses for the
recovery probe, §7) and, piggybacked, the previous set's ID as ``oldMessageSetID`` so
QuickBooks may forget it once we have recorded its answer.

In: each ``*Rs`` by ``requestID`` with its status and ``*Ret`` children; the set's
``messageSetStatusCode`` when QuickBooks sent one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import attrs

from ..xmlsafe import Element, XmlRejected, parse
from .serialize import to_text

MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MAX_MESSAGE_SET_ID = 24


def message_set(version: str, requests: Sequence[Element], *, new_id: str | None,
                old_id: str | None = None) -> str:
    """The qbXML text of one message set."""
    root = ET.Element("QBXML")
    msgs = ET.SubElement(root, "QBXMLMsgsRq", {"onError": "continueOnError"})
    if old_id is not None:
        msgs.set("oldMessageSetID", old_id)
    if new_id is not None:
        msgs.set("newMessageSetID", new_id)
    msgs.extend(requests)
    body = to_text(root)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n'
            f"{body}\n")


def probe(version: str, set_id: str) -> str:
    """The empty set that asks QuickBooks for the stored answer of ``set_id`` (§7)."""
    return message_set(version, [], new_id=set_id, old_id=set_id)


@attrs.frozen
class Rs:
    """One ``*Rs``: its type, status and returned objects."""

    tag: str
    request_id: str | None
    status: int
    severity: str
    message: str
    rets: tuple[Element, ...]
    iterator_id: str | None = None
    remaining: int = 0

    @property
    def ok(self) -> bool:
        """Success, possibly with a warning (500-999 are not failures)."""
        return self.severity != "Error" and self.status < 1000


@attrs.frozen
class ResponseSet:
    set_status: int | None
    new_id: str | None
    responses: tuple[Rs, ...]

    def by_request_id(self) -> dict[str, Rs]:
        return {rs.request_id: rs for rs in self.responses if rs.request_id is not None}


def read_response(text: str) -> ResponseSet:
    """Parse QuickBooks' response document; raises XmlRejected when it is not one."""
    root = parse(text, max_bytes=MAX_RESPONSE_BYTES)
    msgs = root.find("QBXMLMsgsRs") if root.tag == "QBXML" else None
    if msgs is None:
        raise XmlRejected("no <QBXML><QBXMLMsgsRs> in the response")
    responses = []
    for rs in msgs:
        try:
            status = int(rs.get("statusCode", "0"))
            remaining = int(rs.get("iteratorRemainingCount", "0"))
        except ValueError:
            raise XmlRejected(f"<{rs.tag}> has a non-numeric status or count") from None
        responses.append(Rs(
            tag=str(rs.tag), request_id=rs.get("requestID"), status=status,
            severity=rs.get("statusSeverity", "Info"), message=rs.get("statusMessage", ""),
            rets=tuple(child for child in rs if str(child.tag).endswith("Ret")),
            iterator_id=rs.get("iteratorID"), remaining=remaining,
        ))
    code = msgs.get("messageSetStatusCode")
    return ResponseSet(set_status=int(code) if code and code.isdigit() else None,
                       new_id=msgs.get("newMessageSetID"), responses=tuple(responses))
