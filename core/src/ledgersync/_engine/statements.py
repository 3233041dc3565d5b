"""The statements of the per-item hot path, built once with bind parameters.

Building SQLAlchemy statements is most of the engine's per-item CPU cost; these are the ones
every exported item runs (reference lookup, fenced completion, link, dependents, history), so
they are constructed at import time and only their parameters change. Bind parameter names
start with ``b_`` so they never clash with the column names an UPDATE sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .._ledger.schema import links, mappings, sync_events, sync_item_dependencies, sync_items
from .statuses import Status

_deps = sync_item_dependencies
_items = sync_items


def _per_dialect(build: Callable[[str], Any]) -> dict[str, Any]:
    """A statement built for each backend the ledger runs on, by dialect name."""
    return {name: build(name) for name in ("postgresql", "sqlite")}


#: The dependency's own create item, for the intermediary id of a staged record.
_dep_item = sync_items.alias("dep_item")

_DEPENDENCY_JOIN = (
    _deps.outerjoin(links, sa.and_(links.c.company == _deps.c.company,
                                   links.c.kind == _deps.c.kind,
                                   links.c.mms_id == _deps.c.mms_id))
    .outerjoin(mappings, sa.and_(mappings.c.company == _deps.c.company,
                                 mappings.c.kind == _deps.c.kind,
                                 mappings.c.mms_id == _deps.c.mms_id))
    .outerjoin(_dep_item, sa.and_(_dep_item.c.company == _deps.c.company,
                                  _dep_item.c.kind == _deps.c.kind,
                                  _dep_item.c.mms_id == _deps.c.mms_id,
                                  _dep_item.c.operation == "create",
                                  _dep_item.c.status == Status.STAGED.value))
)
_DEPENDENCY_COLUMNS = (_deps.c.item_id, _deps.c.kind, _deps.c.mms_id, _deps.c.field,
                       links.c.external_id.label("linked"),
                       mappings.c.external_id.label("mapped"),
                       _dep_item.c.intermediary_id.label("staged"))

#: Remote ids of an item's dependencies, from links (synced records) or mappings (a person's).
REFERENCES = (sa.select(*_DEPENDENCY_COLUMNS).select_from(_DEPENDENCY_JOIN)
              .where(_deps.c.item_id == sa.bindparam("b_item")))


def ids_in(column: sa.Column[int], name: str, dialect: str) -> Any:
    """``column`` among the ids bound as ``name``: one array parameter on PostgreSQL (a
    statement whose text does not change with the number of ids, so the driver prepares it
    once), an IN list on SQLite."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(sa.bindparam(name, expanding=True))


#: The same for a whole claimed batch at once, by dialect.
REFERENCES_MANY = _per_dialect(lambda dialect: sa.select(*_DEPENDENCY_COLUMNS)
                               .select_from(_DEPENDENCY_JOIN)
                               .where(ids_in(_deps.c.item_id, "b_items", dialect)))

#: The item's own remote id and version token, for updates and voids.
OWN_LINK = sa.select(links.c.external_id, links.c.version_token).where(
    links.c.company == sa.bindparam("b_company"),
    links.c.kind == sa.bindparam("b_kind"),
    links.c.mms_id == sa.bindparam("b_mms_id"),
)
#: A person's mapping of the record itself (`ledgersync map customer`) counts as its link when
#: nothing was synced yet: the create then links instead of writing a second customer.
OWN_MAPPING = sa.select(mappings.c.external_id).where(
    mappings.c.company == sa.bindparam("b_company"),
    mappings.c.kind == sa.bindparam("b_kind"),
    mappings.c.mms_id == sa.bindparam("b_mms_id"),
)

