"""Sandbox behaviours fixed or added for the Web Connector tests."""

from __future__ import annotations

from decimal import Decimal

from ledgersync_qbd.sandbox import CompanyFile


def test_one_invoice_applied_several_times_in_a_payment_counts_each_application_once(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1", "100.00")
    txn_id = qb.text(invoice, "TxnID")
    over = qb.pay("Ann", "120.00", [(txn_id, "60.00"), (txn_id, "60.00")])
    assert over.get("statusCode") == "3210"
    # Three applications to one invoice: each sees what the earlier ones took, once.
    thrice = qb.pay("Ann", "90.00", [(txn_id, "30.00")] * 3, ref="CHK 2")
    assert thrice.get("statusCode") == "0", thrice.get("statusMessage")
    assert qb.balance("Ann") == Decimal("10.00")


def test_a_journal_entry_returns_its_external_guid(qb) -> None:
    guid = "{6F9619FF-8B86-D011-B42D-00C04FC964FF}"
    rs = qb.ok("<JournalEntryAddRq><JournalEntryAdd><ExternalGUID>" + guid + "</ExternalGUID>"
               "<JournalDebitLine><AccountRef><FullName>Checking</FullName></AccountRef>"
               "<Amount>10.00</Amount></JournalDebitLine><JournalCreditLine><AccountRef>"
               "<FullName>Membership Income</FullName></AccountRef><Amount>10.00</Amount>"
               "</JournalCreditLine></JournalEntryAdd></JournalEntryAddRq>")
    assert qb.text(rs, "JournalEntryRet/ExternalGUID") == guid


def test_a_company_file_survives_a_snapshot_and_restore(qb) -> None:
    qb.add_customer("Ann")
    qb.company.process(qb.doc("<CustomerQueryRq/>", newMessageSetID="ms-1"))
    copy = CompanyFile.restore(qb.company.snapshot())
    restored, original = copy.customer("Ann"), qb.company.customer("Ann")
    assert restored is not None
    assert original is not None
    assert copy.saved_message_sets == ("ms-1",)
    assert restored.list_id == original.list_id
