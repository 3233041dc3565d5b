"""Receivable per customer as of a date: the MMS ledger against the books, every difference
explained by the transactions behind it.

The books answer with their receivable transactions (:meth:`Connector.books_transactions`);
each is matched to the ledger's document linked to its remote id. A connector that cannot list
them answers balances only (:meth:`Connector.customer_balances`): differences are then
explained from the ledger's side alone (what is not in the books yet).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal

from ..._books import BooksTransaction
from ..._errors import ConnectorError
from ..._ledger.database import read_connection
from ..context import EngineContext
from . import causes
from .ledger_side import Document, LedgerSide, read_ledger, receivable
from .model import ZERO, CustomerBalance, Explanation, ReconcileReport
from .signoff import acceptances, last_signoff

#: A row of the report: ("member", MMS id), or ("customer", the books' id) for a customer no
#: member is linked to.
Key = tuple[str, str]


def reconcile(ctx: EngineContext, company: str, as_of: dt.date | None = None
              ) -> ReconcileReport:
    ctx.company(company)
    with read_connection(ctx.engine) as conn:
        side = read_ledger(conn, company)
        notes = acceptances(conn, company, side)
        starts_from = last_signoff(conn, company, "customers", as_of)
    connector = ctx.connector(company)
    try:
        books: Sequence[BooksTransaction] | None = connector.books_transactions(as_of)
    except ConnectorError as exc:
        if exc.sent:
            raise
        books = None
    tally = _Tally(company, side, as_of)
    if as_of is not None:
        # Only asked when a linked transaction is missing as of the date: is it dated later
        # in the books, or gone?
        tally.everything = lambda: connector.books_transactions(None)
    if books is None:
        balances = {key: Decimal(value)
                    for key, value in connector.customer_balances(as_of).items()}
        tally.from_balances(balances)
    else:
        tally.from_transactions(books)
    customers = tally.customers(notes)
    return ReconcileReport(
        company=company, as_of=as_of, customers=tuple(customers),
        not_exported=tally.not_exported, awaiting_confirmation=tally.staged,
        source="balances" if books is None else "transactions", starts_from=starts_from)


class _Tally:
    """Both sides per customer, and the explanations found on the way."""

    def __init__(self, company: str, side: LedgerSide, as_of: dt.date | None) -> None:
        self.company = company
        self.side = side
        self.as_of = as_of
        self.by_external = {ext: mms for mms, ext in sorted(side.member_links.items(),
                                                            reverse=True)}
        self.mms: dict[Key, Decimal] = defaultdict(lambda: ZERO)
        self.books: dict[Key, Decimal] = defaultdict(lambda: ZERO)
        self.explanations: dict[Key, list[Explanation]] = defaultdict(list)
        self.not_exported = ZERO
        self.staged = ZERO
        self.everything: Callable[[], Sequence[BooksTransaction]] | None = None
        self._later: dict[tuple[str, str], BooksTransaction] | None = None
        ar = side.ar_accounts
        self.effects: dict[tuple[str, str], dict[Key, Decimal]] = {}
        for document in side.documents:
            effect = {("member", m): a for m, a in receivable(document.record, ar).items()}
            if not self.counts(document):
                continue
            if document.left_out:
                self.not_exported += sum(effect.values(), ZERO)
                continue
            self.effects[(document.kind, document.mms_id)] = effect
            for key, amount in effect.items():
                self.mms[key] += amount
            if any(i.status == "staged" for i in document.waiting()):
                self.staged += sum(effect.values(), ZERO)

    def counts(self, document: Document) -> bool:
        date = document.date
        return self.as_of is None or date is None or date <= self.as_of

    def key(self, customer_id: str) -> Key:
        member = self.by_external.get(customer_id)
        return ("member", member) if member is not None else ("customer", customer_id)

    def explain(self, key: Key, explanation: Explanation | None) -> None:
        if explanation is not None:
            self.explanations[key].append(explanation)

    def from_balances(self, balances: dict[str, Decimal]) -> None:
        for external, balance in balances.items():
            self.books[self.key(external)] += balance
        for document in self.side.documents:
            effect = self.effects.get((document.kind, document.mms_id))
            if not effect or not document.waiting():
                continue
            for key, amount in effect.items():
                # An update not sent: the books hold a version of unknown amount.
                part = -amount if document.remote_id is None else ZERO
                self.explain(key, causes.waiting_explanation(self.company, document, part))

    def from_transactions(self, books: Sequence[BooksTransaction]) -> None:
        by_remote: dict[tuple[str, str], list[BooksTransaction]] = defaultdict(list)
        for txn in books:
            by_remote[(txn.kind, txn.remote_id)].append(txn)
            if not txn.voided:
                self.books[self.key(txn.customer_id)] += txn.receivable
        linked: set[tuple[str, str]] = set()
        for document in self.side.documents:
            if document.remote_id is not None:
                linked.add((document.kind, document.remote_id))
            txns = by_remote.get((document.kind, document.remote_id or ""), [])
            self._document(document, txns)
        for (kind, remote_id), txns in sorted(by_remote.items()):
            if (kind, remote_id) in linked:
                continue
            for txn in txns:
                if not txn.voided and txn.receivable:
                    self.explain(self.key(txn.customer_id),
                                 causes.posted_outside(self.company, txn, txn.receivable))

    def _document(self, document: Document, txns: list[BooksTransaction]) -> None:
        effect = self.effects.get((document.kind, document.mms_id))
        if effect is None:
            if txns and not document.left_out:
                # Dated after as_of in the MMS, on or before it in the books.
                for txn in txns:
                    if txn.voided or not txn.receivable:
                        continue
                    explanation = causes.compare(
                        self.company, self.side, document, ZERO, txn.receivable, txn,
                        f"dated {document.date} in the MMS, {txn.date} in the books")
                    self.explain(self.key(txn.customer_id), explanation)
            return
        if document.remote_id is None:
            for key, amount in effect.items():
                self.explain(key, causes.waiting_explanation(self.company, document, -amount))
            return
        books_effect: dict[Key, Decimal] = defaultdict(lambda: ZERO)
        for txn in txns:
            if not txn.voided:
                books_effect[self.key(txn.customer_id)] += txn.receivable
        moved = self._moved(effect, books_effect)
        if not txns:
            later = self.dated_later(document)
            if later is not None:
                txns = [later]
                moved = f"dated {document.date} in the MMS, {later.date} in the books"
        found = False
        for key in sorted(set(effect) | set(books_effect)):
            mms, books = effect.get(key, ZERO), books_effect.get(key, ZERO)
            if mms == books:
                continue
            found = True
            self.explain(key, causes.compare(self.company, self.side, document, mms, books,
                                             txns[0] if txns else None, moved))
        if not found and effect:
            self.explain(next(iter(effect)),
                         causes.applied_elsewhere(self.company, self.side, document, txns))

    def dated_later(self, document: Document) -> BooksTransaction | None:
        """The books' transaction of a linked document they did not list as of the date."""
        if self.everything is None or document.remote_id is None:
            return None
        if self._later is None:
            self._later = {(t.kind, t.remote_id): t for t in self.everything()
                           if self.as_of is not None and t.date > self.as_of}
        return self._later.get((document.kind, document.remote_id))

    def _moved(self, mms: dict[Key, Decimal], books: dict[Key, Decimal]) -> str | None:
        """"customer X in the MMS, Y in the books" when the books moved it to another one."""
        gone = [k for k in mms if k not in books]
        new = [k for k in books if k not in mms]
        if not gone or not new:
            return None
        return (f"customer {', '.join(self._name(k) for k in gone)} in the MMS, "
                f"{', '.join(self._name(k) for k in new)} in the books")

    def _name(self, key: Key) -> str:
        kind, value = key
        if kind == "member":
            external = self.side.member_links.get(value)
            return f"{value} ({external})" if external else value
        return f"{value} (no member linked)"

    def customers(self, notes: dict[object, list[causes.Acceptance]]) -> list[CustomerBalance]:
        rows = []
        keys = set(self.mms) | {k for k, v in self.books.items() if v or k[0] == "member"} \
            | set(self.explanations)
        for key in sorted(keys, key=lambda k: (k[0] != "member", k[1])):
            kind, value = key
            member = value if kind == "member" else None
            external = self.side.member_links.get(value) if member else value
            explanations = tuple(causes.accepted(e, notes) for e in self.explanations[key])
            rows.append(CustomerBalance(
                member_id=member, external_id=external, mms=self.mms.get(key, ZERO),
                remote=self.books.get(key, ZERO), explanations=explanations))
        return rows
