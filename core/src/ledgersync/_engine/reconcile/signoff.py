"""Sign-off and notes: a reconciliation a person signed is stored (totals, every difference
and its explanation, who, when) so the next month starts from it; a note on a difference
documents a manual adjustment, and may accept the difference."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..._errors import LedgerSyncError
from ..._ledger.database import read_connection
from ..._ledger.schema import reconcile_notes, reconciliations, sync_items
from .. import items
from ..context import EngineContext
from .causes import Acceptance
from .ledger_side import LedgerSide
from .model import AccountsReport, ReconcileReport, SignOff
from .serialize import accounts_report, customers_report

KINDS = ("customers", "accounts")


@attrs.frozen(kw_only=True)
class DifferenceNote:
    """A person's note on a reconciliation difference."""

    id: int
    company: str
    item_id: int | None
    remote_kind: str | None
    remote_id: str | None
    text: str
    accepted: bool
    noted_by: str
    noted_at: dt.datetime


def parse_target(target: str) -> int | tuple[str, str]:
    """An item id (``42``) or a books transaction (``invoice:1017``)."""
    if target.isdigit():
        return int(target)
    kind, colon, remote_id = target.partition(":")
    if not colon or not kind or not remote_id:
        raise LedgerSyncError(
            f"{target!r} is neither an item id nor a books transaction",
            remedy="Give the item id `ledgersync reconcile` shows, or KIND:REMOTE_ID (e.g. "
                   "invoice:1017) for a transaction that is in the books only")
    return kind, remote_id


def add_note(ctx: EngineContext, company: str, target: str, text: str, *, accept: bool,
             actor: str) -> DifferenceNote:
    ctx.company(company)
    if not text.strip():
        raise LedgerSyncError("the note is empty", remedy="Say what was adjusted, or why")
    parsed = parse_target(target)
    now = ctx.now()
    with ctx.engine.begin() as conn:
        item_id = remote_kind = remote_id = None
        if isinstance(parsed, int):
            row = conn.execute(sa.select(sync_items.c.id, sync_items.c.kind).where(
                sync_items.c.id == parsed, sync_items.c.company == company)).first()
            if row is None:
                raise LedgerSyncError(
                    f"company {company!r} has no item {parsed}",
                    remedy="Use an item id `ledgersync reconcile` or `ledgersync status "
                           "--items` shows")
            item_id = parsed
            items.note(conn, None, company=company, kind=row.kind, at=now, actor=actor,
                       reason=("accepted in reconciliation: " if accept else "note: ") + text,
                       code="reconcile_note", item_id=item_id)
        else:
            remote_kind, remote_id = parsed
        new_id = conn.execute(sa.insert(reconcile_notes).values(
            company=company, item_id=item_id, remote_kind=remote_kind, remote_id=remote_id,
            text=text, accepted=accept, noted_by=actor, noted_at=now)
        ).inserted_primary_key[0]  # type: ignore[index]  # one key
    return DifferenceNote(id=new_id, company=company, item_id=item_id,
                          remote_kind=remote_kind,
                remote_id=remote_id, text=text, accepted=accept, noted_by=actor, noted_at=now)


def notes(ctx: EngineContext, company: str) -> list[DifferenceNote]:
    with read_connection(ctx.engine) as conn:
        rows = conn.execute(sa.select(reconcile_notes).where(
            reconcile_notes.c.company == company).order_by(reconcile_notes.c.id)).all()
    return [DifferenceNote(id=r.id, company=r.company, item_id=r.item_id,
                           remote_kind=r.remote_kind,
                 remote_id=r.remote_id, text=r.text, accepted=r.accepted,
                 noted_by=r.noted_by, noted_at=r.noted_at) for r in rows]


