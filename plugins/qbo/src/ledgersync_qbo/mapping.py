"""MMS records to QBO request bodies (shapes as in plugins/qbo/tests/data/payloads/).

Every transaction carries ``PrivateNote`` = ``mms:<kind>:<MMS id>``: QBO cannot query it, but a
lookup that narrowed the candidates down by date, customer or DocNumber recognises our record by
it for certain. Anything that cannot be expressed in QBO is refused before sending (a
:class:`MappingError` naming the record and the field) or reported as a warning, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ledgersync import (
    ConnectorError,
    CreditMemo,
    ExportRequest,
    Invoice,
    InvoiceLine,
    Item,
    JournalEntry,
    Member,
    Payment,
    Record,
    Refund,
)

from .settings import QboSettings

Obj = dict[str, Any]

#: Record kind -> QBO entity of its main write (refunds depend on ``refund_style``).
ENTITIES = {"member": "Customer", "item": "Item", "invoice": "Invoice",
            "credit_memo": "CreditMemo", "payment": "Payment", "journal_entry": "JournalEntry"}
MAX_NOTE = 4000
MAX_MEMO = 1000
MAX_DESCRIPTION = 4000
_NAME_FORBIDDEN = str.maketrans({":": "-", "\t": " ", "\n": " ", "\r": " "})


class MappingError(ConnectorError):
    """The record cannot be expressed in QBO as configured: nothing was sent."""

    def __init__(self, message: str, *, remedy: str) -> None:
        super().__init__(message, code="mapping", remedy=remedy, sent=False)


@attrs.define
class Body:
    """A request body and the warnings its mapping produced."""

    entity: str
    data: Obj
    warnings: list[str] = attrs.field(factory=list)


def entity_of(kind: str, settings: QboSettings) -> str:
    if kind == "refund":
        return "JournalEntry" if settings.refund_style == "journal_entry" else "RefundReceipt"
    return ENTITIES[kind]


def marker(kind: str, mms_id: str) -> str:
    return f"mms:{kind}:{mms_id}"


def has_marker(obj: Obj, kind: str, mms_id: str) -> bool:
    note = obj.get("PrivateNote")
    mark = marker(kind, mms_id)
    # "Voided - mms:..." after a void; "mms:... memo" with a memo.
    return isinstance(note, str) and (note == mark or note.startswith(mark + " ")
                                      or f" {mark} " in f" {note} ")


def _note(kind: str, mms_id: str, memo: str | None, warnings: list[str]) -> str:
    text = marker(kind, mms_id) + (f" {memo}" if memo else "")
    if len(text) > MAX_NOTE:
        warnings.append(f"the memo was cut to QuickBooks' {MAX_NOTE} characters")
        text = text[:MAX_NOTE]
    return text


def _ref(request: ExportRequest, kind: str, mms_id: str) -> dict[str, str]:
    return {"value": request.ref(kind, mms_id)}


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _non_home(record: Any, settings: QboSettings, body: Obj) -> None:
    if record.currency != settings.home_currency:
        body["CurrencyRef"] = {"value": record.currency}


# -- customers and items -----------------------------------------------------------------------


def display_name(member: Member, warnings: list[str] | None = None) -> str:
    """QBO refuses ``:``, tabs and newlines in names."""
    name = " ".join(member.display_name.translate(_NAME_FORBIDDEN).split())
    if warnings is not None and name != member.display_name:
        warnings.append(f"display name sent as {name!r} (QuickBooks refuses ':' and line breaks)")
    return name


def customer(member: Member, settings: QboSettings) -> Body:
    warnings: list[str] = []
    data: Obj = {"DisplayName": display_name(member, warnings)}
    for key, value in (("GivenName", member.first_name), ("FamilyName", member.last_name),
                       ("CompanyName", member.company_name)):
        if value:
            data[key] = value
    if member.email:
        data["PrimaryEmailAddr"] = {"Address": member.email}
    if member.phone:
        data["PrimaryPhone"] = {"FreeFormNumber": member.phone}
    if member.account_number and settings.account_number_field:
        data[settings.account_number_field] = member.account_number
    address = member.billing_address
    if address is not None:
        parts = {"Line1": address.line1, "Line2": address.line2, "City": address.city,
                 "CountrySubDivisionCode": address.region, "PostalCode": address.postal_code,
                 "Country": address.country}
        data["BillAddr"] = {k: v for k, v in parts.items() if v}
    data["Active"] = member.active  # explicit, so an update can reactivate
    return Body("Customer", data, warnings)


def item(request: ExportRequest) -> Body:
    record = request.record
    assert isinstance(record, Item)
    data: Obj = {"Name": record.name, "Type": "Service", "Taxable": record.taxable}
    if record.description:
        data["Description"] = record.description
    if record.unit_price is not None:
        data["UnitPrice"] = record.unit_price
    if record.income_account_id is None:
        raise MappingError(
            f"item {record.mms_id!r} has no income account; QuickBooks items need one",
            remedy="Give the item an income account in the MMS, or map the item to an "
                   "existing QuickBooks item with `ledgersync map item`")
    data["IncomeAccountRef"] = _ref(request, "gl_account", record.income_account_id)
    if not record.active:
        data["Active"] = False
    return Body("Item", data)


# -- sales forms: invoices, credit memos, refund receipts ------------------------------------------


def _line(request: ExportRequest, index: int, line: InvoiceLine, settings: QboSettings,
          warnings: list[str]) -> Obj:
    if line.item_id is None:
        raise MappingError(
            f"{request.describe()}: lines[{index}] has a GL account but no item; QuickBooks "
            "invoice lines need an item",
            remedy="Give the line an item in the MMS (or map an item for it), then requeue")
    code = settings.taxable_code if line.tax_rate_id else settings.non_taxable_code
    out: Obj = {"DetailType": "SalesItemLineDetail", "Amount": _money(line.amount),
                "SalesItemLineDetail": {"ItemRef": _ref(request, "item", line.item_id),
                                        "Qty": line.quantity, "UnitPrice": line.rate,
                                        "TaxCodeRef": {"value": code}}}
    if line.description:
        description = line.description
        if len(description) > MAX_DESCRIPTION:
            warnings.append(f"lines[{index}].description was cut to {MAX_DESCRIPTION} characters")
            description = description[:MAX_DESCRIPTION]
        out["Description"] = description
    return out


def _tax_code(request: ExportRequest, lines: Iterable[InvoiceLine]) -> str | None:
    """The one tax code of the document: a US company applies one rate per transaction."""
    rates = sorted({line.tax_rate_id for line in lines if line.tax_rate_id})
    if len(rates) > 1:
        raise MappingError(
            f"{request.describe()} uses tax rates {', '.join(rates)}; QuickBooks Online (US) "
            "applies one sales tax code per transaction",
            remedy="Split the document in the MMS so each carries one tax rate, or map the "
                   "rates to one QuickBooks tax code (a combined rate), then requeue")
    return request.ref("tax_rate", rates[0]) if rates else None


def _sales_form(request: ExportRequest, record: Invoice | CreditMemo, entity: str,
                settings: QboSettings) -> Body:
    warnings: list[str] = []
    data: Obj = {
        "DocNumber": record.number, "TxnDate": record.txn_date.isoformat(),
        "CustomerRef": _ref(request, "member", record.member_id),
        "PrivateNote": _note(record.kind, record.mms_id, None, warnings),
        "Line": [_line(request, i, line, settings, warnings)
                 for i, line in enumerate(record.lines)],
    }
    code = _tax_code(request, record.lines)
    # Always sent, so that an update that drops the tax also clears the code.
    data["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": code}} if code else {}
    if record.memo:
        memo = record.memo
        if len(memo) > MAX_MEMO:
            warnings.append(f"memo was cut to QuickBooks' {MAX_MEMO} characters")
            memo = memo[:MAX_MEMO]
        data["CustomerMemo"] = {"value": memo}
    _non_home(record, settings, data)
    return Body(entity, data, warnings)


def invoice(request: ExportRequest, settings: QboSettings) -> Body:
    record = request.record
    assert isinstance(record, Invoice)
    body = _sales_form(request, record, "Invoice", settings)
    if record.due_date is not None:
        body.data["DueDate"] = record.due_date.isoformat()
    if record.terms_id is not None:
        body.data["SalesTermRef"] = _ref(request, "terms", record.terms_id)
    return body


def credit_memo(request: ExportRequest, settings: QboSettings) -> Body:
    record = request.record
    assert isinstance(record, CreditMemo)
    return _sales_form(request, record, "CreditMemo", settings)


def credit_application(request: ExportRequest, memo_id: str, invoice_id: str,
                       amount: Decimal) -> Obj:
    """A zero-total Payment linking an invoice and a credit memo: QBO's way to apply a credit
    (payload payment_apply_creditmemo_request.json; unconfirmed in Intuit's samples)."""
    record = request.record
    assert isinstance(record, CreditMemo)
    return {"CustomerRef": _ref(request, "member", record.member_id), "TotalAmt": Decimal("0"),
            "TxnDate": record.txn_date.isoformat(),
            "PrivateNote": marker("credit-application", record.mms_id),
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]},
                     {"Amount": amount, "LinkedTxn": [{"TxnId": memo_id,
                                                       "TxnType": "CreditMemo"}]}]}


