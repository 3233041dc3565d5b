"""One QBO company (realm): create/read/update/delete/void with QBO's rules."""

from __future__ import annotations

import copy
import threading
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from . import faults
from .clock import Clock
from .config import SandboxConfig
from .entities import EntitySpec, spec_for_name
from .journal import journal_effects, prepare_journal_entry
from .ledger import Ledger, TxnKey
from .names import NAME_HANDLERS
from .payments import applications, prepare_payment, void_payment
from .rules import parse_date, q2, ref_value
from .sales import prepare_sales_form, void_invoice
from .store import RealmStore

__all__ = ["Company", "Operation"]

Obj = dict[str, Any]
Operation = Literal["create", "update", "delete", "void"]
ZERO = Decimal("0")

# Fields QBO computes or owns; values sent by clients are ignored.
_READ_ONLY = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "time",
                        "FullyQualifiedName", "Balance", "BalanceWithJobs", "UnappliedAmt",
                        "HomeBalance", "HomeTotalAmt", "RemainingCredit", "status"})
_TXN_TOTAL_READ_ONLY = frozenset({"Invoice", "CreditMemo", "RefundReceipt", "JournalEntry"})


def _strip(entity: str, body: Obj) -> Obj:
    out = {k: v for k, v in body.items() if k not in _READ_ONLY}
    if entity in _TXN_TOTAL_READ_ONLY:
        out.pop("TotalAmt", None)
    return out


