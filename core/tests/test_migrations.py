"""The ledger's schema and its migrations, and the SQLite settings of the ledger engine.

Self-contained on purpose: tox's ``installed`` environment runs this file alone against the
built wheel, to prove the migrations ship in the package. PostgreSQL tests run when
``LEDGERSYNC_TEST_DATABASE_URL`` names a PostgreSQL server; they use a database of their own on
it (``ledgersync_migrations``, created when missing), emptied before and after each test.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

import ledgersync
from ledgersync import LedgerError, SchemaOutdatedError
from ledgersync._ledger import database, schema
from ledgersync._ledger.types import UTCDateTime
from ledgersync.cli import cli
from ledgersync.testing import postgresql_suite_url

DATABASE_URL_ENV = "LEDGERSYNC_TEST_DATABASE_URL"

#: A revision after the shipped head, as a newer ledgersync would bring it.
NEXT_REVISION = '''
revision = "9000_next"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


# -- databases -----------------------------------------------------------------------------------


def _own_postgresql_url() -> str | None:
    return postgresql_suite_url("migrations")


def _empty(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        existing = sa.MetaData()
        existing.reflect(conn)  # the ledger's tables, anyone else's, and alembic_version
        existing.drop_all(conn)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, then PostgreSQL when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    # tox's `installed` environment has the bare wheel: no PostgreSQL driver to test with.
    pytest.importorskip("psycopg", reason="the [postgresql] extra is not installed")
    found = _own_postgresql_url()
    if found is None:
        pytest.skip(f"{DATABASE_URL_ENV} does not name a PostgreSQL database")
    engine = database.create_ledger_engine(found)
    _empty(engine)
    try:
        yield found
    finally:
        _empty(engine)
        engine.dispose()


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    created = database.create_ledger_engine(url)
    yield created
    created.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[sa.Engine]:
    created = database.create_ledger_engine(sqlite_url)
    yield created
    created.dispose()


@pytest.fixture
def newer_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make this process a ledgersync one migration ahead of the shipped head (as after
    `pip install -U ledgersync`); returns the shipped head, now an older revision."""
    shipped_head = database.head_revision()
    scripts = tmp_path / "migrations"
    shutil.copytree(str(resources.files("ledgersync._ledger") / "migrations"), scripts,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9000_next.py").write_text(
        NEXT_REVISION.format(head=shipped_head), encoding="utf-8")
    original: Callable[..., AlembicConfig] = database._alembic_config

    def patched(connection: Any = None) -> AlembicConfig:
        cfg = original(connection)
        cfg.set_main_option("script_location", str(scripts))
        return cfg

    monkeypatch.setattr(database, "_alembic_config", patched)
    assert database.head_revision() == "9000_next"
    return shipped_head


