"""Fuzz: whatever Sage Intacct answers, the connector reads it or raises IntacctFailure.

Mutated XML gateway responses (sign-in, create, query, control/authentication/gateway
failures) go through ``parse_response`` and through ``XmlGateway`` (the session sign-in and a
paged query); mutated REST answers with any status go through ``RestClient``. Never a
KeyError, ValueError, OverflowError or a decoding error. Bounded here; the long run is in
bench/campaign.md.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from ledgersync.testing.fuzzing import counted, fuzz_settings, mutations
from ledgersync_sage.envelope import Response, parse_response
from ledgersync_sage.errors import IntacctFailure
from ledgersync_sage.gateway import XmlGateway
from ledgersync_sage.rest import RestClient
from ledgersync_sage.settings import SageSettings

from .conftest import sample

_QUERY = (b'<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status>'
          b'<senderid>ls_sender</senderid><controlid>req</controlid><uniqueid>false</uniqueid>'
          b'<dtdversion>3.0</dtdversion></control><operation><authentication><status>success'
          b'</status><userid>mms_api_user</userid><companyid>HARBORCLUB</companyid>'
          b'<sessiontimestamp>2026-12-28T09:00:00+00:00</sessiontimestamp><sessiontimeout>'
          b'2026-12-28T10:00:00+00:00</sessiontimeout></authentication><result><status>success'
          b'</status><function>query</function><controlid>ls-query-glbatch-0</controlid><data '
          b'listtype="glbatch" count="2" totalcount="3" offset="0" numremaining="1"><glbatch>'
          b'<RECORDNO>6679</RECORDNO><REFERENCENO>mms:JE-1</REFERENCENO></glbatch><glbatch>'
          b'<RECORDNO>6680</RECORDNO><REFERENCENO>mms:JE-2</REFERENCENO></glbatch></data>'
          b'</result></operation></response>')
XML_SEEDS = [_QUERY] + [sample(name) for name in (
    "02_getAPISession_response.xml", "04_create_glbatch_response_success.xml",
    "05_create_response_failure_BL01001973_default.xml",
    "06_create_response_failure_showadditionalerrorinfo.xml",
    "08_response_control_failure_XL03000003_xml_parse.xml",
    "09_response_gateway_error_GW-0011.xml", "10_response_auth_failure_XL03000006.xml",
    "12_response_transaction_aborted_XL03000009.xml")]
SESSION_SEEDS = [sample("02_getAPISession_response.xml")]
REST_SEEDS = [
    sample("21_rest_error_response_journal_entry.json"),
    b'{"ia::result": [{"key": "41", "referenceNumber": "mms:JE-1"}], "ia::meta": '
    b'{"totalCount": 3, "start": 1, "pageSize": 1, "next": 2, "previous": null}}',
    b'{"ia::result": {"key": "41", "id": "41", "href": "/objects/general-ledger/journal-entry'
    b'/41"}, "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0}}',
]
STATUSES = st.sampled_from([200, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503])
#: As sent on the wire: bytes (a superscript two is a digit to str.isdigit, not to float).
RETRY_AFTER = st.one_of(st.none(), st.sampled_from(
    [b"1", b"120", "\u00b2".encode(), b"\xb2", b"-1", b"1.5", b"", b"1e999"]))
CLOCK = dt.datetime(2026, 12, 28, 9, 0, tzinfo=dt.UTC)


def xml_settings() -> SageSettings:
    return SageSettings(company_id="HARBORCLUB", ar_account="1200", sender_id="ls_sender",
                        sender_password="sender-pass", user_id="mms_api_user",
                        user_password="user-pass")


@fuzz_settings
@given(body=mutations(XML_SEEDS), status=STATUSES)
@counted
def test_fuzz_a_mutated_xml_response_is_read_or_refused(body: bytes, status: int) -> None:
    try:
        response = parse_response(body, http_status=status)
        response.authentication.session_left()
        for result in response.by_controlid().values():
            result.records()
            result.count("numremaining")
            if not result.ok:
                assert result.failure().message
    except IntacctFailure as exc:
        assert exc.message  # noqa: PT017 - the input decides whether it raises
        return
    assert isinstance(response, Response)


@fuzz_settings
@given(session=mutations(SESSION_SEEDS), body=mutations(XML_SEEDS), status=STATUSES,
       retry_after=RETRY_AFTER)
@counted
def test_fuzz_the_xml_gateway_signs_in_and_pages_or_fails_cleanly(
        session: bytes, body: bytes, status: int, retry_after: bytes | None) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {} if retry_after is None else {b"Retry-After": retry_after}
        signing_in = b"getAPISession" in request.content
        return httpx.Response(200 if signing_in else status, headers=headers,
                              content=session if signing_in else body)

    gateway = XmlGateway(xml_settings(), transport=httpx.MockTransport(answer),
                         clock=lambda: CLOCK)
    try:
        # A server may claim rows remain forever: take a bounded number.
        rows = list(itertools.islice(gateway.query_all("GLBATCH", ["RECORDNO"]), 20))
    except IntacctFailure as exc:
        assert exc.message  # noqa: PT017 - the input decides whether it raises
        return
    finally:
        gateway.close()
    assert all(isinstance(row, dict) for row in rows)


@fuzz_settings
@given(body=mutations(REST_SEEDS), status=STATUSES, retry_after=RETRY_AFTER)
@counted
def test_fuzz_any_rest_answer_is_data_or_an_intacct_failure(
        body: bytes, status: int, retry_after: bytes | None) -> None:
    class Tokens:
        def access_token(self) -> str:
            return "access-token"

        def refresh(self, *, failed: str | None) -> None:
            pass

    def answer(_request: httpx.Request) -> httpx.Response:
        headers = {} if retry_after is None else {b"Retry-After": retry_after}
        return httpx.Response(status, headers=headers, content=body)

    settings = SageSettings(company_id="HARBORCLUB", ar_account="1200", api="rest",
                            client_id="ls-client", client_secret="ls-client-secret")
    tokens: Any = Tokens()
    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        client = RestClient(settings, tokens, http)
        try:
            count = client.count("general-ledger/journal-entry")
            rows = list(itertools.islice(client.query("general-ledger/journal-entry", ["key"],
                                                      []), 20))
        except IntacctFailure as exc:
            assert exc.message  # noqa: PT017 - the input decides whether it raises
            return
    assert isinstance(count, int)
    assert all(isinstance(row, dict) for row in rows)
