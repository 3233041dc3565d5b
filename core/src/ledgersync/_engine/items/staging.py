"""Two-phase completion: the fenced ``staged`` write of stage one, and the accounting
system's answers about staged (or confirmed) items: synced, rejected, conflict, orphaned."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..._connector import Confirmation, ConfirmOutcome, Operation, StagedResult
from ..._ledger.schema import links, sync_items
from .. import statements
from ..statuses import Status, check_transition
from .history import LeasedItem, describe, event_row, insert_events
from .lifecycle import fenced_update, lease_lost
from .successes import _follow_deferred, release_blocked

S = Status
_OUTCOME_STATUS = {
    ConfirmOutcome.SYNCED: S.SYNCED,
    ConfirmOutcome.REJECTED: S.REJECTED,
    ConfirmOutcome.CONFLICT: S.CONFLICT,
    ConfirmOutcome.ORPHANED: S.ORPHANED,
}
_DEFAULT_REMEDY = {
    S.REJECTED: "Correct the record in the MMS (or map what it references), then requeue it",
    S.CONFLICT: "Fix the record in the intermediary, then requeue it",
    S.ORPHANED: "The accounting system lost it (restored from a backup?): requeue it to "
                "send it again",
}


@attrs.frozen(kw_only=True)
class ConfirmedItem:
    """One item whose standing a poll changed or flagged."""

    item_id: int
    kind: str
    mms_id: str
    status: str
    message: str | None
    remedy: str | None
    code: str | None


def write_staged(conn: Connection, item: LeasedItem, result: StagedResult, *, message: str,
                 level: str, at: dt.datetime, release_dependents: bool) -> bool:
    """Stage one done: the intermediary has it; no link until the accounting system confirms.
    ``release_dependents``: dependents may reference the intermediary id (release them)."""
    check_transition(describe(item), S.IN_FLIGHT, S.STAGED)
    done = fenced_update(conn, item, {
        "status": S.STAGED.value, "status_reason": message,
        "intermediary_id": result.intermediary_id, "version_token": result.version_token,
        "staged_at": at, "needs_lookup": False, "lease_owner": None,
        "lease_expires_at": None, "error_code": None, "error_message": None,
        "error_remedy": None, "updated_at": at,
    })
    if not done:
        lease_lost(conn, item, f"staged as {result.intermediary_id}", at)
        return False
    insert_events(conn, [event_row(
        item_id=item.id, company=item.company, kind=item.kind, at=at, actor=item.lease_owner,
        from_status=S.IN_FLIGHT.value, to_status=S.STAGED.value, reason=message, level=level,
        run_id=item.run_id)])
    if release_dependents:
        _release(conn, item.company, item.kind, item.mms_id, at, "staged")
    return True


def apply_confirmation(conn: Connection, company: str, row: Any, answer: Confirmation,
                       run_id: int | None, now: dt.datetime) -> ConfirmedItem | None:
    """Record one answer about a staged or synced item (``row``: its sync_items row)."""
    current = Status(row.status)
    if answer.outcome is ConfirmOutcome.STAGED:
        if current is not S.STAGED or not answer.message or answer.message == row.error_message:
            return None  # still waiting, nothing new to say
        # Flag it (a stalled write-back): the status stays, the message and remedy show.
        conn.execute(sa.update(sync_items).where(sync_items.c.id == row.id).values(
            error_code=answer.code, error_message=answer.message, error_remedy=answer.remedy,
            status_reason=answer.message, updated_at=now))
        insert_events(conn, [event_row(
            item_id=row.id, company=company, kind=row.kind, at=now, actor="engine",
            reason=answer.message, code=answer.code, level="warning", run_id=run_id)])
        return _confirmed(row, current, answer.message, answer.remedy, answer.code)
    target = _OUTCOME_STATUS[answer.outcome]
    if target is current or (current is S.SYNCED and target is not S.ORPHANED):
        return None  # already known; a confirmed record only changes by being lost
    check_transition(f"{row.kind} {row.mms_id!r} (item {row.id})", current, target)
    if target is S.SYNCED:
        if not answer.external_id:
            return None  # the connector asks again next time
        reason = answer.message or f"confirmed by the accounting system as {answer.external_id}"
        conn.execute(sa.update(sync_items).where(
            sync_items.c.id == row.id, sync_items.c.status == current.value).values(
            status=target.value, status_reason=reason, external_id=answer.external_id,
            version_token=answer.version_token, synced_at=now, error_code=None,
            error_message=None, error_remedy=None, updated_at=now))
        if row.operation == Operation.VOID.value:
            conn.execute(sa.update(links).where(
                links.c.company == company, links.c.kind == row.kind,
                links.c.mms_id == row.mms_id).values(
                version_token=answer.version_token, updated_at=now))
        else:
            conn.execute(statements.LINK_UPSERT[conn.dialect.name], {
                "b_company": company, "b_kind": row.kind, "b_mms_id": row.mms_id,
                "b_external_id": answer.external_id,
                "b_version_token": answer.version_token, "b_now": now})
        insert_events(conn, [event_row(
            item_id=row.id, company=company, kind=row.kind, at=now, actor="engine",
            from_status=current.value, to_status=target.value, reason=reason,
            code=answer.code, run_id=run_id)])
        _release(conn, company, row.kind, row.mms_id, now, "confirmed")
        _follow_deferred(conn, row, now)
        return _confirmed(row, target, reason, None, answer.code)
    message = answer.message or f"the accounting system reports it {target.value}"
    remedy = answer.remedy or _DEFAULT_REMEDY[target]
    values: dict[str, Any] = {
        "status": target.value, "status_reason": message, "error_code": answer.code,
        "error_message": message, "error_remedy": remedy, "updated_at": now}
    if target is S.ORPHANED:
        values.update(external_id=None, version_token=None, synced_at=None)
        if row.operation == Operation.CREATE.value:
            conn.execute(sa.delete(links).where(
                links.c.company == company, links.c.kind == row.kind,
                links.c.mms_id == row.mms_id))
    conn.execute(sa.update(sync_items).where(
        sync_items.c.id == row.id, sync_items.c.status == current.value).values(**values))
    insert_events(conn, [event_row(
        item_id=row.id, company=company, kind=row.kind, at=now, actor="engine",
        from_status=current.value, to_status=target.value, reason=message, code=answer.code,
        level="error", run_id=run_id)])
    return _confirmed(row, target, message, remedy, answer.code)


def _confirmed(row: Any, status: Status, message: str | None, remedy: str | None,
               code: str | None) -> ConfirmedItem:
    return ConfirmedItem(item_id=row.id, kind=row.kind, mms_id=row.mms_id, status=status.value,
                         message=message, remedy=remedy, code=code)


def _release(conn: Connection, company: str, kind: str, mms_id: str, now: dt.datetime,
             what: str) -> None:
    waiting = conn.execute(statements.WAITING_ITEMS, {
        "b_company": company, "b_kind": kind, "b_mms_id": mms_id, "b_now": now}).all()
    release_blocked(conn, company, waiting, now,
                    reason=f"{kind.replace('_', ' ')} {mms_id!r} {what}")
