"""Records changed or voided in the MMS after they were written to QuickBooks Desktop."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

from ledgersync import Ledger, Record, Status
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.testing import CompanyFileProbe

from .conftest import PASSWORD, USER, sync_until_idle, web_connector

MEMBER_BALANCE = Decimal("341.25")  # 641.25 invoiced - 300 paid - 50 credit + 50 refunded


def _synced(ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> list[Record]:
    records = sample_records()
    ledger.record(records)
    sync_until_idle(web_connector(service, company_file))
    assert {i.status for i in ledger.items(limit=None)} == {Status.SYNCED.value}
    return records


def _of(records: list[Record], kind: str) -> Any:  # the record of that kind's own type
    return next(r for r in records if r.kind == kind)


def _update(ledger: Ledger, kind: str) -> object:
    return next(i for i in ledger.items(limit=None)
                if i.kind == kind and i.operation == "update")


@pytest.mark.parametrize(("kind", "txn_type"), [("payment", "ReceivePayment"),
                                                ("credit_memo", "CreditMemo"),
                                                ("journal_entry", "JournalEntry")])
def test_a_changed_transaction_is_modified_in_place(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile, kind: str,
        txn_type: str) -> None:
    records = _synced(ledger, service, company_file)
    record = _of(records, kind)
    ledger.record([attrs.evolve(record, txn_date=record.txn_date.replace(day=28))])
    sync_until_idle(web_connector(service, company_file))
    update = _update(ledger, kind)
    assert update.status == Status.SYNCED.value  # type: ignore[attr-defined]
    (txn,) = company_file.transactions(txn_type)
    assert txn.txn_date == record.txn_date.replace(day=28)
    assert company_file.customer_balance("Ada Keel") == MEMBER_BALANCE


def test_a_payment_changed_to_a_smaller_amount_reopens_its_invoice(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    records = _synced(ledger, service, company_file)
    payment = _of(records, "payment")
    smaller = attrs.evolve(payment, amount=Decimal("250.00"), applications=tuple(
        attrs.evolve(a, amount=Decimal("250.00")) for a in payment.applications))
    ledger.record([smaller])
    sync_until_idle(web_connector(service, company_file))
    assert _update(ledger, "payment").status == Status.SYNCED.value  # type: ignore[attr-defined]
    assert company_file.customer_balance("Ada Keel") == MEMBER_BALANCE + Decimal("50.00")


def test_a_voided_payment_is_deleted_in_quickbooks(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    records = _synced(ledger, service, company_file)
    ledger.record([attrs.evolve(_of(records, "payment"), voided=True)])
    sync_until_idle(web_connector(service, company_file))
    assert company_file.transactions("ReceivePayment") == []
    assert company_file.customer_balance("Ada Keel") == MEMBER_BALANCE + Decimal("300.00")
    assert {i.status for i in ledger.items(limit=None)} == {Status.SYNCED.value}


def test_a_changed_refund_is_written_anew_and_the_old_one_deleted(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    records = _synced(ledger, service, company_file)
    refund = _of(records, "refund")
    (old,) = company_file.transactions("ARRefundCreditCard")
    ledger.record([attrs.evolve(refund, amount=Decimal("30.00"))])
    sync_until_idle(web_connector(service, company_file))
    update = _update(ledger, "refund")
    assert update.status == Status.SYNCED.value, update.error_message  # type: ignore[attr-defined]
    (new,) = company_file.transactions("ARRefundCreditCard")
    assert new.txn_id != old.txn_id
    assert new.total == Decimal("30.00")
    assert update.external_id == new.txn_id  # type: ignore[attr-defined]
    assert CompanyFileProbe(company_file, "club").count("refund", refund.mms_id) == 1
    assert company_file.customer_balance("Ada Keel") == MEMBER_BALANCE - Decimal("20.00")


def test_a_refund_reissue_cut_off_between_delete_and_add_ends_with_one_refund(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    from ledgersync_qbd.sandbox.webconnector import host_description

    records = _synced(ledger, service, company_file)
    refund = _of(records, "refund")
    ledger.record([attrs.evolve(refund, amount=Decimal("30.00"))])
    ticket = service.authenticate(USER, PASSWORD)[0]
    hcp = host_description(company_file)
    for _ in range(6):  # find, then remove: stop as soon as the old refund is deleted
        xml = service.send_request_xml(ticket, hcp, "", "US", 13, 0)
        service.receive_response_xml(ticket, company_file.process(xml), "", "")
        if not company_file.transactions("ARRefundCreditCard"):
            break
    assert company_file.transactions("ARRefundCreditCard") == []
    service.close_connection(ticket)  # the session ends before the new one is written
    assert _update(ledger, "refund").status != Status.SYNCED.value  # type: ignore[attr-defined]
    sync_until_idle(web_connector(service, company_file))
    (new,) = company_file.transactions("ARRefundCreditCard")
    assert new.total == Decimal("30.00")
    assert _update(ledger, "refund").status == Status.SYNCED.value  # type: ignore[attr-defined]


def test_a_refund_without_a_credit_memo_is_a_check_against_receivables(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    records = [r for r in sample_records() if r.kind != "refund"]
    refund = attrs.evolve(_of(sample_records(), "refund"), credit_memo_id=None,
                          amount=Decimal("20.00"))
    ledger.record([*records, refund])
    sync_until_idle(web_connector(service, company_file))
    assert {i.status for i in ledger.items(limit=None)} == {Status.SYNCED.value}
    (check,) = company_file.transactions("Check")
    assert check.total == Decimal("20.00")
    # 641.25 invoiced - 300 paid - 50 credit (left open) + 20 paid back
    assert company_file.customer_balance("Ada Keel") == Decimal("311.25")


def test_a_credit_memo_applied_in_the_mms_is_applied_to_its_invoice(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    records = [r for r in sample_records() if r.kind != "refund"]
    invoice = _of(records, "invoice")
    memo = attrs.evolve(_of(records, "credit_memo"), applied_to_invoice_id=invoice.mms_id)
    ledger.record([*[r for r in records if r.kind != "credit_memo"], memo])
    sync_until_idle(web_connector(service, company_file))
    item = next(i for i in ledger.items(limit=None) if i.kind == "credit_memo")
    assert item.status == Status.SYNCED.value
    (written,) = company_file.transactions("CreditMemo")
    assert item.external_id == written.txn_id
    assert written.open_amount == Decimal("0.00")  # its credit now sits on the invoice
    applied = [a for t in company_file.transactions("Invoice") for a in t.applications
               if a.target_id == written.txn_id]
    assert [a.amount for a in applied] == [Decimal("50.00")]
    assert company_file.customer_balance("Ada Keel") == MEMBER_BALANCE - Decimal("50.00")
