"""Stage two: the customer's PC. A company file and a simulated Sync Manager that writes the
intermediary's waiting objects into it when the tests (or the demo) say it runs.

Each run takes the waiting objects in the order they were created (the intermediary's order),
resolves their references (a QB id, or the NG id of an object this or an earlier run wrote),
checks the company file's rules (unique list names, known references) and nets them (state 8,
message 70) or refuses them (state 9, message 50). On command it rejects, conflicts or stalls
a record instead, and it can restore the company file from a backup: what was written since
is gone and the intermediary reports those objects orphaned (state 7, message 210).
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal

import attrs

from ..xmlio import NS, q
from .cloud import WAITING_STATES, CloudObject
from .intermediary import ActivityRow, ActivityRun, Intermediary

_REF_KINDS = {"CustomerId": "Customer", "ItemId": "Item", "TxnId": "Invoice",
              "EntityId": "Customer"}


@attrs.define
class DeskRecord:
    kind: str
    qb_id: str
    name: str | None
    ng_id: str | None = None
    body: object = None
    written: dt.datetime | None = None


@attrs.define
class Desktop:
    cloud: Intermediary
    now: Callable[[], dt.datetime]
    records: dict[str, DeskRecord] = attrs.field(factory=dict)
    #: Account ids of the company's Accounts Receivable accounts (for customer balances).
    receivable_accounts: set[str] = attrs.field(factory=set)
    #: List elements a bookkeeper made inactive: QuickBooks refuses new references to them.
    inactive: set[str] = attrs.field(factory=set)
    _backup: dict[str, DeskRecord] | None = None
    _backup_at: dt.datetime | None = None
    _serial: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1))

    # -- the company file's own lists --------------------------------------------------------

    def add_list(self, kind: str, qb_id: str, name: str, *, receivable: bool = False) -> None:
        """A list element that exists in QuickBooks already (accounts, tax codes, items)."""
        self.records[qb_id] = DeskRecord(kind=kind, qb_id=qb_id, name=name)
        if receivable:
            self.receivable_accounts.add(qb_id)

    def set_active(self, qb_id: str, active: bool) -> DeskRecord:
        """A bookkeeper makes a list element inactive (or active again) in QuickBooks."""
        (self.inactive.discard if active else self.inactive.add)(qb_id)
        return self.records[qb_id]

    def remove(self, qb_id: str) -> None:
        """Someone deleted the record in QuickBooks."""
        self.records.pop(qb_id, None)

    # -- scripting the next run ----------------------------------------------------------------

    def _find(self, reference: str) -> CloudObject:
        for obj in self.cloud.objects.values():
            if reference in (obj.ng_id, obj.reference) and not obj.deleted:
                return obj
        raise KeyError(f"no object with NG id or reference {reference!r} in the cloud copy")

    def reject(self, reference: str, message: str) -> None:
        """The next run refuses this object with QuickBooks' ``message`` (state 9/50)."""
        self._find(reference).fate = ("reject", message)

    def conflict(self, reference: str, message_code: int = 240) -> None:
        """The next run leaves this object in conflict (state 7) with ``message_code``."""
        self._find(reference).fate = ("conflict", message_code)

    def stall(self, reference: str) -> None:
        """The next run starts writing this object and never acknowledges it (state 6)."""
        self._find(reference).fate = ("stall", None)

    def take_backup(self) -> None:
        self._backup = {k: copy.copy(v) for k, v in self.records.items()}
        self._backup_at = self.now()

    def restore_backup(self) -> list[str]:
        """Restore the company file from the last backup; returns the NG ids orphaned."""
        assert self._backup is not None, "take_backup() first"
        lost = [r for k, r in self.records.items() if k not in self._backup]
        self.records = {k: copy.copy(v) for k, v in self._backup.items()}
        return self._orphan(lost)

    def restore_to(self, when: dt.datetime) -> list[str]:
        """Restore a backup taken at ``when``: what was written after it is gone."""
        lost = [r for r in self.records.values() if r.written is not None and r.written > when]
        for record in lost:
            del self.records[record.qb_id]
        return self._orphan(lost)

    def _orphan(self, lost: list[DeskRecord]) -> list[str]:
        now = self.now()
        orphaned = []
        for record in lost:
            obj = self.cloud.objects.get(record.ng_id or "")
            if obj is not None and obj.synchronized:
                obj.set_state(7, 210, now)
                obj.qb_id = None
                orphaned.append(obj.ng_id)
        return orphaned

    # -- Sync Manager ---------------------------------------------------------------------------

    def sync(self) -> ActivityRun:
        """One Sync Manager run: write back every waiting object, in creation order."""
        started = self.now()
        run = ActivityRun(started=started, ended=started)
        waiting = sorted((o for o in self.cloud.objects.values()
                          if o.state in WAITING_STATES and not o.draft and not o.deleted
                          and o.message != 60), key=lambda o: int(o.ng_id))
        for obj in waiting:
            self._write_back(obj, run)
        run.ended = self.now()
        if run.rows:
            self.cloud.activity.append(run)
        return run

    def release_stalled(self) -> None:
        """A stalled write-back finishes at the next run (Sync Manager was restarted)."""
        for obj in self.cloud.objects.values():
            if obj.state == 6:
                obj.set_state(5 if obj.synced_once else 4, 30, self.now())

    def _write_back(self, obj: CloudObject, run: ActivityRun) -> None:
        now = self.now()
        operation = f"{obj.kind}{'Mod' if obj.synced_once and obj.qb_id else 'Add'}"

        def log(code: int, message: str) -> None:
            run.rows.append(ActivityRow(at=now, ng_id=obj.ng_id, request_id=obj.request_id,
                                        kind=obj.kind, operation=operation, code=code,
                                        message=message))

        fate, detail = obj.fate or (None, None)
        obj.fate = None
        if fate == "stall":
            obj.set_state(6, 30, now)
            log(30, "QBXML sent to desktop")
            return
        if fate == "conflict":
            obj.set_state(7, int(detail or 240), now)
            log(int(detail or 240), "conflict")
            return
        problem = str(detail) if fate == "reject" else self._problem(obj)
        if problem is not None:
            obj.set_state(9, 50, now, problem)
            log(50, problem)
            return
        if obj.qb_id is None or obj.qb_id not in self.records:
            obj.qb_id = f"{80000000 + next(self._serial):X}-{int(now.timestamp())}"
        self.records[obj.qb_id] = DeskRecord(kind=obj.kind, qb_id=obj.qb_id,
                                             name=_name(obj), ng_id=obj.ng_id,
                                             body=copy.deepcopy(obj.body), written=now)
        obj.synced_once = True
        obj.last_synced = copy.deepcopy(obj.body)
        obj.set_state(8, 70, now)
        log(40, "success")

    def _problem(self, obj: CloudObject) -> str | None:
        """Why QuickBooks refuses the object, in its words; None when it takes it."""
        name = _name(obj)
        if name is not None:
            for record in self.records.values():
                if record.name == name and record.ng_id != obj.ng_id and (
                        record.kind in ("Customer", "Item")):
                    return f'The name "{name}" of the list element is already in use.'
        for element in obj.body.iter():
            tag = element.tag.removeprefix(f"{{{NS}}}")
            if tag not in _REF_KINDS and tag not in ("IncomeAccountId", "AccountId",
                                                     "DepositToAccountId", "SalesTaxCodeId",
                                                     "SalesRepId"):
                continue
            target = self.resolve(element.get("idDomain"), (element.text or "").strip())
            if target is None:
                return (f'There is an invalid reference to QuickBooks {tag[:-2]} '
                        f'"{(element.text or "").strip()}" in the {obj.kind}.')
            if target.qb_id in self.inactive:
                return (f'There is an invalid reference to QuickBooks {tag[:-2]} '
                        f'"{target.name}" in the {obj.kind}: it is inactive.')
        return None

    def resolve(self, domain: str | None, value: str) -> DeskRecord | None:
        """The company file's record an id refers to (an NG id through its netted object)."""
        if domain == "QB":
            return self.records.get(value)
        obj = self.cloud.objects.get(value)
        if obj is None or obj.qb_id is None:
            return None
        return self.records.get(obj.qb_id)

    # -- reports -------------------------------------------------------------------------------

    def customer_balances(self) -> dict[str, Decimal]:
        """Open receivable per customer id, as QuickBooks' A/R aging would show it."""
        balances: dict[str, Decimal] = {}
        for record in self.records.values():
            body = record.body
            if record.kind not in ("Invoice", "Payment", "CreditMemo", "JournalEntry") or (
                    body is None):
                continue
            for customer, amount in _effects(self, record).items():
                balances[customer] = balances.get(customer, Decimal("0")) + amount
        return balances

    def count(self, kind: str, reference: str) -> int:
        """How many records of ``kind`` with this reference the company file holds."""
        return sum(1 for r in self.records.values()
                   if r.kind == kind and r.ng_id is not None and (
                       self.cloud.objects[r.ng_id].reference == reference))


