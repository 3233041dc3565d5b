"""Load: `ledgersync serve` with many simulated Web Connectors of many companies at once.

``--companies`` QuickBooks Desktop companies (default 200), each with its own Web Connector
user and password (stored as `ledgersync qbd set-password` stores it), ``--members`` members
and ``--invoices`` invoices. One `ledgersync serve` process; ``--clients`` client processes
run one simulated Web Connector per company (zeep over HTTP with the WSDL the server serves,
a simulated company file each), all starting at the same moment, each running updates until
the server has nothing left for it.

Checked afterwards:

* every session completed ("done" updates, then "none"), no Web Connector error;
* per company, its company file holds exactly its own customers and invoices, each once
  (no record of another company: per-company isolation), and its ledger items are all synced;
* the server's log has no traceback and no HTTP 500.

Reported: latency of every SOAP call (p50/p95/p99/max, per method), of whole updates, the
server's peak RSS (sampled every 0.2 s) and the wall time.

    python bench/load_serve.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/db
    python bench/load_serve.py --companies 10 --clients 2          # the CI size, SQLite

Passwords issued are written to ``<workdir>/issued-secrets.json`` for bench/secrets_scan.py.
Exit 0 when every check holds; a JSON summary goes to ``--out``. See bench/campaign.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa
from cryptography.fernet import Fernet

import ledgersync as ls

LEDGERSYNC = [sys.executable, "-m", "ledgersync.cli"]
MAPPINGS = {("item", "DUES"): "Membership Dues", ("terms", "NET30"): "Net 30"}


def company_names(count: int) -> list[str]:
    return [f"wc{i:03d}" for i in range(count)]


def records_for(company: str, members: int, invoices: int) -> list[ls.Record]:
    out: list[ls.Record] = [
        ls.Member(mms_id=f"{company}-M{m}", display_name=f"{company} member {m}",
                  account_number=f"{company}-{m}") for m in range(members)]
    day = dt.date(2026, 1, 5)
    for n in range(invoices):
        out.append(ls.Invoice(
            mms_id=f"{company}-INV{n}", member_id=f"{company}-M{n % members}",
            number=f"{company[-3:]}{n:04d}", txn_date=day, currency="USD", terms_id="NET30",
            lines=(ls.InvoiceLine(item_id="DUES", description="Dues", quantity=Decimal(1),
                                  rate=Decimal("45.00"), amount=Decimal("45.00")),)))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Timed:
    """The zeep service with every call timed."""

    def __init__(self, service: Any, calls: list[tuple[str, float]]) -> None:
        self._service = service
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._service, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self._calls.append((name, time.perf_counter() - start))
        return call


def one_company(url: str, company: str, password: str, members: int, invoices: int,
                start_at: float) -> dict[str, Any]:
    """One Web Connector's life: updates until "none"; what its company file holds."""
    from ledgersync_qbd.sandbox import CompanyFile
    from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector

    book = CompanyFile()
    wc = SimulatedWebConnector(url, f"{company}-wc", password, book, timeout=600.0)
    calls: list[tuple[str, float]] = []
    result: dict[str, Any] = {"company": company, "outcomes": [], "updates": [],
                              "error": None}
    try:
        wc._service = Timed(wc.service, calls)  # the zeep client, built before the start
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(20):
            began = time.perf_counter()
            report = wc.run_update()
            result["updates"].append(time.perf_counter() - began)
            result["outcomes"].append(report.outcome)
            if report.outcome != "done":
                if report.outcome != "none":
                    result["error"] = report.text()[-500:]
                break
    except Exception as exc:  # noqa: BLE001 - reported per company, counted as a failure
        result["error"] = f"{type(exc).__name__}: {exc}"[:500]
    seed = CompanyFile()  # what a fresh sandbox file holds before any sync
    result["customers"] = sorted(set(customer_names(book)) - set(customer_names(seed)))
    result["invoices"] = len(book.store.txns_of("Invoice")) - len(seed.store.txns_of("Invoice"))
    result["calls"] = calls
    return result


def customer_names(book: Any) -> list[str]:
    return [record.full_name for record in book.store.lists_of(("Customer",))]


