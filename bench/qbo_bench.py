"""QuickBooks Online export benchmark: ledgersync's QBO connector against python-quickbooks.

    pip install -r bench/requirements.txt     # python-quickbooks, for this benchmark only
    python bench/qbo_bench.py --invoices 5000 --speed 2 --repeat 3 [--results bench/RESULTS.md]

One run, one loopback sandbox (``ledgersync_qbo.sandbox``) enforcing QBO's real limits per
realm: 500 requests a minute, 10 at once, 40 batch requests a minute, 30 operations a batch.
Each client gets its own realm of that sandbox (the limits are per realm, so none slows the
others), the same 50 customers and the same 5,000 two-line invoices, one client after the
other in the same process:

- ledgersync: the invoices are recorded in a SQLite ledger and ``Ledger.sync`` exports them
  through the QBO connector (batches paced to 40 a minute, the engine's per-company limits
  of 500 requests a minute and 10 at once);
- python-quickbooks 0.9.12 at its best: ``quickbooks.batch.batch_create`` with 30 invoices a
  call, paced to 40 batch requests a minute, a 60-second wait on 429;
- python-quickbooks 0.9.12 as its documentation shows first: ``Invoice.save()``, one object per
  request, paced to 500 requests a minute.

Time: at 500 requests a minute, one object per request needs 10 minutes for 5,000 invoices.
``--speed N`` runs a clock N times faster than real time, shared by the sandbox (its rate
windows and token expiry), the ledger (claims, throttles, backoff) and the pacers; rates are
reported in that clock's minutes. Work the clock cannot speed up (HTTP, SQLite, Python) then
counts N times heavier, so a higher speed understates every client's rate; ``--speed 1`` is a
real-time run. ``--repeat N`` runs everything N times, each with a fresh sandbox, and reports
the medians.

The ceilings: with these limits, a client that sends one object per request can create at
most 500 objects a minute; one that sends only batches, 40 x 30 = 1,200; one that fills the
rest of the minute's 500 requests with single writes (as ledgersync does), 1,200 + 460 = 1,660.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

import ledgersync as ls
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.sandbox import Sandbox, SandboxConfig, run_in_thread
from ledgersync_qbo.testing import sample_seed, sandbox_settings

REALM_LS, REALM_PQ, REALM_PQ_BATCH = "9130000000000001", "9130000000000002", "9130000000000003"
CUSTOMERS = 50
PER_MINUTE, BATCHES_PER_MINUTE, BATCH_ITEMS = 500, 40, 30
CEILING_SINGLE = PER_MINUTE
CEILING_BATCH_ONLY = BATCHES_PER_MINUTE * BATCH_ITEMS
CEILING_BATCHED = CEILING_BATCH_ONLY + (PER_MINUTE - BATCHES_PER_MINUTE)
D = Decimal


class ScaledClock:
    """``speed`` times real time, from a fixed start; a sandbox Clock and a ledger clock."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.start = dt.datetime.now(dt.UTC)
        self._origin = time.monotonic()

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=(time.monotonic() - self._origin) * self.speed)

    __call__ = now

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0) / self.speed)


def seed_customers(sandbox: Sandbox, realm: str) -> list[str]:
    company = sandbox.company(realm)
    return [company.write("Customer", {"DisplayName": f"Bench Member {n}"})["Id"]
            for n in range(CUSTOMERS)]


def invoice_lines(n: int) -> tuple[D, D]:
    return D(100 + n % 50), D(10 + n % 7)


