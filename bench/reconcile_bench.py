"""Reconciliation on a large ledger: how long `reconcile` (per customer, as of a date) and
`reconcile --accounts` take once every record is synced to the fake books, and with a few
differences made in the books.

    python bench/reconcile_bench.py --members 1000 --invoices 10000
    python bench/reconcile_bench.py --members 1000 --invoices 10000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reconcile_bench

Each invoice has one line (every third taxed); half the invoices get a payment. The times are
wall-clock seconds of the Python API call (the same work the command does before printing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import ledgersync
from ledgersync import (
    GLAccount,
    Invoice,
    InvoiceLine,
    Member,
    Payment,
    PaymentApplication,
    TaxRate,
)
from ledgersync.testing import FakeBooks, FakePlugin, empty_database

YEAR = 2026


def _records(members: int, invoices: int) -> list[ledgersync.Record]:
    records: list[ledgersync.Record] = [
        GLAccount(mms_id="4000", number="4000", name="Dues", account_type="income"),
        TaxRate(mms_id="TX", name="County", rate=Decimal("8.25")),
        *(Member(mms_id=f"M{m}", display_name=f"Member {m}") for m in range(members)),
    ]
    for n in range(invoices):
        day = dt.date(YEAR, 1 + n % 12, 1 + n % 28)
        amount = Decimal(100 + n % 50)
        tax = (amount * Decimal("0.0825")).quantize(Decimal("0.01")) if n % 3 == 0 \
            else Decimal(0)
        line = InvoiceLine(account_id="4000", quantity=Decimal(1), rate=amount, amount=amount,
                           tax_rate_id="TX" if tax else None, tax_amount=tax)
        member = f"M{n % members}"
        records.append(Invoice(mms_id=f"I{n}", member_id=member, number=f"I{n}",
                               txn_date=day, currency="USD", lines=[line]))
        if n % 2 == 0:
            records.append(Payment(
                mms_id=f"P{n}", member_id=member, txn_date=day, currency="USD",
                amount=amount + tax,
                applications=[PaymentApplication(invoice_id=f"I{n}", amount=amount + tax)]))
    return records


def _timed(label: str, call: object) -> object:
    started = time.perf_counter()
    result = call()  # type: ignore[operator]
    print(f"{label}: {time.perf_counter() - started:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="reconcile-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'ledger.db'}"
    if args.database_url:
        empty_database(url)
    config = ledgersync.parse_config({"ledger": {"url": url}, "companies": {"bench": {
        "connector": "fake", "fake": {"books_path": str(folder / "books.db")}}}})
    with ledgersync.open(config, plugins=[FakePlugin()], load_entrypoints=False) as ledger:
        records = _records(args.members, args.invoices)
        ledger.record(records)
        _timed(f"sync {len(records)} records", lambda: ledger.sync("bench"))
        end = dt.date(YEAR, 12, 31)
        clean = _timed("reconcile (per customer, today)", lambda: ledger.reconcile("bench"))
        assert clean.ties_out  # type: ignore[attr-defined]
        _timed("reconcile --as-of mid-year", lambda: ledger.reconcile(
            "bench", as_of=dt.date(YEAR, 6, 30)))
        accounts = _timed("reconcile --accounts (the year)", lambda: ledger.reconcile_accounts(
            "bench", start=dt.date(YEAR, 1, 1), end=end))
        assert accounts.ties_out  # type: ignore[attr-defined]
        books = FakeBooks(str(folder / "books.db"))
        for n in range(1, 21):
            books.edit("invoice", f"I{n * 7}", amount=Decimal(1))
        books.void("invoice", "I3")
        books.enter_by_hand("invoice", "M1", Decimal(5), txn_date=end)
        report = _timed("reconcile with 22 differences", lambda: ledger.reconcile("bench"))
        print(f"  {len(report.mismatches)} customers differ, "  # type: ignore[attr-defined]
              f"unexplained {report.unexplained}")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
