"""Claiming work under a lease, recording outcomes under that lease, and expiring lost leases.

One short transaction claims (the intent: ``in_flight``, attempt, lease); the remote call happens
outside any transaction; another short transaction records the outcome only if the lease is
still ours (fencing). A lease that expires turns the item ``in_doubt``.
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._connector import ConnectorLimits
from .._ledger.schema import claimable, companies, sync_items
from . import items
from .context import KIND_PRIORITY, EngineContext
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
    #: The row's ``updated_at`` as the claim wrote it (None for an item read again later):
    #: any later change of the row (its lease ran out, another owner claimed it) changes it.
    claimed_at: dt.datetime | None = None


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


def _claim_select(postgres: bool) -> sa.Select[Any]:
    """The due items a claim takes, oldest first by priority; PostgreSQL skips the rows other
    workers are claiming. Built once per backend: only the parameters change per claim."""
    select_ids = (
        sa.select(sync_items.c.id)
        .where(
            sync_items.c.company == sa.bindparam("b_company"),
            claimable(),
            sync_items.c.next_attempt_at <= sa.bindparam("b_now"),
        )
        .order_by(sync_items.c.priority, sync_items.c.id)
        .limit(sa.bindparam("b_count", type_=sa.Integer))
    )
    if postgres:
        select_ids = select_ids.with_for_update(skip_locked=True)
    return sa.select(*_CLAIM_COLUMNS, sync_items.c.status).where(
        sync_items.c.id.in_(select_ids.scalar_subquery()))


#: By whether the backend is PostgreSQL.
_CLAIM_SELECT = {postgres: _claim_select(postgres) for postgres in (False, True)}


@attrs.frozen
class Claim:
    """What a claim got: its items, and whether another worker was claiming for the company
    at that moment (PostgreSQL; an empty claim then says nothing about the company's work)."""

    items: list[ClaimedItem]
    contended: bool = False


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
    return claim_batch(ctx, company, owner=owner, limit=limit, run_id=run_id,
                       lease_seconds=lease_seconds).items


def claim_batch(
    ctx: EngineContext,
    company: str,
    *,
    owner: str,
    limit: int,
    run_id: int | None,
    lease_seconds: float | None = None,
) -> Claim:
    """:func:`claim`, saying also whether the company was being claimed by another worker."""
    now = ctx.now()
    postgres = ctx.engine.dialect.name == "postgresql"
    with ctx.engine.begin() as conn:
        # One claimer per company at a time: its in-flight count and request window are read
        # and spent under the company's claim lock. SQLite's writing transactions (BEGIN
        # IMMEDIATE) are serialised already.
        if postgres and not conn.execute(_TRY_CLAIM_LOCK, _lock_key(company)).scalar_one():
            # Another worker claiming for this company right now: go and serve another one.
            return Claim([], contended=True)
        # Read in a statement of its own, after the lock was granted: in READ COMMITTED a
        # statement sees what was committed when it started, and the previous holder's claim
        # may have committed after the lock statement started, which would undercount what
        # that claim took.
        state = conn.execute(_STATE, {"b_company": company}).first()
        if state is None:
            return Claim([])  # no row yet (a run opened by a tick before anything was recorded)
        if state.paused_reason is not None:
            return Claim([])
        if state.throttled_until is not None and state.throttled_until > now:
            return Claim([])
        limits = ctx.limits(ctx.company(company))
        # Expired leases no longer count as in flight (they turn in_doubt here).
        reap_at = ctx.now()
        if state.first_lease_end is not None and state.first_lease_end < reap_at:
            in_flight = state.in_flight - items.expire_leases(conn, company, reap_at)
        else:
            in_flight = state.in_flight
        capacity = _capacity(ctx, limits, company, state, now, in_flight)
        count = min(limit, capacity)
        if count <= 0:
            return Claim([])
        rows = conn.execute(_CLAIM_SELECT[postgres], {
            "b_company": company, "b_now": now, "b_count": count}).all()
        if not rows:
            return Claim([])
        lease_until = now + dt.timedelta(seconds=lease_seconds or ctx.settings.lease_seconds)
        items.claim_rows(conn, rows, owner=owner, company=company, lease_until=lease_until,
                         run_id=run_id, at=now)
        if limits.requests_per_minute is not None:
            _spend_requests(conn, company, state, now, len(rows))
    # The rows unpacked by position (_CLAIM_COLUMNS, then status): cheaper than by name.
    claimed = [
        ClaimedItem(
            id=id_, company=company_, kind=kind, mms_id=mms_id, operation=operation,
            payload=payload, generation=generation, idempotency_key=key,
            attempts=attempts + 1, needs_lookup=bool(needs_lookup), status_before=status,
            lease_owner=owner, run_id=run_id, intermediary_id=intermediary_id,
            claimed_at=now,
        )
        for (id_, company_, kind, mms_id, operation, payload, generation, key, attempts,
             needs_lookup, intermediary_id, status) in rows
    ]
    # RETURNING/IN order is not guaranteed: keep the dependency order explicitly.
    return Claim(sorted(claimed, key=lambda it: (KIND_PRIORITY.get(it.kind, 9), it.id)))


#: The claim lock of a company (PostgreSQL): a transaction-scoped advisory lock, so that a
#: claim writes nothing to the shared ``companies`` row unless it spends from a request window
#: (a ``FOR UPDATE`` row lock writes the row's header and WAL on every claim). Two companies
#: whose names hash alike merely take turns.
_TRY_CLAIM_LOCK = sa.select(sa.func.pg_try_advisory_xact_lock(
    sa.bindparam("b_space", type_=sa.Integer), sa.bindparam("b_key", type_=sa.Integer)))
#: The advisory-lock key space of company claims (SCHEDULES_LOCK in runs.py is a 64-bit key:
#: PostgreSQL keeps one-key and two-key advisory locks apart).
_CLAIM_LOCK_SPACE = 0x6C73636C  # "lscl"


def _lock_key(company: str) -> dict[str, int]:
    digest = zlib.crc32(company.encode())
    return {"b_space": _CLAIM_LOCK_SPACE, "b_key": digest - (1 << 31)}


#: The company's state and its items in flight (claimed under a lease, by any worker).
_STATE = sa.select(
    companies,
    sa.select(sa.func.count())
    .select_from(sync_items)
    .where(sync_items.c.company == companies.c.name,
           sync_items.c.status == Status.IN_FLIGHT.value)
    .scalar_subquery()
    .label("in_flight"),
    # Whether a lease ran out (only then is there anything to expire).
    sa.select(sa.func.min(sync_items.c.lease_expires_at))
    .where(sync_items.c.company == companies.c.name,
           sync_items.c.status == Status.IN_FLIGHT.value)
    .scalar_subquery()
    .label("first_lease_end"),
).where(companies.c.name == sa.bindparam("b_company"))


def _capacity(ctx: EngineContext, limits: ConnectorLimits, company: str, state: Any,
              now: dt.datetime, in_flight: int) -> int:
    # A batching connector sends up to batch_size items per request: max_in_flight counts
    # requests at once, so as many batches of items may be in flight.
    capacity = limits.max_in_flight * ctx.batch_size(company) - in_flight
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


def add_requests(ctx: EngineContext, conn: Connection, company: str, n: int) -> None:
    """Correct the window by what an export cost beyond the one request its claim counted:
    extra requests (lookups, token refreshes) add; an item that needed none, or rode in a
    batch request another item counted, gives its request back. Never below zero. Only a
    company with a request-rate limit keeps a window (no shared row to write otherwise)."""
    if n != 0 and ctx.limits(ctx.company(company)).requests_per_minute is not None:
        count = companies.c.window_count + n
        conn.execute(
            sa.update(companies)
            .where(companies.c.name == company)
            .values(window_count=sa.case((count < 0, 0), else_=count))
        )


def extend_leases(ctx: EngineContext, conn: Connection, owner: str, company: str) -> None:
    """Heartbeat: keep the rest of this worker's claimed batch leased while it works."""
    items.extend_leases(conn, owner, company,
                        ctx.now() + dt.timedelta(seconds=ctx.settings.lease_seconds))