def steady_rate(sandbox: Sandbox, realm: str, started: dt.datetime) -> float:
    """Invoices a minute over the whole minutes after the first one. A sliding-minute limit
    lets any client spend its first minute's budget at once, which a long run cannot repeat,
    and a paced client sends in bursts, so a rate taken up to its last write would depend on
    where in a burst the run ended. Counted from the sandbox's own write log."""
    times = sorted(w.at for w in sandbox.writes("Invoice", realm_id=realm)
                   if w.operation == "create")
    first = started + dt.timedelta(minutes=1)
    minutes = int((times[-1] - first).total_seconds() // 60) if times else 0
    if minutes < 1:
        return float("nan")
    end = first + dt.timedelta(minutes=minutes)
    return sum(1 for t in times if first <= t < end) / minutes


# -- ledgersync ------------------------------------------------------------------------------------


def run_ledgersync(sandbox: Sandbox, url: str, clock: ScaledClock, count: int, workdir: Path
                   ) -> dict[str, Any]:
    config = ls.Config(ledger_url=f"sqlite:///{workdir / 'bench-ledger.db'}", companies={
        "bench": ls.CompanyConfig(name="bench", connector="qbo", settings={
            **sandbox_settings(sandbox, url), "realm_id": REALM_LS})})
    settings = ls.EngineSettings(poll_seconds=0.01, linger_seconds=5.0)
    ledger = ls.Ledger(config, plugins=[ls.connector_plugin(QboConnector)],
                       load_entrypoints=False, clock=clock, settings=settings)
    try:
        customers = seed_customers(sandbox, REALM_LS)
        for n, customer in enumerate(customers):
            ledger.map("bench", "member", f"M-{n}", customer)
        ledger.map("bench", "item", "DUES", "21")
        ledger.map("bench", "item", "EVENT", "23")
        tokens = sandbox.issue_tokens(REALM_LS)
        connector = ledger.connector("bench")
        assert isinstance(connector, QboConnector)
        connector.tokens.store(ls_tokens(tokens, clock))
        records = []
        for n in range(count):
            dues, event = invoice_lines(n)
            records.append(ls.Invoice(
                mms_id=f"INV-{n}", member_id=f"M-{n % CUSTOMERS}", number=f"B-{n}",
                txn_date=dt.date(2026, 3, 2), currency="USD",
                lines=(ls.InvoiceLine(item_id="DUES", quantity=D(1), rate=dues, amount=dues),
                       ls.InvoiceLine(item_id="EVENT", quantity=D(1), rate=event,
                                      amount=event))))
        ledger.record(records)
        requests_before = sandbox.requests
        started, wall = clock.now(), time.monotonic()
        summary = ledger.sync("bench")
        outcomes = dict(summary.outcomes)
        syncs = 1
        while ledger.status_counts("bench").get(("bench", ls.Status.SYNCED.value), 0) < \
                count and syncs < 10:
            # A sync ends when nothing is due within its linger time; items waiting out a
            # backoff (a timeout on this loaded machine, say) are due later: sync again, as
            # a scheduled worker would. The gap stays in the rates.
            print(f"  ledgersync: sync {syncs} ended with {dict(summary.outcomes)}; "
                  f"statuses {ledger.status_counts('bench')}", flush=True)
            summary = ledger.sync("bench")
            syncs += 1
            for key, value in summary.outcomes.items():
                outcomes[key] = outcomes.get(key, 0) + value
        elapsed = (clock.now() - started).total_seconds()
        wall = time.monotonic() - wall
        created = sandbox.company(REALM_LS).store.count("Invoice")
        return {"objects": created, "syncs": syncs,
                "outcomes": outcomes, "minutes": elapsed / 60,
                "steady_per_minute": steady_rate(sandbox, REALM_LS, started),
                "wall_seconds": wall, "http_requests": sandbox.requests - requests_before}
    finally:
        ledger.close()


def ls_tokens(body: dict[str, Any], clock: ScaledClock) -> Any:
    from ledgersync_qbo.oauth import Tokens

    return Tokens.from_response(body, clock.now(), None)


# -- python-quickbooks -----------------------------------------------------------------------------


class Pacer:
    """At most ``per_minute`` calls in any minute of ``clock``, as the sandbox counts them.

    The sandbox counts a request when it arrives, somewhere between the moment it is sent and
    the moment its answer is back; the pacer counts it when its answer is back. So no minute
    ever holds more than ``per_minute`` arrivals, however long a request takes on a loaded
    machine, and the client never waits longer than that needs (counting at the moment of
    sending with a fixed margin either wastes the margin or, when a request takes longer
    than the margin, earns a 429 and a minute's wait)."""

    def __init__(self, clock: ScaledClock, per_minute: int) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.done: list[float] = []

    def wait(self) -> None:
        """Until a call may be sent."""
        while True:
            now = self.clock.now().timestamp()
            self.done = [t for t in self.done if t > now - 60]
            if len(self.done) < self.per_minute:
                return
            self.clock.sleep(self.done[0] + 60 - now)

    def answered(self) -> None:
        """The call's answer (or error) is back."""
        self.done.append(self.clock.now().timestamp())


def _pq_client(sandbox: Sandbox, url: str, realm: str) -> Any:
    from intuitlib.client import AuthClient  # type: ignore[import-untyped]  # no type info
    from quickbooks import QuickBooks

    tokens = sandbox.issue_tokens(realm)
    auth = AuthClient(sandbox.config.client_id, sandbox.config.client_secret,
                      "http://localhost/callback",
                      f"{url}/.well-known/openid_configuration",
                      access_token=tokens["access_token"],
                      refresh_token=tokens["refresh_token"])
    client = QuickBooks(auth_client=auth, refresh_token=tokens["refresh_token"],
                        company_id=realm, minorversion=75)
    client.api_url_v3 = f"{url}/v3"
    return client


def _pq_invoice(n: int, customers: list[str]) -> Any:
    from quickbooks.objects.base import Ref
    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.invoice import Invoice

    dues, event = invoice_lines(n)
    invoice = Invoice()
    invoice.DocNumber = f"P-{n}"
    invoice.TxnDate = "2026-03-02"
    invoice.CustomerRef = Ref()
    invoice.CustomerRef.value = customers[n % CUSTOMERS]
    for item, amount in (("21", dues), ("23", event)):
        line = SalesItemLine()
        line.Amount = float(amount)
        line.SalesItemLineDetail = SalesItemLineDetail()
        line.SalesItemLineDetail.ItemRef = Ref()
        line.SalesItemLineDetail.ItemRef.value = item
        line.SalesItemLineDetail.Qty = 1
        line.SalesItemLineDetail.UnitPrice = float(amount)
        invoice.Line.append(line)
    return invoice


def _throttled(exc: Exception) -> bool:
    # QBO's 429 body is XML, which python-quickbooks reports as "Error reading json".
    return "ThrottleExceeded" in str(getattr(exc, "message", exc))


def run_python_quickbooks(sandbox: Sandbox, url: str, clock: ScaledClock, count: int,
                          realm: str) -> dict[str, Any]:
    """``Invoice.save()``, one object per request, as python-quickbooks' documentation shows."""
    from quickbooks.exceptions import QuickbooksException

    customers = seed_customers(sandbox, realm)
    client = _pq_client(sandbox, url, realm)
    pacer = Pacer(clock, PER_MINUTE)
    throttled = 0
    requests_before = sandbox.requests
    started, wall = clock.now(), time.monotonic()
    for n in range(count):
        invoice = _pq_invoice(n, customers)
        while True:
            pacer.wait()
            try:
                invoice.save(qb=client, request_id=f"pq-{n}")
                pacer.answered()
                break
            except QuickbooksException as exc:
                pacer.answered()
                if not _throttled(exc):
                    raise
                throttled += 1
                clock.sleep(60)  # QBO's advice: wait a minute
    return _pq_result(sandbox, realm, clock, started, wall, throttled, requests_before)


def run_python_quickbooks_batch(sandbox: Sandbox, url: str, clock: ScaledClock, count: int,
                                realm: str) -> dict[str, Any]:
    """``quickbooks.batch.batch_create``: 30 invoices a request (QBO's most), paced to 40 batch
    requests a minute. Each call gets one batch's worth, so python-quickbooks' own chunking
    (which compares every remaining object with the chunk sent) costs nothing here."""
    from quickbooks.batch import batch_create
    from quickbooks.exceptions import QuickbooksException

    customers = seed_customers(sandbox, realm)
    client = _pq_client(sandbox, url, realm)
    pacer = Pacer(clock, BATCHES_PER_MINUTE)
    throttled = faults = 0
    requests_before = sandbox.requests
    started, wall = clock.now(), time.monotonic()
    for first in range(0, count, BATCH_ITEMS):
        chunk = [_pq_invoice(n, customers) for n in range(first, min(first + BATCH_ITEMS,
                                                                      count))]
        while True:
            pacer.wait()
            try:
                answer = batch_create(chunk, qb=client)
                pacer.answered()
                break
            except QuickbooksException as exc:
                pacer.answered()
                if not _throttled(exc):
                    raise
                throttled += 1
                clock.sleep(60)
        faults += len(answer.faults)
    result = _pq_result(sandbox, realm, clock, started, wall, throttled, requests_before)
    result["faults"] = faults
    return result


def _pq_result(sandbox: Sandbox, realm: str, clock: ScaledClock, started: dt.datetime,
               wall: float, throttled: int, requests_before: int) -> dict[str, Any]:
    elapsed = (clock.now() - started).total_seconds()
    return {"objects": sandbox.company(realm).store.count("Invoice"), "minutes": elapsed / 60,
            "steady_per_minute": steady_rate(sandbox, realm, started),
            "wall_seconds": time.monotonic() - wall, "throttled": throttled,
            "http_requests": sandbox.requests - requests_before}


# -- the run ---------------------------------------------------------------------------------------

#: client -> (realm, the ceiling of its way of sending under the sandbox's limits).
CLIENTS: dict[str, tuple[str, int]] = {
    "ledgersync": (REALM_LS, CEILING_BATCHED),
    "python-quickbooks batch_create": (REALM_PQ_BATCH, CEILING_BATCH_ONLY),
    "python-quickbooks one per request": (REALM_PQ, CEILING_SINGLE),
}


def run_once(args: argparse.Namespace, clients: list[str]) -> tuple[dict[str, dict[str, Any]],
                                                                     int]:
    """One repetition: a fresh sandbox (and clock), every client in turn."""
    clock = ScaledClock(args.speed)
    config = SandboxConfig(realm_ids=tuple(CLIENTS[name][0] for name in CLIENTS),
                           seed=sample_seed(), requests_per_minute=PER_MINUTE, max_concurrent=10,
                           batch_requests_per_minute=BATCHES_PER_MINUTE,
                           max_batch_items=BATCH_ITEMS, auto_create_realms=False,
                           access_token_ttl=3600.0)
    sandbox = Sandbox(config, clock=clock)
    results: dict[str, dict[str, Any]] = {}
    with run_in_thread(sandbox) as url, tempfile.TemporaryDirectory() as tmp:
        for name in clients:
            realm, ceiling = CLIENTS[name]
            if name == "ledgersync":
                result = run_ledgersync(sandbox, url, clock, args.invoices, Path(tmp))
            elif name == "python-quickbooks batch_create":
                result = run_python_quickbooks_batch(sandbox, url, clock, args.invoices, realm)
            else:
                result = run_python_quickbooks(sandbox, url, clock, args.invoices, realm)
            result["per_minute"] = result["objects"] / result["minutes"]
            result["ceiling"] = ceiling
            result["ratio"] = result["steady_per_minute"] / ceiling
            results[name] = result
            print(f"{name}: {result['objects']} invoices in {result['minutes']:.2f} min "
                  f"({result['wall_seconds']:.1f} s real): {result['per_minute']:.0f}/min over "
                  f"the run, {result['steady_per_minute']:.0f}/min in the whole minutes after "
                  f"the first = {result['ratio']:.0%} of the {ceiling}/min ceiling; "
                  f"{result['http_requests']} HTTP requests", flush=True)
            assert result["objects"] == args.invoices, f"{name}: every invoice exactly once"
        throttled = sandbox.throttle.refused
    return results, throttled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=5000)
    parser.add_argument("--speed", type=float, default=5.0,
                        help="clock speed relative to real time (1 = real time)")
    parser.add_argument("--clients", default=",".join(CLIENTS),
                        help=f"comma-separated, in this order (default: all): {', '.join(CLIENTS)}")
    parser.add_argument("--repeat", type=int, default=1,
                        help="repetitions (each with a fresh sandbox); medians are reported")
    parser.add_argument("--results", type=Path, help="append a section to this Markdown file")
    args = parser.parse_args(argv)
    clients = [name.strip() for name in args.clients.split(",") if name.strip()]
    unknown = sorted(set(clients) - set(CLIENTS))
    if unknown:
        parser.error(f"unknown client(s) {unknown}; choose from {list(CLIENTS)}")
    os.environ.setdefault("LEDGERSYNC_SECRET_KEY", Fernet.generate_key().decode())
    # python-quickbooks' OAuth session refuses plain HTTP; the sandbox is on loopback.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    runs: list[dict[str, dict[str, Any]]] = []
    throttled: list[int] = []
    for repetition in range(args.repeat):
        if args.repeat > 1:
            print(f"-- repetition {repetition + 1} of {args.repeat}", flush=True)
        results, refused = run_once(args, clients)
        runs.append(results)
        throttled.append(refused)
    summary = medians(runs)
    print(f"medians of {args.repeat} repetition(s):")
    for name, r in summary.items():
        print(f"  {name}: {r['steady_per_minute']:.0f} invoices/min steady "
              f"({r['ratio']:.0%} of {r['ceiling']}/min)")
    base = summary.get("ledgersync")
    if base is not None:
        for name, r in summary.items():
            if name != "ledgersync":
                print(f"  ledgersync / {name}: "
                      f"{base['steady_per_minute'] / r['steady_per_minute']:.2f}x")
    print(f"requests the sandbox throttled (429), per repetition: {throttled}")
    if args.results is not None:
        append_results(args.results, args, runs, summary, throttled)
    return 0


