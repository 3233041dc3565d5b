"""Payment: linked invoices and credit memos, unapplied amount, LineEx, void."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults
from .ledger import TxnKey
from .rules import (
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

__all__ = ["applications", "prepare_payment", "void_payment"]

Obj = dict[str, Any]
ZERO = Decimal("0")
USD = {"value": "USD", "name": "United States Dollar"}
_NS = "{http://schema.intuit.com/finance/v3}NameValue"


def _name_value(name: str, value: str) -> Obj:
    return {"name": _NS, "declaredType": "com.intuit.schema.finance.v3.NameValue",
            "scope": "javax.xml.bind.JAXBElement$GlobalScope",
            "value": {"Name": name, "Value": value}, "nil": False, "globalScope": True,
            "typeSubstituted": False}


def applications(obj: Obj) -> dict[TxnKey, Decimal]:
    """What a stored payment applies: {(TxnType, TxnId): amount}."""
    out: dict[TxnKey, Decimal] = {}
    for line in obj.get("Line", []):
        for link in line.get("LinkedTxn", []):
            key = (str(link["TxnType"]), str(link["TxnId"]))
            out[key] = out.get(key, ZERO) + Decimal(line["Amount"])
    return out


def prepare_payment(co: Company, body: Obj, existing: Obj | None) -> Obj:
    obj = dict(body)
    customer_id = ref_value(obj, "CustomerRef")
    if customer_id is None:
        raise faults.required_missing("CustomerRef")
    if "TotalAmt" not in obj:
        raise faults.required_missing("TotalAmt")
    customer = resolve_ref(co, "Customer", customer_id, "CustomerRef")
    assert customer is not None
    obj["CustomerRef"] = named_ref(customer, "DisplayName")
    total = q2(money(obj["TotalAmt"], "TotalAmt"))
    own_id = existing["Id"] if existing else None
    lines: list[Obj] = []
    invoiced = credited = ZERO
    for line in obj.get("Line") or []:
        if not isinstance(line, dict):
            raise faults.invalid_property("Line")
        amount = q2(money(line.get("Amount", 0), "Line.Amount"))
        links = line.get("LinkedTxn") or []
        out_links: list[Obj] = []
        line_ex: list[Obj] = []
        for link in links:
            txn_type, txn_id = str(link.get("TxnType", "")), str(link.get("TxnId", ""))
            if txn_type not in ("Invoice", "CreditMemo"):
                raise faults.business_validation(
                    f"A payment can only be linked to an Invoice or a CreditMemo, "
                    f"not {txn_type or 'nothing'}.", "Line.LinkedTxn")
            target = co.store.get(txn_type, txn_id)
            if target is None:
                raise faults.QBOFault(faults.invalid_reference_error(
                    "Line.LinkedTxn.TxnId", "Line.LinkedTxn.TxnId"))
            if ref_value(target, "CustomerRef") != customer["Id"]:
                raise faults.business_validation(
                    f"{txn_type} {txn_id} belongs to another customer.", "Line.LinkedTxn")
            open_balance = q2(Decimal(target["TotalAmt"])
                              - co.ledger.applied((txn_type, txn_id), excluding=own_id))
            if amount > open_balance:
                raise faults.business_validation(
                    f"The amount applied to {txn_type} {txn_id} ({amount}) is more than its "
                    f"open balance ({open_balance}).", "Line.Amount")
            if txn_type == "Invoice":
                invoiced += amount
                line_ex += [_name_value("txnId", txn_id),
                            _name_value("txnOpenBalance", str(open_balance)),
                            _name_value("txnReferenceNumber", str(target.get("DocNumber", "")))]
            else:
                credited += amount
            out_links.append({"TxnId": txn_id, "TxnType": txn_type})
        new_line: Obj = {"Amount": amount, "LinkedTxn": out_links}
        if line_ex:
            new_line["LineEx"] = {"any": line_ex}
        lines.append(new_line)
    unapplied = total - (invoiced - credited)
    if unapplied < 0:
        raise faults.business_validation(
            f"The payment total ({total}) is less than the amount applied "
            f"({invoiced - credited}).", "TotalAmt")
    account_id = ref_value(obj, "DepositToAccountRef") or co.config.default_deposit_account_id
    account = resolve_account(co, account_id, "DepositToAccountRef")
    assert account is not None
    obj["DepositToAccountRef"] = named_ref(account)
    method_id = ref_value(obj, "PaymentMethodRef")
    if method_id is not None:
        method = resolve_ref(co, "PaymentMethod", method_id, "PaymentMethodRef")
        assert method is not None
        obj["PaymentMethodRef"] = named_ref(method)
    check_len(obj, "PrivateNote", 4000)
    txn_date = parse_date(obj["TxnDate"], "TxnDate") if obj.get("TxnDate") else co.today()
    obj["TxnDate"] = txn_date.isoformat()
    obj["TotalAmt"] = total
    obj["UnappliedAmt"] = q2(unapplied)
    obj["Line"] = lines
    obj.setdefault("ProcessPayment", False)
    obj.setdefault("CurrencyRef", dict(USD))
    return obj


def void_payment(obj: Obj) -> Obj:
    """Amounts zeroed, links removed, "Voided" in PrivateNote (IR payment.md)."""
    out = dict(obj, TotalAmt=ZERO, UnappliedAmt=ZERO, Line=[])
    note = obj.get("PrivateNote")
    out["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    return out