@pytest.fixture
def cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Write a config file for ``url`` and point LEDGERSYNC_CONFIG at it."""
    for name in ("LEDGERSYNC_PLUGINS", "LEDGERSYNC_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)

    def write(url: str) -> Path:
        path = tmp_path / "ledgersync.toml"
        path.write_text(f'[ledger]\nurl = "{url}"\n', encoding="utf-8")
        monkeypatch.setenv("LEDGERSYNC_CONFIG", str(path))
        return path

    return write


def _tables(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def _stamp(engine: sa.Engine, revision: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM alembic_version"))
        if revision is not None:
            conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:r)"),
                         {"r": revision})


# -- upgrade -------------------------------------------------------------------------------------


def test_upgrade_creates_every_table_of_the_schema(engine: sa.Engine) -> None:
    database.upgrade(engine)
    assert set(schema.metadata.tables) <= _tables(engine)


def test_upgrade_stamps_the_head_revision(engine: sa.Engine) -> None:
    before, after = database.upgrade(engine)
    assert before is None
    assert after == database.head_revision()
    assert database.current_revision(engine) == database.head_revision()


def test_upgrade_twice_changes_nothing(engine: sa.Engine) -> None:
    database.upgrade(engine)
    before, after = database.upgrade(engine)
    assert before == after == database.head_revision()


def test_migrations_match_the_schema(engine: sa.Engine) -> None:
    database.upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True})
        differences = compare_metadata(context, schema.metadata)
    assert differences == []


def test_schema_comparison_sees_a_table_the_migrations_lack(sqlite_engine: sa.Engine) -> None:
    # The guard above must be able to fail: a table in schema.py without a migration shows up.
    database.upgrade(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE cursors")
    with sqlite_engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert [d[0] for d in differences] == ["add_table"]
    assert differences[0][1].name == "cursors"


def test_opening_an_empty_database_creates_the_ledger(url: str) -> None:
    with ledgersync.open(url) as ledger:
        assert database.current_revision(ledger._database) == database.head_revision()
        assert set(schema.metadata.tables) <= _tables(ledger._database)


def test_ledger_is_created_next_to_the_callers_own_tables(url: str) -> None:
    # Embedders keep the ledger in their MMS database: its tables are not an old ledger.
    mms = sa.create_engine(url)
    try:
        with mms.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE mms_members (id INTEGER PRIMARY KEY)")
    finally:
        mms.dispose()
    with ledgersync.open(url) as ledger:
        assert database.current_revision(ledger._database) == database.head_revision()
        assert {"mms_members", "sync_items"} <= _tables(ledger._database)


# -- outdated databases --------------------------------------------------------------------------


def test_opening_a_database_at_an_older_revision_raises_schema_outdated(
    engine: sa.Engine, newer_release: str
) -> None:
    database.upgrade(engine, newer_release)
    with pytest.raises(SchemaOutdatedError) as raised:
        ledgersync.open(str(engine.url.render_as_string(hide_password=False)))
    assert raised.value.current == newer_release
    assert raised.value.head == "9000_next"


def test_schema_outdated_error_says_to_run_db_upgrade(
    engine: sa.Engine, newer_release: str
) -> None:
    database.upgrade(engine, newer_release)
    with pytest.raises(SchemaOutdatedError) as raised:
        database.ensure_current(engine, create=True)
    assert newer_release in raised.value.message
    assert raised.value.remedy is not None
    assert "ledgersync db upgrade" in raised.value.remedy
    assert "ledgersync db upgrade" in str(raised.value)


def test_older_database_is_not_upgraded_behind_the_users_back(
    engine: sa.Engine, newer_release: str
) -> None:
    database.upgrade(engine, newer_release)
    with pytest.raises(SchemaOutdatedError):
        database.ensure_current(engine, create=True)
    assert database.current_revision(engine) == newer_release


def test_db_upgrade_brings_an_older_database_to_head(
    url: str, engine: sa.Engine, newer_release: str, cli_config: Callable[[str], Path]
) -> None:
    database.upgrade(engine, newer_release)
    cli_config(url)
    result = CliRunner().invoke(cli, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"upgraded the ledger from {newer_release} to 9000_next" in result.output
    assert database.current_revision(engine) == "9000_next"
    database.ensure_current(engine, create=False)  # opens now


def test_db_upgrade_on_a_current_database_says_it_is_up_to_date(
    url: str, engine: sa.Engine, cli_config: Callable[[str], Path]
) -> None:
    database.upgrade(engine)
    cli_config(url)
    result = CliRunner().invoke(cli, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_cli_on_an_outdated_database_tells_the_user_to_upgrade(
    url: str, engine: sa.Engine, newer_release: str, cli_config: Callable[[str], Path]
) -> None:
    database.upgrade(engine, newer_release)
    cli_config(url)
    result = CliRunner().invoke(cli, ["status"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert "ledgersync db upgrade" in result.stderr
    assert "Traceback" not in result.output


def test_ledger_tables_without_a_revision_raise_schema_outdated(engine: sa.Engine) -> None:
    database.upgrade(engine)
    _stamp(engine, None)
    with pytest.raises(SchemaOutdatedError, match="revision none"):
        database.ensure_current(engine, create=True)


def test_empty_database_without_create_raises_schema_outdated(engine: sa.Engine) -> None:
    with pytest.raises(SchemaOutdatedError, match="ledgersync db upgrade"):
        database.ensure_current(engine, create=False)
    assert "sync_items" not in _tables(engine)


def test_database_from_a_newer_ledgersync_says_to_upgrade_ledgersync(engine: sa.Engine) -> None:
    database.upgrade(engine)
    _stamp(engine, "ffff_from_the_future")
    with pytest.raises(LedgerError) as raised:
        database.ensure_current(engine, create=True)
    assert not isinstance(raised.value, SchemaOutdatedError)
    assert "ffff_from_the_future" in raised.value.message
    assert raised.value.remedy is not None
    assert "Upgrade ledgersync" in raised.value.remedy


def test_db_upgrade_refuses_a_database_from_a_newer_ledgersync(
    url: str, engine: sa.Engine, cli_config: Callable[[str], Path]
) -> None:
    database.upgrade(engine)
    _stamp(engine, "ffff_from_the_future")
    cli_config(url)
    result = CliRunner().invoke(cli, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "newer ledgersync" in result.stderr
    assert database.current_revision(engine) == "ffff_from_the_future"


# -- SQLite connection settings ------------------------------------------------------------------


def _pragma(engine: sa.Engine, name: str) -> Any:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_journal_mode_is_wal(sqlite_engine: sa.Engine) -> None:
    assert _pragma(sqlite_engine, "journal_mode") == "wal"


def test_sqlite_synchronous_is_full(sqlite_engine: sa.Engine) -> None:
    assert _pragma(sqlite_engine, "synchronous") == 2  # FULL


def test_sqlite_busy_timeout_is_set(sqlite_engine: sa.Engine) -> None:
    assert _pragma(sqlite_engine, "busy_timeout") == database.SQLITE_BUSY_TIMEOUT_MS
    assert database.SQLITE_BUSY_TIMEOUT_MS >= 5_000


def test_sqlite_foreign_keys_are_enforced(sqlite_engine: sa.Engine) -> None:
    assert _pragma(sqlite_engine, "foreign_keys") == 1


def test_sqlite_writers_begin_immediate(sqlite_engine: sa.Engine) -> None:
    sent: list[str] = []

    @sa.event.listens_for(sqlite_engine, "before_cursor_execute")
    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert sent[:2] == ["BEGIN IMMEDIATE", "SELECT 1"]


def test_sqlite_writer_holds_the_write_lock_from_its_begin(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A transaction that only begun (nothing written yet) already keeps a second writer out:
    # with a deferred BEGIN the second writer would get in and fail later, at its first write.
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    first = database.create_ledger_engine(sqlite_url)
    second = database.create_ledger_engine(sqlite_url)
    try:
        database.upgrade(first)
        with first.begin(), pytest.raises(sa.exc.OperationalError, match="locked"), \
                second.begin():
            pass
        with second.begin() as conn:  # free again once the first committed
            conn.exec_driver_sql("DELETE FROM cursors")
    finally:
        first.dispose()
        second.dispose()


def test_sqlite_second_writer_waits_for_the_first(sqlite_url: str) -> None:
    first = database.create_ledger_engine(sqlite_url)
    second = database.create_ledger_engine(sqlite_url)
    order: list[str] = []
    try:
        database.upgrade(first)
        writing = threading.Event()

        def later_writer() -> None:
            writing.wait()
            with second.begin():
                order.append("second began")

        thread = threading.Thread(target=later_writer)
        thread.start()
        with first.begin():
            writing.set()
            thread.join(timeout=0.3)
            order.append("first commits")
        thread.join(timeout=10)
        assert order == ["first commits", "second began"]
    finally:
        first.dispose()
        second.dispose()


def test_sqlite_readers_do_not_wait_for_a_writer(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    writer = database.create_ledger_engine(sqlite_url)
    reader = database.create_ledger_engine(sqlite_url)
    try:
        database.upgrade(writer)
        with writer.begin(), database.read_connection(reader) as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM sync_items").scalar() == 0
    finally:
        writer.dispose()
        reader.dispose()


def test_postgresql_driver_is_chosen_for_a_plain_url() -> None:
    pytest.importorskip("psycopg", reason="the [postgresql] extra is not installed")
    engine = database.create_ledger_engine("postgresql://ledgersync@db.invalid/ledger")
    try:
        assert engine.url.drivername == "postgresql+psycopg"
    finally:
        engine.dispose()


def test_a_url_that_is_not_a_database_url_is_a_ledger_error() -> None:
    with pytest.raises(LedgerError, match="not a database URL"):
        database.create_ledger_engine("ledgersync.db")


# -- UTCDateTime ---------------------------------------------------------------------------------


@pytest.fixture
def stamps(engine: sa.Engine) -> Iterator[tuple[sa.Engine, sa.Table]]:
    table = sa.Table("stamps", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", UTCDateTime))
    table.create(engine)
    yield engine, table
    table.drop(engine)


def test_utc_datetime_refuses_a_naive_datetime(stamps: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = stamps
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as conn:
        conn.execute(sa.insert(table).values(id=1, at=dt.datetime(2026, 3, 1, 12, 0)))


def test_utc_datetime_returns_aware_utc(stamps: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = stamps
    paris = dt.timezone(dt.timedelta(hours=2))
    with engine.begin() as conn:
        conn.execute(sa.insert(table).values(id=1, at=dt.datetime(2026, 3, 1, 14, 0,
                                                                   tzinfo=paris)))
    with engine.connect() as conn:
        back = conn.execute(sa.select(table.c.at)).scalar_one()
    assert back.utcoffset() == dt.timedelta(0)
    assert back == dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert back.replace(tzinfo=None) == dt.datetime(2026, 3, 1, 12, 0)
