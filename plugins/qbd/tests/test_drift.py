"""Drift: what a bookkeeper changed or deleted in QuickBooks after ledgersync wrote it, found by
the Web Connector's own sessions and shown with its remedy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from ledgersync import ItemFilter, Ledger, Member
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc import drift
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.settings import QbdSettings

from .conftest import sync_until_idle, web_connector


def _qbxml(body: str) -> str:
    return ('<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq '
            f'onError="stopOnError">{body}</QBXMLMsgsRq></QBXML>')


def _check(service: QbwcService, company_file: CompanyFile) -> None:
    drift.request_check(service.sessions.state("club"))
    sync_until_idle(web_connector(service, company_file))


@pytest.fixture
def synced(ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> CompanyFile:
    ledger.record(sample_records())
    sync_until_idle(web_connector(service, company_file))
    return company_file


def _edit_invoice_total(company_file: CompanyFile, amount: str) -> None:
    (invoice,) = company_file.transactions("Invoice")
    company_file.process(_qbxml(
        f"<InvoiceModRq><InvoiceMod><TxnID>{invoice.txn_id}</TxnID><EditSequence>"
        f"{invoice.edit_sequence}</EditSequence><InvoiceLineMod><TxnLineID>-1</TxnLineID>"
        "<ItemRef><FullName>Membership Dues</FullName></ItemRef>"
        f"<Amount>{amount}</Amount></InvoiceLineMod></InvoiceMod></InvoiceModRq>"))


def test_our_own_writes_are_not_drift(ledger: Ledger, service: QbwcService,
                                      synced: CompanyFile) -> None:
    _check(service, synced)
    assert service.sessions.state("club").get(drift.CHECKED_AT) is not None
    assert ledger.connector("club").attention() == []


def test_an_invoice_edited_in_quickbooks_is_flagged_with_its_remedy(
        ledger: Ledger, service: QbwcService, synced: CompanyFile) -> None:
    _edit_invoice_total(synced, "999.00")
    _check(service, synced)
    (problem, remedy), = ledger.connector("club").attention()
    assert "invoice INV-9001" in problem
    assert "total 641.25 → 999.00" in problem
    assert "ledgersync resync --company club --kind invoice --mms-id INV-9001" in remedy
    item = next(i for i in ledger.items(ItemFilter(company="club", kind="invoice")))
    assert any(event.code == "drift" and "999.00" in (event.reason or "")
               for event in ledger.history(item.id))


def test_a_resynced_invoice_leaves_status_at_the_next_check(
        ledger: Ledger, service: QbwcService, synced: CompanyFile) -> None:
    _edit_invoice_total(synced, "999.00")
    _check(service, synced)
    ledger.resync(ItemFilter(company="club", kind="invoice", mms_id="INV-9001"))
    sync_until_idle(web_connector(service, synced))
    _check(service, synced)
    assert ledger.connector("club").attention() == []
    assert synced.customer_balance("Ada Keel") == Decimal("341.25")


def test_a_customer_deleted_in_quickbooks_is_offered_unlink(
        ledger: Ledger, service: QbwcService, synced: CompanyFile) -> None:
    member = next(r for r in sample_records() if isinstance(r, Member))
    loner = attrs.evolve(member, mms_id="M-LONE", display_name="Lone Sailor",
                         account_number="L-1", email="lone@example.org")
    ledger.record([loner])
    sync_until_idle(web_connector(service, synced))
    customer = synced.customer("Lone Sailor")
    assert customer is not None
    synced.process(_qbxml(f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>"
                          f"{customer.list_id}</ListID></ListDelRq>"))
    _check(service, synced)
    (problem, remedy), = ledger.connector("club").attention()
    assert "member M-LONE" in problem
    assert "deleted in QuickBooks" in problem
    assert "ledgersync unlink --company club --kind member --mms-id M-LONE" in remedy


def test_an_accepted_edit_leaves_status(ledger: Ledger, service: QbwcService,
                                        synced: CompanyFile) -> None:
    _edit_invoice_total(synced, "999.00")
    _check(service, synced)
    assert drift.accept(service.sessions.state("club"), "invoice", "INV-9001")
    assert ledger.connector("club").attention() == []


def test_a_check_is_due_on_the_schedule(service: QbwcService) -> None:
    state = service.sessions.state("club")
    settings = QbdSettings(username="u", drift_minutes=60)
    now = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    state.put(drift.CHECKED_AT, (now - dt.timedelta(minutes=59)).isoformat())
    assert not drift.due(state, settings, now)
    state.put(drift.CHECKED_AT, (now - dt.timedelta(minutes=61)).isoformat())
    assert drift.due(state, settings, now)
    assert not drift.due(state, attrs.evolve(settings, drift_minutes=0), now)


def _lone_member(ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> Member:
    member = next(r for r in sample_records() if isinstance(r, Member))
    loner = attrs.evolve(member, mms_id="M-LONE", display_name="Lone Sailor",
                         account_number="L-1", email="lone@example.org")
    ledger.record([loner])
    sync_until_idle(web_connector(service, company_file))
    return loner


def _invoice_for(member: Member) -> object:
    invoice: Any = next(r for r in sample_records() if r.kind == "invoice")  # an Invoice
    return attrs.evolve(invoice, mms_id="INV-LONE", number="LONE-1", member_id=member.mms_id)


def test_a_3140_for_a_customer_deleted_in_quickbooks_says_deleted_and_offers_unlink(
        ledger: Ledger, service: QbwcService, synced: CompanyFile) -> None:
    loner = _lone_member(ledger, service, synced)
    customer = synced.customer("Lone Sailor")
    assert customer is not None
    synced.process(_qbxml(f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>"
                          f"{customer.list_id}</ListID></ListDelRq>"))
    ledger.record([_invoice_for(loner)])  # type: ignore[list-item]
    sync_until_idle(web_connector(service, synced))
    item = next(i for i in ledger.items(ItemFilter(company="club", kind="invoice"))
                if i.mms_id == "INV-LONE")
    assert item.error_code == "3140"
    assert "is deleted in QuickBooks" in (item.error_message or "")
    assert "ledgersync unlink --company club --kind member --mms-id M-LONE" in (
        item.error_remedy or "")


def test_a_3140_for_a_customer_made_inactive_in_quickbooks_says_inactive(
        ledger: Ledger, service: QbwcService, synced: CompanyFile) -> None:
    loner = _lone_member(ledger, service, synced)
    customer = synced.customer("Lone Sailor")
    assert customer is not None
    synced.process(_qbxml(
        f"<CustomerModRq><CustomerMod><ListID>{customer.list_id}</ListID><EditSequence>"
        f"{customer.edit_sequence}</EditSequence><IsActive>false</IsActive></CustomerMod>"
        "</CustomerModRq>"))
    ledger.record([_invoice_for(loner)])  # type: ignore[list-item]
    sync_until_idle(web_connector(service, synced))
    item = next(i for i in ledger.items(ItemFilter(company="club", kind="invoice"))
                if i.mms_id == "INV-LONE")
    assert item.error_code == "3140"
    assert "is inactive in QuickBooks" in (item.error_message or "")
    assert "reactivate it" in (item.error_remedy or "")
