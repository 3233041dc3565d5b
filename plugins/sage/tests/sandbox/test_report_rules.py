"""The sandbox's reads are as strict as Intacct's: ``get_trialbalance`` takes its documented
parameters and real dates only, a query's date filter takes mm/dd/yyyy, functions it does not
know are refused, and the REST query refuses fields the object lacks."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from ledgersync_sage.envelope import Function, element
from ledgersync_sage.errors import IntacctFailure
from ledgersync_sage.functions import get_trialbalance, query
from ledgersync_sage.gateway import XmlGateway
from ledgersync_sage.sandbox import Sandbox
from ledgersync_sage.settings import SageSettings

from ..conftest import sandbox_settings


@pytest.fixture
def gateway(sandbox: Sandbox) -> XmlGateway:
    return XmlGateway(SageSettings(**sandbox_settings()), transport=sandbox.transport())


def trialbalance(*children: ET.Element) -> Function:
    return Function("tb", element("get_trialbalance", None, *children))


def day(tag: str, year: str, month: str, number: str) -> ET.Element:
    return element(tag, None, element("year", year), element("month", month),
                   element("day", number))


def refusal(gateway: XmlGateway, function: Function) -> str:
    with pytest.raises(IntacctFailure) as refused:
        gateway.one(function, unique_id=False)
    return refused.value.details()


def test_the_trial_balance_answers_every_account_for_a_date_range(gateway: XmlGateway) -> None:
    result = gateway.one(get_trialbalance("tb", dt.date(2027, 1, 1), dt.date(2027, 1, 31)),
                         unique_id=False)
    rows = result.records()
    assert {row["glaccountno"] for row in rows} >= {"1200", "1499", "2200", "4000"}
    assert set(rows[0]) == {"glaccountno", "startbalance", "debits", "credits", "adjdebits",
                            "adjcredits", "endbalance", "reportingbook", "currency"}


def test_the_trial_balance_refuses_a_parameter_it_does_not_document(
        gateway: XmlGateway) -> None:
    function = trialbalance(day("startdate", "2027", "01", "01"),
                            day("enddate", "2027", "01", "31"), element("glaccountno", "1200"))
    assert "does not take glaccountno" in refusal(gateway, function)


def test_the_trial_balance_refuses_a_day_that_does_not_exist(gateway: XmlGateway) -> None:
    function = trialbalance(day("startdate", "2027", "02", "30"),
                            day("enddate", "2027", "03", "31"))
    assert "Invalid startdate 02/30/2027" in refusal(gateway, function)


def test_the_trial_balance_refuses_a_date_written_as_text(gateway: XmlGateway) -> None:
    function = trialbalance(element("startdate", "2027-01-01"),
                            day("enddate", "2027", "01", "31"))
    assert "startdate takes year, month and day" in refusal(gateway, function)


def test_the_trial_balance_needs_both_dates(gateway: XmlGateway) -> None:
    function = trialbalance(day("enddate", "2027", "01", "31"))
    assert "Required field startdate is missing" in refusal(gateway, function)


def test_the_trial_balance_refuses_a_start_after_the_end(gateway: XmlGateway) -> None:
    function = trialbalance(day("startdate", "2027", "02", "01"),
                            day("enddate", "2027", "01", "31"))
    assert "is after the end date" in refusal(gateway, function)


def test_the_trial_balance_refuses_a_boolean_that_is_not_true_or_false(
        gateway: XmlGateway) -> None:
    function = trialbalance(day("startdate", "2027", "01", "01"),
                            day("enddate", "2027", "01", "31"),
                            element("showzerobalances", "yes"))
    assert "showzerobalances is true or false" in refusal(gateway, function)


def test_the_trial_balance_refuses_another_reporting_book(gateway: XmlGateway) -> None:
    function = trialbalance(day("startdate", "2027", "01", "01"),
                            day("enddate", "2027", "01", "31"), element("reportingbook", "CASH"))
    assert "Invalid reporting book 'CASH'" in refusal(gateway, function)


def test_a_query_refuses_a_date_filter_not_written_mm_dd_yyyy(gateway: XmlGateway) -> None:
    function = query("q", "GLENTRY", ["RECORDNO"],
                     ("lessthanorequalto", "ENTRY_DATE", "2027-01-31"))
    assert "Invalid date '2027-01-31' for ENTRY_DATE" in refusal(gateway, function)


def test_a_query_refuses_a_field_the_object_lacks(gateway: XmlGateway) -> None:
    function = query("q", "GLBATCH", ["RECORDNO", "WHENCREATED"])
    assert "Invalid field(s) WHENCREATED for GLBATCH" in refusal(gateway, function)


def test_an_unknown_function_is_refused(gateway: XmlGateway) -> None:
    assert "get_aging" in refusal(gateway, Function("x", element("get_aging")))


def test_the_rest_query_refuses_a_field_the_object_lacks(sandbox: Sandbox) -> None:
    http = httpx.Client(transport=sandbox.transport())
    token = http.post("https://api.intacct.com/ia/api/v1/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "ls-client",
        "client_secret": "ls-client-secret"}).json()["access_token"]
    answer = http.post("https://api.intacct.com/ia/api/v1/services/core/query", headers={
        "Authorization": f"Bearer {token}"}, json={
        "object": "general-ledger/journal-entry-line", "fields": ["glAccount.id", "entryDate"],
        "filters": [], "start": 1, "size": 10})
    assert answer.status_code == 400
    assert "Unknown field(s) entryDate" in json.dumps(answer.json())
