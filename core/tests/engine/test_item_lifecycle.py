"""One owner of a sync item's life: every status change is checked against the transition
table, whoever attempts it, and only the ``_engine/items`` package writes item state."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledgersync import ItemFilter, TransitionError
from ledgersync._engine import items
from ledgersync._engine.claims import ClaimedItem
from ledgersync._engine.items import lifecycle
from ledgersync._engine.statuses import INITIAL, TRANSITIONS, Status
from ledgersync._ledger.schema import sync_events, sync_items

REPO = Path(__file__).resolve().parents[3]
AT = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)

#: Status changes made without a lease (everything but claims and outcomes of a held item).
UNLEASED = [(current, target) for current in Status for target in Status
            if current is not target and Status.IN_FLIGHT not in (current, target)]
FORBIDDEN_UNLEASED = [pair for pair in UNLEASED if pair[1] not in TRANSITIONS[pair[0]]]
FORBIDDEN_OUTCOMES = [target for target in Status
                      if target is not Status.IN_FLIGHT
                      and target not in TRANSITIONS[Status.IN_FLIGHT]]
FORBIDDEN_CLAIMS = [current for current in Status
                    if current is not Status.IN_FLIGHT
                    and Status.IN_FLIGHT not in TRANSITIONS[current]]


def _item_in(ledger, world, rec, status: Status) -> ClaimedItem:
    """A recorded member, forced into ``status`` underneath the engine (test set-up only)."""
    ledger.record([rec.member()])
    found = world.item(ledger, "member", "M1")
    with ledger._database.begin() as conn:
        conn.execute(sa.update(sync_items).where(sync_items.c.id == found.id)
                     .values(status=status.value, lease_owner="worker-x"))
    row = world.row(ledger, found.id)
    return ClaimedItem(id=row.id, company=row.company, kind=row.kind, mms_id=row.mms_id,
                       operation=row.operation, payload=row.payload, generation=row.generation,
                       idempotency_key=row.idempotency_key, attempts=row.attempts,
                       needs_lookup=False, status_before=status.value,
                       lease_owner="worker-x", run_id=None)


def _events(ledger, item_id: int) -> int:
    with ledger._database.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(sync_events)
                            .where(sync_events.c.item_id == item_id)).scalar_one()


@pytest.mark.parametrize(("current", "target"), FORBIDDEN_UNLEASED,
                         ids=[f"{c.value}->{t.value}" for c, t in FORBIDDEN_UNLEASED])
def test_a_change_outside_the_table_is_refused_and_writes_nothing(
        ledger, world, rec, current: Status, target: Status) -> None:
    item = _item_in(ledger, world, rec, current)
    before = _events(ledger, item.id)

    with pytest.raises(TransitionError, match=f"{current.value}.*{target.value}"), \
            ledger._database.begin() as conn:
        items.move(conn, item, current, target, actor="test", reason="forced", at=AT)

    assert world.row(ledger, item.id).status == current.value
    assert _events(ledger, item.id) == before


@pytest.mark.parametrize("target", FORBIDDEN_OUTCOMES, ids=lambda s: s.value)
def test_an_outcome_outside_the_table_is_refused_even_under_the_lease(
        ledger, world, rec, target: Status) -> None:
    item = _item_in(ledger, world, rec, Status.IN_FLIGHT)

    with pytest.raises(TransitionError), ledger._database.begin() as conn:
        items.finish(conn, item, target, reason="forced", at=AT, values={}, level="info")

    assert world.row(ledger, item.id).status == Status.IN_FLIGHT.value


@pytest.mark.parametrize("current", FORBIDDEN_CLAIMS, ids=lambda s: s.value)
def test_a_claim_of_an_item_not_claimable_by_the_table_is_refused(
        ledger, world, rec, current: Status) -> None:
    item = _item_in(ledger, world, rec, current)
    row = world.row(ledger, item.id)

    with pytest.raises(TransitionError), ledger._database.begin() as conn:
        items.claim_rows(conn, [row], owner="w", company="harbor", lease_until=AT,
                         run_id=None, at=AT)

    assert world.row(ledger, item.id).status == current.value


def test_moving_into_or_out_of_flight_without_a_lease_is_refused(ledger, world, rec) -> None:
    item = _item_in(ledger, world, rec, Status.PENDING)

    with pytest.raises(AssertionError, match="needs a lease"), ledger._database.begin() as conn:
        items.move(conn, item, Status.PENDING, Status.IN_FLIGHT, actor="t", reason=None, at=AT)


def test_a_new_item_cannot_start_in_a_later_status(ledger) -> None:
    with pytest.raises(AssertionError, match="cannot start as synced"), \
            ledger._database.begin() as conn:
        items.insert_item(conn, values={"status": "synced", "company": "harbor"},
                          dependencies=[], actor="t", reason="r", at=AT)


def test_a_bulk_transition_missing_from_the_table_fails_at_once(monkeypatch) -> None:
    monkeypatch.setitem(TRANSITIONS, Status.BLOCKED, frozenset({Status.NO_GO}))

    with pytest.raises(AssertionError, match="lacks blocked -> pending"):
        lifecycle._require(Status.BLOCKED, Status.PENDING)


def test_every_change_a_sync_with_failures_and_commands_makes_is_in_the_table(
        world, rec) -> None:
    ledger = world.open({"harbor": {}, "review": {"approval_required": True}})
    ledger.record([rec.member("M1"), rec.member("M2"), rec.invoice("I1", "M1"),
                   rec.invoice("I2", "M2", account="GL-9999"),
                   rec.payment("P1", "M1", "I1")])
    world.fail_next(ledger, "transient", "timeout", "inactive")
    ledger.run_now("harbor")
    ledger.run_now("review")
    ledger.run_pending()
    ledger.requeue(ItemFilter(company="harbor"))
    ledger.mark(ItemFilter(company="harbor", kind="invoice"), "no_go")
    ledger.mark(ItemFilter(company="harbor", kind="invoice"), "go")
    ledger.approve("review")
    ledger.record([rec.member("M2", name="Renamed"), rec.invoice("I1", "M1", voided=True)])
    ledger.run_now("harbor")
    ledger.run_now("review")
    ledger.run_pending()

    with ledger._database.connect() as conn:
        changes = conn.execute(sa.select(sync_events.c.from_status, sync_events.c.to_status)
                               .where(sync_events.c.to_status.is_not(None))).all()
    assert len(changes) > 20
    for before, after in changes:
        if before is None:
            assert Status(after) in INITIAL
        elif before != after:
            assert Status(after) in TRANSITIONS[Status(before)], (before, after)


# -- nobody else writes item state -----------------------------------------------------------

ITEM_TABLES = {"sync_items", "links", "sync_events", "sync_item_dependencies"}
WRITERS = {"update", "insert", "delete"}
OWNERS = {*(p.relative_to(REPO) for p in (REPO / "core/src/ledgersync/_engine/items").glob("*.py")),
          Path("core/src/ledgersync/_engine/statements.py")}  # built there, run by items


def _writes_of_item_tables(path: Path) -> list[int]:
    """Lines calling ``update``/``insert``/``delete`` on an item table, in any spelling
    (``sa.update(sync_items)``, ``insert(links)``, ``sync_items.update()``)."""
    found: list[int] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in WRITERS:
            continue
        targets = [*node.args[:1]]
        if isinstance(func, ast.Attribute):
            targets.append(func.value)
        if any(isinstance(t, ast.Name) and t.id in ITEM_TABLES for t in targets):
            found.append(node.lineno)
    return sorted(found)


def test_the_scan_finds_a_write_of_an_item_table(tmp_path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy as sa\n"
                      "conn.execute(sa.update(sync_items).values(status='synced'))\n"
                      "conn.execute(links.delete())\n")

    assert _writes_of_item_tables(sample) == [2, 3]


def test_only_the_items_module_writes_items_links_and_their_history() -> None:
    sources = [*REPO.glob("core/src/ledgersync/**/*.py"), *REPO.glob("plugins/*/src/**/*.py")]
    offenders = {
        f"{path.relative_to(REPO)}:{line}"
        for path in sources
        if path.relative_to(REPO) not in OWNERS and "migrations" not in path.parts
        for line in _writes_of_item_tables(path)
    }

    assert len(sources) > 50
    assert offenders == set()
