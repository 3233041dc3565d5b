"""What a Web Connector session does with the company's work, failure by failure.

These drive the service in process (the simulated Web Connector with a direct adapter); the
same paths over HTTP are in test_end_to_end.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from ledgersync import Ledger, Member, Status
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.qbxml import lists
from ledgersync_qbd.sandbox import PARSE_ERROR_MESSAGE, CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector
from ledgersync_qbd.sandbox.xml import parse_xml
from ledgersync_qbd.testing import CompanyFileProbe

from .conftest import LedgerFactory, company_settings, sync_until_idle, web_connector

MEMBER_BALANCE = Decimal("341.25")  # 641.25 invoiced - 300 paid - 50 credit + 50 refunded


def statuses(ledger: Ledger) -> dict[tuple[str, str], str]:
    return {(i.kind, i.mms_id): i.status for i in ledger.items(limit=None)}


def all_once(ledger: Ledger, company_file: CompanyFile) -> None:
    probe = CompanyFileProbe(company_file, "club")
    for record in sample_records():
        if record.kind in ("member", "invoice", "payment", "credit_memo", "refund",
                           "journal_entry"):
            assert probe.count(record.kind, record.mms_id) == 1, record.mms_id
    assert set(statuses(ledger).values()) == {Status.SYNCED.value}


def message_sets(connector: SimulatedWebConnector) -> list[list[str]]:
    """The request types of each set the server sent (["probe"] for a recovery probe)."""
    return [requests_sent(connector, n)[:_count(text)] or ["probe"]
            for n, text in enumerate(connector.sent)]


def _count(text: str) -> int:
    msgs = parse_xml(text).find("QBXMLMsgsRq")
    return len(msgs) if msgs is not None else 0


def requests_sent(connector: SimulatedWebConnector, start: int = 0) -> list[str]:
    """Request types of every set the server sent, in order ("probe" for a recovery probe)."""
    found = []
    for text in connector.sent[start:]:
        msgs = parse_xml(text).find("QBXMLMsgsRq")
        assert msgs is not None
        if len(msgs) == 0 and msgs.get("oldMessageSetID") == msgs.get("newMessageSetID"):
            found.append("probe")
        found.extend(str(rq.tag) for rq in msgs)
    return found


def test_one_update_writes_every_record_once_with_the_mms_balance(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    assert sync_until_idle(web_connector(service, company_file)) == ["done", "none"]
    all_once(ledger, company_file)
    assert company_file.customer_balance("Ada Keel") == MEMBER_BALANCE


def test_progress_is_a_true_percentage_ending_at_100(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    report = web_connector(service, company_file).run_update()
    assert report.progress[-1] == 100
    assert all(0 <= p < 100 for p in report.progress[:-1])
    assert report.progress == sorted(report.progress)


def test_a_dropped_response_is_recovered_by_asking_quickbooks_before_sending_again(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    connector.inject("drop_response", contains="InvoiceAddRq")
    assert connector.run_update().outcome == "died"
    sync_until_idle(connector)
    sets = message_sets(connector)
    lost = next(n for n, requests in enumerate(sets) if "InvoiceAddRq" in requests)
    assert sets[lost + 1] == ["probe"]
    assert sets.count(["probe"]) == 1
    all_once(ledger, company_file)
    assert company_file.write_count("InvoiceAdd", "9001") == 1
    assert company_file.customer_balance("Ada Keel") == MEMBER_BALANCE


def test_the_first_set_after_a_dead_session_is_the_recovery_probe(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    connector.inject("drop_response", contains="InvoiceAddRq")
    connector.run_update()
    seen = len(connector.sent)
    connector.run_update()
    assert requests_sent(connector, seen)[0] == "probe"
    assert company_file.write_count("InvoiceAdd", "9001") == 1


def test_a_set_quickbooks_never_ran_is_looked_up_then_written_once(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    connector.inject("die_before_run", contains="InvoiceAddRq")
    assert connector.run_update().outcome == "died"
    sync_until_idle(connector)
    sent = requests_sent(connector)
    probe = sent.index("probe")
    assert sent.index("InvoiceQueryRq", probe) < sent.index("InvoiceAddRq", probe)
    all_once(ledger, company_file)


def test_a_lost_answer_quickbooks_no_longer_keeps_is_found_by_refnumber_not_resent(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    connector.inject("drop_response", contains="InvoiceAddRq")
    connector.run_update()
    company_file._processor.saved.clear()  # QuickBooks forgot the stored answer
    sync_until_idle(connector)
    assert company_file.write_count("InvoiceAdd", "9001") == 1
    assert "InvoiceQueryRq" in requests_sent(connector)
    all_once(ledger, company_file)


def test_an_hresult_keeps_the_set_outstanding_until_quickbooks_is_asked(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    connector.inject("hresult", contains="InvoiceAddRq", hresult="0x80040402",
                     message="Unexpected error")
    report = connector.run_update()
    assert report.outcome == "error"
    assert "0x80040402" in report.text()
    assert service.sessions.outstanding("club") is not None
    sync_until_idle(connector)
    all_once(ledger, company_file)


def test_a_set_quickbooks_cannot_parse_is_resent_one_request_at_a_time(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    members = [Member(mms_id=f"M-{n}", display_name=f"Member {n}") for n in range(3)]
    ledger.record(members)
    connector = web_connector(service, company_file)
    connector.inject("hresult", contains="CustomerAddRq", hresult="0x80040400",
                     message=PARSE_ERROR_MESSAGE)
    sync_until_idle(connector)
    assert set(statuses(ledger).values()) == {Status.SYNCED.value}
    assert len(company_file.store.lists_of(("Customer",))) == 3


def test_a_request_quickbooks_cannot_parse_alone_needs_a_person(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record([Member(mms_id="M-1", display_name="Only One")])
    connector = web_connector(service, company_file)
    connector.inject("hresult", contains="CustomerAddRq", hresult="0x80040400",
                     message=PARSE_ERROR_MESSAGE)
    sync_until_idle(connector)
    (item,) = ledger.items()
    assert item.status == Status.ERROR.value
    assert item.error_code == "0x80040400"
    assert item.error_remedy


def test_a_stale_edit_sequence_is_reread_and_the_change_sent_again(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    member = Member(mms_id="M-1", display_name="Ada Keel", email="ada@example.org")
    ledger.record([member])
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    customer = company_file.customer("Ada Keel")
    assert customer is not None
    # The bookkeeper edits the customer in QuickBooks: our EditSequence is now stale.
    company_file.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
        '"stopOnError"><CustomerModRq><CustomerMod><ListID>' + customer.list_id +
        "</ListID><EditSequence>" + customer.edit_sequence + "</EditSequence><Phone>555"
        "</Phone></CustomerMod></CustomerModRq></QBXMLMsgsRq></QBXML>")
    ledger.record([attrs.evolve(member, email="ada.keel@example.org")])
    sync_until_idle(connector)
    sent = requests_sent(connector)
    assert sent[-3:] == ["CustomerModRq", "CustomerQueryRq", "CustomerModRq"]
    customer = company_file.customer("Ada Keel")
    assert customer is not None
    assert customer.fields["Email"][0].text == "ada.keel@example.org"
    assert set(statuses(ledger).values()) == {Status.SYNCED.value}


def test_a_bad_reference_needs_a_person_and_holds_back_only_its_dependants(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.map("club", "item", "DUES", "Dues That Do Not Exist")
    ledger.record(sample_records())
    sync_until_idle(web_connector(service, company_file))
    found = statuses(ledger)
    assert found[("invoice", "INV-9001")] == Status.ERROR.value
    assert found[("payment", "PAY-9001")] == Status.BLOCKED.value
    assert found[("member", "M-9001")] == Status.SYNCED.value
    assert found[("credit_memo", "CM-9001")] == Status.SYNCED.value
    invoice = next(i for i in ledger.items() if i.kind == "invoice")
    assert invoice.error_code == "3140"
    assert "ledgersync map" in (invoice.error_remedy or "")


def test_a_busy_record_is_tried_again_in_the_same_session(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    company_file.inject_status(3175, request_type="InvoiceAddRq")
    reports = [web_connector(service, company_file).run_update()]
    assert reports[0].outcome == "done"
    all_once(ledger, company_file)


def test_a_customer_name_used_by_someone_else_needs_a_person(
        make_ledger: LedgerFactory, company_file: CompanyFile) -> None:
    ledger = make_ledger({"club": company_settings(match_customers_by="none")})
    _add_customer(company_file, "Ada Keel", "someone-else")
    ledger.record([Member(mms_id="M-1", display_name="Ada Keel", account_number="9001")])
    sync_until_idle(web_connector(QbwcService(ledger), company_file))
    (item,) = ledger.items()
    assert item.status == Status.ERROR.value
    assert item.error_code == "3100"
    assert len(company_file.store.lists_of(("Customer",))) == 1


def test_a_hand_made_customer_with_the_members_account_number_is_linked_not_duplicated(
        make_ledger: LedgerFactory, company_file: CompanyFile) -> None:
    ledger = make_ledger({"club": company_settings(match_customers_by="none")})
    listed = _add_customer(company_file, "Ada Keel", "9001")
    ledger.record([Member(mms_id="M-1", display_name="Ada Keel", account_number="9001")])
    sync_until_idle(web_connector(QbwcService(ledger), company_file))
    (item,) = ledger.items()
    assert item.status == Status.SYNCED.value
    assert item.external_id == listed
    assert len(company_file.store.lists_of(("Customer",))) == 1


def test_new_members_are_matched_to_customers_of_the_list_read_by_account_number(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    listed = _add_customer(company_file, "Keel, Ada", "9001")
    ledger.record([Member(mms_id="M-1", display_name="Ada Keel", account_number="9001")])
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    (item,) = ledger.items()
    assert item.external_id == listed
    assert "CustomerAddRq" not in requests_sent(connector)


def test_a_name_over_41_characters_needs_a_person_and_nothing_is_sent(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record([Member(mms_id="M-1", display_name="A" * 45)])
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    (item,) = ledger.items()
    assert item.status == Status.ERROR.value
    assert "45 characters" in (item.error_message or "")
    assert "at most 41" in (item.error_remedy or "")
    assert "CustomerAddRq" not in requests_sent(connector)


def test_a_voided_invoice_is_voided_in_quickbooks(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    invoice: Any = next(r for r in sample_records() if r.kind == "invoice")  # an Invoice
    member = next(r for r in sample_records() if r.kind == "member")
    ledger.record([member, invoice])
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    ledger.record([attrs.evolve(invoice, voided=True)])
    sync_until_idle(connector)
    (voided,) = company_file.transactions("Invoice")
    assert voided.voided
    assert company_file.customer_balance("Ada Keel") == Decimal("0.00")


def test_lists_are_read_page_by_page_for_mapping(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lists, "PAGE", 50)
    for n in range(120):  # more than one iterator page of customers
        _add_customer(company_file, f"Existing {n:03d}", f"E{n}")
    ledger.record([Member(mms_id="M-1", display_name="New Member")])
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    state = service.sessions.state("club")
    customers = state.get("qbwc:list:customers")
    assert len(customers["rows"]) == 120  # read before the new member was written
    continued = [t for t in connector.sent if 'iterator="Continue"' in t]
    assert len(continued) == 2  # pages 2 and 3 of the customers
    accounts = {row["name"] for row in state.get("qbwc:list:accounts")["rows"]}
    assert {"Accounts Receivable", "Checking"} <= accounts
    assert state.get("qbwc:list:tax_items")["rows"][0]["name"] == "IL Sales Tax"


def _add_customer(company_file: CompanyFile, name: str, account: str) -> str:
    response = company_file.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
        f'"stopOnError"><CustomerAddRq><CustomerAdd><Name>{name}</Name><AccountNumber>'
        f"{account}</AccountNumber></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>")
    list_id = parse_xml(response).findtext("QBXMLMsgsRs/CustomerAddRs/CustomerRet/ListID")
    assert list_id
    return list_id


def test_items_whose_lease_ran_out_are_looked_up_before_anything_is_sent_again(
        make_ledger: LedgerFactory, company_file: CompanyFile) -> None:
    now = [dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)]
    ledger = make_ledger(clock=lambda: now[0])
    ledger.record(sample_records())
    connector = web_connector(QbwcService(ledger), company_file)
    connector.inject("drop_response", contains="InvoiceAddRq")
    connector.run_update()
    company_file._processor.saved.clear()  # and QuickBooks forgot the stored answer
    now[0] += dt.timedelta(hours=1)  # the session's leases (15 min) ran out
    sync_until_idle(connector)
    invoice = next(i for i in ledger.items() if i.kind == "invoice")
    assert Status.IN_DOUBT.value in [e.to_status for e in ledger.history(invoice.id)]
    assert "InvoiceQueryRq" in requests_sent(connector)
    assert company_file.write_count("InvoiceAdd", "9001") == 1
    all_once(ledger, company_file)


def test_every_message_set_carries_a_new_message_set_id(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    ids = [parse_xml(text).find("QBXMLMsgsRq").get("newMessageSetID")  # type: ignore[union-attr]
           for text in connector.sent]
    assert all(ids)
    assert len(set(ids)) == len(ids)
    assert all(len(i) <= 24 for i in ids)  # type: ignore[arg-type]


def test_a_warning_status_is_a_success_with_the_warning_kept(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record([Member(mms_id="M-1", display_name="Ada Keel")])
    company_file.inject_status(530, request_type="CustomerAddRq")
    sync_until_idle(web_connector(service, company_file))
    (item,) = ledger.items()
    assert item.status == Status.SYNCED.value
    reasons = [e.reason or "" for e in ledger.history(item.id)]
    assert any("530" in reason for reason in reasons)


def test_a_web_connector_that_timed_out_after_delivering_the_answer_loses_nothing(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    connector.inject("timeout_after_receive", contains="InvoiceAddRq")
    assert connector.run_update().outcome == "died"
    invoice = next(i for i in ledger.items() if i.kind == "invoice")
    assert invoice.status == Status.SYNCED.value  # the server had recorded the answer
    seen = len(connector.sent)
    sync_until_idle(connector)
    assert "probe" not in requests_sent(connector, seen)
    all_once(ledger, company_file)
