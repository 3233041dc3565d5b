"""What names an item, and its history: every event row is written here."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.engine import Connection

from ..._ledger.bulk import insert_rows
from ..._ledger.schema import sync_events
from .. import statements


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

def describe(item: ItemKey) -> str:
    return f"{item.kind} {item.mms_id!r} (item {item.id})"


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


def insert_events(conn: Connection, rows: list[dict[str, object]]) -> None:
    if len(rows) > 1:
        insert_rows(conn, sync_events, rows)
    elif rows:
        conn.execute(statements.INSERT_EVENT, rows)


def note(conn: Connection, item: ItemKey | None, *, company: str, at: dt.datetime, actor: str,
         reason: str, kind: str | None = None, level: str = "info", code: str | None = None,
         run_id: int | None = None, item_id: int | None = None) -> None:
    """A message in an item's history (or the company's, without ``item``); no status change.
    ``item_id`` names an item by id alone (a connector's note)."""
    insert_events(conn, [event_row(
        item_id=item.id if item is not None else item_id, company=company,
        kind=item.kind if item is not None else kind, at=at, actor=actor, reason=reason,
        code=code, level=level, run_id=run_id)])


def note_company(conn: Connection, company: str, *, at: dt.datetime, actor: str,
                 reason: str) -> None:
    note(conn, None, company=company, at=at, actor=actor, reason=reason)
