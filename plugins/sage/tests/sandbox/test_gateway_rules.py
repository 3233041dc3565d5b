"""The sandbox refuses what Intacct refuses, at the layer Intacct refuses it, and accepts the
reference sample requests, answering in their shapes."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ledgersync_sage.envelope import parse_response
from ledgersync_sage.errors import IntacctFailure
from ledgersync_sage.sandbox import GatewayConfig, Sandbox, SandboxConfig

from ..conftest import sample

URL = "https://api.intacct.com/ia/xml/xmlgw.phtml"


@pytest.fixture
def sandbox() -> Sandbox:
    """Credentials of the reference samples (example_sender, mms_api_user at HARBORCLUB)."""
    sandbox = Sandbox(SandboxConfig(gateway=GatewayConfig(
        senders={"example_sender": "SENDER_PASSWORD"},
        users={("HARBORCLUB", "mms_api_user"): "USER_PASSWORD"},
        authorised={"HARBORCLUB": {"example_sender"}})))
    for number in ("1150", "4010", "4110"):  # the accounts sample 03 posts to
        sandbox.company().add_account(number, number)
    sandbox.company().add_dimension("CUSTOMER", "M-10442", "Jane Q. Boater")
    return sandbox


def post(sandbox: Sandbox, body: bytes) -> bytes:
    return sandbox.gateway.handle(body, url=URL)


def session_id(sandbox: Sandbox, *, entity: bool = True) -> str:
    body = sample("01_getAPISession_request.xml")
    if not entity:
        body = body.replace(b"<locationid>MARINA-EAST</locationid>", b"")
    answer = parse_response(post(sandbox, body))
    data = answer.results[0].data
    assert data is not None
    return data.findtext("api/sessionid") or ""


def with_session(sandbox: Sandbox, name: str, *, entity: bool = True) -> bytes:
    body = sample(name).replace(b"SESSION_ID_FROM_getAPISession",
                                session_id(sandbox, entity=entity).encode())
    return re.sub(rb"<!--.*?-->", b"", body, flags=re.S)


def glbatch_request(sandbox: Sandbox, old: bytes = b"", new: bytes = b"") -> bytes:
    return with_session(sandbox, "03_create_glbatch_request.xml").replace(old, new)


def test_the_session_sample_is_answered_like_the_session_response_sample(
        sandbox: Sandbox) -> None:
    answer = parse_response(post(sandbox, sample("01_getAPISession_request.xml")))
    result = answer.results[0]
    assert (result.status, result.function) == ("success", "getAPISession")
    assert result.data is not None
    assert result.data.findtext("api/endpoint") == URL
    assert result.data.findtext("api/locationid") == "MARINA-EAST"
    assert answer.authentication.session_timeout is not None


def test_the_journal_entry_sample_posts_and_answers_with_its_recordno(
        sandbox: Sandbox) -> None:
    result = parse_response(post(sandbox, glbatch_request(sandbox))).results[0]
    assert result.ok
    assert result.controlid == "mms-gl-HARBORCLUB-batch-000123-v1"
    record_no = result.records()[0]["RECORDNO"]
    batch = sandbox.company().batches[int(record_no)]
    assert (batch.reference_no, len(batch.lines)) == ("MMS-000123", 3)


def test_the_reference_query_sample_finds_the_posted_entry(sandbox: Sandbox) -> None:
    post(sandbox, glbatch_request(sandbox))
    result = parse_response(post(sandbox, with_session(
        sandbox, "13_query_glbatch_by_referenceno_request.xml"))).results[0]
    assert result.ok
    rows = result.records()
    assert [(r["REFERENCENO"], r["JOURNAL.SYMBOL"], r["STATE"]) for r in rows] == [
        ("MMS-000123", "GJ", "Posted")]


def test_a_completed_controlid_does_not_run_again_with_uniqueid(sandbox: Sandbox) -> None:
    post(sandbox, glbatch_request(sandbox))
    again = parse_response(post(sandbox, glbatch_request(sandbox))).results[0]
    assert again.status == "failure"
    assert "already executed" in again.errors[0].description2
    assert len(sandbox.company().batches) == 1


def test_without_uniqueid_the_same_controlid_posts_twice(sandbox: Sandbox) -> None:
    body = glbatch_request(sandbox, b"<uniqueid>true</uniqueid>", b"<uniqueid>false</uniqueid>")
    post(sandbox, body)
    post(sandbox, body)
    assert len(sandbox.company().batches) == 2


def test_a_failed_function_may_be_sent_again_with_its_controlid(sandbox: Sandbox) -> None:
    sandbox.company().accounts["4110"].active = False
    failed = parse_response(post(sandbox, glbatch_request(sandbox))).results[0]
    assert failed.status == "failure"
    sandbox.company().accounts["4110"].active = True
    assert parse_response(post(sandbox, glbatch_request(sandbox))).results[0].ok


@pytest.mark.parametrize(("old", "new", "text"), [
    (b"<TRX_AMOUNT>650.00</TRX_AMOUNT>", b"<TRX_AMOUNT>651.00</TRX_AMOUNT>",
     "do not balance"),
    (b"<TRX_AMOUNT>650.00</TRX_AMOUNT>", b"<TRX_AMOUNT>-650.00</TRX_AMOUNT>",
     "Invalid TRX_AMOUNT"),
    (b"<TR_TYPE>-1</TR_TYPE>", b"<TR_TYPE>2</TR_TYPE>", "Invalid TR_TYPE"),
    (b"<PROJECTID>DOCK-B</PROJECTID>", b"<PROJECTID>DOCK-Z</PROJECTID>",
     "Invalid Project 'DOCK-Z' specified."),
    (b"<DEPARTMENT>DOCKS</DEPARTMENT>", b"<DEPARTMENT>NOPE</DEPARTMENT>",
     "Department 'NOPE' is not valid"),
    (b"<BATCH_DATE>04/30/2024</BATCH_DATE>", b"<BATCH_DATE>2024-04-30</BATCH_DATE>",
     "expected mm/dd/yyyy"),
    (b"<JOURNAL>GJ</JOURNAL>", b"<JOURNAL>XJ</JOURNAL>", "Journal 'XJ' is not valid"),
    (b"<DESCRIPTION>Transient slip fees</DESCRIPTION>", b"<MEMO>Transient</MEMO>",
     "Invalid field(s) for GLENTRY: MEMO"),
    (b"<ACCOUNTNO>4110</ACCOUNTNO>", b"<ACCOUNTNO>9999</ACCOUNTNO>",
     "Account 9999 is not valid"),
])
def test_journal_entry_rules_refuse_with_intacct_texts(
        sandbox: Sandbox, old: bytes, new: bytes, text: str) -> None:
    books = sandbox.company()
    body = glbatch_request(sandbox, old, new)
    assert body != glbatch_request(sandbox)
    result = parse_response(post(sandbox, body)).results[0]
    assert result.status == "failure"
    assert text in result.errors[0].description2
    assert result.errors[0].errorno == "BL01001973"
    assert not books.batches


def test_a_closed_period_is_refused(sandbox: Sandbox) -> None:
    sandbox.company().closed_through = dt.date(2024, 4, 30)
    result = parse_response(post(sandbox, glbatch_request(sandbox))).results[0]
    assert "Periods are closed" in result.errors[0].description2


def test_a_required_dimension_is_enforced_per_account(sandbox: Sandbox) -> None:
    sandbox.company().accounts["1150"].requires.add("DEPARTMENT")
    result = parse_response(post(sandbox, glbatch_request(sandbox))).results[0]
    assert result.errors[0].description2.startswith(
        "This transaction is missing the Department dimension for the Account 1150")


def test_multi_entity_needs_a_location_on_every_line_at_top_level(sandbox: Sandbox) -> None:
    sandbox.company().multi_entity = True
    body = with_session(sandbox, "03_create_glbatch_request.xml", entity=False).replace(
        b"<LOCATION>MARINA-EAST</LOCATION>", b"")
    result = parse_response(post(sandbox, body)).results[0]
    assert "Use of empty Location is invalid" in result.errors[0].description2


def test_an_entity_session_gives_lines_its_location(sandbox: Sandbox) -> None:
    sandbox.company().multi_entity = True
    body = glbatch_request(sandbox, b"<LOCATION>MARINA-EAST</LOCATION>", b"")
    result = parse_response(post(sandbox, body)).results[0]
    assert result.ok
    batch = next(iter(sandbox.company().batches.values()))
    assert {line["LOCATION"] for line in batch.lines} == {"MARINA-EAST"}


def test_multi_entity_balances_per_entity(sandbox: Sandbox) -> None:
    sandbox.company().multi_entity = True
    body = glbatch_request(sandbox).replace(
        b"<LOCATION>MARINA-EAST</LOCATION>\n                <DEPARTMENT>DOCKS",
        b"<LOCATION>MARINA-WEST</LOCATION>\n                <DEPARTMENT>DOCKS")
    result = parse_response(post(sandbox, body)).results[0]
    assert "do not balance for entity" in result.errors[0].description2


def test_a_transaction_rolls_back_every_function_when_one_fails(sandbox: Sandbox) -> None:
    body = glbatch_request(sandbox)
    second = body.replace(b"mms-gl-HARBORCLUB-batch-000123-v1", b"second").replace(
        b"<ACCOUNTNO>4110</ACCOUNTNO>", b"<ACCOUNTNO>9999</ACCOUNTNO>")
    function = re.search(rb"<function .*</function>", second, re.S)
    assert function is not None
    both = body.replace(b"</content>", function.group(0) + b"</content>")
    results = parse_response(post(sandbox, both)).results
    assert [r.status for r in results] == ["aborted", "failure"]
    assert results[0].errors[0].errorno == "XL03000009"
    assert not sandbox.company().batches


def test_get_api_session_must_be_alone_in_its_request(sandbox: Sandbox) -> None:
    body = sample("01_getAPISession_request.xml")
    doubled = body.replace(b"</content>", b'<function controlid="x"><getAPISession/>'
                           b"</function></content>")
    results = parse_response(post(sandbox, doubled)).results
    assert all(r.status == "failure" for r in results)


def test_a_wrong_sender_password_fails_at_control_and_nothing_runs(sandbox: Sandbox) -> None:
    body = sample("01_getAPISession_request.xml").replace(b"SENDER_PASSWORD", b"nope")
    with pytest.raises(IntacctFailure) as caught:
        parse_response(post(sandbox, body))
    assert (caught.value.level, caught.value.code) == ("control", "XL03000006")
    assert not sandbox.gateway.sessions


def test_a_sender_the_company_has_not_authorised_fails_at_authentication(
        sandbox: Sandbox) -> None:
    sandbox.config.gateway.authorised["HARBORCLUB"] = set()
    with pytest.raises(IntacctFailure) as caught:
        parse_response(post(sandbox, sample("01_getAPISession_request.xml")))
    assert caught.value.level == "authentication"
    assert "not authorized" in caught.value.message


def test_a_wrong_user_password_fails_at_authentication(sandbox: Sandbox) -> None:
    body = sample("01_getAPISession_request.xml").replace(b"USER_PASSWORD", b"nope")
    with pytest.raises(IntacctFailure, match="Sign-in information is incorrect"):
        parse_response(post(sandbox, body))


def test_an_expired_session_fails_at_authentication(sandbox: Sandbox) -> None:
    body = glbatch_request(sandbox)
    sandbox.gateway.expire_sessions()
    with pytest.raises(IntacctFailure) as caught:
        parse_response(post(sandbox, body))
    assert caught.value.level == "authentication"
    assert not sandbox.company().batches


def test_malformed_xml_is_a_control_failure(sandbox: Sandbox) -> None:
    with pytest.raises(IntacctFailure) as caught:
        parse_response(post(sandbox, b"<request><control></request>"))
    assert caught.value.code == "XL03000003"


def test_a_query_page_larger_than_2000_is_refused(sandbox: Sandbox) -> None:
    body = with_session(sandbox, "13_query_glbatch_by_referenceno_request.xml").replace(
        b"<pagesize>10</pagesize>", b"<pagesize>2001</pagesize>")
    result = parse_response(post(sandbox, body)).results[0]
    assert result.status == "failure"
    assert "pagesize" in result.errors[0].description2


def test_more_concurrent_requests_than_allowed_get_429_gw_0010(sandbox: Sandbox) -> None:
    sandbox.config.max_concurrent = 0
    status, body, headers, _ = sandbox.respond(sample("01_getAPISession_request.xml"), URL)
    assert status == 429
    assert headers["Retry-After"]
    with pytest.raises(IntacctFailure) as caught:
        parse_response(body, http_status=status)
    assert caught.value.code == "GW-0010"
