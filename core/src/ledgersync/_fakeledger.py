"""The stand-in books' accounting (``fakebooks.py`` is the store and the connector): what each
write posts, the two reconciliation answers a connector gives (:meth:`books_transactions`,
:meth:`account_activity`), and the bookkeeper's hand on the books, to create every cause of
a reconciliation difference on purpose (edit, void, delete, enter by hand, re-apply a
payment, compute the tax at another rate).

Like a real books, it keeps its own ids: every amount is posted to the remote id of an
account (the ``gl_account`` reference the export carried, or an item's income account), and
to three accounts the MMS does not name, known by their :class:`AccountRole`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ._books import RECEIVABLE_KINDS, AccountActivity, AccountRole, BooksTransaction
from ._connector import ExportRequest
from ._records import CreditMemo, Invoice, JournalEntry, Payment, Refund

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

#: The accounts every fake books has, whatever the MMS names: (remote id, name, role).
IMPLICIT_ACCOUNTS = (("AR", "Accounts Receivable", AccountRole.RECEIVABLE),
                     ("UF", "Undeposited Funds", AccountRole.UNDEPOSITED_FUNDS),
                     ("TAX", "Sales Tax Payable", AccountRole.TAX_PAYABLE))
#: Where an item line goes when the item names no income account (as a books' default).
DEFAULT_INCOME = "SALES"

#: Columns added to ``records`` since the first fake books (added to an older file on open).
COLUMNS = {"txn_date": "TEXT", "number": "TEXT", "receivables": "TEXT NOT NULL DEFAULT '{}'",
           "tax": "TEXT NOT NULL DEFAULT '0'", "applied": "TEXT NOT NULL DEFAULT '[]'",
           "postings": "TEXT NOT NULL DEFAULT '{}'", "refs": "TEXT NOT NULL DEFAULT '{}'"}
SCHEMA = "CREATE TABLE IF NOT EXISTS tax_rates (remote_id TEXT PRIMARY KEY, rate TEXT NOT NULL);"


def upgrade(db: sqlite3.Connection) -> None:
    """Add what a books file made by an older version lacks (inside the caller's
    transaction: the columns are read and added in the same one)."""
    db.execute(SCHEMA)
    have = {row[1] for row in db.execute("PRAGMA table_info(records)")}
    for name, kind in COLUMNS.items():
        if name not in have:
            db.execute(f"ALTER TABLE records ADD COLUMN {name} {kind}")


def _add(net: dict[str, Decimal], account: str, amount: Decimal) -> None:
    net[account] = net.get(account, ZERO) + amount


def posting(db: sqlite3.Connection, request: ExportRequest) -> dict[str, Any]:
    """What a write of ``request`` puts in the books: its receivable per remote customer, its
    tax (computed by the books' own rate when one is set, as QuickBooks Online does from the
    tax code it is given), the invoices a payment is applied to, and its postings."""
    record, refs = request.record, request.references
    net: dict[str, Decimal] = {}
    receivables: dict[str, Decimal] = {}
    tax = ZERO
    applied: list[str] = []
    customer = refs.get(("member", getattr(record, "member_id", None) or ""))
    if isinstance(record, Invoice | CreditMemo):
        sign = Decimal(1) if isinstance(record, Invoice) else Decimal(-1)
        rates = dict(db.execute("SELECT remote_id, rate FROM tax_rates").fetchall())
        for line in record.lines:
            account = refs.get(("gl_account", line.account_id or "")) or \
                _income_account(db, refs.get(("item", line.item_id or "")))
            _add(net, account, -sign * line.amount)
            code = refs.get(("tax_rate", line.tax_rate_id or ""))
            line_tax = line.tax_amount if code not in rates else \
                (line.amount * Decimal(rates[code]) / 100).quantize(CENT, ROUND_HALF_UP)
            if line_tax:
                _add(net, "TAX", -sign * line_tax)
            tax += line_tax
        total = sum((line.amount for line in record.lines), ZERO) + tax
        _add(net, "AR", sign * total)
        receivables = {customer or "": sign * total}
        if isinstance(record, CreditMemo) and record.applied_to_invoice_id:
            applied = [refs[("invoice", record.applied_to_invoice_id)]]
    elif isinstance(record, Payment):
        _add(net, refs.get(("gl_account", record.deposit_account_id or "")) or "UF",
             record.amount)
        _add(net, "AR", -record.amount)
        receivables = {customer or "": -record.amount}
        applied = [refs[("invoice", a.invoice_id)] for a in record.applications]
    elif isinstance(record, Refund):
        _add(net, "AR", record.amount)
        _add(net, refs[("gl_account", record.from_account_id)], -record.amount)
        receivables = {customer or "": record.amount}
    elif isinstance(record, JournalEntry):
        for jline in record.lines:
            account = refs[("gl_account", jline.account_id)]
            _add(net, account, jline.debit - jline.credit)
            member = refs.get(("member", jline.member_id or ""))
            if member and _is_receivable(db, account):
                receivables[member] = receivables.get(member, ZERO) + jline.debit - jline.credit
    return {"receivables": _dump(receivables), "tax": str(tax), "applied": json.dumps(applied),
            "postings": _dump(net), "refs": json.dumps({f"{k}:{m}": r for (k, m), r in
                                                        refs.items()}, sort_keys=True),
            "txn_date": str(record.document_date() or "") or None,
            "number": getattr(record, "number", None)}


def _income_account(db: sqlite3.Connection, item_remote_id: str | None) -> str:
    row = db.execute("SELECT body, refs FROM records WHERE kind = 'item' AND remote_id = ?",
                     (item_remote_id,)).fetchone() if item_remote_id else None
    if row is None:
        # An item mapped to an account (books whose items are accounts) posts to it.
        account = db.execute("SELECT remote_id FROM records WHERE kind = 'gl_account' AND "
                             "remote_id = ?", (item_remote_id,)).fetchone() \
            if item_remote_id else None
        return str(account[0]) if account else DEFAULT_INCOME
    income = json.loads(row[0]).get("income_account_id")
    return str(json.loads(row[1] or "{}").get(f"gl_account:{income}", DEFAULT_INCOME))


def _is_receivable(db: sqlite3.Connection, account: str) -> bool:
    if account == "AR":
        return True
    row = db.execute("SELECT body FROM records WHERE kind = 'gl_account' AND remote_id = ?",
                     (account,)).fetchone()
    return row is not None and json.loads(row[0]).get("account_type") == "accounts_receivable"


def _dump(amounts: dict[str, Decimal]) -> str:
    return json.dumps({k: str(v) for k, v in amounts.items() if v}, sort_keys=True)


def _load(text: str | None) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in json.loads(text or "{}").items()}


class BooksLedger:
    """The reconciliation answers and the bookkeeper's edits of :class:`FakeBooks`."""

    #: One transaction on the books file (FakeBooks provides it).
    _db: Callable[[], AbstractContextManager[sqlite3.Connection]]

    def _rows(self, db: sqlite3.Connection) -> Iterator[Any]:
        marks = ", ".join("?" * len(RECEIVABLE_KINDS))
        yield from db.execute(
            "SELECT remote_id, kind, txn_date, number, voided, receivables, tax, applied, "
            f"postings FROM records WHERE kind IN ({marks}) ORDER BY remote_id",
            RECEIVABLE_KINDS)

    def books_transactions(self, as_of: dt.date | None = None) -> list[BooksTransaction]:
        """Every receivable transaction dated on or before ``as_of``, voided ones included."""
        found = []
        with self._db() as db:
            rows = list(self._rows(db))
        for remote_id, kind, date, number, voided, receivables, tax, applied, _ in rows:
            day = dt.date.fromisoformat(date)
            if as_of is not None and day > as_of:
                continue
            for customer, amount in _load(receivables).items():
                found.append(BooksTransaction(
                    remote_id=str(remote_id), kind=kind, customer_id=customer, date=day,
                    receivable=ZERO if voided else amount, tax=Decimal(tax),
                    applied_to=tuple(json.loads(applied)), number=number,
                    voided=bool(voided)))
        return found

    def account_activity(self, start: dt.date | None, end: dt.date) -> list[AccountActivity]:
        """Debits and credits per account from ``start`` (None: the beginning) to ``end``."""
        debit: dict[str, Decimal] = defaultdict(lambda: ZERO)
        credit: dict[str, Decimal] = defaultdict(lambda: ZERO)
        with self._db() as db:
            rows = list(self._rows(db))
            names = {str(r[0]): json.loads(r[1]).get("name", str(r[0])) for r in db.execute(
                "SELECT remote_id, body FROM records WHERE kind = 'gl_account'")}
        for _, _, date, _, voided, _, _, _, postings in rows:
            day = dt.date.fromisoformat(date)
            if voided or day > end or (start is not None and day < start):
                continue
            for account, amount in _load(postings).items():
                if amount > 0:
                    debit[account] += amount
                else:
                    credit[account] -= amount
        roles = {account: (name, role) for account, name, role in IMPLICIT_ACCOUNTS}
        return [AccountActivity(
            account_id=account, name=roles[account][0] if account in roles else
            names.get(account, "Sales" if account == DEFAULT_INCOME else account),
            debit=debit.get(account, ZERO), credit=credit.get(account, ZERO),
            role=roles[account][1] if account in roles else None)
            for account in sorted(set(debit) | set(credit) | set(roles))]

    # -- a bookkeeper's hand on the books ------------------------------------------------------

    def _record(self, db: sqlite3.Connection, kind: str, mms_id: str) -> Any:
        row = db.execute("SELECT remote_id, receivables, postings, tax FROM records WHERE "
                         "kind = ? AND mms_id = ?", (kind, mms_id)).fetchone()
        if row is None:
            raise KeyError(f"the books have no {kind} {mms_id!r}")
        return row

    def _member(self, db: sqlite3.Connection, member_id: str) -> str:
        return str(self._record(db, "member", member_id)[0])

    def edit(self, kind: str, mms_id: str, *, amount: Decimal | None = None,
             member_id: str | None = None, txn_date: dt.date | None = None) -> None:
        """Change a synced transaction in the books: its total (the difference goes to its
        income or deposit account), its customer, or its date. Its version moves on."""
        with self._db() as db:
            remote_id, receivables_text, postings_text, _ = self._record(db, kind, mms_id)
            receivables, net = _load(receivables_text), _load(postings_text)
            if amount is not None:
                (customer, old), = receivables.items()
                new = amount if old > 0 else -amount
                receivables[customer] = new
                other = next(a for a in net if a not in ("AR", "TAX"))
                _add(net, "AR", new - old)
                _add(net, other, old - new)
            if member_id is not None:
                receivables = {self._member(db, member_id): sum(receivables.values(), ZERO)}
            db.execute("UPDATE records SET version = version + 1, receivables = ?, "
                       "postings = ?, txn_date = COALESCE(?, txn_date) WHERE remote_id = ?",
                       (_dump(receivables), _dump(net), txn_date and str(txn_date),
                        remote_id))

    def void(self, kind: str, mms_id: str) -> None:
        """Void a transaction in the books, as a bookkeeper would (the MMS still counts it)."""
        with self._db() as db:
            remote_id = self._record(db, kind, mms_id)[0]
            db.execute("UPDATE records SET voided = 1, version = version + 1 WHERE "
                       "remote_id = ?", (remote_id,))

    def enter_by_hand(self, kind: str, member_id: str, amount: Decimal, *,
                      txn_date: dt.date, tax: Decimal = ZERO, number: str | None = None,
                      account: str = DEFAULT_INCOME) -> str:
        """A transaction typed into the books, no MMS record behind it; its remote id.
        ``amount`` is the total with tax; the rest goes to ``account`` (income, or the bank)."""
        sign = Decimal(1) if kind in ("invoice", "refund") else Decimal(-1)
        with self._db() as db:
            customer = self._member(db, member_id)
            net: dict[str, Decimal] = {"AR": sign * amount}
            if tax:
                _add(net, "TAX", -sign * tax)
            _add(net, account, -sign * (amount - tax))
            count = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
            cursor = db.execute(
                "INSERT INTO records (kind, mms_id, version, customer, amount, body, txn_date, "
                "number, receivables, tax, postings) VALUES (?, ?, 0, ?, ?, '{}', ?, ?, ?, ?, "
                "?)", (kind, f"(by hand {count + 1})", member_id, str(sign * amount),
                       str(txn_date), number, _dump({customer: sign * amount}), str(tax),
                       _dump(net)))
            return str(cursor.lastrowid)

    def reapply(self, kind: str, mms_id: str, invoice_ids: list[str]) -> None:
        """Apply a payment (or credit memo) to other invoices (their MMS ids) in the books."""
        with self._db() as db:
            remote_id = self._record(db, kind, mms_id)[0]
            remote = [str(self._record(db, "invoice", i)[0]) for i in invoice_ids]
            db.execute("UPDATE records SET applied = ?, version = version + 1 WHERE "
                       "remote_id = ?", (json.dumps(remote), remote_id))

    def set_tax_rate(self, tax_code: str, rate: Decimal) -> None:
        """Compute the tax of every later line with this tax code (the books' id) at
        ``rate`` percent, whatever tax the MMS sent (QuickBooks Online does that)."""
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO tax_rates (remote_id, rate) VALUES (?, ?)",
                       (tax_code, str(rate)))
