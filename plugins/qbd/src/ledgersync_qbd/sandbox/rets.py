"""Rendering of ``*Ret`` aggregates in the qbXML 13.0 ``*Ret`` element order.

Orders follow the ``CustomerRet``, ``AccountRet``, ``Item*Ret``, ``SalesTaxCodeRet``,
``StandardTermsRet``, ``InvoiceRet``, ``CreditMemoRet``, ``ReceivePaymentRet``,
``ARRefundCreditCardRet``, ``JournalEntryRet`` and ``HostRet`` declarations of
``qbxml130.xsd`` (``ItemSalesTaxRet`` and ``PaymentMethodRet`` details are approximations).
References are rendered from the current list state, so a renamed customer shows its new
``FullName`` in every transaction, as QuickBooks does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from .store import Line, ListRecord, Store, TxnRecord
from .xml import Element, copy_element, money, sub

LIST_CORE = ("ListID", "TimeCreated", "TimeModified", "EditSequence")
TXN_CORE = ("TxnID", "TimeCreated", "TimeModified", "EditSequence", "TxnNumber")
_ITEM_HEAD = ("Name", "FullName", "BarCodeValue", "IsActive", "ClassRef", "ParentRef", "Sublevel")
_ITEM_SALE = ("SalesOrPurchase", "SalesAndPurchase")

LIST_RET_ORDER: dict[str, tuple[str, ...]] = {
    "Customer": (
        "Name", "FullName", "IsActive", "ClassRef", "ParentRef", "Sublevel", "CompanyName",
        "Salutation", "FirstName", "MiddleName", "LastName", "JobTitle", "BillAddress",
        "BillAddressBlock", "ShipAddress", "ShipAddressBlock", "PrintAs", "Phone", "Mobile",
        "Pager", "AltPhone", "Fax", "Email", "Cc", "Contact", "AltContact", "CustomerTypeRef",
        "TermsRef", "SalesRepRef", "Balance", "TotalBalance", "SalesTaxCodeRef",
        "ItemSalesTaxRef", "SalesTaxCountry", "ResaleNumber", "AccountNumber", "CreditLimit",
        "PreferredPaymentMethodRef", "CreditCardInfo", "JobStatus", "JobStartDate",
        "JobProjectedEndDate", "JobEndDate", "JobDesc", "JobTypeRef", "Notes",
        "IsStatementWithParent", "DeliveryMethod", "PreferredDeliveryMethod", "PriceLevelRef",
        "ExternalGUID", "TaxRegistrationNumber", "CurrencyRef",
    ),
    "Account": (
        "Name", "FullName", "IsActive", "ParentRef", "Sublevel", "AccountType",
        "DetailAccountType", "SpecialAccountType", "IsTaxAccount", "AccountNumber", "BankNumber",
        "LastCheckNumber", "Desc", "Balance", "TotalBalance", "SalesTaxCodeRef", "CurrencyRef",
    ),
    "ItemService": (*_ITEM_HEAD, "UnitOfMeasureSetRef", "IsTaxIncluded", "SalesTaxCodeRef",
                    *_ITEM_SALE, "ExternalGUID"),
    "ItemNonInventory": (*_ITEM_HEAD, "ManufacturerPartNumber", "UnitOfMeasureSetRef",
                         "IsTaxIncluded", "SalesTaxCodeRef", *_ITEM_SALE, "ExternalGUID"),
    "ItemOtherCharge": (*_ITEM_HEAD, "IsTaxIncluded", "SalesTaxCodeRef", *_ITEM_SALE,
                        "SpecialItemType", "ExternalGUID"),
    "ItemSalesTax": ("Name", "BarCodeValue", "IsActive", "ClassRef", "ItemDesc", "TaxRate",
                     "TaxVendorRef", "ExternalGUID"),
    "SalesTaxCode": ("Name", "IsActive", "IsTaxable", "Desc", "ItemPurchaseTaxRef",
                     "ItemSalesTaxRef"),
    "StandardTerms": ("Name", "IsActive", "StdDueDays", "StdDiscountDays", "DiscountPct"),
    "PaymentMethod": ("Name", "IsActive", "PaymentMethodType"),
}
_HAS_FULL_NAME = {"Customer", "Account", "ItemService", "ItemNonInventory", "ItemOtherCharge"}

_SALES_RET = (
    "CustomerRef", "ClassRef", "ARAccountRef", "TemplateRef", "TxnDate", "RefNumber",
    "BillAddress", "BillAddressBlock", "ShipAddress", "ShipAddressBlock", "IsPending",
    "IsFinanceCharge", "PONumber", "TermsRef", "DueDate", "SalesRepRef", "FOB", "ShipDate",
    "ShipMethodRef", "Subtotal", "ItemSalesTaxRef", "SalesTaxPercentage", "SalesTaxTotal",
)
_SALES_RET_TAIL = (
    "Memo", "IsPaid", "CustomerMsgRef", "IsToBePrinted", "IsToBeEmailed", "IsTaxIncluded",
    "CustomerSalesTaxCodeRef", "Other", "ExternalGUID", "LinkedTxn",
)
TXN_RET_ORDER: dict[str, tuple[str, ...]] = {
    "Invoice": (*_SALES_RET, "AppliedAmount", "BalanceRemaining", "CurrencyRef",
                *_SALES_RET_TAIL),
    "CreditMemo": (*_SALES_RET, "TotalAmount", "CreditRemaining", "CurrencyRef",
                   *_SALES_RET_TAIL),
    "ReceivePayment": (
        "CustomerRef", "ARAccountRef", "TxnDate", "RefNumber", "TotalAmount", "CurrencyRef",
        "PaymentMethodRef", "Memo", "DepositToAccountRef", "UnusedPayment", "UnusedCredits",
        "ExternalGUID", "AppliedToTxnRet",
    ),
    "ARRefundCreditCard": (
        "CustomerRef", "RefundFromAccountRef", "ARAccountRef", "TxnDate", "RefNumber",
        "TotalAmount", "CurrencyRef", "Address", "AddressBlock", "PaymentMethodRef", "Memo",
        "ExternalGUID", "RefundAppliedToTxnRet",
    ),
    "Check": ("AccountRef", "PayeeEntityRef", "RefNumber", "TxnDate", "Amount", "CurrencyRef",
              "Memo", "Address", "AddressBlock", "IsToBePrinted", "IsTaxIncluded",
              "SalesTaxCodeRef", "ExternalGUID"),
    "JournalEntry": ("TxnDate", "RefNumber", "Memo", "IsAdjustment", "IsHomeCurrencyAdjustment",
                     "CurrencyRef", "ExchangeRate", "ExternalGUID"),
}
SALES_LINE_ORDER = (
    "TxnLineID", "ItemRef", "Desc", "Quantity", "UnitOfMeasure", "Rate", "RatePercent",
    "ClassRef", "Amount", "TaxAmount", "ServiceDate", "SalesTaxCodeRef", "IsTaxable", "Other1",
    "Other2",
)
EXPENSE_LINE_ORDER = ("TxnLineID", "AccountRef", "Amount", "TaxAmount", "Memo", "CustomerRef",
                      "ClassRef", "SalesTaxCodeRef", "BillableStatus")
JOURNAL_LINE_ORDER = ("TxnLineID", "AccountRef", "Amount", "TaxAmount", "Memo", "EntityRef",
                      "ClassRef", "ItemSalesTaxRef", "BillableStatus")


def stamp(value: datetime) -> str:
    """qbXML DATETIMETYPE rendering (ISO 8601 with offset, seconds precision)."""
    return value.isoformat(timespec="seconds")


def ref_element(store: Store, tag: str, list_id: str) -> Element:
    element = Element(tag)
    sub(element, "ListID", list_id)
    record = store.lists.get(list_id)
    if record is not None:
        sub(element, "FullName", record.full_name)
    return element


def assemble(tag: str, head: Iterable[tuple[str, str]], order: Iterable[str],
             values: dict[str, list[Element]], include: set[str] | None = None) -> Element:
    """Build ``<tag>`` from ``head`` (name, text) pairs then ``values`` in ``order``."""
    result = Element(tag)
    for name, text in head:
        sub(result, name, text)
    for name in order:
        if include is not None and name not in include:
            continue
        for element in values.get(name, ()):
            result.append(copy_element(element))
    return result


def _text(name: str, value: str) -> list[Element]:
    element = Element(name)
    element.text = value
    return [element]


def _values(store: Store, fields: dict[str, list[Element]], refs: dict[str, str]
            ) -> dict[str, list[Element]]:
    values = {name: list(elements) for name, elements in fields.items()}
    for tag, list_id in refs.items():
        values[tag] = [ref_element(store, tag, list_id)]
    return values


def list_ret(store: Store, record: ListRecord, include: set[str] | None = None) -> Element:
    values = _values(store, record.fields, record.refs)
    values["IsActive"] = _text("IsActive", "true" if record.is_active else "false")
    values["Name"] = _text("Name", record.name)
    if record.list_type in _HAS_FULL_NAME:
        values["FullName"] = _text("FullName", record.full_name)
        values["Sublevel"] = _text("Sublevel", str(record.sublevel))
    if record.parent_id:
        values["ParentRef"] = [ref_element(store, "ParentRef", record.parent_id)]
    if record.list_type in ("Customer", "Account"):
        values["Balance"] = _text("Balance", money(record.balance))
        values["TotalBalance"] = _text("TotalBalance", money(store.total_balance(record)))
    for name, text in record.extra.items():
        values[name] = _text(name, text)
    head = [("ListID", record.list_id), ("TimeCreated", stamp(record.time_created)),
            ("TimeModified", stamp(record.time_modified)), ("EditSequence", record.edit_sequence)]
    return assemble(f"{record.list_type}Ret", head, LIST_RET_ORDER[record.list_type], values,
                    include)


def line_ret(store: Store, line: Line) -> Element:
    values = _values(store, line.fields, line.refs)
    values["Amount"] = _text("Amount", money(line.amount))
    order = (JOURNAL_LINE_ORDER if line.kind.startswith("Journal") else
             EXPENSE_LINE_ORDER if line.kind == "ExpenseLineRet" else SALES_LINE_ORDER)
    return assemble(line.kind, [("TxnLineID", line.line_id)], order[1:], values)


def txn_ret(store: Store, record: TxnRecord, *, include_lines: bool = True,
            include: set[str] | None = None, computed: dict[str, list[Element]] | None = None
            ) -> Element:
    values = _values(store, record.fields, record.refs)
    values["TxnDate"] = _text("TxnDate", record.txn_date.isoformat())
    if record.ref_number is not None:
        values["RefNumber"] = _text("RefNumber", record.ref_number)
    values.update(computed or {})
    head = [("TxnID", record.txn_id), ("TimeCreated", stamp(record.time_created)),
            ("TimeModified", stamp(record.time_modified)), ("EditSequence", record.edit_sequence),
            ("TxnNumber", str(record.txn_number))]
    result = assemble(f"{record.txn_type}Ret", head, TXN_RET_ORDER[record.txn_type], values,
                      include)
    if include_lines:
        for line in record.lines:
            result.append(line_ret(store, line))
    return result


def money_el(name: str, value: Decimal) -> list[Element]:
    return _text(name, money(value))


def text_el(name: str, value: str) -> list[Element]:
    return _text(name, value)
