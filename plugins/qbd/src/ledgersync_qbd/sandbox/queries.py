"""Shared query machinery: ID/name lookups, filters, ``MaxReturned`` and iterators.

Status rules (Intuit status-code appendix): a query that finds nothing by its
filters answers 1 "No match" (Info); a query naming objects by ``ListID``/``FullName``/``TxnID``
answers 500 (Warn) when any named object is missing, still returning the ones it found.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from .context import Context, Outcome
from .status import NO_MATCH, OBJECT_NOT_FOUND, WARN_NOT_FOUND, QbError, Status
from .xml import Element, text_of, texts_of


def include_set(rq: Element) -> set[str] | None:
    names = texts_of(rq, "IncludeRetElement")
    return set(names) if names else None


def max_returned(rq: Element) -> int | None:
    value = text_of(rq, "MaxReturned")
    return None if value is None else int(value)


def parse_stamp(value: str) -> datetime:
    """Parse a DATETIMETYPE / DATETYPE filter value; naive values are taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def in_modified_range(modified: datetime, rq: Element, container: str | None = None) -> bool:
    scope = rq.find(container) if container else rq
    if scope is None:
        return True
    start, end = text_of(scope, "FromModifiedDate"), text_of(scope, "ToModifiedDate")
    if start is not None and modified < parse_stamp(start):
        return False
    return not (end is not None and modified > parse_stamp(end))


def name_matches(name: str, rq: Element, filter_tag: str, value_tag: str) -> bool:
    """Apply ``NameFilter``/``RefNumberFilter`` and ``NameRangeFilter``/``RefNumberRangeFilter``."""
    key = name.casefold()
    match = rq.find(filter_tag)
    if match is not None:
        criterion = text_of(match, "MatchCriterion") or "StartsWith"
        wanted = (text_of(match, value_tag) or "").casefold()
        if criterion == "StartsWith":
            return key.startswith(wanted)
        if criterion == "EndsWith":
            return key.endswith(wanted)
        return wanted in key
    ranged = rq.find(filter_tag.replace("Filter", "RangeFilter"))
    if ranged is not None:
        low = (text_of(ranged, f"From{value_tag}") or "").casefold()
        high = text_of(ranged, f"To{value_tag}")
        return key >= low and (high is None or key <= high.casefold())
    return True


def run_query(
    ctx: Context,
    rq: Element,
    keys: Sequence[str],
    render: Callable[[str], Element | None],
    *,
    missing: Sequence[str] = (),
    named: bool = False,
) -> Outcome:
    """Page ``keys`` per the iterator attributes and render each surviving key."""
    request_type = rq.tag
    iterator = rq.get("iterator")
    limit = max_returned(rq)
    attrs: dict[str, str] = {}
    if iterator in ("Continue", "Stop"):
        iterator_id = rq.get("iteratorID") or ""
        if iterator == "Stop":
            ctx.iterators.stop(iterator_id)
            return Outcome(attrs={"retCount": "0", "iteratorRemainingCount": "0",
                                  "iteratorID": iterator_id})
        page = ctx.iterators.resume(iterator_id, request_type, limit)
        if page is None:
            raise QbError(OBJECT_NOT_FOUND, value=iterator_id)
        selected, attrs = page.keys, _iter_attrs(page.remaining, page.iterator_id)
    elif iterator == "Start":
        page = ctx.iterators.start(request_type, list(keys), limit)
        selected, attrs = page.keys, _iter_attrs(page.remaining, page.iterator_id)
    else:
        selected = list(keys) if limit is None else list(keys)[:limit]
    rendered = [element for element in (render(key) for key in selected) if element is not None]
    status = None
    if missing:
        status = Status.of(WARN_NOT_FOUND, value=missing[0])
    elif not rendered and not named and iterator != "Continue":
        status = Status.of(NO_MATCH)
    outcome = Outcome(children=rendered, attrs={"retCount": str(len(rendered)), **attrs})
    if status is not None:
        outcome.status = status
    return outcome


def _iter_attrs(remaining: int, iterator_id: str) -> dict[str, str]:
    return {"iteratorRemainingCount": str(remaining), "iteratorID": iterator_id}
