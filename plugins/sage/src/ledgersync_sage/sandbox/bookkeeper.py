"""What a bookkeeper does in Intacct's screens, for the reconciliation scenarios: edit a posted
journal entry's amount or its tax line, delete an entry, delete or deactivate a customer,
post an entry by hand. Each goes through the same rules the API's writes meet (balanced lines,
positive amounts, open periods, active customers), so a scenario cannot make books Intacct
would not hold.

Entries are found by the REFERENCENO ledgersync wrote (``LS-INV-<mms id>``). A payment is
applied to an invoice through its A/R line's DOCUMENT (the invoice entry's RECORDNO, as
ledgersync writes it): applying it elsewhere is changing that. Intacct's sales tax (tax
solutions, on A/R documents) is not in a journal entry: the tax is the line ledgersync posts
to the tax payable account, so "tax at another rate" is the bookkeeper re-computing that line.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

from .books import Batch, Books, refuse


class Bookkeeper:
    def __init__(self, books: Books, *, ar_account: str = "1200",
                 tax_account: str = "2200") -> None:
        self.books = books
        self.ar_account = ar_account
        self.tax_account = tax_account

    def entry(self, reference: str) -> Batch:
        found = [b for b in self.books.batches.values() if b.reference_no == reference]
        if len(found) != 1:
            raise KeyError(f"{len(found)} journal entries have REFERENCENO {reference!r}")
        return found[0]

    def _open(self, batch: Batch) -> None:
        closed = self.books.closed_through
        if closed is not None and batch.date <= closed:
            raise refuse(f"Periods are closed. Your transaction date ({batch.date:%m/%d/%Y}) "
                         "is within a period that's been closed.")

    def _line(self, batch: Batch, account: str) -> dict[str, str]:
        lines = [line for line in batch.lines if line["ACCOUNTNO"] == account]
        if len(lines) != 1:
            raise KeyError(f"entry {batch.record_no} has {len(lines)} lines on {account}")
        return lines[0]

    def _shift(self, batch: Batch, moves: list[tuple[dict[str, str], Decimal]]) -> None:
        """Add signed amounts (debit positive) to lines, keeping every amount positive."""
        self._open(batch)
        for line, change in moves:
            sign = 1 if line["TR_TYPE"] == "1" else -1
            amount = Decimal(line["TRX_AMOUNT"]) + sign * change
            if amount <= 0:
                raise refuse(f"Invalid TRX_AMOUNT '{amount}': a positive amount")
            line["TRX_AMOUNT"] = f"{amount:.2f}"

    def edit_amount(self, reference: str, total: Decimal) -> Batch:
        """Change the receivable of an entry to ``total``; its first income line takes the
        difference (what a bookkeeper does to correct an invoice's price)."""
        batch = self.entry(reference)
        receivable = self._line(batch, self.ar_account)
        income = next(line for line in batch.lines
                      if line["ACCOUNTNO"] not in (self.ar_account, self.tax_account))
        sign = 1 if receivable["TR_TYPE"] == "1" else -1
        change = total - Decimal(receivable["TRX_AMOUNT"])
        self._shift(batch, [(receivable, sign * change), (income, -sign * change)])
        return batch

    def change_tax(self, reference: str, tax: Decimal) -> Batch:
        """Re-compute the tax line at another rate: the receivable moves with it."""
        batch = self.entry(reference)
        tax_line = self._line(batch, self.tax_account)
        receivable = self._line(batch, self.ar_account)
        sign = 1 if receivable["TR_TYPE"] == "1" else -1
        change = tax - Decimal(tax_line["TRX_AMOUNT"])
        self._shift(batch, [(tax_line, -sign * change), (receivable, sign * change)])
        return batch

    def apply_elsewhere(self, payment: str, invoice: str) -> Batch:
        """Point the payment's A/R lines at another invoice's entry (its DOCUMENT)."""
        batch = self.entry(payment)
        self._open(batch)
        target = str(self.entry(invoice).record_no)
        for line in batch.lines:
            if line["ACCOUNTNO"] == self.ar_account:
                line["DOCUMENT"] = target
        return batch

    def delete_entry(self, reference: str) -> None:
        """Delete a posted journal entry (allowed in an open period)."""
        batch = self.entry(reference)
        self._open(batch)
        del self.books.batches[batch.record_no]

    def delete_customer(self, customer: str) -> None:
        self.books.delete_customer(customer)

    def deactivate_customer(self, customer: str) -> None:
        """Status: Inactive. Its entries stay; new ones naming it are refused."""
        if customer not in self.books.dimensions["CUSTOMER"]:
            raise refuse(f"Customer '{customer}' does not exist", obj="Customer")
        self.books.dimensions["CUSTOMER"][customer]["STATUS"] = "inactive"

    def post_by_hand(self, *, customer: str, amount: Decimal, day: dt.date, account: str,
                     title: str = "Entered by hand", journal: str = "GJ") -> Batch:
        """A journal entry debiting the customer's receivable, with no ledgersync
        reference (an invoice entered in Intacct, outside ledgersync)."""
        node = ET.Element("GLBATCH")
        for tag, value in (("JOURNAL", journal), ("BATCH_DATE", f"{day:%m/%d/%Y}"),
                           ("BATCH_TITLE", title)):
            ET.SubElement(node, tag).text = value
        entries = ET.SubElement(node, "ENTRIES")
        for number, debit, dimension in ((self.ar_account, True, customer),
                                         (account, False, None)):
            line = ET.SubElement(entries, "GLENTRY")
            ET.SubElement(line, "ACCOUNTNO").text = number
            ET.SubElement(line, "TR_TYPE").text = "1" if debit else "-1"
            ET.SubElement(line, "TRX_AMOUNT").text = f"{amount:.2f}"
            if dimension:
                ET.SubElement(line, "CUSTOMERID").text = dimension
        return self.books.post(node, controlid="", entity=None)
