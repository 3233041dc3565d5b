"""SQLite's bulk statements (ledgersync._ledger.bulk) build the driver's parameters a column at
a time, processing a value shared by several rows, or a name bound twice, once: the rows stored
must be exactly those one row at a time would store."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from ledgersync._ledger.bulk import execute_many, insert_rows
from ledgersync._ledger.types import UTCDateTime

metadata = sa.MetaData()
stamps = sa.Table(
    "stamps", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(20)),
    sa.Column("flag", sa.Boolean, nullable=False),
    sa.Column("first_at", UTCDateTime),
    sa.Column("last_at", UTCDateTime),
)
#: A one-row statement with a name bound twice and values fixed in the statement.
TOUCH = (sa.update(stamps).where(stamps.c.id == sa.bindparam("b_id"))
         .values(label="touched", flag=True, first_at=sa.bindparam("b_at"),
                 last_at=sa.bindparam("b_at")))

PARIS = dt.timezone(dt.timedelta(hours=2))
SHARED = dt.datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=dt.UTC)


@pytest.fixture
def engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _rows(shared: dt.datetime) -> list[dict[str, Any]]:
    return [
        {"id": 1, "label": "a", "flag": False, "first_at": shared, "last_at": shared},
        {"id": 2, "label": None, "flag": True, "first_at": shared, "last_at": None},
        {"id": 3, "label": "c", "flag": False,
         "first_at": dt.datetime(2026, 3, 1, 14, 0, tzinfo=PARIS), "last_at": shared},
        {"id": 4, "label": "d", "flag": True, "first_at": None, "last_at": shared},
    ]


def _stored(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(
            "SELECT id, label, flag, first_at, last_at FROM stamps ORDER BY id")]


def test_shared_values_are_stored_as_distinct_equal_ones_are(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        insert_rows(conn, stamps, _rows(SHARED))
    shared = _stored(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(stamps))
        # every row its own copy of the timestamp: nothing to share
        insert_rows(conn, stamps, [{key: copy.copy(value) for key, value in row.items()}
                                   for row in _rows(SHARED)])

    assert _stored(engine) == shared
    assert shared[0][2:] == (0, "2026-03-01 12:00:00.250000", "2026-03-01 12:00:00.250000")
    assert shared[2][3] == "2026-03-01 12:00:00.000000"  # 14:00 in Paris


def test_inserted_rows_read_back_as_sqlalchemys_own(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        insert_rows(conn, stamps, _rows(SHARED))
    with engine.connect() as conn:
        bulk = conn.execute(sa.select(stamps).order_by(stamps.c.id)).all()
    with engine.begin() as conn:
        conn.execute(sa.delete(stamps))
        conn.execute(sa.insert(stamps), _rows(SHARED))
    with engine.connect() as conn:
        own = conn.execute(sa.select(stamps).order_by(stamps.c.id)).all()

    assert bulk == own
    assert bulk[2].first_at == dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_a_whole_second_is_stored_as_the_same_text_as_sqlalchemy_stores_it(
        engine: sa.Engine) -> None:
    """SQLite compares timestamps as text: '12:00:00' and '12:00:00.000000' are unequal, so a
    fence comparing a time written in bulk with one bound by SQLAlchemy would fail."""
    with engine.begin() as conn:
        insert_rows(conn, stamps, _rows(SHARED))
        execute_many(conn, TOUCH, [{"b_id": 1, "b_at": SHARED.replace(microsecond=0)},
                                   {"b_id": 4, "b_at": SHARED.replace(microsecond=0)}])
    bulk = _stored(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(stamps))
        for row in _rows(SHARED):
            conn.execute(sa.insert(stamps), row)
        for row_id in (1, 4):
            conn.execute(TOUCH, {"b_id": row_id, "b_at": SHARED.replace(microsecond=0)})

    assert bulk == _stored(engine)
    assert bulk[0][3] == "2026-03-01 12:00:00.000000"


def test_a_name_bound_twice_and_fixed_values_fill_every_placeholder(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        insert_rows(conn, stamps, _rows(SHARED))
        later = SHARED + dt.timedelta(minutes=5)
        execute_many(conn, TOUCH, [{"b_id": 1, "b_at": later}, {"b_id": 3, "b_at": later},
                                   {"b_id": 4, "b_at": None}])

    stored = {row[0]: row[1:] for row in _stored(engine)}
    assert stored[1] == ("touched", 1, "2026-03-01 12:05:00.250000",
                         "2026-03-01 12:05:00.250000")
    assert stored[3] == stored[1]
    assert stored[4] == ("touched", 1, None, None)
    assert stored[2] == (None, 1, "2026-03-01 12:00:00.250000", None)


def test_rows_naming_different_columns_are_still_refused(engine: sa.Engine) -> None:
    rows = _rows(SHARED)
    del rows[1]["label"]
    with pytest.raises(KeyError), engine.begin() as conn:
        insert_rows(conn, stamps, rows)
