"""The stand-in books (connector ``fake``): a fake accounting system and its connector, for
`ledgersync demo`, tests of the engine and tests of MMS integrations.

Production code (the ``fake`` entry point, the demo) imports it, so it imports nothing a plain
``pip install ledgersync`` lacks (no pytest); the test helpers re-export it from
:mod:`ledgersync.testing`.

:class:`FakeBooks` keeps its "remote" records in a SQLite file, so several worker processes
(and a worker killed with SIGKILL) share one remote whose every write is counted. It honours
idempotency keys the way QuickBooks Online honours ``requestid``: the same key replays the
first response instead of writing again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import attrs

from ._books import AccountActivity, BooksTransaction
from ._connector import Connector, ExportRequest, ExportResult, Operation, PushConnector
from ._errors import ConnectorError
from ._fakeledger import BooksLedger, posting, upgrade
from ._hookspecs import hookimpl
from ._records import record_to_json
from ._resolution import Action, Resolution

if TYPE_CHECKING:
    from .demo import DemoSandbox

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    remote_id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, mms_id TEXT NOT NULL, version INTEGER NOT NULL,
    voided INTEGER NOT NULL DEFAULT 0, customer TEXT, amount TEXT NOT NULL DEFAULT '0',
    body TEXT NOT NULL, UNIQUE (kind, mms_id)
);
CREATE TABLE IF NOT EXISTS writes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, mms_id TEXT NOT NULL, operation TEXT NOT NULL, key TEXT
);
CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, remote_id TEXT, version TEXT);
CREATE TABLE IF NOT EXISTS export_times (company TEXT NOT NULL, started REAL, written REAL);
CREATE TABLE IF NOT EXISTS states (remote_id TEXT PRIMARY KEY, state TEXT NOT NULL);
"""


