"""JournalEntry: balanced debit/credit lines; A/R lines need a customer."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults
from .rules import (
    Errors,
    check_len,
    money,
    named_ref,
    parse_date,
    q2,
    ref_value,
    resolve_account,
    resolve_ref,
)

if TYPE_CHECKING:
    from .company import Company

__all__ = ["journal_effects", "prepare_journal_entry"]

Obj = dict[str, Any]
ZERO = Decimal("0")
USD = {"value": "USD", "name": "United States Dollar"}
_PATH = "Line.JournalEntryLineDetail"


def prepare_journal_entry(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = dict(body)
    raw = obj.get("Line")
    if raw is None:
        raise faults.required_missing("Line")
    if not isinstance(raw, list) or not raw:
        raise faults.business_validation("You must fill out at least one split line.", "Line")
    errors = Errors()
    lines: list[Obj] = []
    debits = credits = ZERO
    for index, line in enumerate(raw):
        if not isinstance(line, dict):
            raise faults.invalid_property("Line")
        detail = line.get("JournalEntryLineDetail")
        if not isinstance(detail, dict):
            errors.add(faults.required_missing_error(_PATH))
            continue
        detail = dict(detail)
        amount = q2(money(line.get("Amount", 0), "Line.Amount"))
        account_id = ref_value(detail, "AccountRef")
        account = None
        if account_id is None:
            errors.add(faults.required_missing_error(f"{_PATH}.AccountRef"))
        else:
            account = resolve_account(co, account_id, f"{_PATH}.AccountRef", errors)
        posting = detail.get("PostingType")
        if posting not in ("Debit", "Credit"):
            errors.add(faults.required_missing_error(f"{_PATH}.PostingType"))
        elif posting == "Debit":
            debits += amount
        else:
            credits += amount
        if account is not None:
            detail["AccountRef"] = named_ref(account)
            entity = detail.get("Entity")
            customer_id = (ref_value(entity, "EntityRef")
                           if isinstance(entity, dict) and entity.get("Type") == "Customer"
                           else None)
            if account.get("AccountType") == "Accounts Receivable" and customer_id is None:
                raise faults.business_validation(
                    "When you use Accounts Receivable, you must choose a customer in the "
                    "Name field.", f"{_PATH}.Entity")
            if customer_id is not None:
                customer = resolve_ref(co, "Customer", customer_id,
                                       f"{_PATH}.Entity.EntityRef", errors)
                if customer is not None:
                    detail["Entity"] = {"Type": "Customer",
                                        "EntityRef": named_ref(customer, "DisplayName")}
        new_line = dict(line, Id=str(index), Amount=amount, DetailType="JournalEntryLineDetail",
                        JournalEntryLineDetail=detail)
        new_line.pop("LineNum", None)
        lines.append(new_line)
    errors.raise_if_any()
    if debits != credits:
        raise faults.unbalanced_journal()
    check_len(obj, "DocNumber", 21)
    check_len(obj, "PrivateNote", 4000)
    txn_date = parse_date(obj["TxnDate"], "TxnDate") if obj.get("TxnDate") else co.today()
    obj["TxnDate"] = txn_date.isoformat()
    obj["Line"] = lines
    obj["TotalAmt"] = debits
    obj.setdefault("Adjustment", False)
    obj.setdefault("CurrencyRef", dict(USD))
    obj.setdefault("TxnTaxDetail", {})
    return obj


def journal_effects(co: Company, obj: Obj) -> list[tuple[str, Decimal]]:
    effects: list[tuple[str, Decimal]] = []
    for line in obj.get("Line", []):
        detail = line["JournalEntryLineDetail"]
        account = co.store.get("Account", detail["AccountRef"]["value"])
        entity = detail.get("Entity")
        if (account is None or account.get("AccountType") != "Accounts Receivable"
                or not isinstance(entity, dict)):
            continue
        sign = 1 if detail["PostingType"] == "Debit" else -1
        effects.append((entity["EntityRef"]["value"], sign * Decimal(line["Amount"])))
    return effects
