"""A member's month synced into the simulated company file, and the bookkeeper's changes the
reconciliation tests make to it (see ``ledgersync_qbd.sandbox.bookkeeper``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgersync import Invoice, InvoiceLine, ItemFilter, Ledger, Member, Record, Status
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector

from .conftest import sync_until_idle, web_connector

DAY = dt.date(2026, 3, 2)
#: Ada's receivable in the MMS: 641.25 + 350.00 - 300.00 - 50.00 + 50.00.
ADA_BALANCE = Decimal("691.25")
BEN_BALANCE = Decimal("450.00")


def month_records() -> list[Record]:
    """The sample member's invoice (with tax), part payment, credit memo and refund, a second
    invoice of hers, and a second member with one invoice."""
    return [
        *sample_records(DAY),
        Invoice(mms_id="INV-9002", member_id="M-9001", number="9002",
                txn_date=DAY + dt.timedelta(days=20), currency="USD",
                lines=(InvoiceLine(item_id="DUES", description="Locker", quantity=Decimal(1),
                                   rate=Decimal("350.00"), amount=Decimal("350.00")),)),
        Member(mms_id="M-9002", display_name="Ben Hull", first_name="Ben", last_name="Hull",
               email="ben.hull@example.org", account_number="9002"),
        Invoice(mms_id="INV-9003", member_id="M-9002", number="9003",
                txn_date=DAY + dt.timedelta(days=21), currency="USD",
                lines=(InvoiceLine(item_id="DUES", description="Annual dues",
                                   quantity=Decimal(1), rate=Decimal("450.00"),
                                   amount=Decimal("450.00")),)),
    ]


def synced_month(ledger: Ledger, service: QbwcService,
                 company_file: CompanyFile) -> SimulatedWebConnector:
    """The month recorded and written to QuickBooks by Web Connector updates."""
    ledger.record(month_records())
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    return connector


def external_id(ledger: Ledger, kind: str, mms_id: str) -> str:
    """The QuickBooks id ledgersync linked the record to."""
    found = [i.external_id for i in ledger.items(
        ItemFilter(company="club", kind=kind, mms_id=mms_id, status=[Status.SYNCED]),
        limit=None) if i.external_id is not None]
    assert found, f"{kind} {mms_id} is not synced"
    return found[-1]


def customer_name(company_file: CompanyFile, list_id: str) -> str:
    return company_file.store.lists[list_id].full_name
