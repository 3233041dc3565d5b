"""What each stored transaction posts to the chart of accounts, for the reports.

QBO books every sales form and payment to accounts the request never names: an invoice debits
the Accounts Receivable account and credits each line's item income account and the sales
tax liability; a payment debits the account it was deposited to (Undeposited Funds unless
``DepositToAccountRef`` says otherwise) and credits A/R; a credit memo is an invoice reversed;
a refund receipt debits income (and tax) and credits the account the money left, never
touching A/R; a journal entry posts its own lines. A voided transaction has zero amounts and
posts nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .rules import ref_value

if TYPE_CHECKING:
    from .company import Company

__all__ = ["POSTING_ENTITIES", "Posting", "postings"]

Obj = dict[str, Any]
ZERO = Decimal("0")

#: The transaction entities the sandbox keeps, in the order reports list them.
POSTING_ENTITIES = ("Invoice", "Payment", "CreditMemo", "RefundReceipt", "JournalEntry")


@dataclass(frozen=True)
class Posting:
    """One debit or credit of one transaction to one account."""

    entity: str
    txn_id: str
    txn_date: str
    doc_number: str
    account_id: str
    debit: Decimal
    credit: Decimal
    customer_id: str | None = None
    memo: str = ""


def receivable_account(co: Company) -> str | None:
    return _account_with(co, "AccountType", "Accounts Receivable")


def tax_account(co: Company) -> str | None:
    return _account_with(co, "AccountSubType", "SalesTaxPayable")


def _account_with(co: Company, field: str, value: str) -> str | None:
    ids = sorted((a["Id"] for a in co.store.all("Account") if a.get(field) == value),
                 key=lambda id_: (len(id_), id_))
    return ids[0] if ids else None


def postings(co: Company, entity: str, obj: Obj) -> list[Posting]:
    """The non-zero postings of one stored transaction."""
    builder = {"Invoice": _sales, "CreditMemo": _sales, "RefundReceipt": _sales,
               "Payment": _payment, "JournalEntry": _journal}[entity]
    return [p for p in builder(co, entity, obj) if p.debit or p.credit]


def all_postings(co: Company) -> Iterator[Posting]:
    for entity in POSTING_ENTITIES:
        for obj in co.store.all(entity):
            yield from postings(co, entity, obj)


def _make(entity: str, obj: Obj, account: str | None, amount: Decimal, *, debit: bool,
          customer: str | None = None, memo: str = "") -> Posting:
    if account is None:
        # The seeded chart has A/R and Sales Tax Payable; a company without them cannot
        # have taken the transaction in the first place.
        raise LookupError(f"{entity} {obj['Id']} posts to an account the company lacks")
    return Posting(entity=entity, txn_id=str(obj["Id"]), txn_date=str(obj["TxnDate"]),
                   doc_number=str(obj.get("DocNumber") or ""), account_id=account,
                   debit=amount if debit else ZERO, credit=ZERO if debit else amount,
                   customer_id=customer, memo=memo)


def _sales(co: Company, entity: str, obj: Obj) -> Iterator[Posting]:
    """Invoice: A/R debit, income and tax credits; a credit memo the other way round; a
    refund receipt debits income and tax and credits the account the money came from."""
    customer = ref_value(obj, "CustomerRef")
    total = Decimal(obj.get("TotalAmt", ZERO))
    # The side income and tax are posted to: credit on an invoice, debit otherwise.
    income_debit = entity != "Invoice"
    if entity == "RefundReceipt":
        yield _make(entity, obj, ref_value(obj, "DepositToAccountRef"), total, debit=False,
                    customer=customer)
    else:
        ar = ref_value(obj, "ARAccountRef") or receivable_account(co)
        yield _make(entity, obj, ar, total, debit=entity == "Invoice", customer=customer)
    first_income: str | None = None
    for line in obj.get("Line", []):
        kind = line.get("DetailType")
        if kind == "SalesItemLineDetail":
            detail = line["SalesItemLineDetail"]
            account = ref_value(detail, "ItemAccountRef") or _item_income(co, detail)
            first_income = first_income or account
            yield _make(entity, obj, account, Decimal(line["Amount"]), debit=income_debit,
                        customer=customer, memo=str(line.get("Description") or ""))
        elif kind == "DiscountLineDetail":
            account = ref_value(line.get("DiscountLineDetail"), "DiscountAccountRef") \
                or first_income
            yield _make(entity, obj, account, Decimal(line["Amount"]),
                        debit=not income_debit, customer=customer)
    tax = Decimal((obj.get("TxnTaxDetail") or {}).get("TotalTax", ZERO))
    if tax:
        yield _make(entity, obj, tax_account(co), tax, debit=income_debit, customer=customer)


def _item_income(co: Company, detail: Obj) -> str | None:
    item = co.store.get("Item", ref_value(detail, "ItemRef") or "")
    return ref_value(item, "IncomeAccountRef") if item else None


def _payment(co: Company, entity: str, obj: Obj) -> Iterator[Posting]:
    customer = ref_value(obj, "CustomerRef")
    total = Decimal(obj.get("TotalAmt", ZERO))
    yield _make(entity, obj, ref_value(obj, "DepositToAccountRef"), total, debit=True,
                customer=customer)
    yield _make(entity, obj, ref_value(obj, "ARAccountRef") or receivable_account(co), total,
                debit=False, customer=customer)


def _journal(co: Company, entity: str, obj: Obj) -> Iterator[Posting]:
    for line in obj.get("Line", []):
        detail = line["JournalEntryLineDetail"]
        entity_ref = detail.get("Entity")
        customer = (ref_value(entity_ref, "EntityRef")
                    if isinstance(entity_ref, dict) and entity_ref.get("Type") == "Customer"
                    else None)
        yield _make(entity, obj, ref_value(detail, "AccountRef"), Decimal(line["Amount"]),
                    debit=detail["PostingType"] == "Debit", customer=customer,
                    memo=str(line.get("Description") or ""))
