"""QuickBooks Online export benchmark: ledgersync's QBO connector against python-quickbooks.

    python bench/qbo_bench.py --invoices 5000 --speed 5 [--results bench/RESULTS.md]

One run, one loopback sandbox (``ledgersync_qbo.sandbox``) enforcing QBO's real limits per
realm: 500 requests a minute, 10 at once, 40 batch requests a minute, 30 operations a batch.
Each side gets its own realm of that sandbox (the limits are per realm, so neither slows the
other), the same 50 customers and the same 5,000 two-line invoices:

- ledgersync: the invoices are recorded in a SQLite ledger and ``Ledger.sync`` exports them
  through the QBO connector (batches paced to 40 a minute, the engine's per-company limits
  of 500 requests a minute and 10 at once);
- python-quickbooks 0.9.12: ``Invoice.save()`` one object per request, as its documentation
  shows, with a pacer that keeps it at 500 requests a minute and a 60-second wait on 429, so
  that it is measured at its best rather than throttled.

Time: at 500 requests a minute, one object per request needs 10 minutes for 5,000 invoices.
``--speed N`` runs a clock N times faster than real time, shared by the sandbox (its rate
windows and token expiry), the ledger (claims, throttles, backoff) and the pacer; rates are
reported in that clock's minutes. Work the clock cannot speed up (HTTP, SQLite, Python) then
counts N times heavier, so a higher speed understates both sides' rates; ``--speed 1`` is a
real-time run.

The ceiling: with these limits, a client that sends one object per request can create at most
500 objects a minute; a client that batches can send 40 batches of 30 (1,200 objects) plus
460 single requests, 1,660 objects a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

import ledgersync as ls
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.sandbox import Sandbox, SandboxConfig, jsonio, run_in_thread
from ledgersync_qbo.testing import sample_seed, sandbox_settings

REALM_LS, REALM_PQ = "9130000000000001", "9130000000000002"
CUSTOMERS = 50
PER_MINUTE, BATCHES_PER_MINUTE, BATCH_ITEMS = 500, 40, 30
CEILING_SINGLE = PER_MINUTE
CEILING_BATCHED = BATCHES_PER_MINUTE * BATCH_ITEMS + (PER_MINUTE - BATCHES_PER_MINUTE)
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
        elapsed = (clock.now() - started).total_seconds()
        wall = time.monotonic() - wall
        created = sandbox.company(REALM_LS).store.count("Invoice")
        return {"objects": created, "processed": summary.processed,
                "outcomes": dict(summary.outcomes), "minutes": elapsed / 60,
                "steady_per_minute": steady_rate(sandbox, REALM_LS, started),
                "wall_seconds": wall, "http_requests": sandbox.requests - requests_before}
    finally:
        ledger.close()


def ls_tokens(body: dict[str, Any], clock: ScaledClock) -> Any:
    from ledgersync_qbo.oauth import Tokens

    return Tokens.from_response(body, clock.now(), None)


# -- python-quickbooks -----------------------------------------------------------------------------


class Pacer:
    """At most ``per_minute`` calls in any minute of ``clock`` (a sliding window, with a
    second of margin for the time a request takes to arrive)."""

    def __init__(self, clock: ScaledClock, per_minute: int) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.sent: list[float] = []

    def wait(self) -> None:
        while True:
            now = self.clock.now().timestamp()
            self.sent = [t for t in self.sent if t > now - 61]
            if len(self.sent) < self.per_minute:
                self.sent.append(now)
                return
            self.clock.sleep(self.sent[0] + 61 - now)


def run_python_quickbooks(sandbox: Sandbox, url: str, clock: ScaledClock, count: int
                          ) -> dict[str, Any]:
    from intuitlib.client import AuthClient  # type: ignore[import-untyped]  # no type info
    from quickbooks import QuickBooks
    from quickbooks.exceptions import QuickbooksException
    from quickbooks.objects.base import Ref
    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.invoice import Invoice

    customers = seed_customers(sandbox, REALM_PQ)
    tokens = sandbox.issue_tokens(REALM_PQ)
    auth = AuthClient(sandbox.config.client_id, sandbox.config.client_secret,
                      "http://localhost/callback",
                      f"{url}/.well-known/openid_configuration",
                      access_token=tokens["access_token"],
                      refresh_token=tokens["refresh_token"])
    client = QuickBooks(auth_client=auth, refresh_token=tokens["refresh_token"],
                        company_id=REALM_PQ, minorversion=75)
    client.api_url_v3 = f"{url}/v3"
    pacer = Pacer(clock, PER_MINUTE)
    throttled = 0
    requests_before = sandbox.requests
    started, wall = clock.now(), time.monotonic()
    for n in range(count):
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
        while True:
            pacer.wait()
            try:
                invoice.save(qb=client, request_id=f"pq-{n}")
                break
            except QuickbooksException as exc:  # the 429 body is XML: "Error reading json"
                if "ThrottleExceeded" not in str(getattr(exc, "message", exc)):
                    raise
                throttled += 1
                clock.sleep(60)  # QBO's advice: wait a minute
    elapsed = (clock.now() - started).total_seconds()
    return {"objects": sandbox.company(REALM_PQ).store.count("Invoice"), "minutes": elapsed / 60,
            "steady_per_minute": steady_rate(sandbox, REALM_PQ, started),
            "wall_seconds": time.monotonic() - wall, "throttled": throttled,
            "http_requests": sandbox.requests - requests_before}


# -- the run ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=5000)
    parser.add_argument("--speed", type=float, default=5.0,
                        help="clock speed relative to real time (1 = real time)")
    parser.add_argument("--only", choices=("ledgersync", "python-quickbooks"))
    parser.add_argument("--results", type=Path, help="append a section to this Markdown file")
    args = parser.parse_args(argv)
    os.environ.setdefault("LEDGERSYNC_SECRET_KEY", Fernet.generate_key().decode())
    # python-quickbooks' OAuth session refuses plain HTTP; the sandbox is on loopback.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    clock = ScaledClock(args.speed)
    config = SandboxConfig(realm_ids=(REALM_LS, REALM_PQ), seed=sample_seed(),
                           requests_per_minute=PER_MINUTE, max_concurrent=10,
                           batch_requests_per_minute=BATCHES_PER_MINUTE,
                           max_batch_items=BATCH_ITEMS, auto_create_realms=False,
                           access_token_ttl=3600.0)
    sandbox = Sandbox(config, clock=clock)
    results: dict[str, dict[str, Any]] = {}
    with run_in_thread(sandbox) as url, tempfile.TemporaryDirectory() as tmp:
        if args.only != "python-quickbooks":
            results["ledgersync"] = run_ledgersync(sandbox, url, clock, args.invoices,
                                                   Path(tmp))
        if args.only != "ledgersync":
            results["python-quickbooks"] = run_python_quickbooks(sandbox, url, clock,
                                                                 args.invoices)
        throttled = sandbox.throttle.refused
    for name, result in results.items():
        ceiling = CEILING_BATCHED if name == "ledgersync" else CEILING_SINGLE
        result["per_minute"] = result["objects"] / result["minutes"]
        result["ceiling"] = ceiling
        result["ratio"] = result["steady_per_minute"] / ceiling
        print(f"{name}: {result['objects']} invoices in {result['minutes']:.2f} min "
              f"({result['wall_seconds']:.1f} s real): {result['per_minute']:.0f}/min over "
              f"the run, {result['steady_per_minute']:.0f}/min in the whole minutes after "
              "the first = "
              f"{result['ratio']:.0%} of the {ceiling}/min ceiling; "
              f"{result['http_requests']} HTTP requests", flush=True)
    print(f"requests the sandbox throttled (429): {throttled}")
    if args.results is not None:
        append_results(args.results, args, results, throttled)
    return 0


def append_results(path: Path, args: argparse.Namespace, results: dict[str, dict[str, Any]],
                   throttled: int) -> None:
    command = f"python bench/qbo_bench.py --invoices {args.invoices} --speed {args.speed:g}"
    lines = [
        "", f"## QBO connector: {args.invoices:,} invoices into the QBO sandbox "
        f"({dt.datetime.now(dt.UTC).date().isoformat()})", "",
        f"Command: `{command} --results {path}`", "",
        "Limits enforced by the sandbox per realm: 500 requests/min, 10 at once, 40 batch "
        f"requests/min, 30 operations per batch. Clock speed {args.speed:g}x real time "
        "(see the script's docstring); rates are per minute of that clock.", "",
        "| client | invoices | minutes | objects/min (run) | objects/min (whole minutes after "
        "the 1st) "
        "| ceiling/min | ratio | HTTP requests |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['objects']:,} | {r['minutes']:.2f} | "
                     f"{r['per_minute']:.0f} | {r['steady_per_minute']:.0f} | "
                     f"{r['ceiling']:,} | {r['ratio']:.0%} | {r['http_requests']:,} |")
    lines += ["", f"Requests throttled by the sandbox (429): {throttled}. The ratio is the rate "
              "over the whole minutes after the first (a sliding-minute limit lets any client "
              "spend its first minute's budget at once) over the ceiling: 500/min one object "
              "per request, 1,660/min batching (40 x 30 + 460 single requests).", ""]
    if not path.exists():
        lines[:1] = ["# Benchmark results", ""]
    with path.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines))


Callback = Callable[[], None]

if __name__ == "__main__":
    sys.exit(main())

__all__ = ["ScaledClock", "jsonio", "threading"]
