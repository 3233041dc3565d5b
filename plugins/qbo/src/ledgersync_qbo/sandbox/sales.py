"""Sales forms sharing the invoice line model: Invoice, CreditMemo, RefundReceipt."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults
from .rules import (
    Errors,
    check_len,
    money,
    named_ref,
    parse_date,
    plain,
    q2,
    ref_value,
    resolve_account,
    resolve_ref,
)

if TYPE_CHECKING:
    from .company import Company

__all__ = ["prepare_sales_form", "void_invoice"]

Obj = dict[str, Any]
ZERO = Decimal("0")
USD = {"value": "USD", "name": "United States Dollar"}
_LINE_TYPES = {"SalesItemLineDetail", "DescriptionOnly", "DiscountLineDetail",
               "SubTotalLineDetail", "GroupLineDetail"}


def _sales_line(co: Company, line: Obj, errors: Errors) -> tuple[Obj, Decimal] | None:
    detail = line.get("SalesItemLineDetail")
    if not isinstance(detail, dict):
        errors.add(faults.required_missing_error("Line.SalesItemLineDetail"))
        return None
    detail = dict(detail)
    if "Amount" not in line:
        errors.add(faults.required_missing_error("Line.Amount"))
        return None
    amount = q2(money(line["Amount"], "Line.Amount"))
    item_id = ref_value(detail, "ItemRef")
    if item_id is None:
        errors.add(faults.required_missing_error("Line.SalesItemLineDetail.ItemRef"))
        return None
    item = resolve_ref(co, "Item", item_id, "Line.SalesItemLineDetail.ItemRef", errors)
    if item is None:
        return None
    detail["ItemRef"] = named_ref(item)
    if "IncomeAccountRef" in item:
        detail["ItemAccountRef"] = dict(item["IncomeAccountRef"])
    qty = money(detail["Qty"], "Line.SalesItemLineDetail.Qty") if "Qty" in detail else None
    price = (money(detail["UnitPrice"], "Line.SalesItemLineDetail.UnitPrice")
             if "UnitPrice" in detail else None)
    if qty is not None and price is not None and q2(qty * price) != amount:
        errors.add(faults.amount_mismatch(line["Amount"]))
        return None
    if qty is not None:
        detail["Qty"] = plain(qty)
    if price is not None:
        detail["UnitPrice"] = plain(price)
    tax_code = ref_value(detail, "TaxCodeRef") or "NON"
    if co.store.get("TaxCode", tax_code) is None:
        errors.add(faults.invalid_reference_error("Line.SalesItemLineDetail.TaxCodeRef",
                                                  "Line.SalesItemLineDetail.TaxCodeRef"))
        return None
    detail["TaxCodeRef"] = {"value": tax_code}
    out = {k: v for k, v in line.items() if k not in ("Id", "LineNum", "LinkedTxn")}
    out["Amount"] = amount
    out["SalesItemLineDetail"] = detail
    return out, amount


def _lines(co: Company, body: Obj) -> tuple[list[Obj], Decimal, Decimal, Decimal]:
    """Normalized lines (with ids and a subtotal line), subtotal, discount, taxable net."""
    raw = body.get("Line")
    if raw is None:
        raise faults.required_missing("Line")
    if not isinstance(raw, list):
        raise faults.invalid_property("Line")
    errors = Errors()
    out: list[Obj] = []
    subtotal = discount = taxable = ZERO
    discount_lines: list[Obj] = []
    for line in raw:
        if not isinstance(line, dict):
            raise faults.invalid_property("Line")
        kind = line.get("DetailType")
        if kind not in _LINE_TYPES:
            errors.add(faults.required_missing_error("Line.DetailType"))
            continue
        if kind == "SubTotalLineDetail":
            continue  # read-only: recomputed below
        if kind == "SalesItemLineDetail":
            result = _sales_line(co, line, errors)
            if result is not None:
                out.append(result[0])
                subtotal += result[1]
                if result[0]["SalesItemLineDetail"]["TaxCodeRef"]["value"] != "NON":
                    taxable += result[1]
        elif kind == "DiscountLineDetail":
            discount_lines.append(dict(line))
        else:
            out.append({k: v for k, v in line.items() if k not in ("Id", "LineNum")})
    errors.raise_if_any()
    if not any(line.get("DetailType") == "SalesItemLineDetail" for line in out):
        raise faults.business_validation("You must fill out at least one split line.",
                                         "Line")
    for line in discount_lines:
        detail = dict(line.get("DiscountLineDetail") or {})
        if detail.get("PercentBased") and "DiscountPercent" in detail:
            pct = money(detail["DiscountPercent"], "Line.DiscountLineDetail.DiscountPercent")
            amount = q2(subtotal * pct / 100)
        else:
            amount = q2(money(line.get("Amount", 0), "Line.Amount"))
        line["Amount"] = amount
        line["DiscountLineDetail"] = detail
        discount += amount
        out.append({k: v for k, v in line.items() if k not in ("Id", "LineNum")})
    for number, line in enumerate(out, start=1):
        line["Id"] = str(number)
        line["LineNum"] = number
    out.append({"Amount": q2(subtotal), "DetailType": "SubTotalLineDetail",
                "SubTotalLineDetail": {}})
    return out, q2(subtotal), discount, taxable


def _tax(co: Company, body: Obj, taxable: Decimal) -> tuple[Obj, Decimal]:
    detail = dict(body.get("TxnTaxDetail") or {})
    code_id = ref_value(detail, "TxnTaxCodeRef")
    if code_id is None:
        return {"TotalTax": ZERO}, ZERO
    code = co.store.get("TaxCode", code_id)
    if code is None:
        raise faults.QBOFault(faults.invalid_reference_error(
            "TxnTaxDetail.TxnTaxCodeRef", "TxnTaxDetail.TxnTaxCodeRef"))
    tax_lines: list[Obj] = []
    total = ZERO
    for rate_detail in code.get("SalesTaxRateList", {}).get("TaxRateDetail", []):
        rate = co.store.get("TaxRate", str(rate_detail["TaxRateRef"]["value"]))
        if rate is None:
            continue
        amount = q2(taxable * Decimal(rate["RateValue"]) / 100)
        total += amount
        tax_lines.append({"Amount": amount, "DetailType": "TaxLineDetail", "TaxLineDetail": {
            "TaxRateRef": {"value": rate["Id"]}, "PercentBased": True,
            "TaxPercent": plain(Decimal(rate["RateValue"])), "NetAmountTaxable": q2(taxable)}})
    result: Obj = {"TxnTaxCodeRef": {"value": code_id}, "TotalTax": q2(total)}
    if tax_lines:
        result["TaxLine"] = tax_lines
    return result, q2(total)


def _doc_number(co: Company, entity: str, obj: Obj, existing: Obj | None) -> None:
    doc = obj.get("DocNumber")
    if doc is None or doc == "":
        if not co.config.custom_txn_numbers and existing is None:
            obj["DocNumber"] = co.next_doc_number(entity)
        else:
            obj.pop("DocNumber", None)
        return
    obj["DocNumber"] = doc = str(doc)
    check_len(obj, "DocNumber", 21)
    if (co.config.warn_duplicate_doc_numbers
            and entity in co.config.duplicate_doc_number_entities):
        owner = co.store.doc_owner(entity, doc)
        if owner is not None and (existing is None or owner != existing["Id"]):
            raise faults.duplicate_doc_number(doc, entity, owner)


def prepare_sales_form(co: Company, entity: str, body: Obj, existing: Obj | None) -> Obj:
    obj = dict(body)
    customer: Obj | None = None
    customer_id = ref_value(obj, "CustomerRef")
    if customer_id is None and entity != "RefundReceipt":
        raise faults.required_missing("CustomerRef")
    if customer_id is not None:
        customer = resolve_ref(co, "Customer", customer_id, "CustomerRef")
        assert customer is not None
        obj["CustomerRef"] = named_ref(customer, "DisplayName")
    lines, subtotal, discount, taxable = _lines(co, obj)
    obj["Line"] = lines
    obj["TxnTaxDetail"], tax = _tax(co, obj, taxable)
    total = q2(subtotal - discount + tax)
    check_len(obj, "PrivateNote", 4000)
    _doc_number(co, entity, obj, existing)
    txn_date = parse_date(obj["TxnDate"], "TxnDate") if obj.get("TxnDate") else co.today()
    obj["TxnDate"] = txn_date.isoformat()
    obj.setdefault("CurrencyRef", dict(USD))
    obj["TotalAmt"] = total
    obj.setdefault("ApplyTaxAfterDiscount", False)
    obj.setdefault("PrintStatus", "NotSet")
    obj.setdefault("CustomField", [])
    if customer is not None and "BillAddr" not in obj and "BillAddr" in customer:
        obj["BillAddr"] = dict(customer["BillAddr"])
    if "BillAddr" in obj:
        obj.setdefault("FreeFormAddress", True)
    if entity == "Invoice":
        _invoice_fields(co, obj, existing, customer)
    elif entity == "CreditMemo":
        obj.setdefault("EmailStatus", "NotSet")
        remaining = total - (co.ledger.applied(("CreditMemo", existing["Id"]))
                             if existing else ZERO)
        obj["RemainingCredit"] = q2(remaining)
        obj["Balance"] = q2(remaining)
    else:
        _refund_fields(co, obj)
    return obj


def _invoice_fields(co: Company, obj: Obj, existing: Obj | None, customer: Obj | None) -> None:
    for flag in ("AllowIPNPayment", "AllowOnlinePayment", "AllowOnlineCreditCardPayment",
                 "AllowOnlineACHPayment"):
        obj.setdefault(flag, False)
    obj.setdefault("EmailStatus", "NotSet")
    term_id = ref_value(obj, "SalesTermRef") or ref_value(customer, "SalesTermRef")
    due_days = co.config.default_due_days
    if term_id is not None:
        term = resolve_ref(co, "Term", term_id, "SalesTermRef")
        assert term is not None
        obj["SalesTermRef"] = named_ref(term)
        due_days = int(term.get("DueDays", due_days))
    if obj.get("DueDate"):
        obj["DueDate"] = parse_date(obj["DueDate"], "DueDate").isoformat()
    else:
        obj["DueDate"] = (parse_date(obj["TxnDate"], "TxnDate")
                          + timedelta(days=due_days)).isoformat()
    applied = co.ledger.applied(("Invoice", existing["Id"])) if existing else ZERO
    # system-managed payment links survive updates; client-sent ones are ignored
    links = [lt for lt in obj.get("LinkedTxn", []) or []
             if isinstance(lt, dict) and lt.get("TxnType") not in ("Payment",)]
    if existing is not None:
        links += [{"TxnId": pid, "TxnType": "Payment"}
                  for pid in co.ledger.payments_for(("Invoice", existing["Id"]))]
    obj["LinkedTxn"] = links
    obj["Balance"] = q2(obj["TotalAmt"] - applied)


def _refund_fields(co: Company, obj: Obj) -> None:
    account_id = ref_value(obj, "DepositToAccountRef")
    if account_id is None:
        raise faults.required_missing("DepositToAccountRef")
    account = resolve_account(co, account_id, "DepositToAccountRef")
    assert account is not None
    if account.get("AccountType") not in ("Bank", "Other Current Asset"):
        raise faults.invalid_account_type(
            "DepositToAccountRef must be a Bank or Other Current Asset account.",
            "DepositToAccountRef")
    obj["DepositToAccountRef"] = named_ref(account)
    check_len(obj, "PaymentRefNum", 100)
    method_id = ref_value(obj, "PaymentMethodRef")
    if method_id is not None:
        method = resolve_ref(co, "PaymentMethod", method_id, "PaymentMethodRef")
        assert method is not None
        obj["PaymentMethodRef"] = named_ref(method)
    obj["Balance"] = ZERO


def void_invoice(obj: Obj) -> Obj:
    """All amounts and quantities zeroed, "Voided" prepended to PrivateNote (IR invoice.md)."""
    out = dict(obj)
    lines = []
    for line in obj.get("Line", []):
        if line.get("DetailType") == "SubTotalLineDetail":
            continue
        line = dict(line, Amount=ZERO)
        if isinstance(line.get("SalesItemLineDetail"), dict):
            detail = dict(line["SalesItemLineDetail"], Qty=ZERO)
            detail.pop("UnitPrice", None)
            line["SalesItemLineDetail"] = detail
        lines.append(line)
    out["Line"] = lines
    out["TotalAmt"] = ZERO
    out["Balance"] = ZERO
    out["TxnTaxDetail"] = {"TotalTax": ZERO}
    note = obj.get("PrivateNote")
    out["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    return out
