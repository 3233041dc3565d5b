"""An item's status changes without its remote's answer: new items, a person's commands, a
new MMS version, claims under a lease, expired leases, and every outcome but a success."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from ..._ledger.bulk import insert_rows
from ..._ledger.schema import sync_item_dependencies, sync_items
from .. import statements
from ..statuses import INITIAL, TRANSITIONS, Status, check_transition
from .history import ItemKey, LeasedItem, describe, event_row, insert_events

S = Status


def _require(current: Status, target: Status) -> None:
    """A transition written by a fixed statement must be in the table (checked at import)."""
    if target not in TRANSITIONS[current]:
        raise AssertionError(
            f"statuses.TRANSITIONS lacks {current.value} -> {target.value}, which the engine "
            "writes in bulk; add it to the table or change the engine")


for _pair in ((S.IN_FLIGHT, S.SYNCED), (S.BLOCKED, S.PENDING), (S.IN_FLIGHT, S.IN_DOUBT),
              (S.SYNCED, S.PENDING)):
    _require(*_pair)

# -- new items and their content -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class NewItem:
    """An item to insert: its ``sync_items`` columns (every new item of one call names the
    same columns), the (kind, mms_id, field) rows of what it waits for, and why it starts."""

    values: Mapping[str, Any]
    dependencies: Sequence[Mapping[str, str]]
    reason: str
    at: dt.datetime


#: PostgreSQL: ids for new items, taken from the table's own sequence.
_NEXT_IDS = sa.text("SELECT nextval(pg_get_serial_sequence('sync_items', 'id')) "
                    "FROM generate_series(1, :n)")


def _allocate_ids(conn: Connection, n: int) -> list[int]:
    """Ids for ``n`` new items, ascending, so they can be inserted with one executemany (an
    INSERT ... RETURNING of many rows is rendered as one long statement per page, which costs
    more to build and parse than the rows cost to write).

    PostgreSQL takes them from the sequence (safe under concurrent writers). SQLite gives a
    new row max(id) + 1 (an INTEGER PRIMARY KEY without AUTOINCREMENT), and every writing
    transaction holds the database's one write lock, so the same ids follow the largest; a
    deferred transaction that another writer overtook fails on its first write (WAL), never
    writes a duplicate.
    """
    if conn.dialect.name == "postgresql":
        return sorted(int(i) for i in conn.execute(_NEXT_IDS, {"n": n}).scalars())
    last = conn.execute(sa.select(sa.func.coalesce(sa.func.max(sync_items.c.id), 0)))
    start = int(last.scalar_one())
    return list(range(start + 1, start + n + 1))


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
    [item_id] = insert_items(conn, [NewItem(values=values, dependencies=dependencies,
                                            reason=reason, at=at)], actor=actor)
    return item_id


def insert_items(conn: Connection, new: Sequence[NewItem], *, actor: str) -> list[int]:
    """Insert new items, their dependencies and their first events: three statements however
    many items (executemany, ids taken first), the same rows as one :func:`insert_item` per
    item.
    Returns the new ids in the order given."""
    if not new:
        return []
    for item in new:
        status = Status(item.values["status"])
        if status not in INITIAL:
            raise AssertionError(f"a new item cannot start as {status.value}")
    if len(new) == 1:
        # One row: a plain INSERT ... RETURNING (the multi-row form costs more to set up).
        result = conn.execute(sa.insert(sync_items).values(**new[0].values))
        key = result.inserted_primary_key
        assert key is not None
        ids = [int(key[0])]
    else:
        ids = _allocate_ids(conn, len(new))
        insert_rows(conn, sync_items, [{**item.values, "id": item_id}
                                       for item_id, item in zip(ids, new, strict=True)])
    dependencies = [
        {"item_id": item_id, "company": item.values["company"], "kind": dep["kind"],
         "mms_id": dep["mms_id"], "field": dep["field"]}
        for item_id, item in zip(ids, new, strict=True) for dep in item.dependencies]
    if dependencies:
        insert_rows(conn, sync_item_dependencies, dependencies)
    insert_events(conn, [event_row(
        item_id=item_id, company=str(item.values["company"]), kind=str(item.values["kind"]),
        at=item.at, actor=actor, to_status=str(item.values["status"]), reason=item.reason)
        for item_id, item in zip(ids, new, strict=True)])
    return ids


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
        raise AssertionError(f"{describe(item)}: {current.value} -> {target.value} needs a "
                             "lease; only claims and fenced outcomes change in-flight items")
    if current is not target:
        check_transition(describe(item), current, target)
    changed = conn.execute(
        sa.update(sync_items)
        .where(sync_items.c.id == item.id, sync_items.c.status == current.value)
        .values(**(values or {}), status=target.value, status_reason=reason, updated_at=at)
    ).rowcount == 1
    if changed:
        insert_events(conn, [event_row(
            item_id=item.id, company=item.company, kind=item.kind, at=at, actor=actor,
            from_status=current.value, to_status=target.value, reason=reason, level=level)])
    return changed


#: The statuses from which a claim may take an item in flight (per the table).
_CLAIMABLE_FROM = frozenset(s.value for s in S if S.IN_FLIGHT in TRANSITIONS[s])

def _claim_update(rows: Any) -> Any:
    return (
        sa.update(sync_items)
        .where(rows)
        .values(status=S.IN_FLIGHT.value, attempts=sync_items.c.attempts + 1,
                lease_owner=sa.bindparam("b_owner"), lease_expires_at=sa.bindparam("b_until"),
                run_id=sa.bindparam("b_run_id"), updated_at=sa.bindparam("b_at"))
    )


#: The claim's intent for its rows by dialect, built once (only the parameters change). On
#: PostgreSQL the ids are one array (``id = ANY(...)``, the same rows as ``IN``): an expanding
#: list is compiled into a new statement per claim, a cast per id, which psycopg parses again.
_CLAIM_UPDATE = {
    "sqlite": _claim_update(sync_items.c.id.in_(sa.bindparam("b_ids", expanding=True))),
    "postgresql": _claim_update(sync_items.c.id == sa.any_(
        sa.bindparam("b_ids", type_=postgresql.ARRAY(sa.Integer)))),
}


def claim_rows(conn: Connection, rows: Sequence[Any], *, owner: str, company: str,
               lease_until: dt.datetime, run_id: int | None, at: dt.datetime) -> None:
    """Commit the intent for claimed rows: ``in_flight`` under ``owner``'s lease, one more
    attempt, one event each. Every row's own status is checked against the table."""
    for row in rows:
        if row.status not in _CLAIMABLE_FROM:
            check_transition(describe(row), Status(row.status), S.IN_FLIGHT)
    conn.execute(_CLAIM_UPDATE[conn.dialect.name], {
        "b_ids": [r.id for r in rows], "b_owner": owner, "b_until": lease_until,
        "b_run_id": run_id, "b_at": at})
    in_flight = S.IN_FLIGHT.value
    insert_events(conn, [event_row(
        item_id=r.id, company=company, kind=r.kind, at=at, actor=owner,
        from_status=r.status, to_status=in_flight, reason=f"attempt {r.attempts + 1}",
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
    insert_events(conn, [event_row(
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


def fenced_update(conn: Connection, item: LeasedItem, values: Mapping[str, Any]) -> bool:
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
    check_transition(describe(item), S.IN_FLIGHT, target)
    done = fenced_update(conn, item, {
        "status": target.value, "status_reason": reason, "lease_owner": None,
        "lease_expires_at": None, "updated_at": at, **values})
    if not done:
        lease_lost(conn, item, f"{target.value}: {reason}", at)
        return False
    insert_events(conn, [event_row(
        item_id=item.id, company=item.company, kind=item.kind, at=at, actor=item.lease_owner,
        from_status=S.IN_FLIGHT.value, to_status=target.value, reason=reason, code=code,
        level=level, run_id=item.run_id)])
    return True


def block(conn: Connection, item: LeasedItem, *, reason: str, at: dt.datetime,
          values: Mapping[str, Any]) -> Status | None:
    """Record that a held item waits for a dependency, unless the dependency arrived since the
    item's references were read; returns the status written (None: the lease was lost).

    The read happened in an earlier transaction: another worker may have synced the dependency
    in between and released its dependents (none blocked yet), which would leave this item
    ``blocked`` until the next run. So the references are read again here, after taking a
    share lock on the dependencies' own items (PostgreSQL: a success being written for one of
    them finishes first; SQLite's writers are serialised anyway). The success writer updates
    the dependency's item before it releases dependents, and both lock in ascending item id
    order, so the two can neither miss each other nor deadlock.
    """
    missing = _missing_dependencies(conn, item.id)
    if missing:
        dependency_items = sa.select(sync_items.c.id).where(
            sync_items.c.company == item.company,
            sa.tuple_(sync_items.c.kind, sync_items.c.mms_id).in_(sorted(missing)),
            sync_items.c.operation == "create",
        ).order_by(sync_items.c.id).with_for_update(read=True)
        conn.execute(dependency_items).all()
        missing = _missing_dependencies(conn, item.id)
    if missing:
        return S.BLOCKED if finish(conn, item, S.BLOCKED, reason=reason, at=at,
                                   values=values, level="warning") else None
    ready = {**values, "next_attempt_at": at}
    return S.PENDING if finish(
        conn, item, S.PENDING, at=at, values=ready, level="info",
        reason="what it waited for synced meanwhile; ready again") else None


def _missing_dependencies(conn: Connection, item_id: int) -> set[tuple[str, str]]:
    rows = conn.execute(statements.REFERENCES, {"b_item": item_id}).all()
    return {(row.kind, row.mms_id) for row in rows if (row.mapped or row.linked) is None}


def lease_lost(conn: Connection, item: LeasedItem, result: str, at: dt.datetime) -> None:
    """Keep a late result in the history for the reconciler; never overwrite the item."""
    insert_events(conn, [event_row(
        item_id=item.id, company=item.company, kind=item.kind, at=at, actor=item.lease_owner,
        level="warning", run_id=item.run_id,
        reason=f"result arrived after the lease was lost and was not applied ({result})")])
