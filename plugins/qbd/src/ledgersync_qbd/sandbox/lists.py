"""List requests: CustomerAdd/Mod/Query, AccountAdd/Query, ItemServiceAdd/Mod, ListDel, item
and other list queries.

Rules: customer names are unique across the list including inactive
customers (3100); a ``*Mod`` needs an existing ``ListID`` (3120) and the current
``EditSequence`` (3200); references to missing list objects answer 3140. As in QuickBooks, a
list object can be deleted only while nothing uses it (no transaction, no balance, no
sub-items or jobs, no other list object pointing at it); otherwise ``ListDel`` answers 3171
and the bookkeeper makes it inactive instead (``IsActive`` false in a ``*Mod``).
"""

from __future__ import annotations

from decimal import Decimal

from .context import (
    Context,
    Handler,
    Outcome,
    account_type,
    cents,
    plain_fields,
    require_unlocked,
    require_writable,
    resolve_ref,
    resolve_refs,
)
from .queries import in_modified_range, include_set, name_matches, run_query
from .rets import list_ret, stamp
from .schema import parse_bool
from .status import (
    DELETE_FAILED,
    EDIT_SEQUENCE_OUT_OF_DATE,
    INVALID_FIELD_VALUE,
    NAME_IN_USE,
    OBJECT_NOT_FOUND,
    QbError,
)
from .store import ListRecord, Store
from .xml import Element, copy_element, sub, text_of, texts_of

ITEM_TYPES = ("ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemSalesTax")
CUSTOMER_FIXED = ("Name", "IsActive", "ParentRef", "OpenBalance", "OpenBalanceDate",
                  "ListID", "EditSequence")
ITEM_FIXED = ("Name", "IsActive", "ParentRef", "ListID", "EditSequence", "ForceUOMChange",
              "SalesOrPurchaseMod", "SalesAndPurchaseMod")
#: Child order of an item's sales blocks (what ``*Mod`` blocks are merged into).
_SALES_BLOCKS = {
    "SalesOrPurchase": ("Desc", "Price", "PricePercent", "AccountRef"),
    "SalesAndPurchase": ("SalesDesc", "SalesPrice", "IncomeAccountRef", "PurchaseDesc",
                         "PurchaseCost"),
}
IN_USE_DETAIL = ("This name has been used in a transaction or by another list element and "
                 "cannot be deleted. You can make it inactive instead.")
HAS_CHILDREN_DETAIL = "It has sub-items or jobs. Delete or move them first."
HAS_BALANCE_DETAIL = "It has a balance. You can make it inactive instead."


