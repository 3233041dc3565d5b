"""Reading QuickBooks' lists for mapping, page by page with iterators.

Each list is read with ``iterator="Start"`` and ``MaxReturned``, then ``iterator="Continue"``
with the returned ``iteratorID`` until ``iteratorRemainingCount`` is 0, all within one Web
Connector session (iterators live in the QuickBooks session). What comes back is kept per
company so that `ledgersync qbd lists` can show the names to map to, new members can be
matched to existing customers, and `ledgersync reconcile` can compare customer balances.
"""

from __future__ import annotations

from typing import Any

from ledgersync import StateStore

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


def start_request(label: str) -> Element:
    rq = Element(LISTS[label], {"iterator": "Start"})
    sub(rq, "MaxReturned", str(PAGE))
    sub(rq, "ActiveStatus", "All")  # inactive ones too: a mapping to one must be explained
    return rq


def continue_request(label: str, iterator_id: str) -> Element:
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


def request_refresh(state: StateStore, labels: list[str]) -> None:
    """Ask the next Web Connector session of the company whose ``state`` this is to read
    ``labels`` (added to any read already asked for)."""
    pending = state.get(LIST_REFRESH)
    wanted = [label for label in (pending if isinstance(pending, list) else []) if label in LISTS]
    wanted += [label for label in labels if label in LISTS and label not in wanted]
    state.put(LIST_REFRESH, wanted)
