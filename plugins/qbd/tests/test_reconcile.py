"""`ledgersync reconcile` for QuickBooks Desktop: balances come from the customer list a Web
Connector session reads, so they are used only when read after the last write; progress of a
session reaches an embedding app item by item."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgersync import ConnectorError, Ledger, Status
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.qbxml.lists import LIST_REFRESH
from ledgersync_qbd.sandbox import CompanyFile

from .conftest import sync_until_idle, web_connector

MEMBER_BALANCE = Decimal("341.25")  # as in test_sessions_work.py


def test_reconcile_is_refused_until_an_update_has_read_the_transactions(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    with pytest.raises(ConnectorError, match="has not read QuickBooks' receivable "
                                             "transactions yet") as refused:
        ledger.reconcile("club")
    assert "next Web Connector update" in (refused.value.remedy or "")
    sync_until_idle(connector)  # the update runs the transaction queries
    report = ledger.reconcile("club")
    assert report.ties_out
    assert report.source == "transactions"
    assert report.total_remote == MEMBER_BALANCE


def test_todays_balances_are_refused_until_read_after_the_last_write(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    sync_until_idle(connector)  # read the lists first, then wrote
    with pytest.raises(ConnectorError, match="before the last update wrote"):
        ledger.connector("club").customer_balances()
    assert service.sessions.state("club").get(LIST_REFRESH) == ["customers"]
    sync_until_idle(connector)  # the update reads the customer list again
    assert sum(ledger.connector("club").customer_balances().values()) == MEMBER_BALANCE


def test_balances_were_never_read_on_a_new_company(ledger: Ledger) -> None:
    with pytest.raises(ConnectorError, match="not been read yet"):
        ledger.connector("club").customer_balances()


def test_balances_as_of_a_past_date_come_from_the_transactions_read_for_it(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    sync_until_idle(web_connector(service, company_file))
    day = dt.date(2026, 3, 7)  # the invoice and the part payment
    with pytest.raises(ConnectorError, match="has not read QuickBooks' receivable "
                                             "transactions yet") as refused:
        ledger.connector("club").customer_balances(day)
    assert "Update Selected" in (refused.value.remedy or "")
    sync_until_idle(web_connector(service, company_file))
    assert list(ledger.connector("club").customer_balances(day).values()) == \
        [Decimal("341.25")]


def test_jobs_are_in_their_customers_balance_only(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    [member] = [c for c in company_file.store.lists_of(("Customer",))]
    company_file.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
        f'"stopOnError"><CustomerAddRq><CustomerAdd><Name>Dock 4</Name><ParentRef><ListID>'
        f"{member.list_id}</ListID></ParentRef></CustomerAdd></CustomerAddRq>"
        "</QBXMLMsgsRq></QBXML>")
    service.sessions.state("club").put(LIST_REFRESH, ["customers"])
    sync_until_idle(connector)
    balances = ledger.connector("club").customer_balances()
    assert balances == {member.list_id: MEMBER_BALANCE}


def test_a_session_that_only_reads_lists_leaves_no_empty_run(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile) -> None:
    ledger.record(sample_records())
    connector = web_connector(service, company_file)
    sync_until_idle(connector)
    runs = len(ledger.runs(company="club"))
    service.sessions.state("club").put(LIST_REFRESH, ["customers"])
    assert sync_until_idle(connector) == ["done", "none"]
    assert len(ledger.runs(company="club")) == runs


def test_every_recorded_item_is_told_to_the_service_observer(
        ledger: Ledger, company_file: CompanyFile) -> None:
    told: list[tuple[str, str]] = []
    service = QbwcService(ledger, on_item=lambda pulled, status: told.append(
        (pulled.request.kind, status)))
    records = sample_records()
    ledger.record(records)
    sync_until_idle(web_connector(service, company_file))
    synced = [i for i in ledger.items(limit=None) if i.status == Status.SYNCED.value]
    assert sorted(kind for kind, _ in told) == sorted(i.kind for i in synced)
    assert {status for _, status in told} == {Status.SYNCED.value}
