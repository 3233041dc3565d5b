"""Per GL account over a period: the debits and credits the MMS's records should have posted
(computed from the ledger, see ``postings.py``) against the books' account activity, every
difference explained by the transactions behind it.

MMS accounts map to the books' through ``gl_account`` links or mappings; the accounts the MMS
does not name (receivable, undeposited funds, tax payable) through the role the books give
them (:class:`AccountRole`). An MMS account with neither cannot be compared: it is listed as
unmapped, with the `ledgersync map account` remedy.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import attrs

from ..._books import AccountActivity, BooksTransaction
from ..._errors import ConnectorError, LedgerSyncError
from ..._ledger.database import read_connection
from ..context import EngineContext
from . import causes
from .ledger_side import SIGNS, Document, LedgerSide, read_ledger, receivable, tax_of
from .model import ZERO, AccountBalance, AccountsReport, Explanation
from .postings import RECEIVABLE, TAX, AccountKey, postings
from .signoff import acceptances, last_signoff


def reconcile_accounts(ctx: EngineContext, company: str, start: dt.date | None,
                       end: dt.date) -> AccountsReport:
    if start is not None and start > end:
        raise LedgerSyncError(f"the period starts {start}, after it ends {end}",
                              remedy="Give --from on or before --to")
    ctx.company(company)
    with read_connection(ctx.engine) as conn:
        side = read_ledger(conn, company)
        notes = acceptances(conn, company, side)
        starts_from = last_signoff(conn, company, "accounts", end)
    connector = ctx.connector(company)
    activity = connector.account_activity(start, end)
    try:
        books: Sequence[BooksTransaction] | None = connector.books_transactions(end)
    except ConnectorError as exc:
        if exc.sent:
            raise
        books = None
    items_are_accounts = bool(getattr(ctx.connector_class(ctx.company(company)),
                                      "items_are_accounts", False))
    trial = _Trial(company, side, start, end, activity, items_are_accounts)
    trial.post_mms()
    trial.explain(books)
    return AccountsReport(company=company, start=start, end=end,
                          accounts=tuple(trial.balances(activity, notes)),
                          unmapped=tuple(sorted(trial.unmapped.items())),
                          starts_from=starts_from)


class _Trial:
    def __init__(self, company: str, side: LedgerSide, start: dt.date | None, end: dt.date,
                 activity: Sequence[AccountActivity], items_are_accounts: bool) -> None:
        self.company, self.side, self.start, self.end = company, side, start, end
        self.items_are_accounts = items_are_accounts
        self.role_ids = {a.role.value: a.account_id for a in activity if a.role is not None}
        self.income = {mms: getattr(rec, "income_account_id", None)
                       for (kind, mms), rec in side.reference_records.items() if kind == "item"}
        self.debit: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.credit: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.labels: dict[str, tuple[str, str | None]] = {}
        self.unmapped: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.explanations: dict[str, list[Explanation]] = defaultdict(list)
        self.posted: dict[tuple[str, str], dict[str, Decimal]] = {}

    def in_period(self, date: dt.date | None) -> bool:
        return date is None or ((self.start is None or date >= self.start) and date <= self.end)

    def account(self, key: AccountKey) -> AccountKey:
        """An item line's account: the item's mapping where the books' items are accounts,
        else the item's MMS income account (unresolved when it names none)."""
        kind, value = key
        if kind != "item":
            return key
        if self.items_are_accounts and ("item", value) in self.side.references:
            return key
        income = self.income.get(value)
        return ("account", income) if income else key

    def books_id(self, key: AccountKey) -> str | None:
        kind, value = self.account(key)
        if kind == "role":
            return self.role_ids.get(value)
        if kind == "account":
            return self.side.references.get(("gl_account", value))
        if self.items_are_accounts:
            return self.side.references.get(("item", value))
        return None

    def post_mms(self) -> None:
        for document in self.side.documents:
            if document.left_out or not self.in_period(document.date):
                continue
            by_account: dict[str, Decimal] = defaultdict(lambda: ZERO)
            for key, amount in postings(document.record).items():
                key = self.account(key)
                books_id = self.books_id(key)
                if books_id is None:
                    self.unmapped[_label(key)] += abs(amount)
                    continue
                if key[0] == "account" or books_id not in self.labels:
                    label = f"item {key[1]}" if key[0] == "item" else key[1]
                    self.labels[books_id] = (label, key[1] if key[0] == "role" else None)
                by_account[books_id] += amount
                if amount > 0:
                    self.debit[books_id] += amount
                else:
                    self.credit[books_id] -= amount
            self.posted[(document.kind, document.mms_id)] = dict(by_account)

    def explain(self, books: Sequence[BooksTransaction] | None) -> None:
        by_remote: dict[tuple[str, str], list[BooksTransaction]] = defaultdict(list)
        for txn in books or ():
            by_remote[(txn.kind, txn.remote_id)].append(txn)
        linked = {(d.kind, d.remote_id) for d in self.side.documents if d.remote_id}
        for document in self.side.documents:
            posted = self.posted.get((document.kind, document.mms_id))
            if not posted:
                continue
            txns = [t for t in by_remote.get((document.kind, document.remote_id or ""), [])]
            if document.remote_id is None or (books is None and document.waiting()):
                if document.remote_id is None:
                    for books_id, amount in posted.items():
                        self._add(books_id, causes.waiting_explanation(
                            self.company, document, -amount))
                continue
            if books is not None and (receivable(document.record, self.side.ar_accounts)
                                      or document.voided):
                # Only what moves a receivable is among the books' transactions.
                self._compare(document, posted, txns)
        for (kind, remote_id), txns in sorted(by_remote.items()):
            if (kind, remote_id) in linked:
                continue
            for txn in txns:
                if txn.voided or not self.in_period(txn.date):
                    continue
                self._spread(causes.posted_outside(self.company, txn, ZERO), txn.kind,
                             txn.receivable, Decimal(SIGNS.get(txn.kind, 0)) * txn.tax, None)

    def _compare(self, document: Document, posted: dict[str, Decimal],
                 txns: list[BooksTransaction]) -> None:
        live = [t for t in txns if not t.voided]
        mms = sum(receivable(document.record, self.side.ar_accounts).values(), ZERO)
        if not live and not document.voided:
            explanation = causes.compare(self.company, self.side, document, mms, ZERO,
                                         txns[0] if txns else None, None)
            for books_id, amount in posted.items():
                self._add(books_id, _evolve(explanation, -amount))
            return
        books_amount = sum((t.receivable for t in live), ZERO)
        books_tax = sum((t.tax for t in live), ZERO)
        mms_tax = tax_of(document.record)
        if books_amount == mms and books_tax == mms_tax:
            return
        explanation = causes.compare(self.company, self.side, document, mms, books_amount,
                                     live[0],
                                     None)
        sign = Decimal(SIGNS.get(document.kind, 0))
        other = next((b for b in posted if b not in (self.books_id(RECEIVABLE),
                                                     self.books_id(TAX))), None)
        self._spread(explanation, document.kind, books_amount - mms,
                     sign * (books_tax - mms_tax) if document.kind in ("invoice",
                                                                      "credit_memo") else ZERO,
                     other)

    def _spread(self, explanation: Explanation, kind: str, receivable: Decimal, tax: Decimal,
                other: str | None) -> None:
        """A transaction's receivable and tax difference over the accounts it touches: the
        rest (income, the deposit account) on ``other`` when the MMS names it."""
        receivable_id = self.books_id(RECEIVABLE)
        tax_id = self.books_id(TAX)
        if receivable and receivable_id:
            self._add(receivable_id, _evolve(explanation, receivable))
        if tax and tax_id:
            self._add(tax_id, _evolve(explanation, -tax))
        rest = -(receivable - tax)
        if rest and other:
            self._add(other, _evolve(explanation, rest))

    def _add(self, books_id: str, explanation: Explanation) -> None:
        if explanation.amount:
            self.explanations[books_id].append(explanation)

    def balances(self, activity: Sequence[AccountActivity],
                 notes: dict[object, list[causes.Acceptance]]) -> list[AccountBalance]:
        books = {a.account_id: a for a in activity}
        shown = set(self.labels) | set(self.role_ids.values()) | set(self.explanations)
        rows = []
        for books_id in sorted(shown):
            found = books.get(books_id)
            mms_id, role = self.labels.get(books_id, (None, None))
            if role is None and found is not None and found.role is not None:
                role = found.role.value
            record = self.side.reference_records.get(("gl_account", mms_id or ""))
            name = found.name if found is not None else getattr(record, "name", books_id)
            rows.append(AccountBalance(
                account_id=mms_id or role or books_id, external_id=books_id, name=name,
                role=role, mms_debit=self.debit.get(books_id, ZERO),
                mms_credit=self.credit.get(books_id, ZERO),
                books_debit=found.debit if found else ZERO,
                books_credit=found.credit if found else ZERO,
                explanations=tuple(causes.accepted(e, notes)
                                   for e in self.explanations.get(books_id, ()))))
        return rows


def _evolve(explanation: Explanation, amount: Decimal) -> Explanation:
    return attrs.evolve(explanation, amount=amount)


def _label(key: AccountKey) -> str:
    kind, value = key
    if kind == "item":
        return f"item {value}"
    if kind == "role":
        return f"({value})"
    return value
