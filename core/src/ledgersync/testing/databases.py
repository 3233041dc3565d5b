"""Test databases: an empty ledger database on SQLite or on a PostgreSQL server.

Suites that drop tables must not share a PostgreSQL database with other suites running at the
same time, so each asks for its own database on the server ``LEDGERSYNC_TEST_DATABASE_URL``
names (created when missing).
"""

from __future__ import annotations

import os

import sqlalchemy as sa

from .._ledger.database import create_ledger_engine

DATABASE_URL_ENV = "LEDGERSYNC_TEST_DATABASE_URL"


def postgresql_test_url(database: str) -> str | None:
    """The URL of ``database`` on the test PostgreSQL server, created when missing; None when
    ``LEDGERSYNC_TEST_DATABASE_URL`` does not name a PostgreSQL server."""
    raw = os.environ.get(DATABASE_URL_ENV)
    if not raw or not raw.startswith("postgresql"):
        return None
    server = create_ledger_engine(raw, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": database}).first()
            if exists is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    finally:
        server.dispose()
    return sa.make_url(raw).set(database=database).render_as_string(hide_password=False)


def postgresql_suite_url(suite: str) -> str | None:
    """A database for one test suite, named after the configured one (``test`` gives
    ``test_<suite>``), so that two checkouts testing against one server with different
    databases never share a suite's database either; None when not on PostgreSQL."""
    raw = os.environ.get(DATABASE_URL_ENV)
    if not raw or not raw.startswith("postgresql"):
        return None
    return postgresql_test_url(f"{sa.make_url(raw).database or 'test'}_{suite}")


def empty_database(url: str) -> None:
    """Drop every table: the ledger's, anyone else's, and ``alembic_version``."""
    engine = create_ledger_engine(url)
    try:
        with engine.begin() as conn:
            existing = sa.MetaData()
            existing.reflect(conn)
            existing.drop_all(conn)
    finally:
        engine.dispose()
