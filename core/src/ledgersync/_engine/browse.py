"""Read models for the Accounting Sync page: a keyset-paged item list, one item in full, and
what each mapping kind has mapped and what it still blocks.

Paging is by id (newest first) with ``before``: each page is an index range scan that stops
after ``limit`` rows, so the thousandth page costs what the first does, whatever the size of
the ledger (an OFFSET would read and drop every row before the page).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .._ledger.database import read_connection
from .._ledger.schema import links, mappings, sync_events, sync_item_dependencies, sync_items
from .filters import ItemFilter
from .queries import EventView, ItemView, history
from .statuses import Status


@attrs.frozen(kw_only=True)
class ItemPage:
    """One page of items, newest first; ``next_before`` asks for the next (older) page."""

    items: tuple[ItemView, ...]
    next_before: int | None


@attrs.frozen(kw_only=True)
class ItemReference:
    """Something an item refers to (its customer, an item, an account) and how it resolves."""

    kind: str
    mms_id: str
    field: str
    linked_id: str | None
    mapped_id: str | None
    #: The sync item that exported the referenced record, when there is one.
    item_id: int | None


@attrs.frozen(kw_only=True)
class ItemDetail:
    """Everything about one item: the row, the MMS record as recorded (what is sent), a newer
    version waiting behind an in-flight one, the references, and the full history."""

    item: ItemView
    payload: str
    deferred_payload: str | None
    mark_reason: str | None
    marked_by: str | None
    synced_at: dt.datetime | None
    created_at: dt.datetime
    references: tuple[ItemReference, ...]
    history: tuple[EventView, ...]


@attrs.frozen(kw_only=True)
class MappedValue:
    mms_id: str
    external_id: str
    external_name: str | None
    mapped_by: str
    updated_at: dt.datetime


@attrs.frozen(kw_only=True)
class UnmappedValue:
    """An MMS value nothing maps or links yet, and the blocked items waiting for it."""

    mms_id: str
    blocked: int
    item_ids: tuple[int, ...]


@attrs.frozen(kw_only=True)
class MappingOverview:
    company: str
    kind: str
    mapped: tuple[MappedValue, ...]
    unmapped: tuple[UnmappedValue, ...]
    #: Remote records of this kind that ledgersync already knows (linked), as choices.
    known_remote: tuple[tuple[str, str], ...]


_ITEM_COLUMNS = (
    sync_items.c.id, sync_items.c.company, sync_items.c.kind, sync_items.c.mms_id,
    sync_items.c.operation, sync_items.c.status, sync_items.c.status_reason,
    sync_items.c.attempts, sync_items.c.document_date, sync_items.c.member_id,
    sync_items.c.external_id, sync_items.c.error_code, sync_items.c.error_message,
    sync_items.c.error_remedy, sync_items.c.mark, sync_items.c.next_attempt_at,
    sync_items.c.updated_at,
)


def _view(r: Any) -> ItemView:
    m = r._mapping
    return ItemView(
        id=m["id"], company=m["company"], kind=m["kind"], mms_id=m["mms_id"],
        operation=m["operation"], status=m["status"], reason=m["status_reason"],
        attempts=m["attempts"], document_date=m["document_date"], member_id=m["member_id"],
        external_id=m["external_id"], error_code=m["error_code"],
        error_message=m["error_message"], error_remedy=m["error_remedy"], mark=m["mark"],
        next_attempt_at=m["next_attempt_at"], updated_at=m["updated_at"],
    )


def text_clause(text: str) -> sa.ColumnElement[bool]:
    """Items whose MMS id, member or remote id is ``text``, or whose reason or error mentions
    it (case-insensitive)."""
    c = sync_items.c
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(c.mms_id == text, c.member_id == text, c.external_id == text,
                  c.error_message.ilike(pattern, escape="\\"),
                  c.status_reason.ilike(pattern, escape="\\"),
                  c.error_code == text)


def browse(engine: Engine, selection: ItemFilter, *, text: str | None = None,
           run_id: int | None = None, before: int | None = None, limit: int = 50) -> ItemPage:
    """A page of items matching ``selection`` (and ``text``, and having taken part in
    ``run_id``), newest first, older than item id ``before``."""
    c = sync_items.c
    query = sa.select(*_ITEM_COLUMNS).where(*selection.where())
    if text:
        query = query.where(text_clause(text))
    if run_id is not None:
        query = query.where(c.id.in_(sa.select(sync_events.c.item_id).where(
            sync_events.c.run_id == run_id)))
    if before is not None:
        query = query.where(c.id < before)
    query = query.order_by(c.id.desc()).limit(limit + 1)
    with read_connection(engine) as conn:
        rows = conn.execute(query).all()
    items = tuple(_view(r) for r in rows[:limit])
    return ItemPage(items=items, next_before=items[-1].id if len(rows) > limit else None)


def detail(engine: Engine, item_id: int) -> ItemDetail | None:
    """One item in full, or None when there is no such item."""
    deps = sync_item_dependencies
    with read_connection(engine) as conn:
        row = conn.execute(sa.select(*_ITEM_COLUMNS, sync_items.c.payload,
                                     sync_items.c.deferred_payload, sync_items.c.mark_reason,
                                     sync_items.c.marked_by, sync_items.c.synced_at,
                                     sync_items.c.created_at)
                           .where(sync_items.c.id == item_id)).first()
        if row is None:
            return None
        exporter = sync_items.alias("exporter")
        refs = conn.execute(
            sa.select(deps.c.kind, deps.c.mms_id, deps.c.field,
                      links.c.external_id.label("linked"),
                      mappings.c.external_id.label("mapped"),
                      sa.select(sa.func.min(exporter.c.id)).where(
                          exporter.c.company == deps.c.company, exporter.c.kind == deps.c.kind,
                          exporter.c.mms_id == deps.c.mms_id).scalar_subquery().label("item"))
            .select_from(deps.outerjoin(links, sa.and_(
                links.c.company == deps.c.company, links.c.kind == deps.c.kind,
                links.c.mms_id == deps.c.mms_id)).outerjoin(mappings, sa.and_(
                    mappings.c.company == deps.c.company, mappings.c.kind == deps.c.kind,
                    mappings.c.mms_id == deps.c.mms_id)))
            .where(deps.c.item_id == item_id).order_by(deps.c.kind, deps.c.mms_id)).all()
    m = row._mapping
    return ItemDetail(
        item=_view(row), payload=_pretty(m["payload"]),
        deferred_payload=_pretty(m["deferred_payload"]) if m["deferred_payload"] else None,
        mark_reason=m["mark_reason"], marked_by=m["marked_by"], synced_at=m["synced_at"],
        created_at=m["created_at"],
        references=tuple(ItemReference(kind=r.kind, mms_id=r.mms_id, field=r.field,
                                   linked_id=r.linked, mapped_id=r.mapped, item_id=r.item)
                         for r in refs),
        history=tuple(history(engine, item_id)),
    )


def _pretty(payload: str) -> str:
    try:
        return json.dumps(json.loads(payload), indent=2, sort_keys=True)
    except ValueError:
        return payload


def mapping_overview(engine: Engine, company: str, kind: str, *, examples: int = 5
                     ) -> MappingOverview:
    """What ``company`` maps for ``kind``, what blocks items unmapped, and known remote ids."""
    deps = sync_item_dependencies
    with read_connection(engine) as conn:
        mapped = conn.execute(sa.select(mappings).where(
            mappings.c.company == company, mappings.c.kind == kind)
            .order_by(mappings.c.mms_id)).all()
        blocked = conn.execute(
            sa.select(deps.c.mms_id, sync_items.c.id)
            .join(sync_items, sync_items.c.id == deps.c.item_id)
            .where(deps.c.company == company, deps.c.kind == kind,
                   sync_items.c.status == Status.BLOCKED.value)
            .order_by(deps.c.mms_id, sync_items.c.id)).all()
        known = conn.execute(sa.select(links.c.external_id, links.c.mms_id).where(
            links.c.company == company, links.c.kind == kind)
            .order_by(links.c.mms_id).limit(500)).all()
    waiting: dict[str, list[int]] = {}
    for mms_id, item in blocked:
        waiting.setdefault(mms_id, []).append(item)
    return MappingOverview(
        company=company, kind=kind,
        mapped=tuple(MappedValue(mms_id=r.mms_id, external_id=r.external_id,
                                 external_name=r.external_name, mapped_by=r.mapped_by,
                                 updated_at=r.updated_at) for r in mapped),
        unmapped=tuple(UnmappedValue(mms_id=k, blocked=len(v), item_ids=tuple(v[:examples]))
                       for k, v in sorted(waiting.items())),
        known_remote=tuple((r.external_id, r.mms_id) for r in known),
    )


#: Statuses that wait for a person: a failure to fix, or a batch to review.
NEEDS_PERSON = (Status.ERROR, Status.AWAITING_APPROVAL)


def attention_counts(engine: Engine, companies: list[str]) -> dict[tuple[str, str], int]:
    """Items per (company, status) for the statuses that wait for a person: one index range
    per pair (company, status), so it stays cheap however many synced items there are."""
    c = sync_items.c
    counts: dict[tuple[str, str], int] = {}
    with read_connection(engine) as conn:
        for company in companies:
            for status in NEEDS_PERSON:
                n = conn.execute(sa.select(sa.func.count()).where(
                    c.company == company, c.status == status.value)).scalar_one()
                if n:
                    counts[(company, status.value)] = n
    return counts


def dependents(engine: Engine, company: str, kind: str, mms_id: str,
               statuses: tuple[Status, ...]) -> list[int]:
    """Ids of ``company``'s items in ``statuses`` that refer to ``kind`` ``mms_id``."""
    deps = sync_item_dependencies
    with read_connection(engine) as conn:
        return list(conn.execute(
            sa.select(sync_items.c.id).join(deps, deps.c.item_id == sync_items.c.id)
            .where(deps.c.company == company, deps.c.kind == kind, deps.c.mms_id == mms_id,
                   sync_items.c.status.in_([s.value for s in statuses]))
            .order_by(sync_items.c.id)).scalars())
