"""Two-phase completion: asking a two-stage connector what became of staged records.

A staged item (stage one done: an intermediary holds the record under its own id) becomes
``synced`` when the accounting system confirms it (its id becomes the link), or ``rejected``,
``conflict`` or ``orphaned``. The engine polls each two-stage company on schedule: at most
``confirm_batch`` staged items a poll (the oldest first), with a wait between polls that
doubles while they learn nothing, so an unattended desktop costs little.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._connector import Confirmation, Operation, PushConnector, StagedItem
from .._errors import LedgerSyncError
from .._ledger.database import read_connection
from .._ledger.schema import companies, sync_items
from . import items
from .context import EngineContext
from .items import ConfirmedItem
from .statuses import Status

log = logging.getLogger(__name__)

@attrs.frozen(kw_only=True)
class ConfirmSummary:
    """What one poll of a company did. ``polled`` is False when it was not due (back-off),
    the connector is not two-stage, or nothing waits for a confirmation."""

    company: str
    polled: bool
    asked: int = 0
    outcomes: Counter[str] = attrs.field(factory=Counter)
    changed: tuple[ConfirmedItem, ...] = ()
    still_staged: int = 0
    error: str | None = None
    next_poll_at: dt.datetime | None = None


class Confirmer:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def poll(self, company: str, *, force: bool = False, run_id: int | None = None
             ) -> ConfirmSummary:
        """Ask the company's connector about its staged items if a poll is due (or
        ``force``); apply the answers. Never raises for a remote failure: it is logged in
        the sync log and the poll is retried after the back-off."""
        config = self.ctx.company(company)
        if not self.ctx.connector_class(config).two_stage or not config.enabled:
            return ConfirmSummary(company=company, polled=False)
        now = self.ctx.now()
        with self.ctx.engine.begin() as conn:
            self.ctx.ensure_company_row(conn, company)
            state = conn.execute(sa.select(companies).where(companies.c.name == company)).one()
        if state.paused_reason is not None and not force:
            return ConfirmSummary(company=company, polled=False)
        if not force and state.confirm_due_at is not None and state.confirm_due_at > now:
            return ConfirmSummary(company=company, polled=False,
                                  next_poll_at=state.confirm_due_at)
        with read_connection(self.ctx.engine) as conn:
            rows = conn.execute(
                sa.select(sync_items).where(sync_items.c.company == company,
                                            sync_items.c.status == Status.STAGED.value)
                .order_by(sync_items.c.staged_at, sync_items.c.id)
                .limit(self.ctx.settings.confirm_batch)).all()
            confirmed_before = conn.execute(sa.select(sync_items.c.id).where(
                sync_items.c.company == company, sync_items.c.status == Status.SYNCED.value,
                sync_items.c.intermediary_id.is_not(None)).limit(1)).first() is not None
        if not rows and not confirmed_before:
            return ConfirmSummary(company=company, polled=False)
        asked = [StagedItem(item_id=r.id, kind=r.kind, mms_id=r.mms_id,
                            operation=Operation(r.operation), intermediary_id=r.intermediary_id,
                            idempotency_key=r.idempotency_key, staged_at=r.staged_at)
                 for r in rows]
        try:
            connector = self.ctx.connector(company)
            if not isinstance(connector, PushConnector):
                raise LedgerSyncError(f"connector {connector.name!r} is not a push connector")
            answers = list(connector.confirm(asked))
        except Exception as exc:  # noqa: BLE001 - a failed poll is reported and retried later
            log.info("confirmation poll of %s failed: %s", company, exc)
            remedy = getattr(exc, "remedy", None)
            message = f"could not ask the accounting system about staged records: {exc}"
            with self.ctx.engine.begin() as conn:
                items.note(conn, None, company=company, at=now, actor="engine",
                           reason=message + (f" ({remedy})" if remedy else ""),
                           level="error", code=getattr(exc, "code", None), run_id=run_id)
                due = self._back_off(conn, company, state.confirm_idle_polls + 1, now)
            return ConfirmSummary(company=company, polled=True, asked=len(asked),
                                  error=message, next_poll_at=due,
                                  still_staged=len(rows))
        with self.ctx.engine.begin() as conn:
            outcomes, changed = self._apply(conn, company, answers, run_id, now)
            idle = 0 if any(c.status != Status.STAGED.value for c in changed) else (
                state.confirm_idle_polls + 1)
            due = self._back_off(conn, company, idle, now)
            still = conn.execute(sa.select(sa.func.count()).select_from(sync_items).where(
                sync_items.c.company == company,
                sync_items.c.status == Status.STAGED.value)).scalar_one()
        return ConfirmSummary(company=company, polled=True, asked=len(asked), outcomes=outcomes,
                              changed=tuple(changed), still_staged=still, next_poll_at=due)

    def _back_off(self, conn: Connection, company: str, idle: int, now: dt.datetime
                  ) -> dt.datetime:
        settings = self.ctx.settings
        wait = min(settings.confirm_base_seconds * 2 ** min(idle, 20),
                   settings.confirm_cap_seconds)
        due = now + dt.timedelta(seconds=wait)
        conn.execute(sa.update(companies).where(companies.c.name == company).values(
            confirm_due_at=due, confirm_idle_polls=idle, updated_at=now))
        return due

    def _apply(self, conn: Connection, company: str, answers: list[Confirmation],
               run_id: int | None, now: dt.datetime
               ) -> tuple[Counter[str], list[ConfirmedItem]]:
        outcomes: Counter[str] = Counter()
        changed: list[ConfirmedItem] = []
        ids = sorted({a.intermediary_id for a in answers})
        if not ids:
            return outcomes, changed
        rows: dict[str, list[Any]] = {}
        for row in conn.execute(sa.select(sync_items).where(
                sync_items.c.company == company, sync_items.c.intermediary_id.in_(ids),
                sync_items.c.status.in_([Status.STAGED.value, Status.SYNCED.value]))):
            rows.setdefault(row.intermediary_id, []).append(row)
        for answer in answers:
            for row in rows.get(answer.intermediary_id, []):
                done = items.apply_confirmation(conn, company, row, answer, run_id, now)
                if done is not None:
                    outcomes[done.status] += 1
                    changed.append(done)
        return outcomes, changed
