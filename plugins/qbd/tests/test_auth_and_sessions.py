"""Who may connect, what a ticket opens, and that sessions live in the ledger, not a process."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgersync import Ledger, LedgerSyncError, Member, Status, verify_password
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc.auth import SECRET_NAME, hash_password
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.qbwc.sessions import INDEX, ticket_hash
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import host_description
from ledgersync_qbd.testing import CompanyFileProbe

from .conftest import PASSWORD, USER, LedgerFactory, company_settings, web_connector

HCP_ARGS = ("C:\\club.QBW", "US", 13, 0)


def test_a_wrong_password_answers_nvu(service: QbwcService) -> None:
    ticket, status = service.authenticate(USER, "not-the-password")
    assert status == "nvu"
    assert service.sessions.load(ticket) is None


def test_an_unknown_user_answers_nvu(service: QbwcService) -> None:
    assert service.authenticate("nobody", PASSWORD)[1] == "nvu"


def test_no_work_answers_none_after_the_first_list_read(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    connector = web_connector(service, company_file)
    assert connector.run_update().outcome == "done"  # the first session reads the lists
    assert service.authenticate(USER, PASSWORD)[1] == "none"


def test_work_answers_a_random_ticket_and_the_open_company_file(
        ledger: Ledger, service: QbwcService) -> None:
    ledger.record(sample_records())
    first, where = service.authenticate(USER, PASSWORD)
    assert where == ""
    assert len(first) >= 40
    second = service.authenticate(USER, PASSWORD)[0]
    assert second != first
    assert service.sessions.load(first) is None  # the newer session took over


def test_tickets_are_stored_only_as_hashes(ledger: Ledger, service: QbwcService) -> None:
    ledger.record(sample_records())
    ticket = service.authenticate(USER, PASSWORD)[0]
    index = service.sessions.state(INDEX)
    assert index.keys("ticket:") == [f"ticket:{ticket_hash(ticket)}"]
    assert ticket not in repr(service.sessions.state("club").keys())


def test_a_live_session_makes_a_second_one_wait_busy(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger({"club": company_settings(busy_seconds=120)})
    ledger.record(sample_records())
    service = QbwcService(ledger)
    service.authenticate(USER, PASSWORD)
    assert service.authenticate(USER, PASSWORD)[1] == "busy"


def test_a_ticket_expires(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger({"club": company_settings(ticket_ttl_seconds=10)})
    ledger.record(sample_records())
    now = [service_clock_start()]
    service = QbwcService(ledger, clock=lambda: now[0])
    ticket = service.authenticate(USER, PASSWORD)[0]
    assert service.sessions.load(ticket) is not None
    now[0] = now[0].replace(minute=now[0].minute + 1)
    assert service.sessions.load(ticket) is None
    assert service.send_request_xml(ticket, "", *HCP_ARGS) == ""
    assert "expired" in service.get_last_error(ticket)


def service_clock_start() -> dt.datetime:
    return dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_a_stored_scrypt_hash_is_checked_and_the_password_is_not_kept(
        make_ledger: LedgerFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", "x" * 43 + "=")
    ledger = make_ledger({"club": {"username": USER, "busy_seconds": 0}})
    stored = hash_password("a-long-password")
    assert stored.startswith("scrypt$")
    assert "a-long-password" not in stored
    ledger.secrets("club").set(SECRET_NAME, stored)
    ledger.record(sample_records())
    service = QbwcService(ledger)
    assert service.authenticate(USER, "a-long-password")[1] == ""
    assert service.authenticate(USER, "wrong")[1] == "nvu"
    assert verify_password("a-long-password", stored)


def test_two_companies_cannot_share_a_web_connector_user(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger({"a": company_settings(), "b": company_settings()})
    with pytest.raises(LedgerSyncError, match="same Web Connector username"):
        QbwcService(ledger)


def test_a_ticket_of_one_company_never_fetches_or_answers_anothers_work(
        make_ledger: LedgerFactory) -> None:
    ledger = make_ledger({"alpha": company_settings("alpha-wc"),
                          "bravo": company_settings("bravo-wc")})
    ledger.record([Member(mms_id="A-1", display_name="Alpha Member")], companies=["alpha"])
    ledger.record([Member(mms_id="B-1", display_name="Bravo Member")], companies=["bravo"])
    service = QbwcService(ledger)
    alpha_file, bravo_file = CompanyFile(), CompanyFile()
    # Alpha's Web Connector syncs; bravo's work is untouched and never appears in its sets.
    alpha = web_connector(service, alpha_file, username="alpha-wc")
    while alpha.run_update().outcome != "none":
        pass
    assert all("Bravo" not in text for text in alpha.sent)
    assert alpha_file.customer("Bravo Member") is None
    bravo_item = next(i for i in ledger.items() if i.company == "bravo")
    assert bravo_item.status == Status.PENDING.value
    # A forged index entry pointing alpha's ticket at bravo opens nothing: the session stored
    # under bravo does not exist, and one stored under alpha names alpha.
    ticket = service.authenticate("alpha-wc", PASSWORD)[0]
    ledger.record([Member(mms_id="A-2", display_name="Alpha Two")], companies=["alpha"])
    ticket = service.authenticate("alpha-wc", PASSWORD)[0]
    service.sessions.state(INDEX).put(f"ticket:{ticket_hash(ticket)}", {"company": "bravo"})
    assert service.send_request_xml(ticket, host_description(bravo_file), *HCP_ARGS) == ""
    assert service.receive_response_xml(ticket, "<QBXML/>", "", "") == -1
    assert next(i for i in ledger.items() if i.company == "bravo").status == \
        Status.PENDING.value


def test_an_answer_carrying_another_sets_request_ids_changes_nothing(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record([Member(mms_id="M-1", display_name="Ada Keel")])
    connector = web_connector(service, company_file)
    connector.run_update()  # lists
    ledger.record([Member(mms_id="M-2", display_name="Bob Keel")])
    ticket = service.authenticate(USER, PASSWORD)[0]
    xml = service.send_request_xml(ticket, host_description(company_file), *HCP_ARGS)
    assert "Bob Keel" in xml
    foreign = company_file.process(xml.replace('requestID="', 'requestID="x'))
    assert service.receive_response_xml(ticket, foreign, "", "") >= 0
    bob = next(i for i in ledger.items() if i.mms_id == "M-2")
    assert bob.status == Status.IN_FLIGHT.value  # unanswered: it is looked up next, not resent
    assert connector.run_update().outcome == "done"
    assert CompanyFileProbe(company_file, "club").count("member", "M-2") == 1


def test_a_session_continues_on_another_server_process(
        make_ledger: LedgerFactory, company_file: CompanyFile) -> None:
    first = make_ledger()
    first.record(sample_records())
    service = QbwcService(first)
    ticket = service.authenticate(USER, PASSWORD)[0]
    web_connector(service, company_file)
    xml = service.send_request_xml(ticket, host_description(company_file), *HCP_ARGS)
    # The answer arrives at a second process with its own ledger object on the same database,
    # and the rest of the update at a third (a restart in between).
    second = QbwcService(make_ledger(mappings=False))
    progress = second.receive_response_xml(ticket, company_file.process(xml), "", "")
    assert 0 <= progress < 100
    third = QbwcService(make_ledger(mappings=False))
    while progress < 100:
        xml = third.send_request_xml(ticket, "", *HCP_ARGS)
        progress = third.receive_response_xml(ticket, company_file.process(xml), "", "")
    assert third.close_connection(ticket).startswith("ledgersync: 6 written")
    assert {i.status for i in first.items()} == {Status.SYNCED.value}


def test_a_connection_error_is_recorded_and_answered_done(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    connector.inject("connection_error")
    report = connector.run_update()
    assert report.outcome == "connection error"
    assert "connectionError: done" in report.text()
    last = service.sessions.state("club").get("qbwc:last_error")
    assert "could not open the company file" in last["error"]


def test_interactive_mode_is_declined_politely(service: QbwcService) -> None:
    assert service.get_interactive_url("t", "s") == ""
    assert service.interactive_done("t") == "Done"
    assert "interactive" in service.interactive_rejected("t", "user closed it")


def test_another_company_file_than_the_registered_one_is_refused(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    from ledgersync_qbd.qwc import file_id

    registered = file_id(service.sessions.state("club"))
    ledger.record(sample_records())
    wrong = web_connector(service, company_file, file_id="{00000000-0000-0000-0000-0000000000AA}")
    report = wrong.run_update()
    assert report.outcome == "error"
    assert registered in report.text()
    assert company_file.store.txns == {}
    right = web_connector(service, company_file, file_id=registered)
    assert right.run_update().outcome == "done"


def test_a_paused_company_is_told_there_is_no_work(ledger: Ledger, service: QbwcService,
                                                   company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    company_file.set_read_only()  # 3260: QuickBooks refuses the application's writes
    connector = web_connector(service, company_file)
    connector.run_update()
    assert any(c.paused_reason for c in ledger.companies())
    assert service.authenticate(USER, PASSWORD)[1] == "none"
    company_file.set_read_only(False)
    ledger.resume("club")
    assert connector.run_update().outcome == "done"
    assert {i.status for i in ledger.items()} == {Status.SYNCED.value}