# -- payments, journal entries, refunds -----------------------------------------------------------


def payment(request: ExportRequest, settings: QboSettings) -> Body:
    record = request.record
    assert isinstance(record, Payment)
    warnings: list[str] = []
    data: Obj = {
        "CustomerRef": _ref(request, "member", record.member_id),
        "TotalAmt": _money(record.amount), "TxnDate": record.txn_date.isoformat(),
        "PrivateNote": _note(record.kind, record.mms_id, None, warnings),
        "Line": [{"Amount": _money(a.amount),
                  "LinkedTxn": [{"TxnId": request.ref("invoice", a.invoice_id),
                                 "TxnType": "Invoice"}]} for a in record.applications],
    }
    if record.number:
        data["PaymentRefNum"] = record.number
    if record.deposit_account_id:
        data["DepositToAccountRef"] = _ref(request, "gl_account", record.deposit_account_id)
    _payment_method(record.method, settings, data, warnings)
    _non_home(record, settings, data)
    return Body("Payment", data, warnings)


def _payment_method(method: str | None, settings: QboSettings, data: Obj,
                    warnings: list[str]) -> None:
    if not method:
        return
    method_id = settings.payment_methods.get(method)
    if method_id is None:
        warnings.append(f"payment method {method!r} is not in the company's payment_methods "
                        "setting; sent without a payment method")
        return
    data["PaymentMethodRef"] = {"value": method_id}


