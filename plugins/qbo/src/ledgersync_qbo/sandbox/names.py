"""Name-list entities: Customer, Vendor, Employee, Item, Account, Term, PaymentMethod, Class,
Department."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults
from .rules import check_len, named_ref, ref_value, resolve_account, resolve_ref

if TYPE_CHECKING:
    from .company import Company

__all__ = ["NAME_HANDLERS"]

Obj = dict[str, Any]
USD = {"value": "USD", "name": "United States Dollar"}

_CLASSIFICATION = {
    "Bank": "Asset", "Other Current Asset": "Asset", "Fixed Asset": "Asset",
    "Other Asset": "Asset", "Accounts Receivable": "Asset", "Equity": "Equity",
    "Expense": "Expense", "Other Expense": "Expense", "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability", "Credit Card": "Liability",
    "Long Term Liability": "Liability", "Other Current Liability": "Liability",
    "Income": "Revenue", "Other Income": "Revenue",
}


def _person(co: Company, entity: str, body: Obj, existing: Obj | None) -> Obj:
    obj = dict(body)
    display = obj.get("DisplayName")
    if existing is not None and (display is None or display == ""):
        display = existing["DisplayName"]  # DisplayName cannot be removed
    if not display:
        parts = [obj.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName",
                                      "Suffix")]
        display = " ".join(str(p) for p in parts if p)
    if not display:
        raise faults.required_missing("DisplayName")
    obj["DisplayName"] = display
    check_len(obj, "DisplayName", 500)
    for name_part in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix",
                      "CompanyName"):
        check_len(obj, name_part, 100 if name_part != "Title" else 16)
    check_len(obj, "Notes", 2000)
    co.store.check_name(entity, display, existing["Id"] if existing else None)
    obj.setdefault("PrintOnCheckName", display)
    obj["FullyQualifiedName"] = display
    obj["Active"] = obj.get("Active") is not False
    return obj


def prepare_customer(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = _person(co, "Customer", body, existing)
    term_id = ref_value(obj, "SalesTermRef")
    if term_id is not None:
        term = resolve_ref(co, "Term", term_id, "SalesTermRef")
        assert term is not None
        obj["SalesTermRef"] = named_ref(term)
    obj.setdefault("Taxable", False)
    obj.setdefault("Job", False)
    obj.setdefault("BillWithParent", False)
    obj.setdefault("CurrencyRef", dict(USD))
    balance = co.ledger.balance(existing["Id"]) if existing else Decimal("0.00")
    if existing is not None and not obj["Active"] and balance != 0:
        raise faults.entity_with_balance("Customer")
    obj["Balance"] = balance
    obj["BalanceWithJobs"] = balance
    return obj


def prepare_vendor(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = _person(co, "Vendor", body, existing)
    obj.setdefault("Vendor1099", False)
    obj.setdefault("CurrencyRef", dict(USD))
    obj.setdefault("Balance", Decimal("0"))
    return obj


def prepare_employee(co: Company, body: Obj, existing: Obj | None) -> Obj:
    return _person(co, "Employee", body, existing)


def _named(co: Company, entity: str, body: Obj, existing: Obj | None, max_len: int) -> Obj:
    obj = dict(body)
    name = obj.get("Name")
    if existing is not None and not name:
        name = existing.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise faults.required_missing("Name")
    obj["Name"] = name
    check_len(obj, "Name", max_len)
    co.store.check_name(entity, name, existing["Id"] if existing else None)
    obj["Active"] = obj.get("Active") is not False
    return obj


def prepare_item(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = _named(co, "Item", body, existing, 100)
    obj.setdefault("Type", "Service")
    obj["FullyQualifiedName"] = obj["Name"]
    income = ref_value(obj, "IncomeAccountRef")
    if income is None and obj["Type"] in ("Service", "NonInventory", "Inventory"):
        raise faults.required_missing("IncomeAccountRef")
    if income is not None:
        account = resolve_account(co, income, "IncomeAccountRef")
        assert account is not None
        obj["IncomeAccountRef"] = named_ref(account)
    obj.setdefault("Taxable", False)
    obj.setdefault("TrackQtyOnHand", False)
    return obj


def prepare_account(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = _named(co, "Account", body, existing, 100)
    if any(c in obj["Name"] for c in '":'):
        raise faults.invalid_property("Name")
    account_type = obj.get("AccountType")
    if not account_type and not obj.get("AccountSubType"):
        raise faults.required_missing("AccountType")
    check_len(obj, "AcctNum", 7)
    obj["Classification"] = _CLASSIFICATION.get(str(account_type), "Asset")
    obj["FullyQualifiedName"] = obj["Name"]
    obj.setdefault("SubAccount", False)
    obj.setdefault("CurrencyRef", dict(USD))
    obj.setdefault("CurrentBalance", Decimal("0"))
    obj.setdefault("CurrentBalanceWithSubAccounts", Decimal("0"))
    return obj


def prepare_term(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = _named(co, "Term", body, existing, 31)
    obj.setdefault("Type", "STANDARD")
    obj.setdefault("DiscountPercent", Decimal("0"))
    obj.setdefault("DueDays", 0)
    return obj


def prepare_payment_method(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = _named(co, "PaymentMethod", body, existing, 31)
    obj.setdefault("Type", "NON_CREDIT_CARD")
    return obj


def prepare_class(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = _named(co, "Class", body, existing, 100)
    obj["FullyQualifiedName"] = obj["Name"]
    obj.setdefault("SubClass", False)
    return obj


def prepare_department(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = _named(co, "Department", body, existing, 100)
    obj["FullyQualifiedName"] = obj["Name"]
    obj.setdefault("SubDepartment", False)
    return obj


Prepare = Callable[["Company", Obj, "Obj | None"], Obj]

NAME_HANDLERS: dict[str, Prepare] = {
    "Customer": prepare_customer,
    "Vendor": prepare_vendor,
    "Employee": prepare_employee,
    "Item": prepare_item,
    "Account": prepare_account,
    "Term": prepare_term,
    "PaymentMethod": prepare_payment_method,
    "Class": prepare_class,
    "Department": prepare_department,
}
