"""The ``query`` function of the sandbox: object, select, filter, orderby, pagesize (at most
2000), offset; answered with ``data`` carrying count, totalcount, offset and numremaining."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from .books import BL, QUERY_FIELDS, Books, Refusal

MAX_PAGE = 2000
#: Fields holding a day: a filter on them takes mm/dd/yyyy and nothing else.
DATE_FIELDS = frozenset({"BATCH_DATE", "ENTRY_DATE"})
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "equalto": lambda a, b: a == b, "notequalto": lambda a, b: a != b,
    "lessthan": lambda a, b: a < b, "lessthanorequalto": lambda a, b: a <= b,
    "greaterthan": lambda a, b: a > b, "greaterthanorequalto": lambda a, b: a >= b,
}


def _comparable(value: str) -> Any:
    try:
        return dt.datetime.strptime(value, "%m/%d/%Y").date()  # noqa: DTZ007 - a date only
    except ValueError:
        pass
    try:
        return Decimal(value)
    except InvalidOperation:
        return value


def _check(node: ET.Element, known: tuple[str, ...]) -> None:
    """Refuse a malformed filter whether or not any row would be compared with it."""
    if node.tag in ("and", "or"):
        if len(node) < 2:
            raise Refusal((BL, f"<{node.tag}> needs at least two conditions", ""))
        for child in node:
            _check(child, known)
        return
    if node.tag not in _COMPARE:
        raise Refusal((BL, f"Unsupported filter operator <{node.tag}>", ""))
    field = node.findtext("field") or ""
    if field not in known:
        raise Refusal((BL, f"Invalid field '{field}' in the filter", ""))
    value = node.findtext("value") or ""
    if field in DATE_FIELDS:
        try:
            dt.datetime.strptime(value, "%m/%d/%Y")  # noqa: DTZ007 - a date only
        except ValueError:
            raise Refusal((BL, f"Invalid date '{value}' for {field}: use mm/dd/yyyy",
                           "")) from None


def _matches(node: ET.Element, row: dict[str, Any]) -> bool:
    if node.tag in ("and", "or"):
        parts = [_matches(child, row) for child in node]
        return all(parts) if node.tag == "and" else any(parts)
    compare = _COMPARE[node.tag]
    field = node.findtext("field") or ""
    value = node.findtext("value") or ""
    left, right = _comparable(str(row[field])), _comparable(value)
    try:
        return compare(left, right)
    except TypeError:
        return compare(str(row[field]), value)


def run_query(body: ET.Element, books: Books) -> ET.Element:
    obj = (body.findtext("object") or "").strip()
    if not obj:
        raise Refusal((BL, "Required field object is missing", ""))
    known = QUERY_FIELDS.get(obj.upper())
    if known is None:
        raise Refusal((BL, f"Object {obj} is not available in this sandbox", ""))
    rows = books.rows(obj.upper())
    select = [(f.text or "").strip() for f in body.findall("select/field")]
    if not select:
        raise Refusal((BL, "Select at least one field", ""))
    bad = [f for f in select if f not in known]
    if bad:
        raise Refusal((BL, f"Invalid field(s) {', '.join(bad)} for {obj}", ""))
    condition = body.find("filter")
    if condition is not None:
        if len(condition) != 1:
            raise Refusal((BL, "<filter> takes exactly one condition", ""))
        _check(condition[0], known)
        rows = [row for row in rows if _matches(condition[0], row)]
    order = body.findtext("orderby/order/field")
    if order:
        if order not in known:
            raise Refusal((BL, f"Invalid orderby field '{order}'", ""))
        descending = body.find("orderby/order/descending") is not None
        rows.sort(key=lambda r: _comparable(str(r.get(order, ""))), reverse=descending)
    try:
        size = int(body.findtext("pagesize") or "100")
        offset = int(body.findtext("offset") or "0")
    except ValueError:
        raise Refusal((BL, "pagesize and offset must be whole numbers", "")) from None
    if not 1 <= size <= MAX_PAGE or offset < 0:
        raise Refusal((BL, f"pagesize must be between 1 and {MAX_PAGE}", ""))
    page = rows[offset:offset + size]
    data = ET.Element("data", {
        "listtype": obj.lower(), "count": str(len(page)), "totalcount": str(len(rows)),
        "offset": str(offset), "numremaining": str(max(0, len(rows) - offset - len(page)))})
    for row in page:
        node = ET.SubElement(data, obj.lower())
        for field in select:
            ET.SubElement(node, field).text = str(row.get(field, ""))
    return data
