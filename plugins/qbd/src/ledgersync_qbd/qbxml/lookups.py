"""Queries that find a record again, and the reading of their answers.

* after a doubt (a lost response, a dead session) or a name already in use: the record's
  Finder query (Name for a customer, RefNumber for a document); a returned record is ours only
  when its ExternalGUID is ours (a hand-made customer may match on its AccountNumber);
* after a stale EditSequence (3200): the record by its ListID/TxnID, for the current one.
"""

from __future__ import annotations

import re

import attrs

from ..xmlsafe import Element, text_of
from .document import Rs
from .model import Finder
from .refs import sub

#: Mod request -> the query that re-reads the record's EditSequence.
_REREAD = {"CustomerModRq": ("CustomerQueryRq", "ListID"),
           "InvoiceModRq": ("InvoiceQueryRq", "TxnID"),
           "CreditMemoModRq": ("CreditMemoQueryRq", "TxnID"),
           "ReceivePaymentModRq": ("ReceivePaymentQueryRq", "TxnID"),
           "JournalEntryModRq": ("JournalEntryQueryRq", "TxnID")}


@attrs.frozen
class Found:
    """The outcome of a look-up: ``record`` is ours; ``other`` holds the name of a record
    that uses our Name/RefNumber but is not ours; ``ambiguous`` when several look ours."""

    record: Element | None = None
    other: str | None = None
    ambiguous: bool = False


def find_request(finder: Finder) -> Element:
    rq = Element(finder.query)
    sub(rq, finder.field, finder.value)
    return rq


def reread_request(mod_type: str, remote_id: str) -> Element:
    query, field = _REREAD[mod_type]
    rq = Element(query)
    sub(rq, field, remote_id)
    for name in (field, "EditSequence"):
        sub(rq, "IncludeRetElement", name)
    return rq


def can_reread(request_type: str) -> bool:
    return request_type in _REREAD


def remote_id(ret: Element) -> str | None:
    return text_of(ret, "ListID") or text_of(ret, "TxnID")


def match(finder: Finder, rs: Rs) -> Found:
    """Which of the returned records is ours (see the module docstring)."""
    guid = finder.guid.upper()
    rets = [r for r in rs.rets if finder.exclude_id is None or remote_id(r) != finder.exclude_id]
    ours = [r for r in rets if (text_of(r, "ExternalGUID") or "").upper() == guid]
    if not ours and finder.account_number:
        ours = [r for r in rets if not text_of(r, "ExternalGUID")
                and text_of(r, "AccountNumber") == finder.account_number]
    if len(ours) > 1:
        return Found(ambiguous=True)
    if ours:
        return Found(record=ours[0])
    if rets:
        first = rets[0]
        label = text_of(first, "FullName") or text_of(first, "RefNumber") or finder.value
        return Found(other=label)
    return Found()


#: The list named in a 3140 message -> the query that finds it (inactive ones too).
_REFERENCE_QUERIES = {"Customer": "CustomerQueryRq", "Entity": "CustomerQueryRq",
                      "PayeeEntity": "CustomerQueryRq", "Item": "ItemQueryRq",
                      "ItemSalesTax": "ItemQueryRq", "Account": "AccountQueryRq",
                      "StandardTerms": "StandardTermsQueryRq", "Terms": "StandardTermsQueryRq",
                      "PaymentMethod": "PaymentMethodQueryRq",
                      "SalesTaxCode": "SalesTaxCodeQueryRq"}
_INVALID_REFERENCE = re.compile(r'invalid reference to QuickBooks (\w+) "([^"]*)"')
_LIST_ID_TEXT = re.compile(r"^[0-9A-F]{1,8}-\d{1,12}$", re.IGNORECASE)


def reference_of(message: str) -> tuple[str, str] | None:
    """(list type, name or ListID sent) of a 3140 message, when it names one we can query."""
    found = _INVALID_REFERENCE.search(message)
    if found is None or found.group(1) not in _REFERENCE_QUERIES or not found.group(2):
        return None
    return found.group(1), found.group(2)


def reference_request(list_type: str, value: str) -> Element:
    """Look the refused reference up by ListID or FullName (either finds inactive ones)."""
    rq = Element(_REFERENCE_QUERIES[list_type])
    sub(rq, "ListID" if _LIST_ID_TEXT.match(value) else "FullName", value)
    return rq
