"""A small content-model validator for qbXML requests.

QuickBooks validates each request against the qbXML schema before running anything:
children must come in the exact XSD ``sequence`` order, required children must be present
and unknown children are refused. Any such failure rejects the *whole* message set with
HRESULT 0x80040400 ("QuickBooks found an error when parsing the provided XML text stream"),
which this module signals with :class:`~.status.QbParseError`.

Length limits (``maxLength``) are not parse errors in QuickBooks: an over-long string comes
back as status 3070 on that one request, so :func:`validate` collects them
as :class:`Violation` values instead of raising. The per-request content models live in
:mod:`.specs`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from .status import INVALID_BOOLEAN, INVALID_DATE, INVALID_OBJECT_ID, STRING_TOO_LONG, QbParseError
from .xml import Element

Kind = Literal["str", "id", "amt", "qty", "int", "bool", "date", "datetime", "enum", "agg", "empty"]

ID_MAX = 36
_NUMERIC = {"amt", "qty", "int"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?)?$")


@dataclass(frozen=True)
class El:
    """One element declaration: a leaf of ``kind`` or an aggregate with ``slots``."""

    name: str
    kind: Kind = "str"
    max_len: int | None = None
    slots: tuple[Slot, ...] = ()
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slot:
    """A position in a ``sequence``: one element, or a ``choice`` between several."""

    options: tuple[El, ...]
    required: bool = False
    many: bool = False

    def match(self, tag: str) -> El | None:
        for option in self.options:
            if option.name == tag:
                return option
        return None


@dataclass(frozen=True)
class Violation:
    """A value problem reported as a per-request status rather than a parse error."""

    code: int
    field: str
    value: str


@dataclass
class _Walk:
    violations: list[Violation] = field(default_factory=list)


# -- declaration helpers ---------------------------------------------------------------


def opt(name: str, kind: Kind = "str", max_len: int | None = None, *, many: bool = False,
        enum: tuple[str, ...] = ()) -> Slot:
    return Slot((El(name, kind, max_len, enum=enum),), required=False, many=many)


def req(name: str, kind: Kind = "str", max_len: int | None = None, *, many: bool = False,
        enum: tuple[str, ...] = ()) -> Slot:
    return Slot((El(name, kind, max_len, enum=enum),), required=True, many=many)


def agg(name: str, *slots: Slot, required: bool = False, many: bool = False) -> Slot:
    return Slot((El(name, "agg", slots=tuple(slots)),), required=required, many=many)


def choice(*options: El | Slot, required: bool = False, many: bool = False) -> Slot:
    els: list[El] = []
    for option in options:
        els.extend(option.options if isinstance(option, Slot) else (option,))
    return Slot(tuple(els), required=required, many=many)


def ref(name: str, full_name_max: int, *, required: bool = False, many: bool = False) -> Slot:
    """A list reference: ``<XRef><ListID/>?<FullName/>?</XRef>``."""
    return agg(name, opt("ListID", "id"), opt("FullName", "str", full_name_max),
               required=required, many=many)


# -- validation ---------------------------------------------------------------------------


def validate(element: Element, slots: tuple[Slot, ...], path: str = "") -> list[Violation]:
    """Check ``element``'s children against ``slots``; return value violations.

    Raises :class:`QbParseError` for structural problems (order, unknown or missing
    elements, malformed numbers).
    """
    walk = _Walk()
    _validate_children(element, slots, path or element.tag, walk)
    return walk.violations


def _validate_children(element: Element, slots: tuple[Slot, ...], path: str, walk: _Walk) -> None:
    if (element.text or "").strip():
        raise QbParseError(f"{path}: unexpected text in an aggregate")
    index = 0
    used = [False] * len(slots)
    for child in element:
        tag = child.tag  # the parser drops comments and processing instructions
        while index < len(slots):
            slot = slots[index]
            declared = slot.match(tag)
            if declared is not None and (slot.many or not used[index]):
                break
            if slot.required and not used[index]:
                names = "|".join(o.name for o in slot.options)
                raise QbParseError(f"{path}: element <{tag}> found where <{names}> is required")
            index += 1
        else:
            raise QbParseError(f"{path}: element <{tag}> is not expected here")
        used[index] = True
        _validate_element(child, declared, f"{path}/{tag}", walk)
    for slot, was_used in zip(slots[index:], used[index:], strict=True):
        if slot.required and not was_used:
            names = "|".join(o.name for o in slot.options)
            raise QbParseError(f"{path}: required element <{names}> is missing")


def _validate_element(child: Element, declared: El, path: str, walk: _Walk) -> None:
    if declared.kind == "agg":
        _validate_children(child, declared.slots, path, walk)
        return
    if len(child):
        raise QbParseError(f"{path}: a simple element cannot contain elements")
    value = (child.text or "").strip()
    kind = declared.kind
    if kind == "empty":
        return
    if kind == "str":
        if declared.max_len is not None and len(value) > declared.max_len:
            walk.violations.append(Violation(STRING_TOO_LONG, declared.name, value))
    elif kind == "id":
        if not value or len(value) > ID_MAX:
            walk.violations.append(Violation(INVALID_OBJECT_ID, declared.name, value))
    elif kind in _NUMERIC:
        _check_number(value, kind, path)
    elif kind == "bool":
        if value not in ("true", "false", "1", "0"):
            walk.violations.append(Violation(INVALID_BOOLEAN, declared.name, value))
    elif kind == "date":
        if not _DATE.match(value) or not _real_day(value):
            walk.violations.append(Violation(INVALID_DATE, declared.name, value))
    elif kind == "datetime":
        if not _DATETIME.match(value) or not _real_day(value):
            walk.violations.append(Violation(INVALID_DATE, declared.name, value))
    elif kind == "enum" and declared.enum and value not in declared.enum:
        raise QbParseError(f"{path}: {value!r} is not one of {declared.enum}")


def _real_day(value: str) -> bool:
    """The date part names a day of the calendar (QuickBooks refuses 2026-02-30 with 3020)."""
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def _check_number(value: str, kind: str, path: str) -> None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise QbParseError(f"{path}: {value!r} is not a number") from None
    if not number.is_finite() or (kind == "int" and number != number.to_integral_value()):
        raise QbParseError(f"{path}: {value!r} is not a valid {kind}")


def parse_bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value in ("true", "1")