def _dimension_refs(request: ExportRequest, dims: Iterable[tuple[str, str]],
                    settings: QboSettings, warnings: list[str]) -> Obj:
    refs: Obj = {}
    for name, value in dims:
        table, key = ((settings.classes, "ClassRef") if name.lower() == "class" else
                      (settings.departments, "DepartmentRef")
                      if name.lower() in ("department", "location") else (None, None))
        if table is None or key is None or value not in table:
            warnings.append(f"dimension {name}={value!r} has no QuickBooks class or "
                            "department in the settings and was not sent")
            continue
        refs[key] = {"value": table[value]}
    return refs


def journal_entry(request: ExportRequest, settings: QboSettings) -> Body:
    record = request.record
    assert isinstance(record, JournalEntry)
    warnings: list[str] = []
    lines: list[Obj] = []
    for line in record.lines:
        detail: Obj = {"PostingType": "Debit" if line.debit else "Credit",
                       "AccountRef": _ref(request, "gl_account", line.account_id)}
        if line.member_id:
            detail["Entity"] = {"Type": "Customer",
                                "EntityRef": _ref(request, "member", line.member_id)}
        detail.update(_dimension_refs(request, line.dimensions, settings, warnings))
        out: Obj = {"DetailType": "JournalEntryLineDetail",
                    "Amount": _money(line.debit or line.credit),
                    "JournalEntryLineDetail": detail}
        if line.description:
            out["Description"] = line.description[:MAX_DESCRIPTION]
        lines.append(out)
    data: Obj = {"TxnDate": record.txn_date.isoformat(), "Line": lines,
                 "PrivateNote": _note(record.kind, record.mms_id, record.memo, warnings)}
    if record.number:
        data["DocNumber"] = record.number
    _non_home(record, settings, data)
    return Body("JournalEntry", data, warnings)


