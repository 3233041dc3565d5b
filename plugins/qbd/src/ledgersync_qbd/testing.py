"""Helpers for tests of code that syncs into the simulated company file.

:class:`CompanyFileProbe` counts, for the contract kit's ``remote.count(kind, mms_id)``, the
records of one MMS record in a :class:`~ledgersync_qbd.sandbox.CompanyFile`: those carrying the
ExternalGUID ledgersync derives from (company, kind, MMS id).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ledgersync import CreditMemo, Invoice, Payment, Record, Refund

from .qbxml.refs import external_guid
from .qbxml.transactions import TXN_TYPES
from .sandbox import CompanyFile


class CompanyFileProbe:
    def __init__(self, company_file: CompanyFile, company: str) -> None:
        self.company_file = company_file
        self.company = company

    def count(self, kind: str, mms_id: str) -> int:
        guid = external_guid(self.company, kind, mms_id)
        store = self.company_file.store
        if kind == "member":
            holders = [r.fields for r in store.lists_of(("Customer",))]
        else:
            holders = [t.fields for t in store.txns_of(TXN_TYPES[kind])]
            if kind == "refund":  # a refund of an overpayment is a check
                holders += [t.fields for t in store.txns_of("Check")]
        return sum(1 for fields in holders
                   if any((e.text or "").strip().upper() == guid
                          for e in fields.get("ExternalGUID", [])))


#: QuickBooks names for the reference data of ``ledgersync.demo.dataset`` (a club's year):
#: what a bookkeeper would map with `ledgersync map`, in a sandbox file prepared by
#: :func:`prepare_company_file`.
CLUB_MAPPINGS: dict[tuple[str, str], str] = {
    ("gl_account", "1000"): "Checking",
    ("gl_account", "1200"): "Accounts Receivable",
    ("gl_account", "1499"): "Undeposited Funds",
    ("gl_account", "2200"): "Sales Tax Payable",
    ("gl_account", "4000"): "Membership Income",
    ("gl_account", "4100"): "Slip Rental Income",
    ("gl_account", "4200"): "Event Income",
    ("tax_rate", "TAX-STATE"): "IL Sales Tax",
    ("terms", "NET30"): "Net 30",
    ("item", "DUES"): "Membership Dues",
    ("item", "SLIP-20"): "Slip Rental:20ft",
    ("item", "SLIP-30"): "Slip Rental:30ft",
    ("item", "SLIP-40"): "Slip Rental:40ft",
    ("item", "EVENT"): "Event Fee",
}
CLUB_PAYMENT_METHODS = {"card": "Visa", "check": "Check"}


def prepare_company_file(company_file: CompanyFile) -> None:
    """Add what a club's QuickBooks file has beyond the sandbox seed: a slip income account
    and slip rental items (sub-items, as bookkeepers group them)."""
    requests = [
        "<AccountAddRq><AccountAdd><Name>Slip Rental Income</Name><AccountType>Income"
        "</AccountType></AccountAdd></AccountAddRq>",
        "<ItemServiceAddRq><ItemServiceAdd><Name>Slip Rental</Name><SalesOrPurchase><Price>0"
        "</Price><AccountRef><FullName>Slip Rental Income</FullName></AccountRef>"
        "</SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>",
        *(f"<ItemServiceAddRq><ItemServiceAdd><Name>{feet}ft</Name><ParentRef><FullName>"
          "Slip Rental</FullName></ParentRef><SalesOrPurchase><Price>0</Price><AccountRef>"
          "<FullName>Slip Rental Income</FullName></AccountRef></SalesOrPurchase>"
          "</ItemServiceAdd></ItemServiceAddRq>" for feet in (20, 30, 40)),
    ]
    for request in requests:
        company_file.process(
            '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n<QBXML>'
            f'<QBXMLMsgsRq onError="stopOnError">{request}</QBXMLMsgsRq></QBXML>')


def expected_balances(records: Iterable[Record]) -> dict[str, Decimal]:
    """Receivable per member as the MMS sees it: invoices - payments - credits + refunds
    (journal lines on accounts receivable are not in a club's year and are not counted)."""
    balances: dict[str, Decimal] = {}
    for record in records:
        if isinstance(record, Invoice | Refund):
            sign = 1
        elif isinstance(record, Payment | CreditMemo):
            sign = -1
        else:
            continue
        if record.voided:
            continue
        member = record.member_id
        balances[member] = balances.get(member, Decimal(0)) + sign * record.total()
    return balances