def client_process(args: tuple[str, list[tuple[str, str]], int, int, float]
                   ) -> list[dict[str, Any]]:
    url, companies, members, invoices, start_at = args
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda c=c, p=p: results.append(
        one_company(url, c, p, members, invoices, start_at))) for c, p in companies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"n": len(ordered), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * 1000, 1),
            "mean_ms": round(statistics.mean(ordered) * 1000, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--invoices", type=int, default=6)
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--database-url", help="PostgreSQL (default: SQLite in the workdir)")
    parser.add_argument("--schema", default="ls_load_serve")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    folder = args.workdir or Path(tempfile.mkdtemp(prefix="ledgersync-load-serve-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.database_url:
        admin = sa.create_engine(args.database_url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {args.schema} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {args.schema}")
        admin.dispose()
        url = sa.make_url(args.database_url).update_query_dict(
            {"options": f"-csearch_path={args.schema}"}).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{folder / 'ledger.db'}"
    names = company_names(args.companies)
    passwords = {name: secrets.token_urlsafe(18) for name in names}
    secret_key = Fernet.generate_key().decode()
    (folder / "issued-secrets.json").write_text(json.dumps(
        {"qbd_web_connector_passwords": list(passwords.values()),
         "ledgersync_secret_key": secret_key}))
    config_path = folder / "ledgersync.toml"
    config_path.write_text(f'[ledger]\nurl = "{url}"\n\n[plugins]\nenabled = ["qbd"]\n\n' + "".join(
        f'[companies.{n}]\nconnector = "qbd"\nschedule = "manual"\n[companies.{n}.qbd]\n'
        f'username = "{n}-wc"\nbusy_seconds = 0\n\n' for n in names))
    env = {**os.environ, "LEDGERSYNC_CONFIG": str(config_path),
           "LEDGERSYNC_SECRET_KEY": secret_key}
    os.environ["LEDGERSYNC_SECRET_KEY"] = env["LEDGERSYNC_SECRET_KEY"]
    subprocess.run([*LEDGERSYNC, "db", "upgrade"], env=env, check=True,
                   stdout=subprocess.DEVNULL)

    from ledgersync_qbd.qbwc.auth import SECRET_NAME, hash_password

    started = time.monotonic()
    config = ls.load_config(config_path)
    if args.database_url:  # filling the ledger is set-up, not the load: no wait for the disk
        config = attrs.evolve(config, ledger_url=sa.make_url(args.database_url).update_query_dict(
            {"options": f"-csearch_path={args.schema} -csynchronous_commit=off"}
        ).render_as_string(hide_password=False))
    with ls.open(config) as ledger:
        for name in names:
            ledger.record(records_for(name, args.members, args.invoices), companies=[name])
            for (kind, mms_id), remote in MAPPINGS.items():
                ledger.map(name, kind, mms_id, remote)
            ledger.secrets(name).set(SECRET_NAME, hash_password(passwords[name]))
    setup = time.monotonic() - started

    port = free_port()
    log = (folder / "serve.log").open("wb")
    server = subprocess.Popen([*LEDGERSYNC, "serve", "--port", str(port), "--no-work-runs",
                               "--log-level", "info"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}/qbwc"
    peak = [0]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.2):
            if server.poll() is None:
                peak[0] = max(peak[0], rss_kib(server.pid))

    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{endpoint}?wsdl", timeout=5).read()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"serve exited; see {folder / 'serve.log'}") from None
                time.sleep(0.5)
        idle_rss = rss_kib(server.pid)
        threading.Thread(target=sample, daemon=True).start()
        # Every client builds its zeep clients first; all updates start at start_at.
        start_at = time.time() + 30 + args.companies * 0.3
        shares = [[(n, passwords[n]) for n in names[i::args.clients]]
                  for i in range(args.clients)]
        with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
            parts = pool.map(client_process, [(endpoint, share, args.members, args.invoices,
                                               start_at) for share in shares if share])
        wall = time.time() - start_at
    finally:
        sampling.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    results = [r for part in parts for r in part]

    with ls.open(ls.load_config(config_path)) as ledger:
        counts = ledger.status_counts()
    not_synced = {f"{c}:{s}": n for (c, s), n in counts.items() if s != "synced"}
    failures = [r["company"] for r in results if r["error"] or r["outcomes"][-1:] != ["none"]]
    foreign = [r["company"] for r in results
               if any(not name.startswith(r["company"] + " ") for name in r["customers"])]
    wrong_counts = [r["company"] for r in results
                    if r["invoices"] != args.invoices
                    or sorted(r["customers"]) != sorted(
                        f"{r['company']} member {m}" for m in range(args.members))]
    served = (folder / "serve.log").read_text(errors="replace")
    tracebacks = served.count("Traceback")
    http_500 = served.count('" 500')
    calls = [(m, t) for r in results for m, t in r["calls"]]
    by_method = {m: percentiles([t for mm, t in calls if mm == m])
                 for m in sorted({m for m, _ in calls})}
    summary: dict[str, Any] = {
        "companies": args.companies, "web_connectors": len(results),
        "items": args.companies * (args.members + args.invoices),
        "ledger": url.split(":", 1)[0], "setup_seconds": round(setup, 1),
        "wall_seconds": round(wall, 1),
        "updates": Counter(o for r in results for o in r["outcomes"]),
        "failed_companies": failures[:10], "failed": len(failures),
        "errors": [r["error"] for r in results if r["error"]][:5],
        "companies_with_foreign_records": foreign, "companies_with_wrong_counts": wrong_counts,
        "wrong_count_example": next(({k: r[k] for k in ("company", "customers", "invoices")}
                                     for r in results if r["company"] in wrong_counts), None),
        "ledger_items_not_synced": not_synced, "serve_tracebacks": tracebacks,
        "serve_http_500": http_500, "serve_rss_idle_mib": round(idle_rss / 1024, 1),
        "serve_rss_peak_mib": round(peak[0] / 1024, 1),
        "soap_call_latency": percentiles([t for _, t in calls]),
        "soap_call_latency_by_method": by_method,
        "update_latency": percentiles([u for r in results for u in r["updates"]]),
        "workdir": str(folder),
    }
    ok = (len(results) == args.companies and not failures and not foreign and not wrong_counts
          and not not_synced and not tracebacks and not http_500)
    summary["ok"] = ok
    print(json.dumps(summary, indent=1, default=str))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