def _name(obj: CloudObject) -> str | None:
    if obj.kind not in ("Customer", "Item"):
        return None
    found = obj.body.find(q("Name"))
    return found.text.strip() if found is not None and found.text else None


def _effects(desk: Desktop, record: DeskRecord) -> dict[str, Decimal]:
    body = record.body
    assert body is not None
    header = body.find(q("Header"))  # type: ignore[attr-defined]
    lines = body.findall(q("Line"))  # type: ignore[attr-defined]
    if record.kind == "JournalEntry":
        effect: dict[str, Decimal] = {}
        for line in lines:
            account = line.find(q("AccountId"))
            entity = line.find(q("EntityId"))
            if account is None or entity is None:
                continue
            target = desk.resolve(account.get("idDomain"), (account.text or "").strip())
            customer = desk.resolve(entity.get("idDomain"), (entity.text or "").strip())
            if target is None or customer is None or target.qb_id not in (
                    desk.receivable_accounts):
                continue
            amount = Decimal(line.findtext(q("Amount")) or "0")
            sign = 1 if line.findtext(q("PostingType")) == "Debit" else -1
            effect[customer.qb_id] = effect.get(customer.qb_id, Decimal("0")) + sign * amount
        return effect
    customer_id = header.find(q("CustomerId")) if header is not None else None
    if customer_id is None:
        return {}
    customer = desk.resolve(customer_id.get("idDomain"), (customer_id.text or "").strip())
    if customer is None:
        return {}
    if record.kind == "Payment":
        total = Decimal(header.findtext(q("TotalAmt")) or "0")
        return {customer.qb_id: -total}
    total = sum((Decimal(line.findtext(q("Amount")) or "0") for line in lines), Decimal("0"))
    total += Decimal(header.findtext(q("TaxAmount")) or "0")
    return {customer.qb_id: total if record.kind == "Invoice" else -total}
