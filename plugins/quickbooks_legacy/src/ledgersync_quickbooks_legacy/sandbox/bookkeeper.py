"""What a bookkeeper does in QuickBooks Desktop, for the reconciliation scenarios: edit a
confirmed invoice's amount or its sales tax, delete a transaction, apply a payment to another
invoice, enter an invoice by hand, make a customer inactive or delete one. Each change is made
in the company file and reaches the cloud copy the way Sync Manager's upload carries it
(:meth:`~.intermediary.Intermediary.upload`): a change keeps the object synchronized with a
new SyncToken, a deletion removes it, a new record arrives with a QuickBooks id.

QuickBooks refuses to delete a customer that transactions name (the bookkeeper makes it
inactive instead); an inactive customer keeps its balance and refuses new transactions.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from decimal import Decimal

from ..xmlio import q, sub
from .desktop import DeskRecord, Desktop


class DesktopRefusal(Exception):
    """What QuickBooks Desktop says when it will not do what was asked."""


class Bookkeeper:
    def __init__(self, desktop: Desktop) -> None:
        self.desktop = desktop
        self._numbers = itertools.count(1)

    def record(self, kind: str, reference: str) -> DeskRecord:
        """The company file's ``kind`` record with this DocNumber (or list name)."""
        for record in self.desktop.records.values():
            if record.kind != kind or record.body is None:
                continue
            body = record.body
            assert isinstance(body, ET.Element)
            header = body.find(q("Header"))
            holder = header if header is not None else body
            if (holder.findtext(q("DocNumber" if header is not None else "Name")) or ""
                    ).strip() == reference:
                return record
        raise KeyError(f"no {kind} {reference!r} in the company file")

    def _change(self, record: DeskRecord, body: ET.Element) -> None:
        record.body = body
        record.written = self.desktop.now()
        self.desktop.cloud.upload(record.kind, copy.deepcopy(body), record.qb_id,
                                  ng_id=record.ng_id)

    def _body(self, record: DeskRecord) -> ET.Element:
        assert isinstance(record.body, ET.Element)
        return copy.deepcopy(record.body)

    def edit_amount(self, reference: str, total: Decimal) -> DeskRecord:
        """Change an invoice's total (tax kept): its first line takes the difference."""
        record = self.record("Invoice", reference)
        body = self._body(record)
        header, line = body.find(q("Header")), body.find(q("Line"))
        assert header is not None
        assert line is not None
        tax = Decimal(header.findtext(q("TaxAmount")) or "0")
        others = sum((Decimal(other.findtext(q("Amount")) or "0")
                      for other in body.findall(q("Line"))[1:]), Decimal("0"))
        amount = line.find(q("Amount"))
        assert amount is not None
        amount.text = f"{total - tax - others:.2f}"
        self._change(record, body)
        return record

    def change_tax(self, reference: str, tax: Decimal) -> DeskRecord:
        """QuickBooks computes the invoice's sales tax at its own item's rate."""
        record = self.record("Invoice", reference)
        body = self._body(record)
        header = body.find(q("Header"))
        assert header is not None
        found = header.find(q("TaxAmount"))
        if found is None:
            raise DesktopRefusal(f"invoice {reference} has no sales tax to change")
        found.text = f"{tax:.2f}"
        self._change(record, body)
        return record

    def apply_elsewhere(self, payment: str, invoice: str) -> DeskRecord:
        """Apply a payment to another invoice of the same customer."""
        record = self.record("Payment", payment)
        target = self.record("Invoice", invoice)
        body = self._body(record)
        for txn in body.iter(q("TxnId")):
            txn.set("idDomain", "QB")
            txn.text = target.qb_id
        self._change(record, body)
        return record

    def delete(self, kind: str, reference: str) -> None:
        """Delete a transaction; Sync Manager removes it from the cloud copy."""
        record = self.record(kind, reference)
        self.desktop.remove(record.qb_id)
        found = self.desktop.cloud.objects.get(record.ng_id or "")
        if found is not None:
            found.deleted = True

    def deactivate_customer(self, qb_id: str) -> None:
        self.desktop.set_active(qb_id, False)

    def delete_customer(self, qb_id: str) -> None:
        """QuickBooks deletes a customer only when no transaction names it."""
        for record in self.desktop.records.values():
            body = record.body
            if not isinstance(body, ET.Element):
                continue
            for element in body.iter():
                if element.tag not in (q("CustomerId"), q("EntityId")):
                    continue
                named = self.desktop.resolve(element.get("idDomain"), (element.text or "").strip())
                if named is not None and named.qb_id == qb_id:
                    raise DesktopRefusal("This name has been used in a transaction and cannot "
                                         "be deleted. Make it inactive instead.")
        record = self.desktop.records[qb_id]
        self.desktop.remove(qb_id)
        found = self.desktop.cloud.objects.get(record.ng_id or "")
        if found is not None:
            found.deleted = True

    def enter_invoice(self, *, customer: str, amount: Decimal, day: dt.date,
                      account: str) -> DeskRecord:
        """An invoice typed into QuickBooks, outside ledgersync."""
        if customer in self.desktop.inactive or customer not in self.desktop.records:
            raise DesktopRefusal(f"customer {customer} is not an active customer")
        body = ET.Element(q("Object"))
        header = sub(body, "Header")
        sub(header, "DocNumber", f"H-{next(self._numbers)}")
        sub(header, "TxnDate", day.isoformat())
        sub(header, "CustomerId", customer, idDomain="QB")
        line = sub(body, "Line")
        sub(line, "Amount", f"{amount:.2f}")
        sub(line, "AccountId", account, idDomain="QB")
        qb_id = f"H{len(self.desktop.records) + 1:07d}-{int(self.desktop.now().timestamp())}"
        record = DeskRecord(kind="Invoice", qb_id=qb_id, name=None, body=body,
                            written=self.desktop.now())
        self.desktop.records[qb_id] = record
        record.ng_id = self.desktop.cloud.upload("Invoice", copy.deepcopy(body), qb_id).ng_id
        return record

