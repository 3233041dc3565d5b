"""List references, element helpers and the stable ExternalGUID of every record we write.

A reference is written ``<XRef><ListID>…</ListID></XRef>`` when we hold QuickBooks' id (a
link made by a sync, or a mapping to a ListID) and ``<XRef><FullName>…</FullName></XRef>``
when a person mapped the MMS value to a QuickBooks name (`ledgersync map item
harbor DUES "Membership Dues"`). A mapping may force either form with a ``listid:`` or
``name:`` prefix.

Every write carries an ``ExternalGUID`` derived from (company, kind, MMS id): after a lost
response, a record found by its RefNumber or Name is ours only if its ExternalGUID matches, so
a look-up never links an invoice someone else typed with the same number.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml
from decimal import Decimal

from .text import fit

Element = ET.Element

#: QuickBooks ids: hex counter, a dash, the creation epoch (``80000013-1416570432``).
_LIST_ID = re.compile(r"^[0-9A-F]{1,12}-\d{9,11}$")
_NAMESPACE = uuid.UUID("6f1c2b64-5d1e-4f0e-9b8e-2f6b1e7c9a10")
ID_MAX = 36


def external_guid(company: str, kind: str, mms_id: str) -> str:
    """``{XXXXXXXX-…}``: the same for every attempt and version of one MMS record."""
    return "{" + str(uuid.uuid5(_NAMESPACE, f"{company}\x1f{kind}\x1f{mms_id}")).upper() + "}"


def sub(parent: Element, tag: str, text: str | None = None) -> Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def opt(parent: Element, tag: str, text: str | None) -> None:
    """Append ``<tag>text</tag>`` only when there is a value (absent means "not given")."""
    if text:
        sub(parent, tag, text)


def money(value: Decimal) -> str:
    """AMTTYPE: two decimals, no exponent (QuickBooks refuses 1E+2)."""
    return f"{value.quantize(Decimal('0.01')):f}"


def quantity(value: Decimal) -> str:
    """QUANTYPE / PRICETYPE: as precise as recorded, never in exponent form."""
    text = f"{value.normalize():f}"
    return text if text not in ("-0", "") else "0"


def ref(parent: Element, tag: str, remote: str, *, limit: int, what: str,
        warnings: list[str]) -> Element:
    """Append ``<tag>`` naming ``remote`` by ListID or FullName (see the module docstring)."""
    element = sub(parent, tag)
    lowered = remote.lower()
    if lowered.startswith("listid:"):
        sub(element, "ListID", remote[7:].strip())
    elif lowered.startswith("name:"):
        name = remote[5:].strip()
        sub(element, "FullName", fit(name, limit, what=what, field=tag, identifying=True,
                                     warnings=warnings))
    elif _LIST_ID.match(remote) and len(remote) <= ID_MAX:
        sub(element, "ListID", remote)
    else:
        sub(element, "FullName", fit(remote, limit, what=what, field=tag, identifying=True,
                                     warnings=warnings))
    return element


def txn_id_ref(parent: Element, tag: str, txn_id: str) -> Element:
    """``<tag><TxnID>…</TxnID>…`` for applications to another transaction."""
    element = sub(parent, tag)
    sub(element, "TxnID", txn_id)
    return element
