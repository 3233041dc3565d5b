"""The one writer of a sync item's life: ``sync_items``, their dependencies, ``links`` and the
``sync_events`` history.

Every status change goes through here, is checked against the transition table
(:data:`~ledgersync._engine.statuses.TRANSITIONS`) and writes its event in the same
transaction. The rest of the engine decides *what* should happen to an item; this module is
the only place that makes it happen, so a new status or transition is an edit of the table in
``statuses.py`` plus, at most, a new function here.

The hot path keeps its batched statements (``statements.py``): their fixed transitions are
checked against the table once, at import, so removing a transition the engine relies on fails
loudly instead of silently writing around the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._connector import ExportResult, Operation
from .._ledger.schema import links, sync_item_dependencies, sync_items
from . import statements
from .context import idempotency_key
from .statuses import INITIAL, TRANSITIONS, Status, check_transition

__all__ = [
    "ItemKey", "LeasedItem", "SyncedWrite", "claim_rows", "event_row", "expire_leases",
    "extend_leases", "finish", "insert_item", "lease_lost", "move", "note", "note_company",
    "release_blocked", "replace_dependencies", "set_fields", "unlink", "write_synced",
]

S = Status


class ItemKey(Protocol):
    """What names an item in its history: a claimed item or a row read from ``sync_items``."""

    @property
    def id(self) -> int: ...
    @property
    def company(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def mms_id(self) -> str: ...
    @property
    def operation(self) -> str: ...


class LeasedItem(ItemKey, Protocol):
    """An item a worker holds: its lease owner fences every write of the outcome."""

    @property
    def lease_owner(self) -> str: ...
    @property
    def run_id(self) -> int | None: ...


def _require(current: Status, target: Status) -> None:
    """A transition written by a fixed statement must be in the table (checked at import)."""
    if target not in TRANSITIONS[current]:
        raise AssertionError(
            f"statuses.TRANSITIONS lacks {current.value} -> {target.value}, which the engine "
            "writes in bulk; add it to the table or change the engine")


for _pair in ((S.IN_FLIGHT, S.SYNCED), (S.BLOCKED, S.PENDING), (S.IN_FLIGHT, S.IN_DOUBT),
              (S.SYNCED, S.PENDING)):
    _require(*_pair)


def _describe(item: ItemKey) -> str:
    return f"{item.kind} {item.mms_id!r} (item {item.id})"


# -- history ---------------------------------------------------------------------------------


def event_row(
    *,
    item_id: int | None,
    company: str,
    kind: str | None,
    at: dt.datetime,
    actor: str,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    code: str | None = None,
    level: str = "info",
    run_id: int | None = None,
) -> dict[str, object]:
    return {
        "item_id": item_id, "company": company, "kind": kind, "at": at, "actor": actor,
        "from_status": from_status, "to_status": to_status, "reason": reason, "code": code,
        "level": level, "run_id": run_id,
    }


def _insert_events(conn: Connection, rows: list[dict[str, object]]) -> None:
    if rows:
        conn.execute(statements.INSERT_EVENT, rows)


def note(conn: Connection, item: ItemKey | None, *, company: str, at: dt.datetime, actor: str,
         reason: str, kind: str | None = None, level: str = "info", code: str | None = None,
         run_id: int | None = None, item_id: int | None = None) -> None:
    """A message in an item's history (or the company's, without ``item``); no status change.
    ``item_id`` names an item by id alone (a connector's note)."""
    _insert_events(conn, [event_row(
        item_id=item.id if item is not None else item_id, company=company,
        kind=item.kind if item is not None else kind, at=at, actor=actor, reason=reason,
        code=code, level=level, run_id=run_id)])


def note_company(conn: Connection, company: str, *, at: dt.datetime, actor: str,
                 reason: str) -> None:
    note(conn, None, company=company, at=at, actor=actor, reason=reason)


# -- new items and their content -------------------------------------------------------------


def insert_item(
    conn: Connection,
    *,
    values: Mapping[str, Any],
    dependencies: Sequence[Mapping[str, str]],
    actor: str,
    reason: str,
    at: dt.datetime,
) -> int:
    """Insert a new item in one of the initial statuses, its dependencies and its first event.

    ``values`` are the ``sync_items`` columns; ``dependencies`` the (kind, mms_id, field) rows
    of what it waits for.
    """
    status = Status(values["status"])
    if status not in INITIAL:
        raise AssertionError(f"a new item cannot start as {status.value}")
    result = conn.execute(sa.insert(sync_items).values(**values))
    key = result.inserted_primary_key
    assert key is not None
    item_id = int(key[0])
    _insert_dependencies(conn, item_id, str(values["company"]), dependencies)
    _insert_events(conn, [event_row(
        item_id=item_id, company=str(values["company"]), kind=str(values["kind"]), at=at,
        actor=actor, to_status=status.value, reason=reason)])
    return item_id


def _insert_dependencies(conn: Connection, item_id: int, company: str,
                         dependencies: Sequence[Mapping[str, str]]) -> None:
    if dependencies:
        conn.execute(sa.insert(sync_item_dependencies), [
            {"item_id": item_id, "company": company, "kind": dep["kind"],
             "mms_id": dep["mms_id"], "field": dep["field"]} for dep in dependencies])


def replace_dependencies(conn: Connection, item: ItemKey,
                         dependencies: Sequence[Mapping[str, str]]) -> None:
    conn.execute(sa.delete(sync_item_dependencies)
                 .where(sync_item_dependencies.c.item_id == item.id))
    _insert_dependencies(conn, item.id, item.company, dependencies)


def set_fields(conn: Connection, item: ItemKey, values: Mapping[str, Any]) -> None:
    """Change an item's other columns (content waiting behind a send, a mark, a reason); a
    status change must go through :func:`move`."""
    if "status" in values or "lease_owner" in values:
        raise AssertionError("set_fields changes no status or lease: use move() or finish()")
    conn.execute(sa.update(sync_items).where(sync_items.c.id == item.id).values(**values))


# -- status changes --------------------------------------------------------------------------


def move(
    conn: Connection,
    item: ItemKey,
    current: Status | str,
    target: Status,
    *,
    actor: str,
    reason: str | None,
    at: dt.datetime,
    values: Mapping[str, Any] | None = None,
    level: str = "info",
) -> bool:
    """Move an item no worker holds from ``current`` to ``target`` (a person's command, a new
    MMS version), with its event. Raises TransitionError for a change not in the table.

    The update holds only while the item is still in ``current``; returns whether it did
    (a worker that claimed it meanwhile wins, and nothing is written).
    """
    current = Status(current)
    if target is S.IN_FLIGHT or current is S.IN_FLIGHT:
        # In and out of flight only under a lease: claim_rows() and finish().
        raise AssertionError(f"{_describe(item)}: {current.value} -> {target.value} needs a "
                             "lease; only claims and fenced outcomes change in-flight items")
    if current is not target:
        check_transition(_describe(item), current, target)
    changed = conn.execute(
        sa.update(sync_items)
        .where(sync_items.c.id == item.id, sync_items.c.status == current.value)
        .values(**(values or {}), status=target.value, status_reason=reason, updated_at=at)
    ).rowcount == 1
    if changed:
        _insert_events(conn, [event_row(
            item_id=item.id, company=item.company, kind=item.kind, at=at, actor=actor,
            from_status=current.value, to_status=target.value, reason=reason, level=level)])
    return changed


def claim_rows(conn: Connection, rows: Sequence[Any], *, owner: str, company: str,
               lease_until: dt.datetime, run_id: int | None, at: dt.datetime) -> None:
    """Commit the intent for claimed rows: ``in_flight`` under ``owner``'s lease, one more
    attempt, one event each. Every row's own status is checked against the table."""
    for row in rows:
        check_transition(_describe(row), Status(row.status), S.IN_FLIGHT)
    conn.execute(
        sa.update(sync_items)
        .where(sync_items.c.id.in_([r.id for r in rows]))
        .values(status=S.IN_FLIGHT.value, attempts=sync_items.c.attempts + 1,
                lease_owner=owner, lease_expires_at=lease_until, run_id=run_id,
                updated_at=at))
    _insert_events(conn, [event_row(
        item_id=r.id, company=company, kind=r.kind, at=at, actor=owner,
        from_status=r.status, to_status=S.IN_FLIGHT.value, reason=f"attempt {r.attempts + 1}",
        run_id=run_id) for r in rows])


def expire_leases(conn: Connection, company: str, now: dt.datetime) -> int:
    """Turn in-flight items whose lease ran out into ``in_doubt``: nobody knows yet whether the
    remote side has them, so the next attempt looks them up before sending anything."""
    expired = conn.execute(
        sa.select(sync_items.c.id, sync_items.c.kind, sync_items.c.lease_owner).where(
            sync_items.c.company == company,
            sync_items.c.status == S.IN_FLIGHT.value,
            sync_items.c.lease_expires_at < now,
        )
    ).all()
    if not expired:
        return 0
    conn.execute(
        sa.update(sync_items)
        .where(sync_items.c.id.in_([row.id for row in expired]),
               sync_items.c.status == S.IN_FLIGHT.value)
        .values(status=S.IN_DOUBT.value,
                status_reason="the worker stopped answering mid-export; the record will be "
                "looked up in the accounting system before anything is sent again",
                needs_lookup=True, lease_owner=None, lease_expires_at=None,
                next_attempt_at=now, updated_at=now)
    )
    _insert_events(conn, [event_row(
        item_id=row.id, company=company, kind=row.kind, at=now, actor="lease-reaper",
        from_status=S.IN_FLIGHT.value, to_status=S.IN_DOUBT.value,
        reason=f"lease of {row.lease_owner} expired", level="warning") for row in expired])
    return len(expired)


def extend_leases(conn: Connection, owner: str, company: str, until: dt.datetime) -> None:
    """Heartbeat: keep the rest of this worker's claimed batch leased while it works."""
    conn.execute(
        sa.update(sync_items)
        .where(sync_items.c.company == company, sync_items.c.status == S.IN_FLIGHT.value,
               sync_items.c.lease_owner == owner)
        .values(lease_expires_at=until))


def _fenced_update(conn: Connection, item: LeasedItem, values: Mapping[str, Any]) -> bool:
    """Apply ``values`` only while the item's worker still holds its lease."""
    return conn.execute(
        sa.update(sync_items)
        .where(sync_items.c.id == item.id, sync_items.c.status == S.IN_FLIGHT.value,
               sync_items.c.lease_owner == item.lease_owner)
        .values(**values)
    ).rowcount == 1


def finish(
    conn: Connection,
    item: LeasedItem,
    target: Status,
    *,
    reason: str,
    at: dt.datetime,
    values: Mapping[str, Any],
    level: str,
    code: str | None = None,
) -> bool:
    """Record a held item's outcome (anything but a success, see :func:`write_synced`) while
    the lease holds; returns False, keeping the result in the history only, when it did not."""
    check_transition(_describe(item), S.IN_FLIGHT, target)
    done = _fenced_update(conn, item, {
        "status": target.value, "status_reason": reason, "lease_owner": None,
        "lease_expires_at": None, "updated_at": at, **values})
    if not done:
        lease_lost(conn, item, f"{target.value}: {reason}", at)
        return False
    _insert_events(conn, [event_row(
        item_id=item.id, company=item.company, kind=item.kind, at=at, actor=item.lease_owner,
        from_status=S.IN_FLIGHT.value, to_status=target.value, reason=reason, code=code,
        level=level, run_id=item.run_id)])
    return True


def lease_lost(conn: Connection, item: LeasedItem, result: str, at: dt.datetime) -> None:
    """Keep a late result in the history for the reconciler; never overwrite the item."""
    _insert_events(conn, [event_row(
        item_id=item.id, company=item.company, kind=item.kind, at=at, actor=item.lease_owner,
        level="warning", run_id=item.run_id,
        reason=f"result arrived after the lease was lost and was not applied ({result})")])


# -- successes, links and what waited for them -----------------------------------------------


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
    and the release of items that waited for them. Returns those whose lease still held."""
    written: list[SyncedWrite] = []
    for done in group:
        item, result = done.item, done.result
        fenced = conn.execute(statements.SYNCED, {
            "b_id": item.id, "b_owner": item.lease_owner, "b_reason": done.warnings,
            "b_external_id": result.external_id, "b_version_token": result.version_token,
            "b_now": done.at,
        }).rowcount == 1
        follows = False
        if not fenced:
            # Either the lease is gone, or a newer MMS version waits: the slow path.
            fenced = _fenced_update(conn, item, {
                "status": S.SYNCED.value, "status_reason": done.warnings,
                "external_id": result.external_id, "version_token": result.version_token,
                "needs_lookup": False, "lease_owner": None, "lease_expires_at": None,
                "error_code": None, "error_message": None, "error_remedy": None,
                "synced_at": done.at, "updated_at": done.at,
            })
            if not fenced:
                lease_lost(conn, item, f"synced as {result.external_id}", now)
                continue
            follows = True
        # The sync itself goes into the history first: what it sets off comes after.
        conn.execute(statements.INSERT_EVENT, [event_row(
            item_id=item.id, company=item.company, kind=item.kind, at=done.at,
            actor=item.lease_owner, from_status=S.IN_FLIGHT.value, to_status=S.SYNCED.value,
            reason=done.message, level=done.level, run_id=item.run_id)])
        if follows:
            _follow_deferred(conn, item, now)
        written.append(done)
    _link_all(conn, written)
    _unblock_all(conn, written, now)
    return written


def unlink(conn: Connection, item: ItemKey) -> None:
    """Forget the remote id of the record (deleted remotely: it will be created again)."""
    conn.execute(sa.delete(links).where(links.c.company == item.company,
                                        links.c.kind == item.kind,
                                        links.c.mms_id == item.mms_id))


def _link_all(conn: Connection, group: list[SyncedWrite]) -> None:
    """Link every record of the group to its remote id (one upsert for all new links)."""
    upserts = []
    for done in group:
        item = done.item
        if item.operation == Operation.VOID.value:
            conn.execute(sa.update(links).where(
                links.c.company == item.company, links.c.kind == item.kind,
                links.c.mms_id == item.mms_id,
            ).values(version_token=done.result.version_token, updated_at=done.at))
            continue
        upserts.append({
            "b_company": item.company, "b_kind": item.kind, "b_mms_id": item.mms_id,
            "b_external_id": done.result.external_id,
            "b_version_token": done.result.version_token, "b_now": done.at,
        })
    if upserts:
        conn.execute(statements.LINK_UPSERT[conn.dialect.name], upserts)


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
        released += conn.execute(statements.UNBLOCK_MANY_RETURNING, {
            "b_company": company, "b_kinds": sorted({i.kind for i in mine}),
            "b_ids": sorted({i.mms_id for i in mine}), "b_now": now}).all()
    _insert_events(conn, [event_row(
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
    _insert_events(conn, [event_row(
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
    _insert_events(conn, [event_row(
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
    _insert_events(conn, [event_row(
        item_id=item.id, company=item.company, kind=item.kind, at=now, actor="engine",
        from_status=S.SYNCED.value, to_status=S.PENDING.value,
        reason="a newer version recorded while this one was in flight follows")])

