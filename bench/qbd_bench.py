"""QuickBooks Desktop through the Web Connector: what 10,000 invoices cost.

Records N invoices (one line each, a third of them with sales tax) for a few hundred members,
then runs simulated Web Connector updates until the server has nothing left, and reports:

* Web Connector round trips (sendRequestXML + receiveResponseXML pairs) needed;
* server time per round trip (time inside the endpoint for both calls, measured around the
  SOAP handler: parsing, database work, building the next set);
* total wall time, and the time the simulated QuickBooks itself took.

Transport ``http`` (default) is the real path: uvicorn on loopback and zeep with the served
WSDL, in this process (so client and server share one interpreter; server time includes
waiting for the GIL). ``direct`` calls the service without SOAP/HTTP.

    python bench/qbd_bench.py --invoices 10000 --set-size 25
    python bench/qbd_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python bench/qbd_bench.py --invoices 2000 --members 100 --profile qbd.prof   # cProfile
    python bench/qbd_bench.py --invoices 2000 --members 100 --statements  # SQL per round trip
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgersync import (
    CompanyConfig,
    Config,
    Invoice,
    InvoiceLine,
    Ledger,
    Member,
    Record,
    Status,
    connector_plugin,
)
from ledgersync_qbd.connector import QbdConnector
from ledgersync_qbd.qbwc.app import QbwcApp
from ledgersync_qbd.qbwc.direct import DirectService
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector
from ledgersync_qbd.server import ServerThread

USER, PASSWORD = "bench-wc", "bench-password"
MAPPINGS = {("item", "DUES"): "Membership Dues", ("item", "EVENT"): "Event Fee",
            ("tax_rate", "TAX"): "IL Sales Tax", ("terms", "NET30"): "Net 30"}


def dataset(invoices: int, members: int) -> list[Record]:
    records: list[Record] = [
        Member(mms_id=f"M-{m:05d}", display_name=f"Member {m:05d}", account_number=f"{m:05d}")
        for m in range(members)]
    day = dt.date(2026, 1, 1)
    for n in range(invoices):
        taxed = n % 3 == 0
        amount = Decimal("180.00") if taxed else Decimal("45.00")
        line = InvoiceLine(item_id="EVENT" if taxed else "DUES", description=f"Line {n}",
                           quantity=Decimal(1), rate=amount, amount=amount,
                           tax_rate_id="TAX" if taxed else None,
                           tax_amount=Decimal("11.25") if taxed else Decimal(0))
        records.append(Invoice(
            mms_id=f"INV-{n:06d}", member_id=f"M-{n % members:05d}", number=f"{n:07d}",
            txn_date=day + dt.timedelta(days=n % 300), currency="USD", terms_id="NET30",
            lines=(line,)))
    return records


#: (end of the file name, function) -> the part of the /qbwc handler it stands for. A statement
#: is counted for the innermost function of this table on its call stack.
PARTS: dict[tuple[str, str], str] = {
    ("_engine/pull.py", "claim"): "engine: claim and prepare requests (PullQueue.claim)",
    ("_engine/pull.py", "held"): "engine: items read again and rebuilt (PullQueue.held)",
    ("_engine/pull.py", "succeed"): "engine: outcomes recorded (PullQueue.succeed/fail)",
    ("_engine/pull.py", "succeed_many"): "engine: outcomes recorded (PullQueue.succeed/fail)",
    ("_engine/pull.py", "fail"): "engine: outcomes recorded (PullQueue.succeed/fail)",
    ("_engine/pull.py", "due"): "engine: items due, for progress (PullQueue.due)",
    ("_engine/pull.py", "open_run"): "engine: runs",
    ("_engine/pull.py", "finish_run"): "engine: runs",
    ("qbwc/mutex.py", "_acquire"): "company mutex taken (and, after, the call's state read)",
    ("qbwc/mutex.py", "company_mutex"): "company mutex released",
    ("qbwc/callstate.py", "flush"): "call state written (with the mutex release)",
    ("qbwc/sessions.py", "company_of"): "ticket -> company",
    ("qbwc/sessions.py", "load_hash"): "connector state read",
    ("qbwc/sessions.py", "outstanding"): "connector state read",
    ("qbwc/sessions.py", "save"): "connector state written",
    ("qbwc/sessions.py", "set_outstanding"): "connector state written",
    ("qbwc/work.py", "keep"): "kept items stamped / checked (SentItems)",
    ("qbwc/work.py", "take"): "kept items stamped / checked (SentItems)",
}


class Statements:
    """SQL statements, transactions begun and transactions committed after writing, by part of
    the handler (only while ``active``: the handler, not the recording or the client)."""

    def __init__(self) -> None:
        self.active = False
        self.statements: Counter[str] = Counter()
        self.begins: Counter[str] = Counter()
        self.writing: Counter[str] = Counter()
        self._wrote: set[int] = set()
        sa.event.listen(Engine, "after_cursor_execute", self._executed)
        sa.event.listen(Engine, "begin", self._begun)
        sa.event.listen(Engine, "commit", self._committed)

    @staticmethod
    def part() -> str:
        frame: FrameType | None = sys._getframe(2)
        while frame is not None:
            code = frame.f_code
            for (suffix, name), label in PARTS.items():
                if code.co_name == name and code.co_filename.endswith(suffix):
                    return label
            frame = frame.f_back
        return "other"

    def _executed(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not self.active:
            return
        self.statements[self.part()] += 1
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self._wrote.add(id(conn))

    def _begun(self, conn: Any) -> None:
        if self.active:
            self.begins[self.part()] += 1

    def _committed(self, conn: Any) -> None:
        if not self.active:
            return
        part = self.part()
        if id(conn) in self._wrote:
            self._wrote.discard(id(conn))
            self.writing[part] += 1

    def report(self, rounds: int) -> None:
        print(f"per round trip (of {rounds}): SQL statements / transactions / transactions "
              "that wrote")
        for part in sorted(self.statements.keys() | self.begins.keys()):
            print(f"  {part}: {self.statements[part] / rounds:.1f} / "
                  f"{self.begins[part] / rounds:.1f} / {self.writing[part] / rounds:.1f}")
        print(f"  all: {sum(self.statements.values()) / rounds:.1f} / "
              f"{sum(self.begins.values()) / rounds:.1f} / "
              f"{sum(self.writing.values()) / rounds:.1f}")


class Timed:
    """Wraps the app's SOAP handler: time per call, by method (and, with ``profile``, a
    cProfile of the handler alone: the client and uvicorn stay out of it)."""

    def __init__(self, app: QbwcApp, profile: cProfile.Profile | None = None,
                 statements: Statements | None = None) -> None:
        self.app = app
        self.profile = profile
        self.statements = statements
        self.calls: list[tuple[str, float]] = []
        #: The handler thread's CPU time per call: unlike the wall time, it leaves out the
        #: waits for the disk (commits), for the GIL and for the other processes of a busy
        #: machine.
        self.cpu: list[float] = []
        self._handle = app.handle
        app.handle = self.handle  # type: ignore[method-assign,assignment]  # a timing wrapper

    def handle(self, body: bytes, content_type: str, action: str | None,
               address: str | None = None) -> tuple[int, bytes]:
        if self.profile is not None:
            self.profile.enable()
        if self.statements is not None:
            self.statements.active = True
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return self._handle(body, content_type, action, address)
        finally:
            self.cpu.append(time.thread_time() - cpu)
            if self.statements is not None:
                self.statements.active = False
            if self.profile is not None:
                self.profile.disable()
            method = (action or "").strip('"').rsplit("/", 1)[-1]
            self.calls.append((method, time.perf_counter() - start))


class TimedDirect(DirectService):
    def __init__(self, service: Any) -> None:
        super().__init__(service)
        self.calls: list[tuple[str, float]] = []

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name[:1].islower() and name not in ("service", "calls") and callable(attribute):
            def timed(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return attribute(*args, **kwargs)
                finally:
                    self.calls.append((name, time.perf_counter() - start))
            return timed
        return attribute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--set-size", type=int, default=25)
    parser.add_argument("--transport", choices=("http", "direct"), default="http")
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--profile", type=Path,
                        help="write a cProfile of the server's SOAP handler (http) to this file")
    parser.add_argument("--statements", action="store_true",
                        help="count SQL statements and transactions per round trip, by part "
                        "of the handler (http; slows the handler down)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="qbd-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'ledger.db'}"
    settings = {"username": USER, "password": PASSWORD, "busy_seconds": 0,
                "message_set_size": args.set_size}
    config = Config(ledger_url=url, companies={"bench": CompanyConfig(
        name="bench", connector="qbd", settings=settings)})
    ledger = Ledger(config, plugins=[connector_plugin(QbdConnector)], load_entrypoints=False)
    for (kind, mms_id), remote in MAPPINGS.items():
        ledger.map("bench", kind, mms_id, remote)
    records = dataset(args.invoices, args.members)
    started = time.perf_counter()
    ledger.record(records)
    record_seconds = time.perf_counter() - started

    company = CompanyFile()
    qb_seconds = 0.0
    original = company.handle

    def timed_qb(xml: str | bytes) -> Any:
        nonlocal qb_seconds
        start = time.perf_counter()
        try:
            return original(xml)
        finally:
            qb_seconds += time.perf_counter() - start

    company.handle = timed_qb  # type: ignore[method-assign,assignment]  # a timing wrapper
    app = QbwcApp(ledger)
    rounds = updates = 0
    started = time.perf_counter()
    if args.transport == "http":
        profile = cProfile.Profile() if args.profile is not None else None
        counter = Statements() if args.statements else None
        timer: Timed | TimedDirect = Timed(app, profile, counter)
        server = ServerThread(app).start()
        connector = SimulatedWebConnector(f"{server.url}/qbwc", USER, PASSWORD, company)
    else:
        timer = TimedDirect(app.service)
        server = None
        connector = SimulatedWebConnector("direct://", USER, PASSWORD, company, service=timer)
    try:
        while True:
            report = connector.run_update()
            updates += 1
            if report.outcome == "none":
                break
            assert report.outcome == "done", report.text()
            rounds += report.rounds
    finally:
        if server is not None:
            server.stop()
    if isinstance(timer, Timed) and timer.profile is not None:
        timer.profile.dump_stats(args.profile)
    total = time.perf_counter() - started

    statuses = ledger.status_counts("bench")
    synced = statuses.get(("bench", Status.SYNCED.value), 0)
    invoices = len(company.store.txns_of("Invoice"))
    sends = [t for m, t in timer.calls if m == "sendRequestXML"]
    receives = [t for m, t in timer.calls if m == "receiveResponseXML"]
    per_round = [s + r for s, r in zip(sends, receives, strict=False)]
    ledger.close()
    print(f"database: {url.split(':', 1)[0]}; transport: {args.transport}; "
          f"message set size: {args.set_size}")
    print(f"records: {args.invoices} invoices, {args.members} members "
          f"(recorded in {record_seconds:.1f} s)")
    print(f"synced items: {synced}; invoices in the company file: {invoices}")
    print(f"Web Connector updates: {updates}; round trips: {rounds}")
    print(f"server time per round trip: mean {statistics.mean(per_round) * 1000:.1f} ms, "
          f"median {statistics.median(per_round) * 1000:.1f} ms, "
          f"p95 {sorted(per_round)[int(len(per_round) * 0.95)] * 1000:.1f} ms "
          f"(sendRequestXML {statistics.mean(sends) * 1000:.1f} ms + receiveResponseXML "
          f"{statistics.mean(receives) * 1000:.1f} ms)")
    print(f"total: {total:.1f} s for the updates ({total / max(rounds, 1) * 1000:.1f} ms per "
          f"round trip, of which simulated QuickBooks {qb_seconds:.1f} s in all)")
    if isinstance(timer, Timed):
        cpu_ms = sum(timer.cpu) / max(len(per_round), 1) * 1000
        print(f"server CPU per round trip (the handler thread's CPU time): {cpu_ms:.1f} ms")
    if isinstance(timer, Timed) and timer.statements is not None:
        timer.statements.report(len(per_round))
    assert invoices == args.invoices, "every invoice exactly once"


if __name__ == "__main__":
    main()
