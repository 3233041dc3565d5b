"""Claiming work under a lease, recording outcomes under that lease, and expiring lost leases.

One short transaction claims (the intent: ``in_flight``, attempt, lease); the remote call happens
outside any transaction; another short transaction records the outcome only if the lease is
still ours (fencing). A lease that expires turns the item ``in_doubt``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._ledger.schema import claimable, companies, sync_items
from .context import KIND_PRIORITY, EngineContext, event_row, insert_events
from .statuses import Status


@attrs.frozen(kw_only=True)
class ClaimedItem:
    id: int
    company: str
    kind: str
    mms_id: str
    operation: str
    payload: str
    generation: int
    idempotency_key: str
    attempts: int
    needs_lookup: bool
    status_before: str
    lease_owner: str
    run_id: int | None
    #: The intermediary's id when an earlier version was staged (two-stage connectors).
    intermediary_id: str | None = None


_CLAIM_COLUMNS = (
    sync_items.c.id,
    sync_items.c.company,
    sync_items.c.kind,
    sync_items.c.mms_id,
    sync_items.c.operation,
    sync_items.c.payload,
    sync_items.c.generation,
    sync_items.c.idempotency_key,
    sync_items.c.attempts,
    sync_items.c.needs_lookup,
    sync_items.c.intermediary_id,
)


def expire_leases(ctx: EngineContext, conn: Connection, company: str) -> int:
    """Turn in-flight items whose lease ran out into ``in_doubt``: nobody knows yet whether the
    remote side has them, so the next attempt looks them up before sending anything."""
    now = ctx.now()
    expired = conn.execute(
        sa.select(sync_items.c.id, sync_items.c.kind, sync_items.c.lease_owner).where(
            sync_items.c.company == company,
            sync_items.c.status == Status.IN_FLIGHT.value,
            sync_items.c.lease_expires_at < now,
        )
    ).all()
    if not expired:
        return 0
    conn.execute(
        sa.update(sync_items)
        .where(
            sync_items.c.id.in_([row.id for row in expired]),
            sync_items.c.status == Status.IN_FLIGHT.value,
        )
        .values(
            status=Status.IN_DOUBT.value,
            status_reason="the worker stopped answering mid-export; the record will be looked "
            "up in the accounting system before anything is sent again",
            needs_lookup=True,
            lease_owner=None,
            lease_expires_at=None,
            next_attempt_at=now,
            updated_at=now,
        )
    )
    insert_events(
        conn,
        [
            event_row(
                item_id=row.id, company=company, kind=row.kind, at=now, actor="lease-reaper",
                from_status=Status.IN_FLIGHT.value, to_status=Status.IN_DOUBT.value,
                reason=f"lease of {row.lease_owner} expired", level="warning",
            )
            for row in expired
        ],
    )
    return len(expired)


def claim(
    ctx: EngineContext,
    company: str,
    *,
    owner: str,
    limit: int,
    run_id: int | None,
    lease_seconds: float | None = None,
) -> list[ClaimedItem]:
    """Claim up to ``limit`` due items of ``company`` within its limits, across all workers."""
    now = ctx.now()
    postgres = ctx.engine.dialect.name == "postgresql"
    with ctx.engine.begin() as conn:
        lock = sa.select(companies).where(companies.c.name == company)
        if postgres:
            # Another worker claiming for this company right now: go and serve another one.
            lock = lock.with_for_update(skip_locked=True)
        state = conn.execute(lock).first()
        if state is None:
            return []
        if state.paused_reason is not None:
            return []
        if state.throttled_until is not None and state.throttled_until > now:
            return []
        expire_leases(ctx, conn, company)
        capacity = _capacity(ctx, conn, company, state, now)
        count = min(limit, capacity)
        if count <= 0:
            return []
        select_ids = (
            sa.select(sync_items.c.id)
            .where(
                sync_items.c.company == company,
                claimable(),
                sync_items.c.next_attempt_at <= now,
            )
            .order_by(sync_items.c.priority, sync_items.c.id)
            .limit(count)
        )
        if postgres:
            select_ids = select_ids.with_for_update(skip_locked=True)
        rows = conn.execute(
            sa.select(*_CLAIM_COLUMNS, sync_items.c.status).where(
                sync_items.c.id.in_(select_ids.scalar_subquery())
            )
        ).all()
        if not rows:
            return []
        lease_until = now + dt.timedelta(seconds=lease_seconds or ctx.settings.lease_seconds)
        conn.execute(
            sa.update(sync_items)
            .where(sync_items.c.id.in_([r.id for r in rows]))
            .values(
                status=Status.IN_FLIGHT.value,
                attempts=sync_items.c.attempts + 1,
                lease_owner=owner,
                lease_expires_at=lease_until,
                run_id=run_id,
                updated_at=now,
            )
        )
        _spend_requests(conn, company, state, now, len(rows))
        insert_events(
            conn,
            [
                event_row(
                    item_id=r.id, company=company, kind=r.kind, at=now, actor=owner,
                    from_status=r.status, to_status=Status.IN_FLIGHT.value,
                    reason=f"attempt {r.attempts + 1}", run_id=run_id,
                )
                for r in rows
            ],
        )
    items = [
        ClaimedItem(
            id=r.id, company=r.company, kind=r.kind, mms_id=r.mms_id, operation=r.operation,
            payload=r.payload, generation=r.generation, idempotency_key=r.idempotency_key,
            attempts=r.attempts + 1, needs_lookup=bool(r.needs_lookup), status_before=r.status,
            lease_owner=owner, run_id=run_id, intermediary_id=r.intermediary_id,
        )
        for r in rows
    ]
    # RETURNING/IN order is not guaranteed: keep the dependency order explicitly.
    return sorted(items, key=lambda it: (KIND_PRIORITY.get(it.kind, 9), it.id))


def _capacity(
    ctx: EngineContext, conn: Connection, company: str, state: Any, now: dt.datetime
) -> int:
    limits = ctx.limits(ctx.company(company))
    in_flight = conn.execute(
        sa.select(sa.func.count())
        .select_from(sync_items)
        .where(sync_items.c.company == company, sync_items.c.status == Status.IN_FLIGHT.value)
    ).scalar_one()
    # A batching connector sends up to batch_size items per request: max_in_flight counts
    # requests at once, so as many batches of items may be in flight.
    capacity = limits.max_in_flight * batch_size(ctx, company) - in_flight
    if limits.requests_per_minute is not None:
        used = state.window_count if _window_open(state, now) else 0
        capacity = min(capacity, limits.requests_per_minute - used)
    return capacity


def _window_open(state: Any, now: dt.datetime) -> bool:
    start = state.window_start
    return start is not None and now - start < dt.timedelta(minutes=1)


def _spend_requests(conn: Connection, company: str, state: Any, now: dt.datetime, n: int) -> None:
    if _window_open(state, now):
        values: dict[str, Any] = {"window_count": companies.c.window_count + n}
    else:
        values = {"window_start": now, "window_count": n}
    conn.execute(sa.update(companies).where(companies.c.name == company).values(**values))


def batch_size(ctx: EngineContext, company: str) -> int:
    """Items the company's connector sends per request (1 unless it batches)."""
    try:
        return max(1, int(ctx.connector(company).batch_size))
    except Exception:  # noqa: BLE001 - a connector that cannot start is reported per item
        return 1


