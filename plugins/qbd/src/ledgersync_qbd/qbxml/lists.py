"""Reading QuickBooks' lists for mapping.

Only some qbXML 13.0 queries take an iterator: ``CustomerQueryRq`` and ``ItemQueryRq``
(``ItemSalesTaxQueryRq`` too) are read page by page, ``iterator="Start"`` with ``MaxReturned``
and then ``iterator="Continue"`` with the returned ``iteratorID`` until
``iteratorRemainingCount`` is 0, all within one Web Connector session (iterators live in the
QuickBooks session). ``AccountQueryRq``, ``SalesTaxCodeQueryRq``, ``StandardTermsQueryRq`` and
``PaymentMethodQueryRq`` declare no ``iterator`` attribute, and QuickBooks' parser refuses the
whole message set when one carries it: those are read in one answer, without ``MaxReturned``
(which would cut the list short). ``ITERATED`` says which is which; a test checks it against
the schema facts the sandbox keeps.

What comes back is kept per company so that `ledgersync qbd lists` can show the names to map
to, new members can be matched to existing customers, and `ledgersync reconcile` can compare
customer balances.
"""

from __future__ import annotations

from typing import Any

from ..state import State
from ..xmlsafe import Element, text_of
from .refs import sub

#: Objects per page: few round trips for a big customer list, answers of a few hundred KB.
PAGE = 500
#: Connector state: the labels the next Web Connector session reads (then deleted).
LIST_REFRESH = "qbwc:lists:refresh"
#: Connector state: when a session last wrote to QuickBooks (a customer list read before
#: that no longer has the balances `ledgersync reconcile` needs).
WRITTEN_AT = "qbwc:written_at"
#: label -> list query. ``items`` spans every item type (ItemQueryRq).
LISTS: dict[str, str] = {
    "accounts": "AccountQueryRq",
    "items": "ItemQueryRq",
    "tax_items": "ItemSalesTaxQueryRq",
    "tax_codes": "SalesTaxCodeQueryRq",
    "terms": "StandardTermsQueryRq",
    "payment_methods": "PaymentMethodQueryRq",
    "customers": "CustomerQueryRq",
}


#: The list queries that take ``iterator`` in qbXML 13.0 (the others are read in one answer).
ITERATED = frozenset({"CustomerQueryRq", "ItemQueryRq", "ItemSalesTaxQueryRq"})


def start_request(label: str) -> Element:
    request_type = LISTS[label]
    if request_type in ITERATED:
        rq = Element(request_type, {"iterator": "Start"})
        sub(rq, "MaxReturned", str(PAGE))
    else:
        rq = Element(request_type)
    sub(rq, "ActiveStatus", "All")  # inactive ones too: a mapping to one must be explained
    return rq


def continue_request(label: str, iterator_id: str) -> Element:
    assert LISTS[label] in ITERATED, "only iterated lists are continued"
    rq = Element(LISTS[label], {"iterator": "Continue", "iteratorID": iterator_id})
    sub(rq, "MaxReturned", str(PAGE))
    return rq


def row(ret: Element) -> dict[str, Any]:
    """The parts of a list object a person maps by (JSON-ready)."""
    entry: dict[str, Any] = {
        "list_id": text_of(ret, "ListID"),
        "name": text_of(ret, "FullName") or text_of(ret, "Name"),
        "active": (text_of(ret, "IsActive") or "true") == "true",
        "type": str(ret.tag).removesuffix("Ret"),
    }
    for tag, key in (("AccountType", "account_type"), ("AccountNumber", "account_number"),
                     ("ExternalGUID", "external_guid")):
        value = text_of(ret, tag)
        if value:
            entry[key] = value
    if ret.tag == "CustomerRet":
        # What `ledgersync reconcile` compares: the customer's balance including its jobs
        # (a job, Sublevel > 0, is already in its parent's TotalBalance).
        entry["sublevel"] = int(text_of(ret, "Sublevel") or 0)
        balance = text_of(ret, "TotalBalance") or text_of(ret, "Balance")
        if balance is not None:
            entry["balance"] = balance
    return entry


def request_refresh(state: State, labels: list[str]) -> None:
    """Ask the next Web Connector session of the company whose ``state`` this is to read
    ``labels`` (added to any read already asked for)."""
    pending = state.get(LIST_REFRESH)
    wanted = [label for label in (pending if isinstance(pending, list) else []) if label in LISTS]
    wanted += [label for label in labels if label in LISTS and label not in wanted]
    state.put(LIST_REFRESH, wanted)


def list_key(label: str) -> str:
    return f"qbwc:list:{label}"


def labels_to_read(state: State) -> list[str]:
    """What the next session reads: lists asked for (``qbd lists --refresh``, reconcile), never
    read, or whose last read failed (a refused read is tried again at every session)."""
    pending = state.get(LIST_REFRESH)
    wanted = [label for label in (pending if isinstance(pending, list) else []) if label in LISTS]
    for label in LISTS:
        last = state.get(list_key(label))
        if label not in wanted and (not isinstance(last, dict) or last.get("error")):
            wanted.append(label)
    return wanted


def record_read(state: State, label: str, rows: list[dict[str, Any]], now: str) -> None:
    """A list read answered in full: keep it and consume the request for it."""
    state.put(list_key(label), {"read_at": now, "rows": rows})
    pending = state.get(LIST_REFRESH)
    if isinstance(pending, list) and label in pending:
        left = [other for other in pending if other != label]
        if left:
            state.put(LIST_REFRESH, left)
        else:
            state.delete(LIST_REFRESH)


def record_failure(state: State, label: str, error: str, remedy: str, now: str) -> None:
    """A list read QuickBooks refused: say so (keeping the rows of the last good read, which
    mapping still uses) and leave any request for it pending, so the next session reads it."""
    last = state.get(list_key(label))
    kept = last if isinstance(last, dict) else {}
    state.put(list_key(label), {"read_at": kept.get("read_at"), "rows": kept.get("rows", []),
                                "error": error, "remedy": remedy, "failed_at": now})


def list_problems(state: State) -> list[tuple[str, str]]:
    """(what happened, what to do) for each list whose last read failed."""
    found = []
    for label in LISTS:
        last = state.get(list_key(label))
        if isinstance(last, dict) and last.get("error"):
            found.append((f"QuickBooks list {label!r} could not be read at "
                          f"{last.get('failed_at')}: {last['error']}",
                          str(last.get("remedy") or "It is read again at the next update")))
    return found
