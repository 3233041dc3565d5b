"""What a person does to sync items: requeue, unlink, resync, mark go/no-go, approve, map,
pause and resume a company, move its in-sync date. Every change is written to the history."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from .._connector import Operation
from .._errors import ItemNotFoundError
from .._ledger.schema import companies, mappings, sync_item_dependencies, sync_items
from .._records import record_from_json
from .._resolution import Vote
from . import items
from .context import EngineContext, idempotency_key
from .filters import ItemFilter
from .recording import dependencies_of
from .statuses import Status, needs_approval

S = Status


class Operations:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    # -- helpers -------------------------------------------------------------------------------

    def _select(self, conn: Connection, selection: ItemFilter) -> list[Row[Any]]:
        rows = list(conn.execute(
            sa.select(sync_items).where(*selection.where()).order_by(sync_items.c.id)
        ).all())
        if selection.ids is not None:
            missing = set(selection.ids) - {row.id for row in rows}
            if missing:
                raise self._not_found(conn, sorted(missing), selection)
        return rows

    @staticmethod
    def _not_found(conn: Connection, missing: list[int], selection: ItemFilter
                   ) -> ItemNotFoundError:
        """Name the status an item is really in, and the command that applies to it."""
        found = {row.id: row.status for row in conn.execute(
            sa.select(sync_items.c.id, sync_items.c.status).where(sync_items.c.id.in_(missing)))}
        wanted = (f" and status {', '.join(s.value for s in selection.status)}"
                  if selection.status is not None else "")
        if not found:
            return ItemNotFoundError(f"no sync item with id {', '.join(map(str, missing))}",
                                     remedy="List items with `ledgersync status --items`")
        shown = ", ".join(f"{item} is {status}" for item, status in sorted(found.items()))
        synced = [str(item) for item, status in sorted(found.items())
                  if status == S.SYNCED.value]
        if synced and len(synced) == len(missing):
            remedy = (f"It is already synced: to push the MMS version again, run "
                      f"`ledgersync resync {' '.join(synced)}`")
        else:
            remedy = "List items with `ledgersync status --items`"
        return ItemNotFoundError(f"no sync item with id {', '.join(map(str, missing))}"
                                 f"{wanted} ({shown})", remedy=remedy)

    def _move(
        self,
        conn: Connection,
        row: Row[Any],
        target: Status,
        actor: str,
        reason: str,
        *,
        new_generation: bool = False,
        **values: Any,
    ) -> None:
        now = self.ctx.now()
        if target is S.PENDING:
            values.setdefault("next_attempt_at", now)
        if new_generation:
            # A fresh key: the remote must not replay the response to an earlier version.
            generation = row.generation + 1
            values.update(
                generation=generation, attempts=0,
                idempotency_key=idempotency_key(row.company, row.kind, row.mms_id,
                                                row.operation, generation),
                error_code=None, error_message=None, error_remedy=None,
            )
        items.move(conn, row, row.status, target, actor=actor, reason=reason, at=now,
                   values=values)

    def _ready_status(self, row: Row[Any]) -> Status:
        company = self.ctx.company(row.company)
        return S.AWAITING_APPROVAL if needs_approval(company, row.kind) else S.PENDING

    # -- requeue, unlink, resync ---------------------------------------------------------------

    def requeue(self, selection: ItemFilter, *, actor: str) -> int:
        """Put failed, waiting, blocked or cleared items (and the rejected, conflicting or
        orphaned items of a two-stage connector) back to pending, due now."""
        selection = selection.restricted_to(S.ERROR, S.RETRY_WAIT, S.BLOCKED, S.CLEARED,
                                            S.REJECTED, S.CONFLICT, S.ORPHANED)
        with self.ctx.engine.begin() as conn:
            rows = self._select(conn, selection)
            for row in rows:
                # After a refusal the old key would replay the refusal: use a new one. A
                # transient wait keeps its key, since its last attempt may have landed. A
                # two-stage item keeps its intermediary id: the next write modifies it.
                fresh = row.status in (S.ERROR.value, S.CLEARED.value, S.REJECTED.value,
                                       S.CONFLICT.value, S.ORPHANED.value)
                self._move(conn, row, S.PENDING, actor, "requeued", new_generation=fresh)
        return len(rows)

    def unlink(self, selection: ItemFilter, *, actor: str) -> int:
        """Clear the remote id of synced records (deleted remotely): the next run creates them
        again, with the latest MMS content."""
        selection = selection.restricted_to(S.SYNCED)
        count = 0
        with self.ctx.engine.begin() as conn:
            for row in self._select(conn, selection):
                if row.operation != Operation.CREATE.value:
                    continue
                siblings = conn.execute(sa.select(sync_items).where(
                    sync_items.c.company == row.company, sync_items.c.kind == row.kind,
                    sync_items.c.mms_id == row.mms_id, sync_items.c.id != row.id,
                )).all()
                latest = next((s for s in siblings if s.operation == Operation.UPDATE.value), row)
                for sibling in siblings:
                    if sibling.status not in (S.SYNCED.value, S.CLEARED.value, S.IN_FLIGHT.value):
                        self._move(conn, sibling, S.CLEARED, actor,
                                   "superseded: the record is being created again")
                items.unlink(conn, row)
                self._move(conn, row, S.PENDING, actor,
                           f"unlinked from {row.external_id}; will be created again",
                           new_generation=True, external_id=None, version_token=None,
                           payload=latest.payload, payload_hash=latest.payload_hash)
                count += 1
        return count

    def resync(self, selection: ItemFilter, *, actor: str) -> int:
        """Push the MMS version of synced records again (as an update of the remote record)."""
        selection = selection.restricted_to(S.SYNCED)
        count = 0
        moved: set[int] = set()  # an update reached through its create is not moved twice
        with self.ctx.engine.begin() as conn:
            for row in self._select(conn, selection):
                if row.operation == Operation.VOID.value or row.id in moved:
                    continue
                if row.operation == Operation.UPDATE.value:
                    self._move(conn, row, S.PENDING, actor, "resync requested",
                               new_generation=True)
                    moved.add(row.id)
                    count += 1
                    continue
                update = conn.execute(sa.select(sync_items).where(
                    sync_items.c.company == row.company, sync_items.c.kind == row.kind,
                    sync_items.c.mms_id == row.mms_id,
                    sync_items.c.operation == Operation.UPDATE.value,
                )).first()
                if update is not None:
                    if update.status == S.SYNCED.value:
                        self._move(conn, update, S.PENDING, actor, "resync requested",
                                   new_generation=True)
                        moved.add(update.id)
                        count += 1
                    continue
                self._insert_update(conn, row, actor)
                count += 1
        return count

    def _insert_update(self, conn: Connection, create: Row[Any], actor: str) -> None:
        now = self.ctx.now()
        record = record_from_json(json.loads(create.payload, parse_float=Decimal))
        items.insert_item(
            conn,
            values={
                "company": create.company, "kind": create.kind, "mms_id": create.mms_id,
                "operation": Operation.UPDATE.value, "status": S.PENDING.value,
                "status_reason": "resync requested", "priority": create.priority,
                "document_date": create.document_date, "member_id": create.member_id,
                "payload": create.payload, "payload_hash": create.payload_hash,
                "generation": 1,
                "idempotency_key": idempotency_key(create.company, create.kind, create.mms_id,
                                                   Operation.UPDATE.value, 1),
                "next_attempt_at": now, "created_at": now, "updated_at": now,
            },
            # Like a recorded update: what the record references (so the connector receives
            # their remote ids), and the record itself.
            dependencies=dependencies_of(record, Operation.UPDATE),
            actor=actor, reason="resync requested", at=now,
        )

    # -- go / no-go and approval ---------------------------------------------------------------

    def mark(self, selection: ItemFilter, vote: str, *, actor: str, reason: str | None) -> int:
        """Mark items export (``go``) or do-not-export (``no_go``); reversible and audited."""
        if vote not in ("go", "no_go"):
            raise ValueError(f"a mark is 'go' or 'no_go', not {vote!r}")
        if vote == "no_go":
            selection = selection.restricted_to(
                S.PENDING, S.AWAITING_APPROVAL, S.BLOCKED, S.ERROR, S.RETRY_WAIT, S.NO_GO)
        else:
            selection = selection.restricted_to(S.NO_GO)
        text = reason or ("marked do-not-export" if vote == "no_go" else "marked for export")
        with self.ctx.engine.begin() as conn:
            rows = self._select(conn, selection)
            for row in rows:
                target = S.NO_GO if vote == "no_go" else self._ready_status(row)
                if target.value == row.status:
                    items.set_fields(conn, row, {"mark": vote, "mark_reason": text,
                                                 "marked_by": actor})
                    continue
                self._move(conn, row, target, actor, f"{text} (by {actor})",
                           mark=vote, mark_reason=text, marked_by=actor)
        return len(rows)

    def approve(
        self,
        company: str,
        ids: Sequence[int] | None,
        *,
        actor: str,
        unchecked: str = "keep",
    ) -> tuple[int, int]:
        """Approve items awaiting review (``ids``, or all when None); the rest are cleared
        (``unchecked="clear"``: they never come back) or kept for the next review."""
        if unchecked not in ("keep", "clear"):
            raise ValueError("unchecked must be 'keep' or 'clear'")
        waiting = ItemFilter(company=company, status=[S.AWAITING_APPROVAL])
        with self.ctx.engine.begin() as conn:
            rows = self._select(conn, waiting)
            chosen = {row.id for row in rows} if ids is None else set(ids)
            unknown = chosen - {row.id for row in rows}
            if unknown:
                raise ItemNotFoundError(
                    f"item(s) {', '.join(map(str, sorted(unknown)))} of company {company!r} "
                    "are not awaiting approval",
                    remedy="List them with `ledgersync approve COMPANY --list`",
                )
            approved = cleared = 0
            for row in rows:
                if row.id in chosen:
                    self._move(conn, row, S.PENDING, actor, f"approved by {actor}")
                    approved += 1
                elif unchecked == "clear":
                    self._move(conn, row, S.CLEARED, actor,
                               f"left unchecked and cleared by {actor}")
                    cleared += 1
        return approved, cleared

    # -- mappings and companies ----------------------------------------------------------------

    def map(self, company: str, kind: str, mms_id: str, external_id: str, *, actor: str,
            external_name: str | None = None) -> int:
        """Map an MMS record to a remote one; returns how many blocked items it released."""
        self.ctx.company(company)
        now = self.ctx.now()
        with self.ctx.engine.begin() as conn:
            conn.execute(sa.delete(mappings).where(
                mappings.c.company == company, mappings.c.kind == kind,
                mappings.c.mms_id == mms_id))
            conn.execute(sa.insert(mappings).values(
                company=company, kind=kind, mms_id=mms_id, external_id=external_id,
                external_name=external_name, mapped_by=actor, updated_at=now))
            waiting = conn.execute(sa.select(sync_items.c.id, sync_items.c.kind).where(
                sync_items.c.status == S.BLOCKED.value,
                sync_items.c.id.in_(sa.select(sync_item_dependencies.c.item_id).where(
                    sync_item_dependencies.c.company == company,
                    sync_item_dependencies.c.kind == kind,
                    sync_item_dependencies.c.mms_id == mms_id)),
            )).all()
            return items.release_blocked(conn, company, waiting, now, actor=actor,
                                         reason=f"{kind} {mms_id!r} mapped to {external_id}")

    def unmap(self, company: str, kind: str, mms_id: str) -> bool:
        with self.ctx.engine.begin() as conn:
            result = conn.execute(sa.delete(mappings).where(
                mappings.c.company == company, mappings.c.kind == kind,
                mappings.c.mms_id == mms_id))
        return result.rowcount > 0

    def resume(self, company: str, *, actor: str) -> bool:
        """Lift a pause (after reconnecting, or fixing the settings)."""
        self.ctx.company(company)
        with self.ctx.engine.begin() as conn:
            result = conn.execute(sa.update(companies).where(
                companies.c.name == company, companies.c.paused_reason.is_not(None),
            ).values(paused_reason=None, paused_remedy=None, paused_at=None,
                     updated_at=self.ctx.now()))
            if result.rowcount:
                items.note_company(conn, company, at=self.ctx.now(), actor=actor,
                                   reason="company resumed")
        return result.rowcount > 0

    def set_in_sync_date(self, company: str, date: dt.date, *, actor: str) -> tuple[int, int]:
        """Move the in-sync date; returns (items now no-go, items released)."""
        config = self.ctx.company(company)
        held = released = 0
        with self.ctx.engine.begin() as conn:
            self.ctx.ensure_company_row(conn, company)
            conn.execute(sa.update(companies).where(companies.c.name == company)
                         .values(in_sync_date=date, updated_at=self.ctx.now()))
            before = ItemFilter(company=company, date_to=date - dt.timedelta(days=1),
                                status=[S.PENDING, S.AWAITING_APPROVAL, S.BLOCKED,
                                        S.RETRY_WAIT, S.ERROR])
            for row in self._select(conn, before):
                if row.mark == "go":
                    continue
                self._move(conn, row, S.NO_GO, actor,
                           f"dated {row.document_date}, before the in-sync date {date}")
                held += 1
            after = ItemFilter(company=company, date_from=date, status=[S.NO_GO])
            for row in self._select(conn, after):
                if row.mark == "no_go" or not (row.status_reason or "").startswith("dated "):
                    continue
                # The date no longer holds it back, but a plugin's no-go vote still may.
                record = record_from_json(json.loads(row.payload, parse_float=Decimal))
                votes = [v.reason for v in self.ctx.plugins.votes(config, record)
                         if v.vote is Vote.NO_GO]
                if votes:
                    still = "; ".join(votes)
                    now = self.ctx.now()
                    items.set_fields(conn, row, {"status_reason": still, "updated_at": now})
                    items.note(conn, row, company=row.company, at=now, actor=actor,
                               reason=f"on or after the in-sync date {date}, "
                               f"but still held: {still}")
                    continue
                target = (S.AWAITING_APPROVAL if needs_approval(config, row.kind)
                          else S.PENDING)
                self._move(conn, row, target, actor, f"on or after the in-sync date {date}")
                released += 1
        return held, released
