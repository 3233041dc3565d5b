"""In-memory company data: list objects and transactions with QuickBooks-style identity.

Identity follows the real responses in plugins/qbd/tests/data/envelopes/: list ``ListID``
values look like ``80000013-1416570432`` and ``TxnID`` values like ``C5-1417118624`` (counter,
a dash, the creation epoch second); ``EditSequence`` is an epoch-second style integer that strictly
increases on every change. Names are looked up case-insensitively, as QuickBooks does.

Customer balances are kept as running totals with :class:`~decimal.Decimal`: an invoice adds
its total, a payment or credit memo subtracts its total, a refund adds back what it pays out
and a void or delete reverses the transaction's effect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from .xml import Element

ZERO = Decimal("0.00")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


@dataclass
class Line:
    """One transaction line (invoice/credit memo line, journal line)."""

    line_id: str
    kind: str
    fields: dict[str, list[Element]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    amount: Decimal = ZERO


@dataclass
class ListRecord:
    """A list object (customer, account, item, terms, tax code, payment method)."""

    list_type: str
    list_id: str
    name: str
    full_name: str
    edit_sequence: str
    time_created: datetime
    time_modified: datetime
    is_active: bool = True
    parent_id: str | None = None
    sublevel: int = 0
    fields: dict[str, list[Element]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    balance: Decimal = ZERO
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Application:
    """Money moved from one transaction onto another (payment -> invoice, refund -> credit)."""

    target_id: str
    amount: Decimal


@dataclass
class TxnRecord:
    """A transaction (invoice, payment, credit memo, refund, journal entry)."""

    txn_type: str
    txn_id: str
    txn_number: int
    edit_sequence: str
    time_created: datetime
    time_modified: datetime
    txn_date: date
    ref_number: str | None = None
    customer_id: str | None = None
    fields: dict[str, list[Element]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    total: Decimal = ZERO
    open_amount: Decimal = ZERO
    applications: list[Application] = field(default_factory=list)
    balance_effect: Decimal = ZERO
    customer_effects: dict[str, Decimal] = field(default_factory=dict)
    voided: bool = False


class Store:
    """Lists and transactions of one simulated company file."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock
        self.lists: dict[str, ListRecord] = {}
        self.txns: dict[str, TxnRecord] = {}
        #: What was deleted, for TxnDeletedQuery/ListDeletedQuery: (Txn|List, type, id,
        #: RefNumber or FullName, time created, time deleted).
        self.deleted: list[tuple[str, str, str, str, datetime, datetime]] = []
        self._list_counter = 0
        self._txn_counter = 0
        self._line_counter = 0
        self._txn_number = 0
        self._last_edit = 0

    # -- identity ------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def _epoch(self) -> int:
        return int(self.now().timestamp())

    def new_list_id(self) -> str:
        self._list_counter += 1
        return f"{0x80000000 + self._list_counter:08X}-{self._epoch()}"

    def new_txn_id(self) -> str:
        self._txn_counter += 1
        return f"{self._txn_counter:X}-{self._epoch()}"

    def new_line_id(self) -> str:
        self._line_counter += 1
        return f"{0x10000 + self._line_counter:X}-{self._epoch()}"

    def next_edit_sequence(self) -> str:
        self._last_edit = max(self._epoch(), self._last_edit + 1)
        return str(self._last_edit)

    def next_txn_number(self) -> int:
        self._txn_number += 1
        return self._txn_number

    # -- lists ---------------------------------------------------------------------------

    def add_list(self, list_type: str, name: str, *, parent: ListRecord | None = None,
                 is_active: bool = True) -> ListRecord:
        now = self.now()
        full_name = f"{parent.full_name}:{name}" if parent else name
        record = ListRecord(
            list_type=list_type, list_id=self.new_list_id(), name=name, full_name=full_name,
            edit_sequence=self.next_edit_sequence(), time_created=now, time_modified=now,
            is_active=is_active, parent_id=parent.list_id if parent else None,
            sublevel=parent.sublevel + 1 if parent else 0,
        )
        self.lists[record.list_id] = record
        return record

    def touch(self, record: ListRecord | TxnRecord) -> None:
        record.edit_sequence = self.next_edit_sequence()
        record.time_modified = self.now()

    def lists_of(self, types: Iterable[str]) -> list[ListRecord]:
        wanted = set(types)
        return [rec for rec in self.lists.values() if rec.list_type in wanted]

    def find_list(self, types: Iterable[str], *, list_id: str | None = None,
                  full_name: str | None = None) -> ListRecord | None:
        wanted = set(types)
        if list_id is not None:
            record = self.lists.get(list_id)
            if record is None or record.list_type not in wanted:
                return None
            if full_name is not None and record.full_name.casefold() != full_name.casefold():
                return None
            return record
        if full_name is None:
            return None
        key = full_name.casefold()
        for record in self.lists.values():
            if record.list_type in wanted and record.full_name.casefold() == key:
                return record
        return None

    def name_taken(self, types: Iterable[str], full_name: str,
                   exclude_id: str | None = None) -> bool:
        """True when ``full_name`` is used by any object of ``types``, active or not."""
        found = self.find_list(types, full_name=full_name)
        return found is not None and found.list_id != exclude_id

    def rename(self, record: ListRecord, name: str, parent: ListRecord | None) -> None:
        record.name = name
        record.parent_id = parent.list_id if parent else None
        record.sublevel = parent.sublevel + 1 if parent else 0
        record.full_name = f"{parent.full_name}:{name}" if parent else name
        for child in self.lists.values():
            if child.parent_id == record.list_id:
                self.rename(child, child.name, record)

    def children_of(self, record: ListRecord) -> list[ListRecord]:
        return [rec for rec in self.lists.values() if rec.parent_id == record.list_id]

    def total_balance(self, record: ListRecord) -> Decimal:
        return record.balance + sum(
            (self.total_balance(child) for child in self.children_of(record)), ZERO
        )

    # -- transactions --------------------------------------------------------------------

    def add_txn(self, txn_type: str, txn_date: date) -> TxnRecord:
        now = self.now()
        record = TxnRecord(
            txn_type=txn_type, txn_id=self.new_txn_id(), txn_number=self.next_txn_number(),
            edit_sequence=self.next_edit_sequence(), time_created=now, time_modified=now,
            txn_date=txn_date,
        )
        self.txns[record.txn_id] = record
        return record

    def txns_of(self, txn_type: str) -> list[TxnRecord]:
        return [rec for rec in self.txns.values() if rec.txn_type == txn_type]

    def apply_customer_effect(self, txn: TxnRecord, customer_id: str, delta: Decimal) -> None:
        """Change a customer's balance on behalf of ``txn`` (remembered for void/delete)."""
        customer = self.lists[customer_id]
        customer.balance += delta
        txn.customer_effects[customer_id] = txn.customer_effects.get(customer_id, ZERO) + delta

    def reverse_customer_effects(self, txn: TxnRecord) -> None:
        for customer_id, delta in txn.customer_effects.items():
            customer = self.lists.get(customer_id)
            if customer is not None:
                customer.balance -= delta
        txn.customer_effects.clear()