def add_requests(conn: Connection, company: str, n: int) -> None:
    """Correct the window by what an export cost beyond the one request its claim counted:
    extra requests (lookups, token refreshes) add; an item that needed none, or rode in a
    batch request another item counted, gives its request back. Never below zero."""
    if n != 0:
        count = companies.c.window_count + n
        conn.execute(
            sa.update(companies)
            .where(companies.c.name == company)
            .values(window_count=sa.case((count < 0, 0), else_=count))
        )


def fenced_update(
    conn: Connection, item: ClaimedItem, values: dict[str, Any]
) -> bool:
    """Apply ``values`` to the item only while this worker still holds its lease."""
    result = conn.execute(
        sa.update(sync_items)
        .where(
            sync_items.c.id == item.id,
            sync_items.c.status == Status.IN_FLIGHT.value,
            sync_items.c.lease_owner == item.lease_owner,
        )
        .values(**values)
    )
    return result.rowcount == 1


def extend_leases(ctx: EngineContext, conn: Connection, owner: str, company: str) -> None:
    """Heartbeat: keep the rest of this worker's claimed batch leased while it works."""
    conn.execute(
        sa.update(sync_items)
        .where(
            sync_items.c.company == company,
            sync_items.c.status == Status.IN_FLIGHT.value,
            sync_items.c.lease_owner == owner,
        )
        .values(lease_expires_at=ctx.now() + dt.timedelta(seconds=ctx.settings.lease_seconds))
    )
