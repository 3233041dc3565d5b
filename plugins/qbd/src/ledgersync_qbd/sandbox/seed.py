"""Reference data of a fresh simulated company file.

Names match the placeholders used by plugins/qbd/tests/data/qbxml-examples/ ("Accounts Receivable",
"Undeposited Funds", "Membership Dues", "Event Fee", "IL Sales Tax", "Tax"/"Non",
"Net 30", "Check", "Visa"), so every example request can run against a seeded file.
"""

from __future__ import annotations

from .store import ListRecord, Store
from .xml import Element, sub

#: (name, AccountType, SpecialAccountType): QuickBooks creates the special accounts itself and
#: marks them so (AccountRet ``SpecialAccountType``), whatever a person renames them to.
ACCOUNTS = (
    ("Accounts Receivable", "AccountsReceivable", "AccountsReceivable"),
    ("Undeposited Funds", "OtherCurrentAsset", "UndepositedFunds"),
    ("Checking", "Bank", None),
    ("Membership Income", "Income", None),
    ("Event Income", "Income", None),
    ("Sales Tax Payable", "OtherCurrentLiability", "SalesTaxPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
)
SERVICE_ITEMS = (("Membership Dues", "Membership Income", "120.00"),
                 ("Event Fee", "Event Income", "45.00"))
TERMS = (("Net 30", "30"), ("Due on receipt", "0"))
PAYMENT_METHODS = (("Check", "Check"), ("Cash", "Cash"), ("Visa", "Visa"),
                   ("MasterCard", "MasterCard"))


def _leaf(tag: str, text: str) -> list[Element]:
    element = Element(tag)
    element.text = text
    return [element]


def _ref(tag: str, record: ListRecord) -> Element:
    element = Element(tag)
    sub(element, "ListID", record.list_id)
    sub(element, "FullName", record.full_name)
    return element


def seed_company(store: Store) -> None:
    accounts: dict[str, ListRecord] = {}
    for name, account_type, special in ACCOUNTS:
        record = store.add_list("Account", name)
        record.fields["AccountType"] = _leaf("AccountType", account_type)
        if special is not None:
            record.fields["SpecialAccountType"] = _leaf("SpecialAccountType", special)
        accounts[name] = record
    tax = store.add_list("SalesTaxCode", "Tax")
    tax.fields.update(IsTaxable=_leaf("IsTaxable", "true"), Desc=_leaf("Desc", "Taxable Sales"))
    non = store.add_list("SalesTaxCode", "Non")
    non.fields.update(IsTaxable=_leaf("IsTaxable", "false"),
                      Desc=_leaf("Desc", "Non-Taxable Sales"))
    for name, rate in (("IL Sales Tax", "6.25"), ("Out of State", "0.00")):
        item = store.add_list("ItemSalesTax", name)
        item.fields.update(ItemDesc=_leaf("ItemDesc", name), TaxRate=_leaf("TaxRate", rate))
    for name, income, price in SERVICE_ITEMS:
        item = store.add_list("ItemService", name)
        block = Element("SalesOrPurchase")
        sub(block, "Price", price)
        block.append(_ref("AccountRef", accounts[income]))
        item.fields["SalesOrPurchase"] = [block]
        item.refs["SalesTaxCodeRef"] = non.list_id
    merch = store.add_list("ItemNonInventory", "Merchandise")
    block = Element("SalesOrPurchase")
    block.append(_ref("AccountRef", accounts["Event Income"]))
    merch.fields["SalesOrPurchase"] = [block]
    late = store.add_list("ItemOtherCharge", "Late Fee")
    block = Element("SalesOrPurchase")
    sub(block, "Price", "10.00")
    block.append(_ref("AccountRef", accounts["Membership Income"]))
    late.fields["SalesOrPurchase"] = [block]
    for name, days in TERMS:
        terms = store.add_list("StandardTerms", name)
        terms.fields["StdDueDays"] = _leaf("StdDueDays", days)
    for name, method_type in PAYMENT_METHODS:
        method = store.add_list("PaymentMethod", name)
        method.fields["PaymentMethodType"] = _leaf("PaymentMethodType", method_type)
