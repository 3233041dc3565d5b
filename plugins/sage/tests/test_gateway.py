"""The gateway client: one session reused, its endpoint followed, renewed before it lapses,
signed in again when Intacct ends it; `connect` naming the credential at fault."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest

from ledgersync import ConnectorError
from ledgersync.testing import TricklingServer
from ledgersync_sage.connect import check
from ledgersync_sage.errors import IntacctFailure
from ledgersync_sage.functions import query
from ledgersync_sage.gateway import XmlGateway
from ledgersync_sage.rest import RestClient
from ledgersync_sage.sandbox import Sandbox
from ledgersync_sage.settings import SageSettings

from .conftest import Clock, rest_settings, sandbox_settings


class Recorder:
    def __init__(self, sandbox: Sandbox) -> None:
        self.inner = sandbox.transport()
        self.urls: list[str] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        self.bodies.append(request.read())
        return self.inner.handle_request(request)


def gateway(sandbox: Sandbox, clock: Clock, **overrides: Any) -> tuple[XmlGateway, Recorder]:
    recorder = Recorder(sandbox)
    settings = SageSettings(**sandbox_settings(**overrides))
    return XmlGateway(settings, transport=httpx.MockTransport(recorder), clock=clock), recorder


def accounts(client: XmlGateway) -> None:
    client.one(query("q", "GLACCOUNT", ["ACCOUNTNO"]), unique_id=False)


def test_one_session_serves_many_requests_at_the_endpoint_it_names(
        sandbox: Sandbox, clock: Clock) -> None:
    sandbox.config.gateway.endpoint = "https://eu.intacct.example/ia/xml/xmlgw.phtml"
    client, seen = gateway(sandbox, clock)
    accounts(client)
    accounts(client)
    assert sum(b"<getAPISession" in b for b in seen.bodies) == 1
    assert seen.urls[0] == "https://api.intacct.com/ia/xml/xmlgw.phtml"
    assert seen.urls[1:] == ["https://eu.intacct.example/ia/xml/xmlgw.phtml"] * 2
    assert all(b"<sessionid>" in b for b in seen.bodies[1:])


@pytest.mark.parametrize("named", [
    "/endpoint>endpoint>https://api.intacct.com/ia/xml/xmlgw.phtml",  # found by the fuzzer
    "api.intacct.com/ia/xml/xmlgw.phtml", "ftp://api.intacct.com/ia/xml/xmlgw.phtml",
    "http://api.intacct.com/ia/xml/xmlgw.phtml",  # plain http after an https sign-in
    "https://[::1/ia/xml/xmlgw.phtml"])
def test_a_session_endpoint_that_is_not_an_https_url_is_refused_before_it_is_used(
        sandbox: Sandbox, clock: Clock, named: str) -> None:
    sandbox.config.gateway.endpoint = named
    client, seen = gateway(sandbox, clock)
    with pytest.raises(IntacctFailure, match="session endpoint") as failure:
        accounts(client)
    assert seen.urls == ["https://api.intacct.com/ia/xml/xmlgw.phtml"]  # the sign-in only
    assert not failure.value.sent
    assert "\n" not in failure.value.message


def test_the_session_is_renewed_before_it_lapses(sandbox: Sandbox, clock: Clock) -> None:
    client, seen = gateway(sandbox, clock, session_renew_seconds=600)
    accounts(client)
    clock.advance(115 * 60)  # 5 minutes left of 120
    accounts(client)
    assert sum(b"<getAPISession" in b for b in seen.bodies) == 2


def test_a_session_intacct_ended_is_replaced_and_the_request_repeated_once(
        sandbox: Sandbox) -> None:
    client, seen = gateway(sandbox, Clock())
    accounts(client)
    sandbox.gateway.expire_sessions()
    accounts(client)
    assert sum(b"<getAPISession" in b for b in seen.bodies) == 2


def test_without_sessions_every_request_logs_in(sandbox: Sandbox, clock: Clock) -> None:
    client, seen = gateway(sandbox, clock, use_session=False)
    accounts(client)
    assert b"<login>" in seen.bodies[0]
    assert not any(b"<getAPISession" in b for b in seen.bodies)


def test_connect_names_a_sender_the_company_has_not_authorised(
        sandbox: Sandbox, clock: Clock) -> None:
    sandbox.config.gateway.authorised["HARBORCLUB"] = set()
    client, _ = gateway(sandbox, clock)
    with pytest.raises(ConnectorError, match="sender ID 'ls_sender' is not authorised") as e:
        check(client, client.settings)
    assert "Web Services authorizations" in (e.value.remedy or "")


def test_connect_names_the_user_login(sandbox: Sandbox, clock: Clock) -> None:
    client, _ = gateway(sandbox, clock, user_password="wrong")
    with pytest.raises(ConnectorError, match="user login 'mms_api_user'"):
        check(client, client.settings)


def test_connect_names_the_sender_credentials(sandbox: Sandbox, clock: Clock) -> None:
    client, _ = gateway(sandbox, clock, sender_password="wrong")
    with pytest.raises(ConnectorError, match="sender credentials were refused"):
        check(client, client.settings)


def test_connect_names_the_entity(sandbox: Sandbox, clock: Clock) -> None:
    client, _ = gateway(sandbox, clock, entity_id="NOWHERE")
    with pytest.raises(ConnectorError, match="entity 'NOWHERE' was refused"):
        check(client, client.settings)


def test_connect_describes_a_good_connection(sandbox: Sandbox, clock: Clock) -> None:
    client, _ = gateway(sandbox, clock, entity_id="MARINA-EAST")
    line = check(client, client.settings)
    assert "HARBORCLUB" in line
    assert "entity MARINA-EAST" in line


# -- the request deadline ---------------------------------------------------------------------


def test_an_answer_trickled_past_the_request_deadline_is_a_timeout(clock: Clock) -> None:
    # Each byte comes well within the read timeout; the whole answer would take 40 s.
    answer = b"<response>" + b" " * 190
    with TricklingServer(answer, interval=0.2, content_type="application/xml") as server:
        settings = SageSettings(**sandbox_settings(
            endpoint_url=server.url, use_session=False, timeout_seconds=2.0,
            request_deadline_seconds=1.0))
        client = XmlGateway(settings, clock=clock)
        with pytest.raises(IntacctFailure) as raised:
            accounts(client)
        assert server.body_bytes_sent < len(answer)  # cut before the answer ended
    assert (raised.value.level, raised.value.code) == ("transport", "timeout")
    assert raised.value.sent  # in doubt: what was sent is looked up before a resend
    assert "request deadline of 1 s" in str(raised.value)


def test_headers_trickled_past_the_request_deadline_are_a_timeout(clock: Clock) -> None:
    # The status line and headers a byte every 0.2 s, each within the read timeout.
    with TricklingServer(b"<response/>", interval=0.2, content_type="application/xml",
                         trickle_headers=True) as server:
        settings = SageSettings(**sandbox_settings(
            endpoint_url=server.url, use_session=False, timeout_seconds=2.0,
            request_deadline_seconds=1.0))
        client = XmlGateway(settings, clock=clock)
        with pytest.raises(IntacctFailure) as raised:
            accounts(client)
        assert server.heads_sent == 0  # cut while the headers were still coming
    assert (raised.value.level, raised.value.sent) == ("transport", True)
    assert "request deadline of 1 s" in str(raised.value)


def test_a_rest_answer_trickled_past_the_request_deadline_is_a_timeout() -> None:
    class Tokens:
        def access_token(self) -> str:
            return "token"

    answer = b"{}" + b" " * 198
    with TricklingServer(answer, interval=0.2) as server:
        settings = SageSettings(**rest_settings(api_base_url=server.url, timeout_seconds=2.0,
                                                request_deadline_seconds=1.0))
        client = RestClient(settings, cast(Any, Tokens()), httpx.Client(timeout=2.0))
        with pytest.raises(IntacctFailure) as raised:
            client.call("POST", "/objects/general-ledger/journal-entry", {})
        assert server.body_bytes_sent < len(answer)  # cut before the answer ended
    assert (raised.value.level, raised.value.code, raised.value.sent) == (
        "transport", "timeout", True)
    assert "request deadline of 1 s" in str(raised.value)
