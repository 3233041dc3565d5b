"""Endpoint logic independent of HTTP: entity read/write, query, batch, CDC."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import faults
from .company import Company, Operation
from .entities import spec_for_name, spec_for_path
from .query import execute, parse, resolve_entity
from .reports import run_report
from .sandbox import Sandbox, WriteRecord
from .store import iso_s

__all__ = ["Outcome", "batch", "cdc", "query", "read", "report", "write"]

Obj = dict[str, Any]
_OPERATIONS = {"create", "update", "delete", "void"}


@dataclass
class Outcome:
    """A successful answer body (without ``time``) and what was written."""

    body: Obj
    wrote: bool = False
    #: Entity answers carry a top-level ``time``; a report carries its own ``Header.Time``.
    timed: bool = True


def _operation(value: str | None) -> Operation | None:
    if value is None or value == "":
        return None
    op = value.lower()
    if op not in _OPERATIONS:
        raise faults.unsupported_operation(value)
    return op  # type: ignore[return-value]  # narrowed by the membership test above


def _log(sandbox: Sandbox, company: Company, entity: str, op: Operation | None, body: Obj,
         result: Obj, request_id: str | None) -> None:
    operation = op or ("update" if body.get("Id") not in (None, "") else "create")
    sandbox.record_write(WriteRecord(company.realm_id, entity, operation, str(result["Id"]),
                                     request_id, sandbox.clock.now()))


def write(sandbox: Sandbox, company: Company, path: str, body: Any, operation: str | None,
          request_id: str | None, include: str | None = None) -> Outcome:
    spec = spec_for_path(path)
    assert spec is not None
    op = _operation(operation)
    result = company.write(spec.name, body, op, include)
    if include is not None:
        op = "void"
    _log(sandbox, company, spec.name, op, body, result, request_id)
    return Outcome({spec.name: result}, wrote=True)


def read(company: Company, path: str, id_: str) -> Outcome:
    spec = spec_for_path(path)
    assert spec is not None
    return Outcome({spec.name: company.read(spec.name, id_)})


def query_response(sandbox: Sandbox, company: Company, text: str) -> Obj:
    parsed = parse(text)
    spec = resolve_entity(parsed)
    with company.lock:
        return execute(parsed, company.store.all(spec.name), spec,
                       default_max=sandbox.config.default_query_results,
                       hard_max=sandbox.config.max_query_results)


def query(sandbox: Sandbox, company: Company, text: str) -> Outcome:
    return Outcome({"QueryResponse": query_response(sandbox, company, text)})


def report(company: Company, name: str, params: Mapping[str, str]) -> Outcome:
    return Outcome(run_report(company, name, params), timed=False)


def batch(sandbox: Sandbox, company: Company, body: Any, request_id: str | None) -> Outcome:
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise faults.required_missing("BatchItemRequest")
    limit = sandbox.config.max_batch_items
    if len(items) > limit:
        raise faults.batch_too_large(limit, len(items))
    responses: list[Obj] = []
    wrote = False
    for item in items:
        if not isinstance(item, dict):
            raise faults.invalid_property("BatchItemRequest")
        b_id = str(item.get("bId", ""))
        try:
            answer, item_wrote = _batch_item(sandbox, company, item, b_id, request_id)
            wrote = wrote or item_wrote
            responses.append({"bId": b_id, **answer})
        except faults.QBOFault as fault:
            responses.append({"bId": b_id, "Fault": fault.fault_json()})
    return Outcome({"BatchItemResponse": responses}, wrote=wrote)


def _batch_item(sandbox: Sandbox, company: Company, item: Obj, b_id: str,
                request_id: str | None) -> tuple[Obj, bool]:
    if "Query" in item:
        return {"QueryResponse": query_response(sandbox, company, str(item["Query"]))}, False
    if request_id is not None and len(request_id) + len(b_id) > sandbox.config.requestid_max_length:
        raise faults.business_validation(
            f"The request has more than {sandbox.config.requestid_max_length} characters in "
            "the request_id field (requestid plus bId).")
    keys = [k for k in item if k not in ("bId", "operation", "optionsData")]
    spec = spec_for_name(keys[0]) if len(keys) == 1 else None
    if spec is None:
        raise faults.invalid_property(", ".join(keys) or "BatchItemRequest")
    op = _operation(str(item.get("operation") or "create"))
    body = item[keys[0]]
    result = company.write(spec.name, body, op)
    if isinstance(body, dict):
        _log(sandbox, company, spec.name, op, body, result, request_id)
    return {spec.name: result}, True


def _parse_since(company: Company, raw: str) -> datetime:
    try:
        when = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError:
        raise faults.invalid_property("changedSince") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=company.tz)
    return when


def cdc(sandbox: Sandbox, company: Company, entities: str | None,
        changed_since: str | None) -> Outcome:
    if not entities:
        raise faults.required_missing("entities")
    if not changed_since:
        raise faults.required_missing("changedSince")
    since = _parse_since(company, changed_since)
    if since < company.clock.now() - timedelta(days=sandbox.config.cdc_max_days):
        raise faults.unsupported_operation(
            f"cdc with changedSince date {changed_since} which is older than fixed days")
    specs = []
    for name in entities.split(","):
        spec = spec_for_name(name.strip())
        if spec is None or not spec.cdc:
            raise faults.unsupported_operation(f"cdc for entity {name.strip()}")
        specs.append(spec)
    groups: list[Obj] = []
    budget = sandbox.config.cdc_max_objects
    with company.lock:
        for spec in specs:
            rows: list[Obj] = [dict(o) for o in company.store.changed_since(spec.name, since)]
            rows += [{"domain": "QBO", "status": "Deleted", "Id": t.id,
                      "MetaData": {"LastUpdatedTime": iso_s(company.store.now(t.deleted_at))}}
                     for t in company.store.tombstones_since(spec.name, since)]
            rows.sort(key=lambda o: datetime.fromisoformat(o["MetaData"]["LastUpdatedTime"]))
            rows = rows[:max(budget, 0)]
            budget -= len(rows)
            if rows:
                groups.append({spec.name: rows, "startPosition": 1, "maxResults": len(rows),
                               "totalCount": len(rows)})
    return Outcome({"CDCResponse": [{"QueryResponse": groups or [{}]}]})