def medians(runs: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per client, the median of each figure over the repetitions."""
    out: dict[str, dict[str, Any]] = {}
    for name in runs[0]:
        rows = [run[name] for run in runs]
        out[name] = {key: statistics.median(row[key] for row in rows)
                     for key in ("objects", "minutes", "per_minute", "steady_per_minute",
                                 "ratio", "http_requests", "wall_seconds")}
        out[name]["ceiling"] = rows[0]["ceiling"]
        out[name]["steady_runs"] = [row["steady_per_minute"] for row in rows]
    return out


def append_results(path: Path, args: argparse.Namespace, runs: list[dict[str, dict[str, Any]]],
                   summary: dict[str, dict[str, Any]], throttled: list[int]) -> None:
    command = (f"python bench/qbo_bench.py --invoices {args.invoices} --speed {args.speed:g} "
               f"--repeat {args.repeat}")
    lines = [
        "", f"## QBO connector: {args.invoices:,} invoices into the QBO sandbox "
        f"({dt.datetime.now(dt.UTC).date().isoformat()})", "",
        f"Command: `{command} --results {path}`", "",
        "Limits enforced by the sandbox per realm: 500 requests/min, 10 at once, 40 batch "
        f"requests/min, 30 operations per batch. Clock speed {args.speed:g}x real time "
        "(see the script's docstring); rates are per minute of that clock. Medians of "
        f"{len(runs)} repetition(s).", "",
        "| client | invoices | minutes | objects/min (run) | objects/min (whole minutes after "
        "the 1st) | each repetition | ceiling/min | ratio | HTTP requests |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for name, r in summary.items():
        each = " / ".join(f"{v:.0f}" for v in r["steady_runs"])
        lines.append(f"| {name} | {r['objects']:,.0f} | {r['minutes']:.2f} | "
                     f"{r['per_minute']:.0f} | {r['steady_per_minute']:.0f} | {each} | "
                     f"{r['ceiling']:,} | {r['ratio']:.0%} | {r['http_requests']:,.0f} |")
    lines += ["", f"Requests throttled by the sandbox (429), per repetition: {throttled}.", ""]
    if not path.exists():
        lines[:1] = ["# Benchmark results", ""]
    with path.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
