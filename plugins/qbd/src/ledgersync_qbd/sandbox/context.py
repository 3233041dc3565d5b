"""State and helpers shared by the request handlers of one simulated company file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .iterators import IteratorRegistry
from .schema import Violation
from .status import (
    CANNOT_LOCK,
    FEATURE_NOT_ENABLED,
    INSUFFICIENT_PERMISSION,
    INVALID_DATE,
    INVALID_REFERENCE,
    STATUS_OK,
    QbError,
    Status,
)
from .store import ListRecord, Store
from .xml import Element, copy_element, text_of

#: Which list types a ``*Ref`` element may point to, and how QuickBooks names the list in 3140.
REF_TARGETS: dict[str, tuple[tuple[str, ...], str]] = {
    "CustomerRef": (("Customer",), "Customer"),
    "EntityRef": (("Customer",), "Entity"),
    "PayeeEntityRef": (("Customer",), "PayeeEntity"),
    "ARAccountRef": (("Account",), "Account"),
    "AccountRef": (("Account",), "Account"),
    "DepositToAccountRef": (("Account",), "Account"),
    "RefundFromAccountRef": (("Account",), "Account"),
    "IncomeAccountRef": (("Account",), "Account"),
    "OverrideItemAccountRef": (("Account",), "Account"),
    "ItemRef": (("ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemSalesTax"), "Item"),
    "ItemSalesTaxRef": (("ItemSalesTax",), "Item Sales Tax"),
    "SalesTaxCodeRef": (("SalesTaxCode",), "Sales Tax Code"),
    "CustomerSalesTaxCodeRef": (("SalesTaxCode",), "Sales Tax Code"),
    "TermsRef": (("StandardTerms",), "Terms"),
    "PaymentMethodRef": (("PaymentMethod",), "Payment Method"),
    "PreferredPaymentMethodRef": (("PaymentMethod",), "Payment Method"),
}
NOT_IN_LIST = "Invalid argument. The specified record does not exist in the list."
INACTIVE = "The specified record is inactive."


@dataclass
class Settings:
    edition: str
    qbxml_versions: tuple[str, ...]
    company_name: str
    product_name: str
    class_tracking: bool = False
    read_only: bool = False
    #: Company > Set Closing Date: transactions dated on or before it are closed.
    closing_date: date | None = None
    #: Whether the closing date has a password (the SDK is refused only then; see
    #: :mod:`.closing`).
    closing_date_password: bool = True


@dataclass
class Outcome:
    """What a handler produced: the ``*Rs`` children, its status and extra attributes."""

    children: list[Element] = field(default_factory=list)
    status: Status = STATUS_OK
    attrs: dict[str, str] = field(default_factory=dict)
    write_key: tuple[str, str] | None = None


@dataclass
class Context:
    store: Store
    iterators: IteratorRegistry
    settings: Settings
    locked: set[str] = field(default_factory=set)
    writes: Counter[tuple[str, str]] = field(default_factory=Counter)


Handler = Callable[[Context, Element], Outcome]


def raise_violations(violations: Iterable[Violation]) -> None:
    for violation in violations:
        raise QbError(violation.code, field=violation.field, value=violation.value)


def require_writable(ctx: Context) -> None:
    if ctx.settings.read_only:
        raise QbError(INSUFFICIENT_PERMISSION)


def require_unlocked(ctx: Context, object_id: str) -> None:
    if object_id in ctx.locked:
        raise QbError(CANNOT_LOCK, value=object_id)


def ref_value(parent: Element, tag: str) -> tuple[str | None, str | None] | None:
    element = parent.find(tag)
    if element is None:
        return None
    return text_of(element, "ListID"), text_of(element, "FullName")


def resolve_ref(ctx: Context, parent: Element, tag: str, object_name: str, *,
                require_active: bool = True, types: tuple[str, ...] | None = None
                ) -> ListRecord | None:
    """Resolve ``<tag>`` under ``parent``; raise 3140 when it names nothing usable."""
    found = ref_value(parent, tag)
    if found is None:
        return None
    if tag == "ClassRef" and not ctx.settings.class_tracking:
        raise QbError(FEATURE_NOT_ENABLED, value="class tracking")
    targets, label = REF_TARGETS.get(tag, ((object_name,), tag.removesuffix("Ref")))
    list_id, full_name = found
    record = ctx.store.find_list(types or targets, list_id=list_id, full_name=full_name)
    if record is None:
        raise QbError(INVALID_REFERENCE, field=label, value=full_name or list_id or "",
                      object=object_name, detail=NOT_IN_LIST)
    if require_active and not record.is_active:
        raise QbError(INVALID_REFERENCE, field=label, value=record.full_name,
                      object=object_name, detail=INACTIVE)
    return record


def resolve_refs(ctx: Context, parent: Element, object_name: str,
                 skip: Iterable[str] = ()) -> dict[str, str]:
    """Resolve every ``*Ref`` child of ``parent`` (except ``skip``) to a ListID."""
    refs: dict[str, str] = {}
    skipped = set(skip)
    for child in parent:
        tag = child.tag
        if isinstance(tag, str) and tag.endswith("Ref") and tag not in skipped:
            record = resolve_ref(ctx, parent, tag, object_name)
            if record is not None:
                refs[tag] = record.list_id
    return refs


def plain_fields(parent: Element, skip: Iterable[str] = ()) -> dict[str, list[Element]]:
    """Copies of non-reference children, grouped by tag, for echoing in ``*Ret``."""
    skipped = set(skip)
    fields: dict[str, list[Element]] = {}
    for child in parent:
        tag = child.tag
        if not isinstance(tag, str) or tag in skipped or tag.endswith("Ref"):
            continue
        fields.setdefault(tag, []).append(copy_element(child))
    return fields


def amount_of(parent: Element, tag: str) -> Decimal | None:
    value = text_of(parent, tag)
    return None if value is None else Decimal(value)


def date_of(parent: Element, tag: str, default: date) -> date:
    value = text_of(parent, tag)
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QbError(INVALID_DATE, field=tag, value=value) from None


def account_type(record: ListRecord) -> str | None:
    elements = record.fields.get("AccountType")
    return (elements[0].text or "").strip() if elements else None


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))
