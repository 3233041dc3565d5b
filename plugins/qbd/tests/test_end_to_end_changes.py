"""End to end through `ledgersync serve` and the simulated Web Connector: a fresh company file's
list read, then what happens after sync — updates of every AR kind, a voided payment, a changed
refund, a refund of an overpayment — ending tied out to the cent.

then drift: an invoice edited in QuickBooks and a customer deleted there, found by a drift
check in the Web Connector's own session, shown in status with their remedies, and put right
with those remedies.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

import ledgersync
from ledgersync import (
    CreditMemo,
    Invoice,
    ItemFilter,
    JournalEntry,
    Ledger,
    Member,
    Payment,
    Record,
    Refund,
    Status,
)
from ledgersync.demo.dataset import generate
from ledgersync_qbd.qbwc import drift
from ledgersync_qbd.qbxml.lists import LISTS, list_key
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector
from ledgersync_qbd.testing import CLUB_MAPPINGS, expected_balances, prepare_company_file

from .test_end_to_end import (  # noqa: F401 - config and server are fixtures used here
    PASSWORD,
    PASSWORD_ENV,
    USER,
    ServeProcess,
    config,
    server,
    until_idle,
)

pytestmark = pytest.mark.slow


def tie_out(company_file: CompanyFile, latest: dict[tuple[str, str], Record]) -> None:
    """Every member's QuickBooks balance is the MMS balance, to the cent."""
    members = {r.mms_id: r for r in latest.values() if isinstance(r, Member)}
    for member_id, balance in expected_balances(latest.values()).items():
        name = members[member_id].display_name
        assert company_file.customer_balance(name) == balance, name


def _first(records: dict[tuple[str, str], Record], kind: type[Record],
           **where: object) -> Any:  # a record of ``kind``
    return next(r for r in records.values() if isinstance(r, kind)
                and all(getattr(r, k) == v for k, v in where.items()))


def test_changes_after_sync_reach_quickbooks_and_tie_out_to_the_cent(
        config: Path, server: ServeProcess,  # noqa: F811 - the fixtures imported above
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    dataset = generate(members=14, seed=11)
    latest = {(r.kind, r.mms_id): r for r in dataset.records}
    ledger: Ledger = ledgersync.open(config)
    try:
        for (kind, mms_id), remote in CLUB_MAPPINGS.items():
            ledger.map("harbor", kind, mms_id, remote)
        company_file = CompanyFile(company_name="Harbor Club")
        prepare_company_file(company_file)
        ledger.record(dataset.records)
        server.start()
        connector = SimulatedWebConnector(server.url, USER, PASSWORD, company_file)
        until_idle(connector)

        # A fresh company file: every list read in full (no iterator QuickBooks refuses).
        state = ledger.state("harbor")
        for label in LISTS:
            read = state.get(list_key(label))
            assert isinstance(read, dict), label
            assert "error" not in read, label
        for label in ("accounts", "items", "tax_codes", "terms", "payment_methods"):
            assert state.get(list_key(label))["rows"], label  # read before any customer
        assert ledger.connector("harbor").attention() == []

        # The MMS changes one record of every AR kind, voids a payment, and records a refund
        # of an overpayment (a payment left unapplied, paid back without a credit memo).
        changes: list[Record] = []
        payment = _first(latest, Payment)
        voided = next(r for r in latest.values() if isinstance(r, Payment) and r is not payment)
        memo = _first(latest, CreditMemo)
        refund = _first(latest, Refund)
        moved = dt.timedelta(days=1)
        changes += [attrs.evolve(payment, txn_date=payment.txn_date + moved),
                    attrs.evolve(voided, voided=True),
                    attrs.evolve(memo, txn_date=memo.txn_date + moved),
                    attrs.evolve(refund, amount=refund.amount - Decimal("5.00"))]
        entries = [r for r in latest.values() if isinstance(r, JournalEntry)]
        if entries:
            changes.append(attrs.evolve(entries[0], txn_date=entries[0].txn_date + moved))
        overpaid = attrs.evolve(payment, mms_id="PAY-OVER-1", number="OVER-1",
                                amount=Decimal("40.00"), applications=())
        paid_back = attrs.evolve(refund, mms_id="RF-OVER-1", number="ROVER-1",
                                 member_id=payment.member_id, amount=Decimal("40.00"),
                                 credit_memo_id=None)
        changes += [overpaid, paid_back]
        ledger.record(changes)
        for record in changes:
            latest[(record.kind, record.mms_id)] = record
        until_idle(connector)

        items = ledger.items(ItemFilter(company="harbor"), limit=None)
        assert {i.status for i in items} == {Status.SYNCED.value}, [
            (i.kind, i.mms_id, i.error_message) for i in items if i.status != "synced"]
        assert {i.kind for i in items if i.operation == "update"} >= {
            "payment", "credit_memo", "refund"}
        live_payments = [r for r in latest.values() if isinstance(r, Payment) and not r.voided]
        assert len(company_file.transactions("ReceivePayment")) == len(live_payments)
        assert len(company_file.transactions("Check")) == 1
        tie_out(company_file, latest)

        # Drift: the bookkeeper edits an invoice in QuickBooks and deletes a customer there.
        loner = attrs.evolve(_first(latest, Member), mms_id="M-DRIFT", display_name="Drift Wood",
                             account_number="DRIFT-1", email="drift@example.org")
        ledger.record([loner])
        latest[("member", "M-DRIFT")] = loner
        until_idle(connector)
        customer = company_file.customer("Drift Wood")
        assert customer is not None
        invoice = _first(latest, Invoice)
        edited = next(t for t in company_file.transactions("Invoice")
                      if t.ref_number == invoice.number)
        company_file.process(
            '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
            f'"stopOnError"><InvoiceModRq><InvoiceMod><TxnID>{edited.txn_id}</TxnID>'
            f"<EditSequence>{edited.edit_sequence}</EditSequence><InvoiceLineMod><TxnLineID>-1"
            "</TxnLineID><ItemRef><FullName>Membership Dues</FullName></ItemRef><Amount>1.00"
            "</Amount></InvoiceLineMod></InvoiceMod></InvoiceModRq><ListDelRq><ListDelType>"
            f"Customer</ListDelType><ListID>{customer.list_id}</ListID></ListDelRq>"
            "</QBXMLMsgsRq></QBXML>")
        drift.request_check(state)  # what `ledgersync qbd drift harbor` does
        until_idle(connector)
        flagged = dict(ledger.connector("harbor").attention())
        assert len(flagged) == 2, flagged
        changed = next(p for p in flagged if invoice.mms_id in p)
        assert "total" in changed
        assert f"ledgersync resync --company harbor --kind invoice --mms-id {invoice.mms_id}" \
            in flagged[changed]
        deleted = next(p for p in flagged if "M-DRIFT" in p)
        assert "deleted in QuickBooks" in deleted
        assert "ledgersync unlink --company harbor --kind member --mms-id M-DRIFT" in \
            flagged[deleted]

        # The operator applies both remedies; the next check finds the books agree again.
        ledger.resync(ItemFilter(company="harbor", kind="invoice", mms_id=invoice.mms_id))
        ledger.unlink(ItemFilter(company="harbor", kind="member", mms_id="M-DRIFT"))
        until_idle(connector)
        drift.request_check(state)
        until_idle(connector)
        assert ledger.connector("harbor").attention() == []
        assert company_file.customer("Drift Wood") is not None
        tie_out(company_file, latest)
    finally:
        ledger.close()
