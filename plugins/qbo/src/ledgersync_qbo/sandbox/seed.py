"""Default reference data for a sandbox company.

Ids and names match plugins/qbo/tests/data/payloads (customer 58 "Jordan Alvarez", item 21
"Membership Dues", term 3 "Net 30", tax code/rate 3 at 8 %, Undeposited Funds 4, Checking 35,
A/R 84, Bad Debts 91), so every sample request is accepted as-is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ["default_seed"]


def _account(id_: str, name: str, type_: str, subtype: str, cls: str) -> dict[str, Any]:
    return {"Id": id_, "Name": name, "AccountType": type_, "AccountSubType": subtype,
            "Classification": cls, "SubAccount": False, "FullyQualifiedName": name,
            "Active": True, "CurrentBalance": Decimal("0"),
            "CurrentBalanceWithSubAccounts": Decimal("0"),
            "CurrencyRef": {"value": "USD", "name": "United States Dollar"}}


def _item(id_: str, name: str, type_: str, price: str, account: tuple[str, str],
          taxable: bool) -> dict[str, Any]:
    return {"Id": id_, "Name": name, "FullyQualifiedName": name, "Active": True,
            "Type": type_, "UnitPrice": Decimal(price), "Taxable": taxable,
            "IncomeAccountRef": {"value": account[0], "name": account[1]},
            "TrackQtyOnHand": False}


def _customer(id_: str, given: str, family: str, **extra: Any) -> dict[str, Any]:
    name = f"{given} {family}"
    obj: dict[str, Any] = {"Id": id_, "GivenName": given, "FamilyName": family,
                           "DisplayName": name, "Taxable": False, "Job": False,
                           "BillWithParent": False, "Active": True}
    obj.update(extra)
    return obj


def default_seed() -> dict[str, tuple[dict[str, Any], ...]]:
    accounts = (
        _account("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset"),
        _account("35", "Checking", "Bank", "Checking", "Asset"),
        _account("79", "Membership Dues Income", "Income", "ServiceFeeIncome", "Revenue"),
        _account("80", "Merchandise Sales", "Income", "SalesOfProductIncome", "Revenue"),
        _account("81", "Event Income", "Income", "OtherPrimaryIncome", "Revenue"),
        _account("84", "Accounts Receivable (A/R)", "Accounts Receivable",
                 "AccountsReceivable", "Asset"),
        _account("89", "Sales Tax Payable", "Other Current Liability", "SalesTaxPayable",
                 "Liability"),
        _account("91", "Bad Debts", "Expense", "BadDebts", "Expense"),
    )
    items = (
        _item("21", "Membership Dues", "Service", "150", ("79", "Membership Dues Income"),
              False),
        _item("22", "Merchandise", "NonInventory", "12.50", ("80", "Merchandise Sales"), True),
        _item("23", "Event Registration", "Service", "40", ("81", "Event Income"), False),
    )
    tax_rates = (
        {"Id": "3", "Name": "Portland City", "Description": "Sales Tax", "Active": True,
         "RateValue": Decimal("8"), "AgencyRef": {"value": "1"}, "SpecialTaxType": "NONE",
         "DisplayType": "ReadOnly", "EffectiveTaxRate": []},
        # The rate of examples/club.jsonl and of the samples, so they tie out here.
        {"Id": "7", "Name": "State sales tax", "Description": "Sales Tax", "Active": True,
         "RateValue": Decimal("6.25"), "AgencyRef": {"value": "1"}, "SpecialTaxType": "NONE",
         "DisplayType": "ReadOnly", "EffectiveTaxRate": []},
    )
    tax_codes = (
        {"Id": "TAX", "Name": "TAX", "Description": "TAX", "Active": True, "Taxable": True,
         "TaxGroup": False, "SalesTaxRateList": {"TaxRateDetail": []},
         "PurchaseTaxRateList": {"TaxRateDetail": []}},
        {"Id": "NON", "Name": "NON", "Description": "NON", "Active": True, "Taxable": False,
         "TaxGroup": False, "SalesTaxRateList": {"TaxRateDetail": []},
         "PurchaseTaxRateList": {"TaxRateDetail": []}},
        {"Id": "3", "Name": "Portland", "Description": "Portland sales tax", "Active": True,
         "Taxable": True, "TaxGroup": True,
         "SalesTaxRateList": {"TaxRateDetail": [{
             "TaxRateRef": {"value": "3", "name": "Portland City"},
             "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}]},
         "PurchaseTaxRateList": {"TaxRateDetail": []}},
        {"Id": "6", "Name": "State", "Description": "State sales tax", "Active": True,
         "Taxable": True, "TaxGroup": True,
         "SalesTaxRateList": {"TaxRateDetail": [{
             "TaxRateRef": {"value": "7", "name": "State sales tax"},
             "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}]},
         "PurchaseTaxRateList": {"TaxRateDetail": []}},
    )
    terms = (
        {"Id": "1", "Name": "Due on receipt", "Active": True, "Type": "STANDARD",
         "DiscountPercent": Decimal("0"), "DueDays": 0},
        {"Id": "2", "Name": "Net 15", "Active": True, "Type": "STANDARD",
         "DiscountPercent": Decimal("0"), "DueDays": 15},
        {"Id": "3", "Name": "Net 30", "Active": True, "Type": "STANDARD",
         "DiscountPercent": Decimal("0"), "DueDays": 30},
    )
    payment_methods = (
        {"Id": "1", "Name": "Cash", "Active": True, "Type": "NON_CREDIT_CARD"},
        {"Id": "2", "Name": "Check", "Active": True, "Type": "NON_CREDIT_CARD"},
        {"Id": "3", "Name": "Credit Card", "Active": True, "Type": "CREDIT_CARD"},
    )
    customers = (
        _customer("58", "Jordan", "Alvarez", PreferredDeliveryMethod="Email",
                  PrimaryEmailAddr={"Address": "jordan.alvarez@example.org"},
                  BillAddr={"Id": "112", "Line1": "12 Harbor Lane", "City": "Portland",
                            "CountrySubDivisionCode": "OR", "PostalCode": "97201"}),
        _customer("61", "Priya", "Natarajan"),
        _customer("62", "Marcus", "Lee"),
        _customer("64", "Sam", "Okafor"),
    )
    vendors = ({"Id": "70", "DisplayName": "Harbor Print Shop", "CompanyName": "Harbor Print Shop",
                "Active": True, "Vendor1099": False},)
    employees = ({"Id": "75", "DisplayName": "Alex Morgan", "GivenName": "Alex",
                  "FamilyName": "Morgan", "Active": True},)
    return {"Account": accounts, "Item": items, "TaxRate": tax_rates, "TaxCode": tax_codes,
            "Term": terms, "PaymentMethod": payment_methods, "Customer": customers,
            "Vendor": vendors, "Employee": employees}
