"""Read models for screens and the CLI: status counts, items, runs with sections, history."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .._ledger.database import read_connection
from .._ledger.schema import companies, run_sections, runs, sync_events, sync_items
from .._records import Record, record_from_json
from .filters import ItemFilter


@attrs.frozen(kw_only=True)
class ItemRef:
    """Which sync item a progress callback is about: ``Ledger.run_pending(on_item=...)`` and a
    pull-mode connector's :class:`~ledgersync.PulledItem` name items this way."""

    id: int
    company: str
    kind: str
    mms_id: str
    operation: str


@attrs.frozen(kw_only=True)
class ItemView:
    id: int
    company: str
    kind: str
    mms_id: str
    operation: str
    status: str
    reason: str | None
    attempts: int
    document_date: dt.date | None
    member_id: str | None
    external_id: str | None
    error_code: str | None
    error_message: str | None
    error_remedy: str | None
    mark: str | None
    next_attempt_at: dt.datetime
    updated_at: dt.datetime
    #: Two-stage connectors: the intermediary's id of the staged (or confirmed) record.
    intermediary_id: str | None = None


@attrs.frozen(kw_only=True)
class SectionView:
    kind: str
    ok: int
    warning: int
    error: int
    cursor: str | None
    #: Accepted by an intermediary, not yet confirmed by the accounting system.
    staged: int = 0


@attrs.frozen(kw_only=True)
class MessageView:
    at: dt.datetime
    level: str
    kind: str | None
    item_id: int | None
    status: str | None
    code: str | None
    reason: str | None


@attrs.frozen(kw_only=True)
class RunView:
    id: int
    company: str
    trigger: str
    status: str
    scheduled_for: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    sections: tuple[SectionView, ...]
    messages: tuple[MessageView, ...]


@attrs.frozen(kw_only=True)
class EventView:
    at: dt.datetime
    actor: str
    from_status: str | None
    to_status: str | None
    level: str
    code: str | None
    reason: str | None


@attrs.frozen(kw_only=True)
class CompanyView:
    name: str
    paused_reason: str | None
    paused_remedy: str | None
    throttled_until: dt.datetime | None
    in_sync_date: dt.date | None


def status_counts(engine: Engine, company: str | None = None) -> dict[tuple[str, str], int]:
    """Items per (company, status)."""
    query = sa.select(sync_items.c.company, sync_items.c.status, sa.func.count()).group_by(
        sync_items.c.company, sync_items.c.status)
    if company is not None:
        query = query.where(sync_items.c.company == company)
    with read_connection(engine) as conn:
        return {(c, s): n for c, s, n in conn.execute(query).all()}


def list_items(engine: Engine, selection: ItemFilter, *, limit: int | None = 200
               ) -> list[ItemView]:
    c = sync_items.c
    query = sa.select(
        c.id, c.company, c.kind, c.mms_id, c.operation, c.status, c.status_reason, c.attempts,
        c.document_date, c.member_id, c.external_id, c.error_code, c.error_message,
        c.error_remedy, c.mark, c.next_attempt_at, c.updated_at, c.intermediary_id,
    ).where(*selection.where()).order_by(_item_order(selection)).limit(limit)
    with read_connection(engine) as conn:
        return [
            ItemView(
                id=r.id, company=r.company, kind=r.kind, mms_id=r.mms_id,
                operation=r.operation, status=r.status, reason=r.status_reason,
                attempts=r.attempts, document_date=r.document_date, member_id=r.member_id,
                external_id=r.external_id, error_code=r.error_code,
                error_message=r.error_message, error_remedy=r.error_remedy, mark=r.mark,
                next_attempt_at=r.next_attempt_at, updated_at=r.updated_at,
                intermediary_id=r.intermediary_id,
            )
            for r in conn.execute(query).all()
        ]


def _item_order(selection: ItemFilter) -> sa.ColumnElement[int]:
    """Oldest first. For one record (an MMS id given) the order is ``id + 0``, which no index
    serves: SQLite (no statistics) would otherwise walk the (kind, id) index to spare a sort
    and read every item of the kind, 23 ms a call at 19,000 members, instead of the few rows
    the unique (company, kind, mms_id, operation) index finds."""
    c = sync_items.c
    return c.id + 0 if selection.mms_id is not None else c.id


def list_runs(
    engine: Engine, *, company: str | None = None, limit: int = 20,
    since: dt.datetime | None = None, messages_per_run: int = 50,
) -> list[RunView]:
    query = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
    if company is not None:
        query = query.where(runs.c.company == company)
    if since is not None:
        query = query.where(runs.c.scheduled_for >= since)
    views: list[RunView] = []
    with read_connection(engine) as conn:
        for run in conn.execute(query).all():
            sections = tuple(
                SectionView(kind=s.kind, ok=s.ok, warning=s.warning, error=s.error,
                            cursor=s.cursor, staged=s.staged)
                for s in conn.execute(sa.select(run_sections).where(
                    run_sections.c.run_id == run.id).order_by(run_sections.c.kind)).all()
            )
            messages = tuple(
                MessageView(at=e.at, level=e.level, kind=e.kind, item_id=e.item_id,
                            status=e.to_status, code=e.code, reason=e.reason)
                for e in conn.execute(sa.select(sync_events).where(
                    sync_events.c.run_id == run.id,
                    sync_events.c.level.in_(["warning", "error"]),
                ).order_by(sync_events.c.id).limit(messages_per_run)).all()
            )
            views.append(RunView(
                id=run.id, company=run.company, trigger=run.trigger, status=run.status,
                scheduled_for=run.scheduled_for, started_at=run.started_at,
                finished_at=run.finished_at, sections=sections, messages=messages,
            ))
    return views


def history(engine: Engine, item_id: int) -> list[EventView]:
    with read_connection(engine) as conn:
        return [
            EventView(at=e.at, actor=e.actor, from_status=e.from_status, to_status=e.to_status,
                      level=e.level, code=e.code, reason=e.reason)
            for e in conn.execute(sa.select(sync_events).where(
                sync_events.c.item_id == item_id).order_by(sync_events.c.id)).all()
        ]


def recorded(engine: Engine, company: str, kind: str, mms_id: str) -> Record | None:
    """The newest recorded version of one record: a void's, else an update's, else the
    create's (a version recorded while another was in flight comes first)."""
    with read_connection(engine) as conn:
        rows = {r.operation: r for r in conn.execute(
            sa.select(sync_items.c.operation, sync_items.c.payload,
                      sync_items.c.deferred_payload).where(
                sync_items.c.company == company, sync_items.c.kind == kind,
                sync_items.c.mms_id == mms_id)).all()}
    carrier = rows.get("void") or rows.get("update") or rows.get("create")
    if carrier is None:
        return None
    payload = carrier.deferred_payload or carrier.payload
    return record_from_json(json.loads(payload, parse_float=Decimal))


def company_states(engine: Engine, names: Sequence[str] | None = None) -> list[CompanyView]:
    query = sa.select(companies).order_by(companies.c.name)
    if names is not None:
        query = query.where(companies.c.name.in_(list(names)))
    with read_connection(engine) as conn:
        return [
            CompanyView(name=r.name, paused_reason=r.paused_reason,
                        paused_remedy=r.paused_remedy, throttled_until=r.throttled_until,
                        in_sync_date=r.in_sync_date)
            for r in conn.execute(query).all()
        ]