class Company:
    def __init__(self, realm_id: str, config: SandboxConfig, clock: Clock) -> None:
        self.realm_id = realm_id
        self.config = config
        self.clock = clock
        self.tz = ZoneInfo(config.timezone)
        self.store = RealmStore(realm_id, self.tz, config.first_generated_id, config.user_id)
        self.ledger = Ledger()
        self.lock = threading.RLock()
        self._doc_counters: dict[str, int] = {}
        self.closing_date: date | None = config.closing_date
        self.closed_period_code = config.closed_period_code
        self._seed()

    # ---------------------------------------------------------------- helpers

    def now(self) -> datetime:
        return self.clock.now().astimezone(self.tz)

    def today(self) -> date:
        return self.now().date()

    def next_doc_number(self, entity: str) -> str:
        number = self._doc_counters.get(entity, 1000) + 1
        while self.store.doc_owner(entity, str(number)) is not None:
            number += 1
        self._doc_counters[entity] = number
        return str(number)

    def _seed(self) -> None:
        when = self.clock.now()
        self.store.insert("CompanyInfo", {
            "Id": "1", "CompanyName": f"Sandbox Company {self.realm_id}",
            "LegalName": f"Sandbox Company {self.realm_id}", "Country": "US",
            "SupportedLanguages": "en", "FiscalYearStartMonth": "January",
        }, when, count_write=False)
        for entity, rows in self.config.seed.items():
            for row in rows:
                obj = copy.deepcopy(dict(row))
                if entity == "Customer":
                    obj.setdefault("Balance", Decimal("0.00"))
                    obj.setdefault("BalanceWithJobs", Decimal("0.00"))
                    obj.setdefault("CurrencyRef", {"value": "USD",
                                                   "name": "United States Dollar"})
                spec = spec_for_name(entity)
                if spec and spec.name_field == "DisplayName":
                    obj.setdefault("FullyQualifiedName", obj["DisplayName"])
                    obj.setdefault("PrintOnCheckName", obj["DisplayName"])
                self.store.insert(entity, obj, when, count_write=False)

    def _spec(self, entity: str) -> EntitySpec:
        spec = spec_for_name(entity)
        if spec is None:
            raise faults.unsupported_operation(f"for entity {entity}")
        return spec

    def _check_period(self, *txn_dates: Any) -> None:
        closing = self.closing_date
        if closing is None:
            return
        for value in txn_dates:
            if value is not None and parse_date(value, "TxnDate") <= closing:
                raise faults.period_closed(self.closed_period_code)

    # ------------------------------------------------------------------ reads

    def read(self, entity: str, id_: str) -> Obj:
        spec = self._spec(entity)
        with self.lock:
            return copy.deepcopy(self.store.require(spec.name, str(id_)))

    def customer_balance(self, customer_id: str) -> Decimal:
        return q2(self.ledger.balance(str(customer_id)))

    # ----------------------------------------------------------------- writes

    def write(self, entity: str, body: Any, operation: Operation | None = None,
              include: str | None = None) -> Obj:
        """Perform one write; returns the object to answer with (a deep copy).

        ``include="void"`` with ``operation="update"`` is the void of entities QBO voids by a
        sparse update (Payment); ``operation="void"`` is the void of the others (Invoice).
        Each entity accepts only its own form, as QBO does.
        """
        spec = self._spec(entity)
        if not isinstance(body, dict):
            raise faults.invalid_property(spec.name)
        if operation is None:
            operation = "update" if body.get("Id") not in (None, "") else "create"
        if include is not None:
            if include.lower() != "void" or operation != "update":
                raise faults.unsupported_operation(f"{operation} with include={include}")
            if spec.void_form != "include":
                raise faults.unsupported_operation(f"Void by update for entity {spec.name}")
            if body.get("sparse") is not True:
                raise faults.required_missing("sparse")
            operation = "void"
        elif operation == "void" and spec.void_form == "include":
            # Intuit documents voiding a payment as ?operation=update&include=void.
            raise faults.unsupported_operation(f"Void for entity {spec.name}")
        with self.lock:
            if operation == "create":
                result = self._create(spec, body)
            elif operation == "update":
                result = self._update(spec, body)
            elif operation == "delete":
                result = self._delete(spec, body)
            else:
                result = self._void(spec, body)
            return copy.deepcopy(result)

    def _prepare(self, spec: EntitySpec, body: Obj, existing: Obj | None) -> Obj:
        name = spec.name
        if name in NAME_HANDLERS:
            return NAME_HANDLERS[name](self, body, existing)
        if name in ("Invoice", "CreditMemo", "RefundReceipt"):
            return prepare_sales_form(self, name, body, existing)
        if name == "Payment":
            return prepare_payment(self, body, existing)
        if name == "JournalEntry":
            return prepare_journal_entry(self, body, existing)
        raise faults.unsupported_operation(f"Create for entity {name}")

    def _locate(self, spec: EntitySpec, body: Obj) -> Obj:
        if body.get("Id") in (None, ""):
            raise faults.required_missing("Id")
        if body.get("SyncToken") in (None, ""):
            raise faults.required_missing("SyncToken")
        existing = self.store.require(spec.name, str(body["Id"]))
        if str(body["SyncToken"]) != existing["SyncToken"]:
            raise faults.stale_object()
        return existing

    def _create(self, spec: EntitySpec, body: Obj) -> Obj:
        if not spec.writable:
            raise faults.unsupported_operation("Create")
        new = self._prepare(spec, _strip(spec.name, body), None)
        if spec.kind == "txn":
            self._check_period(new.get("TxnDate"))
        obj = self.store.insert(spec.name, new, self.clock.now())
        self._after_write(spec.name, None, obj)
        return obj

    def _update(self, spec: EntitySpec, body: Obj) -> Obj:
        if not spec.writable:
            raise faults.unsupported_operation("Update")
        existing = self._locate(spec, body)
        if body.get("sparse") is True:
            merged = dict(existing)
            merged.update(body)
        else:
            merged = dict(body)
        new = self._prepare(spec, _strip(spec.name, merged), existing)
        if spec.kind == "txn":
            self._check_period(existing.get("TxnDate"), new.get("TxnDate"))
        new["Id"] = existing["Id"]
        obj = self.store.replace(spec.name, new, self.clock.now())
        self._after_write(spec.name, existing, obj)
        return obj

    def _delete(self, spec: EntitySpec, body: Obj) -> Obj:
        if not spec.deletable:
            raise faults.unsupported_operation("Delete")
        existing = self._locate(spec, body)
        self._check_period(existing.get("TxnDate"))
        self._refuse_if_linked(spec.name, existing, "delete")
        self.store.delete(spec.name, existing["Id"], self.clock.now())
        self._after_write(spec.name, existing, None)
        return {"status": "Deleted", "domain": "QBO", "Id": existing["Id"]}

    def _void(self, spec: EntitySpec, body: Obj) -> Obj:
        if not spec.voidable:
            raise faults.unsupported_operation("Void")
        existing = self._locate(spec, body)
        self._check_period(existing.get("TxnDate"))
        self._refuse_if_linked(spec.name, existing, "void")
        voided = void_invoice(existing) if spec.name == "Invoice" else void_payment(existing)
        obj = self.store.replace(spec.name, voided, self.clock.now())
        self._after_write(spec.name, existing, obj)
        return obj

    def _refuse_if_linked(self, entity: str, existing: Obj, verb: str) -> None:
        if entity in ("Invoice", "CreditMemo") and self.ledger.payments_for(
                (entity, existing["Id"])):
            raise faults.business_validation(
                f"You must unlink any linked transactions associated with this {entity} "
                f"before you {verb} it.")

    # ------------------------------------------------------------ side effects

    def _effects(self, entity: str, obj: Obj) -> list[tuple[str, Decimal]]:
        customer = ref_value(obj, "CustomerRef")
        total = Decimal(obj.get("TotalAmt", ZERO))
        if entity == "Invoice" and customer:
            return [(customer, total)]
        if entity in ("Payment", "CreditMemo") and customer:
            return [(customer, -total)]
        if entity == "JournalEntry":
            return journal_effects(self, obj)
        return []  # RefundReceipt: no A/R effect

    def _after_write(self, entity: str, old: Obj | None, new: Obj | None) -> None:
        spec = spec_for_name(entity)
        if spec is None or spec.kind != "txn":
            return
        obj = new or old
        assert obj is not None
        key: TxnKey = (entity, obj["Id"])
        touched = self.ledger.set_effects(key, self._effects(entity, new) if new else [])
        if entity == "Payment":
            targets = applications(new) if new else {}
            for target in self.ledger.set_applications(obj["Id"], targets):
                self._refresh_target(target)
        if new is None:
            self.ledger.forget(key)
        for customer_id in touched:
            self._refresh_customer(customer_id)

    def _refresh_target(self, target: TxnKey) -> None:
        """A payment was (un)applied: new Balance, LinkedTxn and SyncToken on the target."""
        entity, id_ = target
        current = self.store.get(entity, id_)
        if current is None:
            return
        updated = self.store.touch(entity, id_, self.clock.now())
        balance = q2(Decimal(current["TotalAmt"]) - self.ledger.applied(target))
        updated["Balance"] = balance
        if entity == "CreditMemo":
            updated["RemainingCredit"] = balance
        links = [lt for lt in current.get("LinkedTxn", []) if lt.get("TxnType") != "Payment"]
        links += [{"TxnId": pid, "TxnType": "Payment"} for pid in self.ledger.payments_for(target)]
        updated["LinkedTxn"] = links

    def _refresh_customer(self, customer_id: str) -> None:
        customer = self.store.get("Customer", customer_id)
        if customer is not None:
            balance = q2(self.ledger.balance(customer_id))
            customer["Balance"] = balance
            customer["BalanceWithJobs"] = balance