def refund(request: ExportRequest, settings: QboSettings, ar_account_id: str | None) -> Body:
    """A refund pays a member's credit back: A/R up, the bank down (as the MMS counts it).

    ``journal_entry`` style books exactly that; ``refund_receipt`` style books QBO's refund
    document, which reverses a sale and leaves A/R alone (see docs in the package README).
    """
    record = request.record
    assert isinstance(record, Refund)
    warnings: list[str] = []
    note = _note(record.kind, record.mms_id, record.memo, warnings)
    bank = _ref(request, "gl_account", record.from_account_id)
    amount = _money(record.amount)
    if settings.refund_style == "refund_receipt":
        data: Obj = {"TxnDate": record.txn_date.isoformat(), "PrivateNote": note,
                     "CustomerRef": _ref(request, "member", record.member_id),
                     "DepositToAccountRef": bank,
                     "Line": [{"DetailType": "SalesItemLineDetail", "Amount": amount,
                               "Description": record.memo or "Refund",
                               "SalesItemLineDetail": {
                                   "ItemRef": {"value": settings.refund_item_id}, "Qty": 1,
                                   "UnitPrice": amount,
                                   "TaxCodeRef": {"value": settings.non_taxable_code}}}]}
        if record.number:
            data["DocNumber"] = data["PaymentRefNum"] = record.number
        _payment_method(record.method, settings, data, warnings)
        _non_home(record, settings, data)
        return Body("RefundReceipt", data, warnings)
    assert ar_account_id is not None
    customer_ref = {"Type": "Customer",
                    "EntityRef": _ref(request, "member", record.member_id)}
    description = record.memo or f"Refund {record.number or record.mms_id}"
    data = {"TxnDate": record.txn_date.isoformat(), "PrivateNote": note, "Line": [
        {"DetailType": "JournalEntryLineDetail", "Amount": amount, "Description": description,
         "JournalEntryLineDetail": {"PostingType": "Debit",
                                    "AccountRef": {"value": ar_account_id},
                                    "Entity": customer_ref}},
        {"DetailType": "JournalEntryLineDetail", "Amount": amount, "Description": description,
         "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": bank}},
    ]}
    if record.number:
        data["DocNumber"] = record.number
    _non_home(record, settings, data)
    return Body("JournalEntry", data, warnings)


def body_for(request: ExportRequest, settings: QboSettings,
             ar_account_id: str | None = None) -> Body:
    """The create body of any supported record."""
    record: Record = request.record
    if isinstance(record, Member):
        return customer(record, settings)
    builders = {"item": lambda: item(request), "invoice": lambda: invoice(request, settings),
                "credit_memo": lambda: credit_memo(request, settings),
                "payment": lambda: payment(request, settings),
                "journal_entry": lambda: journal_entry(request, settings),
                "refund": lambda: refund(request, settings, ar_account_id)}
    return builders[record.kind]()


def expected_total(record: Record) -> Decimal | None:
    """What QBO's TotalAmt should be for this record (None where QBO has no total)."""
    total = getattr(record, "total", None)
    if total is None or record.kind in ("member", "item"):
        return None
    return _money(Decimal(total()))


def tax_difference(record: Record, obj: Mapping[str, Any]) -> str | None:
    """"tax computed differently (MMS 6.25 %, QuickBooks 8 %)" when QuickBooks' sales tax on a
    sales form is not the MMS's: QuickBooks computes tax from the tax code it was given, so the
    fix is the tax mapping, not a resync. None when the taxes agree or there is none."""
    lines = getattr(record, "lines", None)
    detail = obj.get("TxnTaxDetail")
    if not lines or not isinstance(detail, Mapping) or detail.get("TotalTax") is None:
        return None
    taxed = [line for line in lines if getattr(line, "tax_amount", Decimal(0))]
    mms_tax = sum((Decimal(line.tax_amount) for line in taxed), Decimal(0))
    remote_tax = Decimal(str(detail["TotalTax"]))
    if mms_tax == remote_tax:
        return None
    base = sum((Decimal(line.amount) for line in taxed), Decimal(0))
    mms_rate = f"{_percent(mms_tax * 100 / base)} %" if base else "no tax"
    rates = [Decimal(str(tax_line["TaxLineDetail"]["TaxPercent"]))
             for tax_line in detail.get("TaxLine") or []
             if isinstance(tax_line.get("TaxLineDetail"), Mapping)
             and tax_line["TaxLineDetail"].get("TaxPercent") is not None]
    remote_rate = (f"{_percent(sum(rates, Decimal(0)))} %" if rates
                   else "no tax" if not remote_tax else f"tax {remote_tax:.2f}")
    return f"tax computed differently (MMS {mms_rate}, QuickBooks {remote_rate})"


TAX_REMEDY = ("map the MMS tax rate to the QuickBooks tax code with that rate "
              "(`ledgersync qbo taxcodes COMPANY` lists them; `ledgersync map tax COMPANY "
              "RATE_ID CODE_ID`), then `ledgersync resync` the documents concerned")


def _percent(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.001')):f}".rstrip("0").rstrip(".")
    return text or "0"
