"""Engine benchmarks: per-item overhead with a no-op connector, and the cost of history.

    PYTHONPATH=core/src python bench/engine_bench.py overhead --backend sqlite --items 100000
    PYTHONPATH=core/src python bench/engine_bench.py overhead --backend postgresql \
        --items 100000 --workers 2
    PYTHONPATH=core/src python bench/engine_bench.py history --backend sqlite --reps 5
    PYTHONPATH=core/src python bench/engine_bench.py recording --backend postgresql

``overhead``: record N members across 4 companies (timed apart), open a run per company, then
W worker processes run ``run_pending`` until idle. Reported: recording ms/item, wall time of the
work, and ms per item per worker (= wall x W / N), the figure the targets are stated in.

``recording``: ``Ledger.record`` calls of 1 and of 1,000 new records, each its own transaction;
the median ms per record and the statements per call.

``--sample-waits`` (``overhead``, PostgreSQL): what the database's backends were doing while
the workers worked, sampled from pg_stat_activity and pg_locks every 10 ms.
Every worker also reports its statements (counted with SQLAlchemy's cursor events, with the
time spent in each statement shape) and its CPU; on PostgreSQL also the CPU of the server
processes serving its connections (``server_cpu_ms_per_item``, read from /proc on Linux).

``history``: two ledgers side by side, one empty, one holding 1,000,000 synced items (members
and invoices, with their links, dependencies and 3 events each) and 100 old errors, inserted
in bulk. Each repetition records 1,000 new members in both and times syncing them; reported:
median per ledger and the ratio.

PostgreSQL: ``--url`` (default env LEDGERSYNC_BENCH_DATABASE_URL, else the local ``test``
database); each run works in its own schema, dropped first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import attrs
import sqlalchemy as sa

import ledgersync as ls
from ledgersync._ledger import schema

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COMPANIES = ("c1", "c2", "c3", "c4")
APPLICATION = "ledgersync-bench"


# -- a connector that does nothing -----------------------------------------------------------------


@attrs.frozen
class NoopSettings:
    pass


class NoopConnector(ls.PushConnector):
    """Answers every export at once: what remains is the engine's own cost."""

    name: ClassVar[str] = "noop"
    display_name: ClassVar[str] = "No-op"
    supported_kinds: ClassVar[frozenset[str]] = frozenset({"member", "invoice"})
    settings_type: ClassVar[type[NoopSettings]] = NoopSettings
    default_limits: ClassVar[ls.ConnectorLimits] = ls.ConnectorLimits(
        max_in_flight=64, requests_per_minute=None)

    def export(self, request: ls.ExportRequest) -> ls.ExportResult:
        return ls.ExportResult(external_id=f"r{request.item_id}")

    def lookup(self, request: ls.ExportRequest) -> ls.ExportResult | None:
        return None

    def classify_error(self, error: Exception, request: ls.ExportRequest) -> ls.Resolution:
        return ls.Resolution(action=ls.Action.RETRY, message=str(error))


def open_ledger(url: str, **kwargs: Any) -> ls.Ledger:
    config = ls.parse_config({"ledger": {"url": url}, "companies": {
        name: {"connector": "noop", "schedule": "manual"} for name in COMPANIES}})
    return ls.open(config, plugins=[ls.connector_plugin(NoopConnector)], load_entrypoints=False,
                   **kwargs)


def fresh_url(backend: str, name: str, pg_url: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='lsbench-')}/{name}.db"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    admin.dispose()
    # The application name lets --sample-waits tell the benchmark's sessions from others.
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={name}",
                                                 "application_name": APPLICATION})
    return url.render_as_string(hide_password=False)


def members(prefix: str, n: int) -> list[ls.Record]:
    return [ls.Member(mms_id=f"{prefix}{i}", display_name=f"Member {prefix}{i}")
            for i in range(n)]


# -- overhead --------------------------------------------------------------------------------