class FakeBooks(BooksLedger):
    """The remote side: records, a write log, and replay of idempotency keys; what the books
    post and answer for reconciliation, and a bookkeeper's edits (``_fakeledger.py``)."""

    def __init__(self, path: str, *, replay_keys: bool = True) -> None:
        self.path = path
        self.replay_keys = replay_keys
        self._lock = threading.Lock()
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            _use_wal(db)
            # Several processes may open a new books file at once (the multi-worker trial's
            # workers do): its tables are made, and an older file's new columns added, in one
            # write transaction, or two of them would add the same column and one would fail.
            # (Not executescript: it commits a pending transaction first.)
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                upgrade(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # Durable against a killed process (what the trials do), not against power loss.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def write(self, request: ExportRequest, *, started: float | None = None) -> ExportResult:
        """Apply one export, or replay the answer to its idempotency key. ``started`` (a
        ``time.monotonic()``) keeps the export's start and write time for peak_concurrency()."""
        record = request.record
        with self._lock, self._db() as db:
            if started is not None:
                db.execute("INSERT INTO export_times (company, started, written) VALUES "
                           "(?, ?, ?)", (request.company, started, time.monotonic()))
            if self.replay_keys:
                seen = db.execute("SELECT remote_id, version FROM replies WHERE key = ?",
                                  (request.idempotency_key,)).fetchone()
                if seen is not None:
                    return ExportResult(external_id=seen[0], version_token=seen[1])
            _check_references(db, request)
            existing = db.execute("SELECT remote_id, version FROM records WHERE kind = ? "
                                  "AND mms_id = ?", (record.kind, record.mms_id)).fetchone()
            if request.operation is Operation.CREATE and existing is not None:
                raise ConnectorError(
                    f"{request.describe()} already exists as {existing[0]}", code="duplicate")
            if request.operation is not Operation.CREATE:
                if existing is None:
                    raise ConnectorError(f"{request.describe()} does not exist", code="missing")
                if request.version_token != str(existing[1]):
                    raise ConnectorError(f"{request.describe()}: stale version", code="stale")
            body = json.dumps(record_to_json(record), sort_keys=True)
            posted = posting(db, request)
            amount = str(sum((Decimal(v) for v in json.loads(posted["receivables"]).values()),
                             Decimal(0)))
            columns = ", ".join(f"{name} = :{name}" for name in posted)
            values = {**posted, "body": body, "amount": amount}
            if existing is None:
                cursor = db.execute(
                    "INSERT INTO records (kind, mms_id, version, customer, amount, body, "
                    f"{', '.join(posted)}) VALUES (:kind, :mms_id, 0, :customer, :amount, "
                    f":body, {', '.join(':' + name for name in posted)})",
                    {**values, "kind": record.kind, "mms_id": record.mms_id,
                     "customer": record.customer_mms_id()})
                remote_id, version = str(cursor.lastrowid), "0"
                # Made inactive before it arrived: now its remote id carries the state.
                db.execute("UPDATE states SET remote_id = ? WHERE remote_id = ?",
                           (remote_id, f"{record.kind}:{record.mms_id}"))
            else:
                voided = 1 if request.operation is Operation.VOID else 0
                db.execute("UPDATE records SET version = version + 1, body = :body, amount = "
                           f":amount, voided = :voided, {columns} WHERE remote_id = :remote",
                           {**values, "voided": voided, "remote": existing[0]})
                remote_id, version = str(existing[0]), str(existing[1] + 1)
            db.execute("INSERT INTO writes (kind, mms_id, operation, key) VALUES (?, ?, ?, ?)",
                       (record.kind, record.mms_id, request.operation.value,
                        request.idempotency_key))
            db.execute("INSERT OR REPLACE INTO replies (key, remote_id, version) VALUES "
                       "(?, ?, ?)", (request.idempotency_key, remote_id, version))
        return ExportResult(external_id=remote_id, version_token=version)

    def peak_concurrency(self) -> dict[str, int]:
        """The most exports of each company ever in progress at once, from the start and write
        time of every export made with ``track_concurrency`` (one host: one monotonic clock)."""
        with self._db() as db:
            rows = db.execute("SELECT company, started, written FROM export_times").fetchall()
        steps: dict[str, list[tuple[float, int]]] = {}
        for company, started, written in rows:
            steps.setdefault(company, []).extend(((started, 1), (written, -1)))
        peaks: dict[str, int] = {}
        for company, changes in steps.items():
            current = peak = 0
            for _, change in sorted(changes, key=lambda c: (c[0], c[1])):
                current += change
                peak = max(peak, current)
            peaks[company] = peak
        return peaks

    def find_written(self, request: ExportRequest) -> ExportResult | None:
        """The record as ``request`` left it, if an earlier attempt wrote it: a create by its
        MMS id; an update only if the books hold its body, a void only if the record is voided
        (as QuickBooks Online's connector compares what it reads back)."""
        if request.operation is Operation.CREATE:
            return self.find(request.kind, request.record.mms_id)
        with self._db() as db:
            row = db.execute("SELECT remote_id, version, body, voided FROM records WHERE "
                             "kind = ? AND mms_id = ?",
                             (request.kind, request.record.mms_id)).fetchone()
        if row is None:
            return None
        remote_id, version, body, voided = row
        if request.operation is Operation.VOID:
            written = bool(voided)
        else:
            written = not voided and body == json.dumps(record_to_json(request.record),
                                                        sort_keys=True)
        return ExportResult(external_id=str(remote_id), version_token=str(version),
                            requests_made=1) if written else None

    def find(self, kind: str, mms_id: str) -> ExportResult | None:
        with self._db() as db:
            row = db.execute("SELECT remote_id, version FROM records WHERE kind = ? AND "
                             "mms_id = ?", (kind, mms_id)).fetchone()
        return None if row is None else ExportResult(external_id=str(row[0]),
                                                     version_token=str(row[1]), requests_made=1)

    def delete(self, kind: str, mms_id: str) -> None:
        """Delete a record remotely, as a bookkeeper would by hand; what refers to it fails."""
        with self._db() as db:
            row = db.execute("SELECT remote_id FROM records WHERE kind = ? AND mms_id = ?",
                             (kind, mms_id)).fetchone()
            db.execute("DELETE FROM records WHERE kind = ? AND mms_id = ?", (kind, mms_id))
            if row is not None:
                db.execute("INSERT OR REPLACE INTO states (remote_id, state) VALUES (?, ?)",
                           (str(row[0]), "deleted"))

    def set_active(self, kind: str, mms_id: str, active: bool) -> None:
        """Make a record inactive (or active again), as a bookkeeper would by hand. A record
        not exported yet is marked by its MMS reference and is inactive once it arrives; an
        exported one by its remote id only, so that mapping the MMS record to another remote
        record gets round it, as in a real books."""
        with self._db() as db:
            row = db.execute("SELECT remote_id FROM records WHERE kind = ? AND mms_id = ?",
                             (kind, mms_id)).fetchone()
            key = str(row[0]) if row is not None else f"{kind}:{mms_id}"
            if active:
                db.execute("DELETE FROM states WHERE remote_id IN (?, ?)",
                           (key, f"{kind}:{mms_id}"))
            else:
                db.execute("INSERT OR REPLACE INTO states (remote_id, state) VALUES "
                           "(?, ?)", (key, "inactive"))

    def write_counts(self) -> dict[tuple[str, str, str], int]:
        """Writes per (kind, MMS id, operation): exactly-once means every value is 1."""
        with self._db() as db:
            rows = db.execute("SELECT kind, mms_id, operation, COUNT(*) FROM writes "
                              "GROUP BY kind, mms_id, operation").fetchall()
        return {(k, m, o): n for k, m, o, n in rows}

    def count(self, kind: str, mms_id: str) -> int:
        """Successful creates of this record (exactly-once means 1); the contract kit's probe."""
        with self._db() as db:
            row = db.execute("SELECT COUNT(*) FROM writes WHERE kind = ? AND mms_id = ? AND "
                             "operation = 'create'", (kind, mms_id)).fetchone()
        return int(row[0])

    def record_count(self, kind: str | None = None) -> int:
        with self._db() as db:
            if kind is None:
                return int(db.execute("SELECT COUNT(*) FROM records").fetchone()[0])
            return int(db.execute("SELECT COUNT(*) FROM records WHERE kind = ?",
                                  (kind,)).fetchone()[0])

    def customer_balances(self, as_of: dt.date | None = None) -> dict[str, Decimal]:
        """Receivable per remote customer id: the sum of :meth:`books_transactions`."""
        balances: dict[str, Decimal] = {}
        for txn in self.books_transactions(as_of):
            balances[txn.customer_id] = balances.get(txn.customer_id, Decimal(0)) \
                + txn.receivable
        return balances


def _use_wal(db: sqlite3.Connection, *, wait_seconds: float = 30.0) -> None:
    """Switch a books file to WAL. On a new file opened by another process at the same moment
    SQLite answers "database is locked" at once, without its busy handler: wait as that
    handler would (the connections' timeout)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _check_references(db: sqlite3.Connection, request: ExportRequest) -> None:
    """Like a real books: refuse a record that uses something deleted or made inactive."""
    for (kind, mms_id), remote_id in request.references.items():
        if (kind, mms_id) == (request.kind, request.record.mms_id):
            continue  # an update of a deleted record is refused as "missing" below
        row = db.execute("SELECT state FROM states WHERE remote_id = ?",
                         (remote_id,)).fetchone()
        if row is None:
            continue
        name = kind.replace("_", " ")
        if row[0] == "inactive":
            raise ConnectorError(f"{name} {mms_id!r} is inactive in the books",
                                 code="inactive_ref", sent=False)
        raise ConnectorError(f"{name} {mms_id!r} was deleted in the books (id {remote_id})",
                             code="missing_ref", sent=False)


@attrs.frozen(kw_only=True)
class FakeSettings:
    """``[companies.NAME.fake]``: where the books live, and scripted trouble for trials."""

    books_path: str
    replay_keys: bool = True
    #: Kill this process with SIGKILL at this step of the n-th export (crash trials):
    #: "before_write" (intent committed, nothing sent) or "after_write" (sent, not recorded).
    crash_point: str | None = None
    crash_at_export: int = 0
    #: Native error codes to raise, in order, before writing (e.g. "throttle", "transient").
    fail_codes: tuple[str, ...] = ()
    #: Seconds each write takes, like a remote's latency (so that workers overlap).
    export_seconds: float = 0.0
    #: Keep when each export started and wrote, for FakeBooks.peak_concurrency().
    track_concurrency: bool = False


_RESOLUTIONS: dict[str, Resolution] = {
    "transient": Resolution(action=Action.RETRY, code="transient",
                            message="the books are busy"),
    "throttle": Resolution(action=Action.THROTTLE, code="throttle", retry_after=1.0,
                           message="too many requests"),
    "stale": Resolution(action=Action.REREAD, code="stale",
                        message="the record changed remotely since it was read"),
    "timeout": Resolution(action=Action.IN_DOUBT, code="timeout",
                          message="no answer after sending"),
    "network": Resolution(action=Action.RETRY, code="network",
                          message="the books could not be reached (nothing was sent)"),
    "auth": Resolution(action=Action.PAUSE_COMPANY, code="auth",
                       message="the connection to the books was revoked",
                       remedy="Fix the books' connection settings, then resume with "
                              "`ledgersync companies resume COMPANY`"),
    "inactive": Resolution(action=Action.NEEDS_PERSON, code="inactive",
                           message="an item on the record is inactive in the books",
                           remedy="Reactivate it in the books or map another item with "
                                  "`ledgersync map item`, then requeue"),
    "missing": Resolution(action=Action.NEEDS_PERSON, code="missing",
                          message="the record was deleted in the books",
                          remedy="Unlink it with `ledgersync unlink` so the next run "
                                 "creates it again"),
}


class FakeConnector(PushConnector[FakeSettings]):
    """A connector to :class:`FakeBooks`; its error codes map to every kind of resolution."""

    name: ClassVar[str] = "fake"
    display_name: ClassVar[str] = "Fake books"
    supported_kinds: ClassVar[frozenset[str]] = frozenset(
        {"member", "item", "gl_account", "tax_rate", "terms", "invoice", "payment",
         "credit_memo", "refund", "journal_entry"})
    settings_type: ClassVar[type[FakeSettings]] = FakeSettings

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._books: FakeBooks | None = None
        self._failures = list(self.settings.fail_codes)
        self._exports = 0

    def export(self, request: ExportRequest) -> ExportResult:
        if self._failures:
            code = self._failures.pop(0)
            if code == "timeout":
                self.books.write(request)  # applied, but the answer never arrives
            raise ConnectorError(f"fake failure {code!r}", code=code)
        self._exports += 1
        crash = self._exports == self.settings.crash_at_export
        if crash and self.settings.crash_point == "before_write":
            os.kill(os.getpid(), signal.SIGKILL)
        started = time.monotonic() if self.settings.track_concurrency else None
        if self.settings.export_seconds:
            time.sleep(self.settings.export_seconds)
        result = self.books.write(request, started=started)
        if crash and self.settings.crash_point == "after_write":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    def lookup(self, request: ExportRequest) -> ExportResult | None:
        return self.books.find_written(request)

    def current_version(self, request: ExportRequest) -> str | None:
        found = self.books.find(request.kind, request.record.mms_id)
        return None if found is None else found.version_token

    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        if isinstance(error, ConnectorError) and error.code == "duplicate":
            found = self.books.find(request.kind, request.record.mms_id)
            if found is not None:
                return Resolution(action=Action.LINK_EXISTING, code="duplicate",
                                  message=str(error), external_id=found.external_id,
                                  version_token=found.version_token)
        if isinstance(error, ConnectorError) and error.code == "inactive_ref":
            return Resolution(
                action=Action.NEEDS_PERSON, code="inactive_ref", message=error.message,
                remedy="Reactivate it in the books, or map the MMS record to another one with "
                "`ledgersync map`, then requeue")
        if isinstance(error, ConnectorError) and error.code == "missing_ref":
            return Resolution(
                action=Action.NEEDS_PERSON, code="missing_ref", message=error.message,
                remedy="Unlink it with `ledgersync unlink` so the next run creates it again, "
                "then requeue this item")
        if isinstance(error, ConnectorError) and error.code in _RESOLUTIONS:
            return _RESOLUTIONS[error.code]
        return Resolution(action=Action.IN_DOUBT, message=f"unexpected: {error}")

    @property
    def books(self) -> FakeBooks:
        """The books file, created by the first write (opening it would create it empty)."""
        if self._books is None:
            self._books = FakeBooks(self.settings.books_path,
                                    replay_keys=self.settings.replay_keys)
        return self._books

    def _existing_books(self) -> FakeBooks:
        if self._books is None and not Path(self.settings.books_path).exists():
            # An empty company would "tie out" at 0.00 against a mistyped path.
            raise ConnectorError(
                f"company {self.company.name!r}: no books file at {self.settings.books_path}",
                code="no_books",
                remedy="Check books_path in the config (a relative path is relative to the "
                "config file); the books are created by the first `ledgersync run`",
            )
        return self.books

    def customer_balances(self, as_of: dt.date | None = None) -> dict[str, Decimal]:
        return self._existing_books().customer_balances(as_of)

    def books_transactions(self, as_of: dt.date | None = None) -> list[BooksTransaction]:
        return self._existing_books().books_transactions(as_of)

    def account_activity(self, start: dt.date | None, end: dt.date) -> list[AccountActivity]:
        return self._existing_books().account_activity(start, end)

    def check(self) -> str:
        """The books file and how many records it holds (reading it proves it is there)."""
        return f"{self.display_name} at {self.settings.books_path}: " \
               f"{self.books.record_count()} record(s)"


class FakePlugin:
    """Registers :class:`FakeConnector`: ``ledgersync.open(config, plugins=[FakePlugin()])``."""

    @hookimpl
    def ledgersync_connectors(self) -> list[type[Connector]]:
        return [FakeConnector]

    @hookimpl
    def ledgersync_demo_sandbox(self, workdir: Path) -> DemoSandbox:
        from .demo.fake_sandbox import FakeDemoSandbox

        return FakeDemoSandbox(workdir)


#: The entry point ``fake`` in the ``ledgersync`` group loads this.
plugin = FakePlugin()