def by_pairs(select: Any, table: sa.Table, dialect: str) -> Any:
    """``select`` narrowed to the (kind, MMS id) pairs bound as ``b_kinds`` and ``b_ids``
    (see :func:`pair_parameters`).

    PostgreSQL joins the pairs as two aligned arrays. Not ``IN`` lists: once the driver
    prepares a statement, PostgreSQL may switch to a generic plan in which each list is a
    parameter it searches linearly for every row it reads, and a plan made while the table was
    small (a first billing run, before autovacuum's ANALYZE) reads every row of the company that
    way: recording 1,000 records against 11,000 items took 260 ms instead of 5
    (bench/RESULTS.md, "Issue 16, session 21"). A join is a hash or an index lookup whatever
    the plan. SQLite takes plain IN lists on the key's columns (not a row-value IN, which it
    answers with a scan); the caller keeps the exact pairs, as a cross pair may match."""
    if dialect == "postgresql":
        wanted = sa.func.unnest(
            sa.bindparam("b_kinds", type_=postgresql.ARRAY(sa.String)),
            sa.bindparam("b_ids", type_=postgresql.ARRAY(sa.String)),
        ).table_valued("kind", "mms_id").render_derived(name="wanted")
        return select.join(wanted, sa.and_(table.c.kind == wanted.c.kind,
                                           table.c.mms_id == wanted.c.mms_id))
    return select.where(table.c.kind.in_(sa.bindparam("b_kinds", expanding=True)),
                        table.c.mms_id.in_(sa.bindparam("b_ids", expanding=True)))