class StatementCounter:
    """Counts the statements a ledger sends (an executemany counts once) and the time spent
    in them, with SQLAlchemy's cursor events (what pg_stat_statements would say, without
    needing it preloaded)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self.seconds = 0.0
        self.shapes: Counter[str] = Counter()
        self.shape_seconds: dict[str, float] = {}
        self._started: list[tuple[str, float]] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.count += 1
        shape = " ".join(statement.split())[:70]
        self.shapes[shape] += 1
        self._started.append((shape, time.perf_counter()))

    def _after(self, *_: Any) -> None:
        shape, started = self._started.pop()
        elapsed = time.perf_counter() - started
        self.seconds += elapsed
        self.shape_seconds[shape] = self.shape_seconds.get(shape, 0.0) + elapsed


class BackendCpu:
    """The CPU time of the PostgreSQL server processes serving one engine's connections, read
    from /proc while they live (Linux only; the server runs on this machine)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.pids: set[int] = set()
        if engine.dialect.name == "postgresql":
            sa.event.listen(engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        self.pids.add(dbapi_connection.info.backend_pid)

    def seconds(self) -> float | None:
        if not self.pids:
            return None
        ticks = 0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")


def worker_main(url: str) -> None:
    """A worker process: import, open, wait for "go", work until idle, report."""
    slept = [0.0]

    def sleep(seconds: float) -> None:
        # The engine's waits (nothing claimable for this worker) are reported apart.
        slept[0] += seconds
        time.sleep(seconds)

    ledger = open_ledger(url, clock=ls.Clock(sleep=sleep))
    counter = StatementCounter(ledger._database)
    backend = BackendCpu(ledger._database)
    ledger._database.dispose()  # reconnect, so that every connection's server process is known
    sys.stdin.readline()
    start = time.time()
    cpu = time.process_time()
    backend_before = backend.seconds()
    summary = ledger.run_pending()
    end = time.time()
    backend_after = backend.seconds()
    server_cpu = (None if backend_after is None
                  else backend_after - (backend_before or 0.0))
    print(json.dumps({"start": start, "end": end, "processed": summary.processed,
                      "statements": counter.count, "statement_seconds": counter.seconds,
                      "cpu_seconds": time.process_time() - cpu, "slept_seconds": slept[0],
                      "server_cpu_seconds": server_cpu,
                      "shapes": dict(counter.shapes),
                      "shape_seconds": dict(counter.shape_seconds)}), flush=True)
    ledger.close()


class WaitSampler(threading.Thread):
    """Samples pg_stat_activity (what the database's other backends are doing or waiting
    for) and pg_locks (lock requests not granted) every ``interval`` seconds."""

    def __init__(self, url: str, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url)
        self.interval = interval
        self.stop = threading.Event()
        self.samples = 0
        self.states: Counter[str] = Counter()
        self.locks: Counter[str] = Counter()

    def run(self) -> None:
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            while not self.stop.is_set():
                self.samples += 1
                for state, wtype, event in conn.exec_driver_sql(
                        "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND application_name = %(app)s", {"app": APPLICATION}):
                    if state == "active":
                        self.states[f"{wtype}:{event}" if wtype else "active (on CPU)"] += 1
                    else:
                        self.states[str(state)] += 1
                for locktype, mode, relation in conn.exec_driver_sql(
                        "SELECT l.locktype, l.mode, coalesce(c.relname, '') FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "LEFT JOIN pg_class c ON c.oid = l.relation "
                        "WHERE NOT l.granted AND a.application_name = %(app)s",
                        {"app": APPLICATION}):
                    self.locks[f"{locktype} {mode} {relation}".strip()] += 1
                time.sleep(self.interval)
        self.engine.dispose()

    def report(self) -> dict[str, Any]:
        return {"samples": self.samples,
                "backends_per_sample": {k: round(v / max(1, self.samples), 3)
                                        for k, v in self.states.most_common()},
                "lock_waits_per_sample": {k: round(v / max(1, self.samples), 3)
                                          for k, v in self.locks.most_common()}}


def _cpu_readings() -> dict[str, int] | None:
    """The machine's busy and idle clock ticks, all CPUs together (Linux /proc/stat); None
    elsewhere. (The server's own processes cannot be read: a backend's ticks vanish with it
    when its worker disconnects.)"""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return {"busy": sum(fields[:8]) - idle, "idle": idle}


def overhead(args: argparse.Namespace) -> dict[str, Any]:
    url = fresh_url(args.backend, "lsbench_overhead", args.url)
    ledger = open_ledger(url)
    counter = StatementCounter(ledger._database)
    per_company = args.items // len(COMPANIES)
    start = time.perf_counter()
    for name in COMPANIES:
        for chunk in range(0, per_company, 5000):
            count = min(5000, per_company - chunk)
            ledger.record(members(f"{name}-{chunk}-", count), companies=[name])
    recording = time.perf_counter() - start
    recording_statements = counter.count
    for name in COMPANIES:
        ledger.run_now(name)
    ledger.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parents[1] / "core" / "src"),
                    os.environ.get("PYTHONPATH")) if p)}
    procs = [subprocess.Popen([sys.executable, __file__, "worker", "--url", url],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(args.workers)]
    time.sleep(3)  # let them import and open
    sampler = WaitSampler(args.url) if args.sample_waits and args.backend == "postgresql" \
        else None
    if sampler is not None:
        sampler.start()
    cpu_before = _cpu_readings()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = [json.loads(proc.communicate()[0]) for proc in procs]
    cpu_after = _cpu_readings()
    if sampler is not None:
        sampler.stop.set()
        sampler.join()
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    processed = sum(r["processed"] for r in reports)
    check = open_ledger(url)
    counts = check.status_counts()
    check.close()
    assert processed == per_company * len(COMPANIES), (processed, counts)
    assert set(k[1] for k in counts) == {"synced"}, counts
    statements = sum(r["statements"] for r in reports)
    result = {
        "bench": "overhead", "backend": args.backend, "items": processed,
        "workers": args.workers,
        "recording_ms_per_item": round(recording / processed * 1000, 3),
        "work_seconds": round(wall, 2),
        "items_per_second": round(processed / wall, 1),
        "ms_per_item_per_worker": round(wall * args.workers / processed * 1000, 3),
        "per_worker": [r["processed"] for r in reports],
        "per_worker_seconds": [round(r["end"] - r["start"], 2) for r in reports],
        "per_worker_slept_seconds": [round(r.get("slept_seconds", 0.0), 2) for r in reports],
        "recording_statements_per_record": round(recording_statements / processed, 3),
        "statements_per_item": round(statements / processed, 3),
        "statement_ms_per_item": round(
            sum(r["statement_seconds"] for r in reports) / processed * 1000, 3),
        "worker_cpu_ms_per_item": round(
            sum(r["cpu_seconds"] for r in reports) / processed * 1000, 3),
    }
    if cpu_before is not None and cpu_after is not None:
        # Where the machine's CPU went while the workers ran (Linux /proc): is it the bound?
        ticks = os.sysconf("SC_CLK_TCK")
        busy = cpu_after["busy"] - cpu_before["busy"]
        total = busy + cpu_after["idle"] - cpu_before["idle"]
        result["machine_cpu_busy_fraction"] = round(busy / total, 3) if total else None
        # Everything but the workers: the database server, the wait sampler, anything else.
        worker_cpu = sum(r["cpu_seconds"] for r in reports)
        result["cpu_ms_per_item_outside_workers"] = round(
            (busy / ticks - worker_cpu) / processed * 1000, 3)
    server = [r.get("server_cpu_seconds") for r in reports]
    if all(s is not None for s in server):
        # The server processes of the workers' own connections: the database's share.
        result["server_cpu_ms_per_item"] = round(sum(server) / processed * 1000, 3)
    shapes: Counter[str] = Counter()
    shape_seconds: dict[str, float] = {}
    for r in reports:
        shapes.update(r["shapes"])
        for shape, seconds in r.get("shape_seconds", {}).items():
            shape_seconds[shape] = shape_seconds.get(shape, 0.0) + seconds
    result["statements_per_1000_items"] = {
        shape: round(n * 1000 / processed, 1) for shape, n in shapes.most_common(20)}
    result["statement_ms_per_1000_items"] = {
        shape: round(t * 1000 * 1000 / processed, 1)
        for shape, t in sorted(shape_seconds.items(), key=lambda kv: -kv[1])[:20]}
    if sampler is not None:
        result["waits"] = sampler.report()
    return result


# -- recording -------------------------------------------------------------------------------


def recording(args: argparse.Namespace) -> dict[str, Any]:
    """Time ``Ledger.record`` calls of ``size`` new members (one company), ``reps`` times per
    size; each call is its own transaction, as an MMS would make it."""
    url = fresh_url(args.backend, "lsbench_recording", args.url)
    ledger = open_ledger(url)
    counter = StatementCounter(ledger._database)
    ledger.record(members("warm-", 10), companies=["c1"])
    result: dict[str, Any] = {"bench": "recording", "backend": args.backend}
    for size in args.sizes:
        times, statements = [], []
        for rep in range(args.reps):
            batch = members(f"s{size}-r{rep}-", size)
            before = counter.count
            start = time.perf_counter()
            ledger.record(batch, companies=["c1"])
            times.append((time.perf_counter() - start) * 1000 / size)
            statements.append(counter.count - before)
        result[f"records_{size}"] = {
            "ms_per_record": [round(t, 3) for t in times],
            "median_ms_per_record": round(statistics.median(times), 3),
            "statements_per_call": statistics.median(statements)}
    ledger.close()
    return result


# -- history ---------------------------------------------------------------------------------


def fill_history(url: str, synced: int, errors: int, *, analyze: bool) -> float:
    """Bulk-insert ``synced`` synced items (a quarter members, the rest invoices of those members)
    with their links, dependencies and events, and ``errors`` old errors, all in company c1."""
    ledger = open_ledger(url)  # creates the schema
    engine = ledger._database
    start = time.perf_counter()
    old = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.companies), [{"name": name, "updated_at": old}
                                                   for name in COMPANIES])
    n_members = synced // 4
    chunk = 20_000
    next_id = 1_000
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.runs), [
            {"company": "c1", "trigger": "schedule", "status": "finished",
             "scheduled_for": old + dt.timedelta(hours=h), "started_at": old,
             "finished_at": old} for h in range(1000)])
    for base in range(0, synced + errors, chunk):
        items, links, deps, events = [], [], [], []
        for i in range(base, min(base + chunk, synced + errors)):
            item_id = next_id + i
            is_member = i < n_members
            kind = "member" if is_member else "invoice"
            mms_id = f"H{i}" if is_member else f"HI{i}"
            status = "synced" if i < synced else "error"
            items.append({
                "id": item_id, "company": "c1", "kind": kind, "mms_id": mms_id,
                "operation": "create", "status": status, "priority": 2 if is_member else 3,
                "member_id": None if is_member else f"H{i % n_members}",
                "payload": json.dumps({"kind": kind, "mms_id": mms_id}),
                "payload_hash": f"{i:064d}", "generation": 1,
                "idempotency_key": f"ls-{i:040d}", "attempts": 1 if status == "synced" else 10,
                "next_attempt_at": old, "external_id": f"r{i}" if status == "synced" else None,
                "error_code": None if status == "synced" else "inactive",
                "error_message": None if status == "synced" else "an item is inactive",
                "run_id": 1 + i % 1000, "created_at": old, "updated_at": old,
                "synced_at": old if status == "synced" else None,
            })
            if status == "synced":
                links.append({"company": "c1", "kind": kind, "mms_id": mms_id,
                              "external_id": f"r{i}", "linked_by": "sync", "updated_at": old})
            if not is_member:
                deps.append({"item_id": item_id, "kind": "member", "mms_id": f"H{i % n_members}",
                             "company": "c1", "field": "member_id"})
            for frm, to in ((None, "pending"), ("pending", "in_flight"), ("in_flight", status)):
                events.append({"item_id": item_id, "company": "c1", "kind": kind,
                               "run_id": 1 + i % 1000, "at": old, "from_status": frm,
                               "to_status": to, "level": "info", "actor": "history"})
        with engine.begin() as conn:
            conn.execute(sa.insert(schema.sync_items), items)
            if links:
                conn.execute(sa.insert(schema.links), links)
            if deps:
                conn.execute(sa.insert(schema.sync_item_dependencies), deps)
            conn.execute(sa.insert(schema.sync_events), events)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('sync_items', 'id'), "
                                 "(SELECT max(id) FROM sync_items))")
    if analyze:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    ledger.close()
    return time.perf_counter() - start


