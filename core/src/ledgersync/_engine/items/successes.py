"""Successes and what follows them: the fenced ``synced`` write, the links to remote ids, the
release of items that waited for them, and a newer MMS version waiting behind the one sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..._connector import ExportResult, Operation
from ..._ledger.bulk import execute_many
from ..._ledger.schema import links, sync_items
from .. import statements
from ..context import idempotency_key
from ..statuses import Status
from .history import ItemKey, LeasedItem, event_row, insert_events
from .lifecycle import fenced_update, lease_lost

S = Status


@attrs.frozen(kw_only=True)
class SyncedWrite:
    """One success to record: the item, the remote's answer, and its history line."""

    item: LeasedItem
    result: ExportResult
    warnings: str | None
    level: str
    message: str
    at: dt.datetime


def write_synced(conn: Connection, group: Sequence[SyncedWrite],
                 now: dt.datetime) -> list[SyncedWrite]:
    """Record the successes of ``group`` in one transaction: fenced status, history, links,
    and the release of items that waited for them. Returns those whose lease still held.

    A few statements per group, whatever its size: the group's rows are locked and read
    together, every success whose lease holds (and behind which no newer MMS version waits)
    is written by one update, and their events by one insert. The rest take the slow path,
    one by one.
    """
    ordered = sorted(group, key=lambda d: d.item.id)
    fast = _fenced(conn, ordered)
    written = [done for done in ordered if done.item.id in fast]
    _write_fast(conn, written)
    insert_events(conn, [_synced_event(done) for done in written])
    for done in ordered:
        if done.item.id in fast:
            continue
        item, result = done.item, done.result
        # Either the lease is gone, or a newer MMS version waits: the slow path.
        if not fenced_update(conn, item, {
            "status": S.SYNCED.value, "status_reason": done.warnings,
            "external_id": result.external_id, "version_token": result.version_token,
            "needs_lookup": False, "lease_owner": None, "lease_expires_at": None,
            "error_code": None, "error_message": None, "error_remedy": None,
            "synced_at": done.at, "updated_at": done.at,
        }):
            lease_lost(conn, item, f"synced as {result.external_id}", now)
            continue
        # The sync itself goes into the history first: what it sets off comes after.
        insert_events(conn, [_synced_event(done)])
        _follow_deferred(conn, item, now)
        written.append(done)
    _link_all(conn, written)
    _unblock_all(conn, written, now)
    return written


def _fenced(conn: Connection, ordered: Sequence[SyncedWrite]) -> set[int]:
    """Lock the group's rows (ascending ids) and return the ids whose success the fast
    statement may write: still in flight under this lease, no newer version waiting."""
    owners = {done.item.id: done.item.lease_owner for done in ordered}
    in_flight = S.IN_FLIGHT.value
    # (id, status, lease owner, deferred hash): unpacked, cheaper than by name per row
    return {item_id for item_id, status, owner, deferred in conn.execute(
                statements.SYNCED_CANDIDATES[conn.dialect.name], {"b_ids": list(owners)})
            if status == in_flight and owner == owners[item_id] and deferred is None}


def _write_fast(conn: Connection, fast: Sequence[SyncedWrite]) -> None:
    if not fast:
        return
    if conn.dialect.name == "postgresql" and len(fast) > 1:
        conn.exec_driver_sql(statements.SYNCED_MANY_POSTGRESQL, {
            "ids": [d.item.id for d in fast], "owners": [d.item.lease_owner for d in fast],
            "reasons": [d.warnings for d in fast],
            "external_ids": [d.result.external_id for d in fast],
            "tokens": [d.result.version_token for d in fast],
            "ats": [d.at.astimezone(dt.UTC) for d in fast]})
        return
    # SQLite: an executemany of the one-row statement runs in-process, without round trips.
    execute_many(conn, statements.SYNCED, [{
        "b_id": d.item.id, "b_owner": d.item.lease_owner, "b_reason": d.warnings,
        "b_external_id": d.result.external_id, "b_version_token": d.result.version_token,
        "b_now": d.at} for d in fast])


_IN_FLIGHT = S.IN_FLIGHT.value
_SYNCED = S.SYNCED.value


def _synced_event(done: SyncedWrite) -> dict[str, object]:
    item = done.item
    return event_row(item_id=item.id, company=item.company, kind=item.kind, at=done.at,
                     actor=item.lease_owner, from_status=_IN_FLIGHT, to_status=_SYNCED,
                     reason=done.message, level=done.level, run_id=item.run_id)


def unlink(conn: Connection, item: ItemKey) -> None:
    """Forget the remote id of the record (deleted remotely: it will be created again)."""
    conn.execute(sa.delete(links).where(links.c.company == item.company,
                                        links.c.kind == item.kind,
                                        links.c.mms_id == item.mms_id))