def pair_parameters(dialect: str, pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The ``b_kinds`` and ``b_ids`` parameters of a :func:`by_pairs` statement."""
    if dialect == "postgresql":
        ordered = sorted(set(pairs))
        return {"b_kinds": [k for k, _ in ordered], "b_ids": [m for _, m in ordered]}
    distinct = set(pairs)
    return {"b_kinds": sorted({k for k, _ in distinct}),
            "b_ids": sorted({m for _, m in distinct})}


#: Own links of a batch of one company's items, by dialect (see :func:`by_pairs`).
OWN_LINKS_MANY = _per_dialect(lambda dialect: by_pairs(
    sa.select(links.c.kind, links.c.mms_id, links.c.external_id, links.c.version_token)
    .where(links.c.company == sa.bindparam("b_company")), links, dialect))

#: Fenced success: only while this worker holds the lease, and only when no newer MMS version
#: arrived meanwhile (that rarer case takes the slow path, which sends the new version next).
SYNCED = (
    sa.update(_items)
    .where(_items.c.id == sa.bindparam("b_id"),
           _items.c.status == Status.IN_FLIGHT.value,
           _items.c.lease_owner == sa.bindparam("b_owner"),
           _items.c.deferred_hash.is_(None))
    .values(status=Status.SYNCED.value, status_reason=sa.bindparam("b_reason"),
            external_id=sa.bindparam("b_external_id"),
            version_token=sa.bindparam("b_version_token"),
            needs_lookup=False, lease_owner=None, lease_expires_at=None, error_code=None,
            error_message=None, error_remedy=None, synced_at=sa.bindparam("b_now"),
            updated_at=sa.bindparam("b_now"))
)

#: The items of a group of successes, locked in ascending id order (the order in which
#: blocking dependents lock them, see items.lifecycle.block) with what fences their success.
SYNCED_CANDIDATES = _per_dialect(lambda dialect: (
    sa.select(_items.c.id, _items.c.status, _items.c.lease_owner, _items.c.deferred_hash)
    .where(ids_in(_items.c.id, "b_ids", dialect))
    .order_by(_items.c.id)
    .with_for_update()
))

#: PostgreSQL: the successes of a group in one statement, the columns as arrays. The fence
#: stays in the WHERE clause (the rows are locked already, so it holds by construction).
SYNCED_MANY_POSTGRESQL = (
    "UPDATE sync_items AS s SET status = 'synced', status_reason = v.reason, "
    "external_id = v.external_id, version_token = v.version_token, needs_lookup = false, "
    "lease_owner = NULL, lease_expires_at = NULL, error_code = NULL, error_message = NULL, "
    "error_remedy = NULL, synced_at = v.at, updated_at = v.at "
    "FROM unnest(%(ids)b::integer[], %(owners)b::varchar[], %(reasons)b::text[], "
    "%(external_ids)b::varchar[], %(tokens)b::varchar[], %(ats)b::timestamptz[]) "
    "AS v(id, owner, reason, external_id, version_token, at) "
    "WHERE s.id = v.id AND s.status = 'in_flight' AND s.lease_owner = v.owner "
    "AND s.deferred_hash IS NULL"
)

#: Items blocked on the record that just synced go back to pending; their ids come back for
#: the history (RETURNING on PostgreSQL and SQLite >= 3.35).
_WAITING = sa.select(_deps.c.item_id).where(
    _deps.c.company == sa.bindparam("b_company"),
    _deps.c.kind == sa.bindparam("b_kind"),
    _deps.c.mms_id == sa.bindparam("b_mms_id"),
)
UNBLOCK_RETURNING = (
    sa.update(_items)
    .where(_items.c.status == Status.BLOCKED.value, _items.c.id.in_(_WAITING))
    .values(status=Status.PENDING.value, status_reason=None,
            next_attempt_at=sa.bindparam("b_now"), updated_at=sa.bindparam("b_now"))
    .returning(_items.c.id, _items.c.kind)
)
#: The same for every record of a written group at once, by dialect: (kind, MMS id) pairs of
#: one company (see :func:`by_pairs`).
UNBLOCK_MANY_RETURNING = _per_dialect(lambda dialect: (
    sa.update(_items)
    .where(_items.c.status == Status.BLOCKED.value, _items.c.id.in_(by_pairs(
        sa.select(_deps.c.item_id).where(_deps.c.company == sa.bindparam("b_company")),
        _deps, dialect)))
    .values(status=Status.PENDING.value, status_reason=None,
            next_attempt_at=sa.bindparam("b_now"), updated_at=sa.bindparam("b_now"))
    .returning(_items.c.id, _items.c.kind, _items.c.company)
))
WAITING_ITEMS = sa.select(_items.c.id, _items.c.kind).where(
    _items.c.status == Status.BLOCKED.value, _items.c.id.in_(_WAITING))

INSERT_EVENT = sa.insert(sync_events)


def _link_upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(links).values(
        company=sa.bindparam("b_company"), kind=sa.bindparam("b_kind"),
        mms_id=sa.bindparam("b_mms_id"), external_id=sa.bindparam("b_external_id"),
        version_token=sa.bindparam("b_version_token"), linked_by="sync",
        updated_at=sa.bindparam("b_now"),
    )
    return stmt.on_conflict_do_update(
        index_elements=[links.c.company, links.c.kind, links.c.mms_id],
        set_={"external_id": stmt.excluded.external_id,
              "version_token": stmt.excluded.version_token,
              "linked_by": stmt.excluded.linked_by,
              "updated_at": stmt.excluded.updated_at},
    )


#: ``links`` upsert per dialect (both PostgreSQL and SQLite speak ON CONFLICT DO UPDATE).
LINK_UPSERT: dict[str, Any] = {name: _link_upsert(name) for name in ("postgresql", "sqlite")}

#: PostgreSQL: the upsert of a whole group's links in one statement (an executemany sends one
#: statement per row). Its rows must name distinct records (ON CONFLICT updates a row once).
LINK_UPSERT_MANY_POSTGRESQL = (
    "INSERT INTO links (company, kind, mms_id, external_id, version_token, linked_by, "
    "updated_at) SELECT v.company, v.kind, v.mms_id, v.external_id, v.version_token, 'sync', "
    "v.at FROM unnest(%(companies)b::varchar[], %(kinds)b::varchar[], %(mms_ids)b::varchar[], "
    "%(external_ids)b::varchar[], %(tokens)b::varchar[], %(ats)b::timestamptz[]) "
    "AS v(company, kind, mms_id, external_id, version_token, at) "
    "ON CONFLICT (company, kind, mms_id) DO UPDATE SET external_id = excluded.external_id, "
    "version_token = excluded.version_token, linked_by = excluded.linked_by, "
    "updated_at = excluded.updated_at"
)
