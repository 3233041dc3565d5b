"""Column types that keep the ledger's promises on every backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on SQLite and PostgreSQL alike.

    SQLite has no time zones, so values are stored as naive UTC and given back aware; a naive
    value handed in is a bug in the caller and is refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the ledger; use UTC-aware times")
        if value.tzinfo is not dt.UTC:
            value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            # Naive: the same value as replace(tzinfo=None) (fold kept), at a third the cost.
            return dt.datetime.combine(value.date(), value.time())
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
