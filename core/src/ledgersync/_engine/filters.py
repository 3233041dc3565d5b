"""Selecting sync items for listings and for mass actions (requeue, mark, approve...)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs
import sqlalchemy as sa

from .._ledger.schema import sync_items
from .statuses import Status


@attrs.frozen(kw_only=True)
class ItemFilter:
    """Which items an operator means. Every given criterion must match; none means all."""

    ids: Sequence[int] | None = None
    company: str | None = None
    kind: str | None = None
    status: Sequence[Status] | None = None
    member: str | None = None
    mms_id: str | None = None
    operation: str | None = None
    error_code: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        c = sync_items.c
        clauses: list[sa.ColumnElement[bool]] = []
        if self.ids is not None:
            clauses.append(c.id.in_(list(self.ids)))
        if self.company is not None:
            clauses.append(c.company == self.company)
        if self.kind is not None:
            clauses.append(c.kind == self.kind)
        if self.status is not None:
            clauses.append(c.status.in_([s.value for s in self.status]))
        if self.member is not None:
            clauses.append(c.member_id == self.member)
        if self.mms_id is not None:
            clauses.append(c.mms_id == self.mms_id)
        if self.operation is not None:
            clauses.append(c.operation == self.operation)
        if self.error_code is not None:
            clauses.append(c.error_code == self.error_code)
        if self.date_from is not None:
            clauses.append(c.document_date >= self.date_from)
        if self.date_to is not None:
            clauses.append(c.document_date <= self.date_to)
        return clauses

    def restricted_to(self, *statuses: Status) -> ItemFilter:
        """The same filter, narrowed to ``statuses`` (intersected with any given status)."""
        wanted = [s for s in statuses if self.status is None or s in self.status]
        return attrs.evolve(self, status=wanted)
