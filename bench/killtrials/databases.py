"""A ledger database no trial has touched: a SQLite file in the trial's directory, or, when the
campaign runs on PostgreSQL, a schema of its own (dropped after the trial unless
:data:`KEEP_SCHEMAS`, so that the secrets scan can read what the trials left)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

#: Leave each trial's schema in place (``kill_campaign.py --keep-ledgers``).
KEEP_SCHEMAS = False


@contextlib.contextmanager
def trial_database(workdir: Path, server_url: str | None, label: str) -> Iterator[str]:
    if not server_url:
        yield f"sqlite:///{workdir / 'ledger.db'}"
        return
    schema = f"kills_{label}"
    admin = sa.create_engine(server_url)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = sa.make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        if KEEP_SCHEMAS:
            return
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        admin.dispose()
