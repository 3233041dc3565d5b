"""Database engines for the ledger, and its schema migrations.

SQLite is the embedded default: WAL, ``synchronous=FULL`` (the ``in_flight`` row is our record of
intent before a remote call, so it must survive a power loss), a busy timeout, and
``BEGIN IMMEDIATE`` for every writing transaction (a deferred transaction that later writes gets
SQLITE_BUSY at once in WAL mode, ignoring the busy timeout). PostgreSQL runs the same code.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from sqlalchemy.engine import Connection, Engine

from .._errors import LedgerError, SchemaOutdatedError
from .._files import create_private
from .schema import metadata

#: Execution option for connections that only read: they begin a deferred transaction on
#: SQLite so readers never queue behind writers.
READ_ONLY = {"ledgersync_read_only": True}

SQLITE_BUSY_TIMEOUT_MS = 30_000

SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def create_ledger_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the ledger at ``url`` with the per-backend settings described above."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise LedgerError(
            f"ledger URL {url!r} is not a database URL",
            remedy="Use e.g. sqlite:///ledgersync.db or postgresql+psycopg://user@host/db",
        ) from exc
    shown = parsed.render_as_string(hide_password=True)
    if parsed.drivername == "postgres" or parsed.drivername.startswith("postgres+"):
        raise LedgerError(
            f"ledger URL {shown!r} starts with postgres://, which SQLAlchemy does not accept",
            remedy="Write postgresql+psycopg:// instead of postgres:// in ledger.url",
        )
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise LedgerError(
            f"ledger URL {shown!r} names a {parsed.get_backend_name()} database; the ledger "
            "runs on SQLite or PostgreSQL only",
            remedy="Set ledger.url to sqlite:///ledgersync.db or "
            "postgresql+psycopg://user@host/db",
        )
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        # ``?synchronous=normal`` trades power-loss durability for speed: allowed only where
        # every remote call carries an idempotency key.
        synchronous = str(parsed.query.get("synchronous", "full")).upper()
        if synchronous not in ("FULL", "NORMAL"):
            raise LedgerError(
                f"ledger URL option synchronous={synchronous.lower()!r} is not supported",
                remedy="Use synchronous=full (the default) or synchronous=normal",
            )
        _create_private_sqlite_file(parsed.database)
        engine = _create(parsed.difference_update_query(["synchronous"]), kwargs)
        _configure_sqlite(engine, synchronous)
        return engine
    engine = _create(parsed, kwargs)
    _plan_each_execution(engine)
    if "pool_pre_ping" not in kwargs:
        _ping_when_idle(engine)
    return engine


def _create(url: sa.URL, kwargs: dict[str, Any]) -> Engine:
    try:
        return sa.create_engine(url, **kwargs)
    except (ModuleNotFoundError, sa.exc.NoSuchModuleError) as exc:
        raise LedgerError(
            f"ledger URL {url.render_as_string(hide_password=True)!r} needs a database driver "
            f"that is not installed ({exc})",
            remedy="Use postgresql+psycopg://user@host/db (psycopg is installed with "
            "ledgersync) or sqlite:///ledgersync.db",
        ) from None


#: A pooled PostgreSQL connection unused for longer than this is pinged before it is handed
#: out (the server may have restarted or dropped it meanwhile).
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """``pool_pre_ping``, but only for connections that sat in the pool a while.

    SQLAlchemy's pre-ping costs a round trip on every checkout, and a worker checks out a
    connection several times per claimed batch; a connection returned a moment ago was
    working then. A failed ping discards the connection and the pool connects afresh, as
    with ``pool_pre_ping``; a connection that breaks mid-use fails that transaction either way.
    """

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["ledgersync_idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("ledgersync_idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # new (just connected) or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise sa.exc.DisconnectionError(f"ledger connection lost while idle: {exc}") from exc


def _plan_each_execution(engine: Engine) -> None:
    """PostgreSQL plans each execution of a prepared statement for its own parameters.

    psycopg prepares a statement on the server after a few executions, and PostgreSQL then
    switches to one generic plan once it looks no dearer than the custom ones. A generic plan
    is made for the table as it was then: the ledger's tables grow from empty within minutes
    (a first billing run, a first sync) while autovacuum's ANALYZE, which would re-plan, comes
    later. Plans made on an empty table read every row for each parameter as the table grows:
    recording 1,000 records went from 0.1 to 1.2 ms a record within eleven calls, and the
    worker's link lookups cost 7 times as much (bench/RESULTS.md, "Issue 16, session 21").
    A custom plan keeps the parse saved by preparing and costs a few microseconds to plan.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
        finally:
            cursor.close()
        dbapi_connection.commit()


