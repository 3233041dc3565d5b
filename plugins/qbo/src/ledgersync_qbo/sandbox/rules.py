"""Small shared validation helpers: money, strings, dates and references."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from . import faults
from .faults import FaultError

if TYPE_CHECKING:
    from .company import Company

__all__ = [
    "CENT",
    "Errors",
    "check_len",
    "money",
    "parse_date",
    "q2",
    "ref_value",
    "resolve_account",
    "resolve_ref",
]

CENT = Decimal("0.01")
Obj = dict[str, Any]


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Any, element: str) -> Decimal:
    """A JSON number (Decimal/int) or numeric string as Decimal; anything else -> 2010."""
    if isinstance(value, bool):
        raise faults.invalid_property(element)
    if isinstance(value, Decimal | int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise faults.invalid_property(element) from None
    else:
        raise faults.invalid_property(element)
    if not result.is_finite():
        raise faults.invalid_property(element)
    return result


def plain(value: Decimal) -> Decimal:
    """150.00 -> 150, 12.50 -> 12.5 (QBO echoes Qty/UnitPrice normalized)."""
    normalized = value.normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral() else normalized


def check_len(obj: Obj, field: str, maximum: int, element: str | None = None) -> None:
    value = obj.get(field)
    if isinstance(value, str) and len(value) > maximum:
        raise faults.string_too_long(element or field, maximum, len(value))


def parse_date(value: Any, element: str) -> date:
    if not isinstance(value, str):
        raise faults.invalid_property(element)
    try:
        return date.fromisoformat(value.replace("/", "-")[:10])
    except ValueError:
        raise faults.invalid_property(element) from None


def ref_value(obj: Obj | None, key: str) -> str | None:
    """``CustomerRef: {"value": "58"}`` -> "58"; a bare string/number is accepted too."""
    if obj is None:
        return None
    ref = obj.get(key)
    if isinstance(ref, dict):
        value = ref.get("value")
        return None if value is None or value == "" else str(value)
    if isinstance(ref, str | int) and not isinstance(ref, bool):
        return str(ref)
    return None


class Errors:
    """Collects several FaultErrors so one Fault can carry all of them (as QBO does)."""

    def __init__(self) -> None:
        self.items: list[FaultError] = []

    def add(self, error: FaultError) -> None:
        self.items.append(error)

    def raise_if_any(self) -> None:
        if self.items:
            raise faults.QBOFault(self.items)


def resolve_ref(company: Company, entity: str, id_: str, element: str,
                errors: Errors | None = None) -> Obj | None:
    """Look up a referenced name-list object: missing -> 2500, inactive -> 610."""
    obj = company.store.get(entity, id_)
    error: FaultError | None = None
    if obj is None:
        error = faults.invalid_reference_error(element, element)
    elif obj.get("Active") is False:
        error = faults.object_not_found_error()
    if error is None:
        return obj
    if errors is None:
        raise faults.QBOFault(error)
    errors.add(error)
    return None


def resolve_account(company: Company, id_: str, element: str,
                    errors: Errors | None = None) -> Obj | None:
    """Accounts use the wording ``Accounts element id N not found`` (Fyle's regex)."""
    obj = company.store.get("Account", id_)
    error: FaultError | None = None
    if obj is None:
        error = faults.invalid_reference_error(f"Accounts element id {id_} not found")
    elif obj.get("Active") is False:
        error = faults.object_not_found_error()
    if error is None:
        return obj
    if errors is None:
        raise faults.QBOFault(error)
    errors.add(error)
    return None


def named_ref(obj: Obj, name_field: str = "Name") -> dict[str, str]:
    return {"value": obj["Id"], "name": str(obj.get(name_field) or obj.get("DisplayName") or "")}
