"""The object shapes the sandbox accepts: for each type, the child elements it knows, in the
order the schema requires (IDS v2 validated element order: reference payload 08 shows the
``cvc-complex-type.2.4.a`` refusal of an element out of place), and which are required.

This is the subset of the IDS v2 QuickBooks Desktop objects ledgersync writes, with element
names from the path's client libraries (see the README); it is not the whole schema.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..xmlio import NS, q

#: Elements of an object's body (after Id/SyncToken), in order: (name, required, repeated).
SHAPES: dict[str, tuple[tuple[str, bool, bool], ...]] = {
    "Customer": (("Name", True, False), ("Email", False, False), ("GivenName", False, False),
                 ("FamilyName", False, False), ("AcctNum", False, False)),
    "Item": (("Name", True, False), ("Desc", False, False), ("Type", True, False),
             ("UnitPrice", False, False), ("IncomeAccountId", True, False),
             ("Taxable", False, False)),
    "Invoice": (("Header", True, False), ("Line", False, True)),
    "CreditMemo": (("Header", True, False), ("Line", False, True)),
    "Payment": (("Header", True, False), ("Line", False, True)),
    "JournalEntry": (("Header", True, False), ("Line", False, True)),
    "SalesOrder": (("Header", True, False), ("Line", False, True)),
}
HEADERS: dict[str, tuple[tuple[str, bool, bool], ...]] = {
    "Invoice": (("DocNumber", True, False), ("TxnDate", True, False), ("Note", False, False),
                ("CustomerId", True, False), ("TaxAmount", False, False),
                ("DueDate", False, False)),
    "CreditMemo": (("DocNumber", True, False), ("TxnDate", True, False),
                   ("Note", False, False), ("CustomerId", True, False),
                   ("TaxAmount", False, False)),
    "Payment": (("DocNumber", True, False), ("TxnDate", True, False), ("Note", False, False),
                ("CustomerId", True, False), ("DepositToAccountId", False, False),
                ("TotalAmt", True, False)),
    "JournalEntry": (("DocNumber", True, False), ("TxnDate", True, False),
                     ("Note", False, False)),
    "SalesOrder": (("DocNumber", False, False), ("TxnDate", True, False),
                   ("Note", False, False), ("CustomerId", True, False),
                   ("SalesRepId", False, False)),
}
LINES: dict[str, tuple[tuple[str, bool, bool], ...]] = {
    "Invoice": (("Desc", False, False), ("Amount", True, False), ("ItemId", False, False),
                ("AccountId", False, False), ("UnitPrice", False, False), ("Qty", False, False),
                ("SalesTaxCodeId", False, False)),
    "CreditMemo": (("Desc", False, False), ("Amount", True, False), ("ItemId", False, False),
                   ("AccountId", False, False), ("UnitPrice", False, False),
                   ("Qty", False, False)),
    "Payment": (("Amount", True, False), ("TxnId", True, False)),
    "SalesOrder": (("Desc", False, False), ("Amount", False, False), ("ItemId", True, False),
                   ("UnitPrice", False, False), ("Qty", False, False)),
    "JournalEntry": (("Desc", False, False), ("Amount", True, False),
                     ("PostingType", True, False), ("AccountId", True, False),
                     ("EntityId", False, False)),
}
#: Elements whose value is an id with an ``idDomain`` attribute (QB or NG).
ID_ELEMENTS = frozenset({"CustomerId", "ItemId", "IncomeAccountId", "DepositToAccountId",
                         "AccountId", "EntityId", "TxnId", "Id", "SalesRepId",
                         "SalesTaxCodeId"})
#: QuickBooks Desktop limits list names to 41 characters.
NAME_MAX = 41


class SchemaError(ValueError):
    """A body the schema refuses; the message reads like the service's (code -2001)."""


def _expected(shape: tuple[tuple[str, bool, bool], ...], start: int) -> str:
    return ", ".join(f'"{NS}":{name}' for name, _, _ in shape[start:start + 2])


def check_children(element: ET.Element, shape: tuple[tuple[str, bool, bool], ...]) -> None:
    """Refuse unknown, repeated, missing or out-of-order children, as the schema did."""
    position = 0
    seen: set[str] = set()
    for child in element:
        tag = child.tag.removeprefix(f"{{{NS}}}")
        if not child.tag.startswith(f"{{{NS}}}"):
            expected = _expected(shape, position)
            raise SchemaError(f"cvc-complex-type.2.4.a: Invalid content was found starting "
                              f"with element '{child.tag}'. One of '{{{expected}}}' "
                              "is expected.")
        while position < len(shape) and shape[position][0] != tag:
            name, required, _ = shape[position]
            if required and name not in seen:
                raise SchemaError(f"cvc-complex-type.2.4.a: Invalid content was found starting "
                                  f"with element '{tag}'. One of "
                                  f"'{{\"{NS}\":{name}}}' is expected.")
            position += 1
        if position == len(shape):
            raise SchemaError(f"cvc-complex-type.2.4.a: Invalid content was found starting "
                              f"with element '{tag}'. No child element is expected at this "
                              "point.")
        if tag in seen and not shape[position][2]:
            raise SchemaError(f"cvc-complex-type.2.4.a: Invalid content was found starting "
                              f"with element '{tag}'. No child element '{tag}' is expected "
                              "at this point.")
        seen.add(tag)
        if tag in ID_ELEMENTS and child.get("idDomain") not in ("QB", "NG"):
            raise SchemaError(f"cvc-enumeration-valid: Value '{child.get('idDomain')}' of "
                              f"attribute idDomain of {tag} is not facet-valid; it must be "
                              "'QB' or 'NG'.")
        if not (child.text or "").strip() and len(child) == 0:
            raise SchemaError(f"cvc-minLength-valid: Value '' of {tag} is too short.")
    missing = [name for name, required, _ in shape if required and name not in seen]
    if missing:
        raise SchemaError(f"cvc-complex-type.2.4.b: The content of element "
                          f"'{element.tag.removeprefix(f'{{{NS}}}')}' is not complete. One of "
                          f"'{{\"{NS}\":{missing[0]}}}' is expected.")


def check_object(kind: str, obj: ET.Element) -> None:
    """Validate an object body of type ``kind`` (Id and SyncToken already taken off)."""
    body = [c for c in obj if c.tag not in (q("Id"), q("SyncToken"))]
    holder = ET.Element(obj.tag)
    holder.extend(body)
    check_children(holder, SHAPES[kind])
    name = holder.find(q("Name"))
    if name is not None and len((name.text or "").strip()) > NAME_MAX:
        raise SchemaError(f"cvc-maxLength-valid: Value '{(name.text or '').strip()}' with length "
                          f"= '{len((name.text or '').strip())}' is not facet-valid with respect "
                          f"to maxLength '{NAME_MAX}' for type 'Name'.")
    if kind in HEADERS:
        header = holder.find(q("Header"))
        assert header is not None
        check_children(header, HEADERS[kind])
        for line in holder.findall(q("Line")):
            check_children(line, LINES[kind])
            if kind in ("Invoice", "CreditMemo") and line.find(q("ItemId")) is None and (
                    line.find(q("AccountId")) is None):
                raise SchemaError("cvc-complex-type.2.4.b: The content of element 'Line' is "
                                  f"not complete. One of '{{\"{NS}\":ItemId, \"{NS}\":"
                                  "AccountId}' is expected.")