def _link_all(conn: Connection, group: list[SyncedWrite]) -> None:
    """Link every record of the group to its remote id (one upsert for all new links)."""
    # One item per record in a group; should a record come twice, its last result wins.
    upserts: dict[tuple[str, str, str], SyncedWrite] = {}
    void = Operation.VOID.value
    for done in group:
        item = done.item
        if item.operation == void:
            conn.execute(sa.update(links).where(
                links.c.company == item.company, links.c.kind == item.kind,
                links.c.mms_id == item.mms_id,
            ).values(version_token=done.result.version_token, updated_at=done.at))
            continue
        upserts[(item.company, item.kind, item.mms_id)] = done
    linked = list(upserts.values())
    if conn.dialect.name == "postgresql" and len(linked) > 1:
        conn.exec_driver_sql(statements.LINK_UPSERT_MANY_POSTGRESQL, {
            "companies": [d.item.company for d in linked],
            "kinds": [d.item.kind for d in linked],
            "mms_ids": [d.item.mms_id for d in linked],
            "external_ids": [d.result.external_id for d in linked],
            "tokens": [d.result.version_token for d in linked],
            "ats": [d.at.astimezone(dt.UTC) for d in linked]})
    elif linked:
        execute_many(conn, statements.LINK_UPSERT[conn.dialect.name], [{
            "b_company": d.item.company, "b_kind": d.item.kind, "b_mms_id": d.item.mms_id,
            "b_external_id": d.result.external_id,
            "b_version_token": d.result.version_token, "b_now": d.at} for d in linked])


def _unblock_all(conn: Connection, group: list[SyncedWrite], now: dt.datetime) -> None:
    """Release what waited for the records of the group (one statement where possible)."""
    if not group:
        return
    if len(group) == 1 or not conn.dialect.update_returning:
        for done in group:
            _unblock_dependents(conn, done.item, now)
        return
    released: list[Any] = []
    for company in sorted({d.item.company for d in group}):
        mine = [d.item for d in group if d.item.company == company]
        released += conn.execute(statements.UNBLOCK_MANY_RETURNING[conn.dialect.name], {
            "b_company": company, "b_now": now, **statements.pair_parameters(
                conn.dialect.name, ((i.kind, i.mms_id) for i in mine))}).all()
    insert_events(conn, [event_row(
        item_id=row.id, company=row.company, kind=row.kind, at=now, actor="engine",
        from_status=S.BLOCKED.value, to_status=S.PENDING.value,
        reason="a record it waits for synced") for row in released])


def _unblock_dependents(conn: Connection, item: ItemKey, now: dt.datetime) -> None:
    params = {"b_company": item.company, "b_kind": item.kind, "b_mms_id": item.mms_id,
              "b_now": now}
    reason = f"{item.kind.replace('_', ' ')} {item.mms_id!r} synced"
    if not conn.dialect.update_returning:  # SQLite older than 3.35
        waiting = conn.execute(statements.WAITING_ITEMS, params).all()
        release_blocked(conn, item.company, waiting, now, reason=reason)
        return
    released = conn.execute(statements.UNBLOCK_RETURNING, params).all()
    insert_events(conn, [event_row(
        item_id=row.id, company=item.company, kind=row.kind, at=now, actor="engine",
        from_status=S.BLOCKED.value, to_status=S.PENDING.value, reason=reason)
        for row in released])


def release_blocked(conn: Connection, company: str, rows: Iterable[Any], now: dt.datetime, *,
                    reason: str, actor: str = "engine") -> int:
    """Move blocked items back to pending; the worker re-checks their other dependencies."""
    rows = list(rows)
    if not rows:
        return 0
    conn.execute(
        sa.update(sync_items)
        .where(sync_items.c.id.in_([row.id for row in rows]),
               sync_items.c.status == S.BLOCKED.value)
        .values(status=S.PENDING.value, status_reason=None, next_attempt_at=now,
                updated_at=now))
    insert_events(conn, [event_row(
        item_id=row.id, company=company, kind=row.kind, at=now, actor=actor,
        from_status=S.BLOCKED.value, to_status=S.PENDING.value, reason=reason)
        for row in rows])
    return len(rows)


def _follow_deferred(conn: Connection, item: ItemKey, now: dt.datetime) -> None:
    """A version recorded while this one was in flight becomes the next one to send."""
    row = conn.execute(
        sa.select(sync_items.c.deferred_payload, sync_items.c.deferred_hash,
                  sync_items.c.generation)
        .where(sync_items.c.id == item.id, sync_items.c.deferred_hash.is_not(None))
    ).first()
    if row is None:
        return
    generation = row.generation + 1
    conn.execute(sa.update(sync_items).where(sync_items.c.id == item.id).values(
        status=S.PENDING.value, payload=row.deferred_payload, payload_hash=row.deferred_hash,
        deferred_payload=None, deferred_hash=None, generation=generation, attempts=0,
        idempotency_key=idempotency_key(item.company, item.kind, item.mms_id, item.operation,
                                        generation),
        next_attempt_at=now, status_reason="a newer version from the MMS follows",
    ))
    insert_events(conn, [event_row(
        item_id=item.id, company=item.company, kind=item.kind, at=now, actor="engine",
        from_status=S.SYNCED.value, to_status=S.PENDING.value,
        reason="a newer version recorded while this one was in flight follows")])