def customer_add(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    add = _body(rq, "CustomerAdd")
    name = text_of(add, "Name") or ""
    parent = resolve_ref(ctx, add, "ParentRef", "Customer")
    full_name = f"{parent.full_name}:{name}" if parent else name
    if ctx.store.name_taken(("Customer",), full_name):
        raise QbError(NAME_IN_USE, value=full_name)
    refs = resolve_refs(ctx, add, "Customer", skip=("ParentRef",))
    record = ctx.store.add_list("Customer", name, parent=parent,
                                is_active=parse_bool(text_of(add, "IsActive"), True))
    record.fields = plain_fields(add, skip=CUSTOMER_FIXED)
    record.refs = refs
    opening = text_of(add, "OpenBalance")
    if opening is not None:
        record.balance = cents(Decimal(opening))
    return Outcome([list_ret(ctx.store, record, include_set(rq))],
                   write_key=("CustomerAdd", record.full_name))


def customer_mod(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    mod = _body(rq, "CustomerMod")
    record = _existing(ctx, mod, ("Customer",))
    parent_ref = mod.find("ParentRef")
    parent = resolve_ref(ctx, mod, "ParentRef", "Customer") if parent_ref is not None else (
        ctx.store.lists.get(record.parent_id) if record.parent_id else None)
    name = text_of(mod, "Name") or record.name
    full_name = f"{parent.full_name}:{name}" if parent else name
    if ctx.store.name_taken(("Customer",), full_name, exclude_id=record.list_id):
        raise QbError(NAME_IN_USE, value=full_name)
    refs = resolve_refs(ctx, mod, "Customer", skip=("ParentRef",))
    ctx.store.rename(record, name, parent)
    if (active := text_of(mod, "IsActive")) is not None:
        record.is_active = parse_bool(active)
    record.fields.update(plain_fields(mod, skip=CUSTOMER_FIXED))
    record.refs.update(refs)
    ctx.store.touch(record)
    return Outcome([list_ret(ctx.store, record, include_set(rq))],
                   write_key=("CustomerMod", record.full_name))


def account_add(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    add = _body(rq, "AccountAdd")
    name = text_of(add, "Name") or ""
    parent = resolve_ref(ctx, add, "ParentRef", "Account")
    full_name = f"{parent.full_name}:{name}" if parent else name
    if ctx.store.name_taken(("Account",), full_name):
        raise QbError(NAME_IN_USE, value=full_name)
    refs = resolve_refs(ctx, add, "Account", skip=("ParentRef",))
    record = ctx.store.add_list("Account", name, parent=parent,
                                is_active=parse_bool(text_of(add, "IsActive"), True))
    record.fields = plain_fields(add, skip=("Name", "IsActive", "OpenBalance", "OpenBalanceDate"))
    record.refs = refs
    return Outcome([list_ret(ctx.store, record, include_set(rq))],
                   write_key=("AccountAdd", record.full_name))


def item_service_add(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    add = _body(rq, "ItemServiceAdd")
    name = text_of(add, "Name") or ""
    parent = resolve_ref(ctx, add, "ParentRef", "ItemService", types=ITEM_TYPES)
    full_name = f"{parent.full_name}:{name}" if parent else name
    if ctx.store.name_taken(ITEM_TYPES, full_name):
        raise QbError(NAME_IN_USE, value=full_name)
    refs = resolve_refs(ctx, add, "ItemService", skip=("ParentRef",))
    for tag in ("SalesOrPurchase", "SalesAndPurchase"):
        block = add.find(tag)
        if block is not None:
            resolve_refs(ctx, block, "ItemService")
    record = ctx.store.add_list("ItemService", name, parent=parent,
                                is_active=parse_bool(text_of(add, "IsActive"), True))
    record.fields = plain_fields(add, skip=("Name", "IsActive"))
    record.refs = refs
    return Outcome([list_ret(ctx.store, record, include_set(rq))],
                   write_key=("ItemServiceAdd", record.full_name))


def item_service_mod(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    mod = _body(rq, "ItemServiceMod")
    record = _existing(ctx, mod, ("ItemService",))
    parent_ref = mod.find("ParentRef")
    parent = (resolve_ref(ctx, mod, "ParentRef", "ItemService", types=ITEM_TYPES)
              if parent_ref is not None
              else ctx.store.lists.get(record.parent_id) if record.parent_id else None)
    ancestor = parent
    while ancestor is not None:
        if ancestor.list_id == record.list_id:
            raise QbError(INVALID_FIELD_VALUE, object="ItemService",
                          detail="An item cannot be a sub-item of itself.")
        ancestor = ctx.store.lists.get(ancestor.parent_id) if ancestor.parent_id else None
    name = text_of(mod, "Name") or record.name
    full_name = f"{parent.full_name}:{name}" if parent else name
    if ctx.store.name_taken(ITEM_TYPES, full_name, exclude_id=record.list_id):
        raise QbError(NAME_IN_USE, value=full_name)
    refs = resolve_refs(ctx, mod, "ItemService", skip=("ParentRef",))
    blocks = [block for block in (mod.find("SalesOrPurchaseMod"), mod.find("SalesAndPurchaseMod"))
              if block is not None]
    for block in blocks:
        resolve_refs(ctx, block, "ItemService")
    # Everything is checked: now change the item.
    ctx.store.rename(record, name, parent)
    if (active := text_of(mod, "IsActive")) is not None:
        record.is_active = parse_bool(active)
    for block in blocks:
        _merge_sales_block(record, block)
    record.fields.update(plain_fields(mod, skip=ITEM_FIXED))
    record.refs.update(refs)
    ctx.store.touch(record)
    return Outcome([list_ret(ctx.store, record, include_set(rq))],
                   write_key=("ItemServiceMod", record.full_name))


def _merge_sales_block(record: ListRecord, block: Element) -> None:
    """Apply a ``SalesOrPurchaseMod``/``SalesAndPurchaseMod`` onto the item's block."""
    name = str(block.tag).removesuffix("Mod")
    current = record.fields.get(name)
    values: dict[str, Element] = {str(child.tag): child for child in current[0]} \
        if current else {}
    for child in block:
        tag = str(child.tag)
        if tag.startswith("Apply"):
            continue  # how QuickBooks treats older transactions; nothing is stored
        if tag in ("Price", "PricePercent"):
            values.pop("Price", None)
            values.pop("PricePercent", None)
        values[tag] = copy_element(child)
    merged = Element(name)
    for tag in _SALES_BLOCKS[name]:
        if tag in values:
            merged.append(values[tag])
    for other in _SALES_BLOCKS:
        record.fields.pop(other, None)
    record.fields[name] = [merged]


def list_del(ctx: Context, rq: Element) -> Outcome:
    require_writable(ctx)
    list_type = text_of(rq, "ListDelType") or ""
    list_id = text_of(rq, "ListID") or ""
    record = ctx.store.find_list((list_type,), list_id=list_id)
    if record is None:
        raise QbError(OBJECT_NOT_FOUND, value=list_id)
    require_unlocked(ctx, list_id)
    reason = _why_undeletable(ctx.store, record)
    if reason is not None:
        raise QbError(DELETE_FAILED, value=record.full_name, object=list_type, detail=reason)
    del ctx.store.lists[record.list_id]
    ctx.store.deleted.append(("List", list_type, record.list_id, record.full_name,
                              record.time_created, ctx.store.now()))
    result = Element("x")
    for tag, text in (("ListDelType", list_type), ("ListID", record.list_id),
                      ("TimeDeleted", stamp(ctx.store.now())), ("FullName", record.full_name)):
        sub(result, tag, text)
    return Outcome(list(result), write_key=("ListDel", record.full_name))


def _why_undeletable(store: Store, record: ListRecord) -> str | None:
    """Why QuickBooks would refuse to delete ``record`` (None: it may go)."""
    if store.children_of(record):
        return HAS_CHILDREN_DETAIL
    if record.balance:
        return HAS_BALANCE_DETAIL
    list_id, name = record.list_id, record.full_name.casefold()

    def names_it(elements: dict[str, list[Element]]) -> bool:
        for group in elements.values():
            for element in group:
                for found in element.iter():
                    text = (found.text or "").strip()
                    if (found.tag == "ListID" and text == list_id) or (
                            found.tag == "FullName" and text.casefold() == name):
                        return True
        return False

    for txn in store.txns.values():
        if (txn.customer_id == list_id or list_id in txn.customer_effects
                or list_id in txn.refs.values() or names_it(txn.fields)
                or any(list_id in line.refs.values() or names_it(line.fields)
                       for line in txn.lines)):
            return IN_USE_DETAIL
    for other in store.lists.values():
        if other is not record and (list_id in other.refs.values() or names_it(other.fields)):
            return IN_USE_DETAIL
    return None


def list_query(types: tuple[str, ...]) -> Handler:
    """Build the handler of a list query over ``types`` (``ItemQueryRq`` spans item types)."""

    def handle(ctx: Context, rq: Element) -> Outcome:
        include = include_set(rq)
        ids, names = texts_of(rq, "ListID"), texts_of(rq, "FullName")
        missing: list[str] = []
        if ids or names:
            keys = []
            for list_id in ids:
                found = ctx.store.find_list(types, list_id=list_id)
                keys.append(found.list_id) if found else missing.append(list_id)
            for full_name in names:
                found = ctx.store.find_list(types, full_name=full_name)
                keys.append(found.list_id) if found else missing.append(full_name)
        else:
            keys = [rec.list_id for rec in _filtered(ctx, rq, types)]

        def render(list_id: str) -> Element | None:
            record = ctx.store.lists.get(list_id)
            return None if record is None else list_ret(ctx.store, record, include)

        return run_query(ctx, rq, keys, render, missing=missing, named=bool(ids or names))

    return handle


def _filtered(ctx: Context, rq: Element, types: tuple[str, ...]) -> list[ListRecord]:
    status = text_of(rq, "ActiveStatus") or "ActiveOnly"
    wanted_type = text_of(rq, "AccountType")
    chosen = []
    for record in ctx.store.lists_of(types):
        if status == "ActiveOnly" and not record.is_active:
            continue
        if status == "InactiveOnly" and record.is_active:
            continue
        if not in_modified_range(record.time_modified, rq):
            continue
        if not name_matches(record.full_name, rq, "NameFilter", "Name"):
            continue
        if wanted_type is not None and account_type(record) != wanted_type:
            continue
        chosen.append(record)
    return sorted(chosen, key=lambda rec: (rec.full_name.casefold(), rec.list_id))


def _body(rq: Element, tag: str) -> Element:
    body = rq.find(tag)
    assert body is not None  # guaranteed by schema validation
    return body


def _existing(ctx: Context, mod: Element, types: tuple[str, ...]) -> ListRecord:
    list_id = text_of(mod, "ListID") or ""
    record = ctx.store.find_list(types, list_id=list_id)
    if record is None:
        raise QbError(OBJECT_NOT_FOUND, value=list_id)
    require_unlocked(ctx, list_id)
    sent = text_of(mod, "EditSequence") or ""
    if sent != record.edit_sequence:
        raise QbError(EDIT_SEQUENCE_OUT_OF_DATE, value=sent)
    return record


HANDLERS: dict[str, Handler] = {
    "CustomerAddRq": customer_add,
    "CustomerModRq": customer_mod,
    "CustomerQueryRq": list_query(("Customer",)),
    "AccountAddRq": account_add,
    "AccountQueryRq": list_query(("Account",)),
    "ItemServiceAddRq": item_service_add,
    "ItemServiceModRq": item_service_mod,
    "ListDelRq": list_del,
    "ItemQueryRq": list_query(ITEM_TYPES),
    "ItemServiceQueryRq": list_query(("ItemService",)),
    "ItemNonInventoryQueryRq": list_query(("ItemNonInventory",)),
    "ItemOtherChargeQueryRq": list_query(("ItemOtherCharge",)),
    "ItemSalesTaxQueryRq": list_query(("ItemSalesTax",)),
    "SalesTaxCodeQueryRq": list_query(("SalesTaxCode",)),
    "StandardTermsQueryRq": list_query(("StandardTerms",)),
    "PaymentMethodQueryRq": list_query(("PaymentMethod",)),
}