def acceptances(conn: Connection, company: str, side: LedgerSide
                ) -> dict[object, list[Acceptance]]:
    """The notes on differences, oldest first, by every item id of the noted document (an
    explanation names the item that is waiting, the note perhaps its create item) or by
    (kind, remote id) for a transaction in the books only."""
    rows = conn.execute(sa.select(reconcile_notes).where(
        reconcile_notes.c.company == company).order_by(reconcile_notes.c.id)).all()
    if not rows:
        return {}
    siblings: dict[int, list[int]] = {}
    for document in side.documents:
        ids = [int(i.id) for i in document.items]
        for item_id in ids:
            siblings[item_id] = ids
    found: dict[object, list[Acceptance]] = {}
    for row in rows:
        note = Acceptance(text=row.text, noted_by=row.noted_by, accepted=bool(row.accepted))
        keys: list[object] = list(siblings.get(row.item_id, [row.item_id])) \
            if row.item_id is not None else [(row.remote_kind, row.remote_id)]
        for key in keys:
            found.setdefault(key, []).append(note)
    return found


def _signoff(row: Any) -> SignOff:
    return SignOff(id=row.id, company=row.company, kind=row.kind, period_start=row.period_start,
                   as_of=row.as_of, total_mms=Decimal(row.total_mms),
                   total_books=Decimal(row.total_books), differences=row.differences,
                   signed_by=row.signed_by, signed_at=row.signed_at,
                   body=json.loads(row.body))


def last_signoff(conn: Connection, company: str, kind: str, as_of: dt.date | None
                 ) -> SignOff | None:
    query = sa.select(reconciliations).where(reconciliations.c.company == company,
                                             reconciliations.c.kind == kind)
    if as_of is not None:
        query = query.where(reconciliations.c.as_of <= as_of)
    row = conn.execute(query.order_by(reconciliations.c.as_of.desc(),
                                      reconciliations.c.id.desc()).limit(1)).first()
    return None if row is None else _signoff(row)


def sign(ctx: EngineContext, report: ReconcileReport | AccountsReport, signed_by: str
         ) -> SignOff:
    """Store a reconciliation as signed by ``signed_by`` now (UTC)."""
    if not signed_by.strip():
        raise LedgerSyncError("a sign-off needs the name of who signs it",
                              remedy='Give it: --sign "Jane Doe"')
    if isinstance(report, ReconcileReport):
        if report.as_of is None:
            raise LedgerSyncError("a sign-off is as of a date",
                                  remedy="Reconcile with --as-of YYYY-MM-DD (the month end)")
        kind, start, end = "customers", None, report.as_of
        total_mms, total_books = report.total_mms, report.total_remote
        differences = len(report.mismatches) + len(report.open_items)
        body = customers_report(report)
    else:
        kind, start, end = "accounts", report.start, report.end
        total_mms = sum((a.mms for a in report.accounts), Decimal("0.00"))
        total_books = sum((a.books for a in report.accounts), Decimal("0.00"))
        differences = len(report.mismatches) + len(report.unmapped)
        body = accounts_report(report)
    now = ctx.now()
    with ctx.engine.begin() as conn:
        new_id = conn.execute(sa.insert(reconciliations).values(
            company=report.company, kind=kind, period_start=start, as_of=end,
            total_mms=str(total_mms), total_books=str(total_books), differences=differences,
            body=json.dumps(body, sort_keys=True), signed_by=signed_by.strip(),
            signed_at=now)).inserted_primary_key[0]  # type: ignore[index]  # one key
        row = conn.execute(sa.select(reconciliations).where(
            reconciliations.c.id == new_id)).one()
    return _signoff(row)


def history(ctx: EngineContext, company: str, kind: str | None = None) -> list[SignOff]:
    """Every sign-off of a company, the newest month first."""
    ctx.company(company)
    query = sa.select(reconciliations).where(reconciliations.c.company == company)
    if kind is not None:
        query = query.where(reconciliations.c.kind == kind)
    with read_connection(ctx.engine) as conn:
        rows = conn.execute(query.order_by(reconciliations.c.as_of.desc(),
                                           reconciliations.c.id.desc())).all()
    return [_signoff(r) for r in rows]