def _create_private_sqlite_file(database: str | None) -> None:
    """SQLite creates a missing database file on first connect, 0644 under the usual umask;
    create it 0600 first (its -wal and -shm files take the same mode). A missing folder is
    left for the connect to report."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():
        create_private(path)


def _configure_sqlite(engine: Engine, synchronous: str = "FULL") -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        # SQLAlchemy fires "begin" for AUTOCOMMIT connections too; a BEGIN there would never
        # be committed and would silently roll everything back.
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        if options.get("ledgersync_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextlib.contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reading only (deferred transaction on SQLite)."""
    with engine.connect() as conn:
        conn = conn.execution_options(**READ_ONLY)
        with conn.begin():
            yield conn


# -- migrations -----------------------------------------------------------------------------


def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    location = resources.files("ledgersync._ledger") / "migrations"
    cfg.set_main_option("script_location", str(location))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "the package ships no migration"
    return head


def current_revision(engine: Engine) -> str | None:
    with read_connection(engine) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def has_tables(engine: Engine) -> bool:
    """Whether any of the ledger's tables exist (an embedder's own tables do not count)."""
    with read_connection(engine) as conn:
        return bool(set(sa.inspect(conn).get_table_names()) & set(metadata.tables))


def _check_known(current: str | None, url: str) -> None:
    """Refuse a database stamped by a newer ledgersync: no upgrade here can help it."""
    if current is None:
        return
    try:
        ScriptDirectory.from_config(_alembic_config()).get_revision(current)
    except AlembicError:
        raise LedgerError(
            f"the ledger at {url} is at schema revision {current}, which this ledgersync "
            "does not know: a newer ledgersync made or upgraded it",
            remedy="Upgrade ledgersync (and its plugins) to the version that wrote this "
            "database",
        ) from None


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Apply migrations up to ``revision``; returns (revision before, revision after)."""
    before = current_revision(engine)
    _check_known(before, engine.url.render_as_string(hide_password=True))
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)
    after = current_revision(engine)
    assert after is not None
    return before, after


def unreachable(engine: Engine, exc: BaseException) -> LedgerError:
    """The one-line error for a ledger database that cannot be opened, with what to do."""
    url = engine.url.render_as_string(hide_password=True)
    detail = " ".join(str(getattr(exc, "orig", None) or exc).split())
    lowered = detail.lower()
    if engine.url.get_backend_name() == "sqlite":
        folder = os.path.dirname(engine.url.database or "") or "."
        if not os.path.isdir(folder):
            remedy = f"Create the folder {folder}, or correct ledger.url in the config file"
        else:
            remedy = f"Check that {engine.url.database} is a SQLite file you may write to"
    elif "does not exist" in lowered and "database" in lowered:
        remedy = (f"Create the database (e.g. `createdb {engine.url.database}`), "
                  "or correct ledger.url in the config file")
    elif "refused" in lowered or "could not translate host" in lowered or "timeout" in lowered:
        remedy = ("Start the database server, or correct the host and port in ledger.url "
                  "in the config file")
    elif "authentication" in lowered or "password" in lowered:
        remedy = "Correct the user or password in ledger.url (use env:NAME for the password)"
    else:
        remedy = "Check ledger.url in the config file and that the database server is running"
    return LedgerError(f"cannot open the ledger at {url}: {detail}", remedy=remedy)


def check_connection(engine: Engine) -> None:
    """Connect once, turning a wrong URL, a missing database or a closed port into a
    :class:`LedgerError` naming the URL and what to do."""
    try:
        with engine.connect():
            pass
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise unreachable(engine, exc) from None
    except ModuleNotFoundError as exc:  # the URL names a driver that is not installed
        raise LedgerError(
            f"the ledger URL needs the database driver {exc.name!r}, which is not installed",
            remedy=f"pip install {exc.name}, or use postgresql+psycopg:// or sqlite:///",
        ) from None


def ensure_current(engine: Engine, *, create: bool) -> None:
    """Check the schema is at head; create it in an empty database when ``create`` is set."""
    check_connection(engine)
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None and create and not has_tables(engine):
        upgrade(engine)
        return
    url = engine.url.render_as_string(hide_password=True)
    _check_known(current, url)
    raise SchemaOutdatedError(url, current, head)