def timed_sync(url: str, rep: int, n: int) -> float:
    ledger = open_ledger(url)
    ledger.record(members(f"new{rep}-", n), companies=["c1"])
    start = time.perf_counter()
    summary = ledger.sync("c1")
    elapsed = time.perf_counter() - start
    ledger.close()
    assert summary.outcomes == {"synced": n}, summary.outcomes
    return elapsed


def history(args: argparse.Namespace) -> dict[str, Any]:
    big = fresh_url(args.backend, "lsbench_history", args.url)
    # PostgreSQL's autovacuum analyzes a table this size by itself; SQLite never does unless
    # someone runs ANALYZE (or PRAGMA optimize), so by default its planner has no statistics.
    analyze = args.analyze if args.analyze is not None else args.backend == "postgresql"
    fill_seconds = fill_history(big, args.history_items, args.errors, analyze=analyze)
    empty = fresh_url(args.backend, "lsbench_empty", args.url)
    open_ledger(empty).close()
    times: dict[str, list[float]] = {"empty": [], "history": []}
    for rep in range(args.reps):
        # Alternate the order so that drift (cache, autovacuum) hits both alike.
        order = [("empty", empty), ("history", big)]
        for label, url in order if rep % 2 == 0 else reversed(order):
            times[label].append(timed_sync(url, rep, args.new_items))
    medians = {label: statistics.median(values) for label, values in times.items()}
    return {
        "bench": "history", "backend": args.backend, "history_items": args.history_items,
        "old_errors": args.errors, "new_items": args.new_items, "reps": args.reps,
        "analyzed": analyze,
        "fill_seconds": round(fill_seconds, 1),
        "seconds": {label: [round(v, 3) for v in values] for label, values in times.items()},
        "median_seconds": {label: round(v, 3) for label, v in medians.items()},
        "ratio": round(medians["history"] / medians["empty"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker")
    worker.add_argument("--url", required=True)
    for name in ("overhead", "history", "recording"):
        p = sub.add_parser(name)
        p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
        p.add_argument("--url", default=os.environ.get("LEDGERSYNC_BENCH_DATABASE_URL",
                                                       DEFAULT_PG))
    over = sub.choices["overhead"]
    over.add_argument("--items", type=int, default=100_000)
    over.add_argument("--workers", type=int, default=1)
    over.add_argument("--sample-waits", action="store_true",
                      help="PostgreSQL: sample pg_stat_activity and pg_locks while working")
    rec = sub.choices["recording"]
    rec.add_argument("--sizes", type=int, nargs="+", default=[1, 1000])
    rec.add_argument("--reps", type=int, default=21)
    hist = sub.choices["history"]
    hist.add_argument("--history-items", type=int, default=1_000_000)
    hist.add_argument("--errors", type=int, default=100)
    hist.add_argument("--new-items", type=int, default=1_000)
    hist.add_argument("--reps", type=int, default=5)
    hist.add_argument("--analyze", action=argparse.BooleanOptionalAction, default=None,
                      help="run ANALYZE after the bulk insert (default: on PostgreSQL only)")
    args = parser.parse_args()
    if args.command == "worker":
        worker_main(args.url)
        return
    commands = {"overhead": overhead, "history": history, "recording": recording}
    result = commands[args.command](args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
