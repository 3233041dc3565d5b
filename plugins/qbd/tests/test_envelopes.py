"""The real Web Connector traffic in data/envelopes/, replayed against our endpoint.

Each captured request is sent byte for byte with its captured headers (SOAPAction, Content-Type),
through the same code path as HTTP requests (``QbwcApp.handle``). The server's own tickets are
put in place of the captured ones where the call must reach a session; every answer is checked,
and its shape (element names, namespace) is compared with the answer QBWC accepted then.

The captured host is QuickBooks Pro 2006 (qbXML up to 5.0): ledgersync needs 8.0 for the
ExternalGUID its recovery relies on, so the right answer to its sendRequestXML is "" followed by
a getLastError that says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgersync import Ledger, Member, Status
from ledgersync_qbd.qbwc.app import QbwcApp
from ledgersync_qbd.qbwc.soap import NS, SOAP11
from ledgersync_qbd.xmlsafe import Element, local, parse

from .conftest import ENVELOPES, LedgerFactory, company_settings

LOG = ENVELOPES / "consolibyte-log-2008"
FLOWLINK = ENVELOPES / "flowlink-2014"
CAPTURED_TICKETS = ("c94c84b3d59fe7a1603b765dd734e481", "ea0bf596246b623664adb465cc8662a2")


def headers(name: str) -> dict[str, str]:
    lines = (LOG / f"{name}.request-headers.txt").read_text().splitlines()
    return {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines
                                                      if ":" in line)}


def body(path: Path, ticket: str | None = None) -> bytes:
    raw = path.read_bytes()
    if ticket is not None:
        for captured in CAPTURED_TICKETS:
            raw = raw.replace(captured.encode(), ticket.encode())
    return raw


def call(app: QbwcApp, name: str, ticket: str | None = None) -> tuple[int, Element]:
    head = headers(name)
    request = body(LOG / f"{name}.request.xml", ticket)
    if ticket is None:
        assert len(request) == int(head["content-length"])  # byte-exact replay
    status, answer = app.handle(request, head["content-type"], head.get("soapaction"))
    return status, parse(answer, max_bytes=10_000_000)


def result(envelope: Element) -> Element:
    response = envelope.find(f"{{{SOAP11}}}Body")[0]  # type: ignore[index]
    assert response.tag.startswith(f"{{{NS}}}")
    return response[0]


def shape(envelope: Element) -> list[str]:
    """Local names from the Body down, with whether each is in the Intuit namespace."""
    names = []
    node = envelope.find(f"{{{SOAP11}}}Body")
    while node is not None and len(node):
        node = node[0]
        names.append(f"{local(node.tag)}:{node.tag.startswith(f'{{{NS}}}')}")
    return names


def same_shape_as_captured(envelope: Element, name: str) -> None:
    captured = parse((LOG / f"{name}.response.xml").read_bytes(), max_bytes=10_000_000)
    assert shape(envelope) == shape(captured)


@pytest.fixture
def club(make_ledger: LedgerFactory) -> Ledger:
    # The captured session's user and password.
    ledger = make_ledger({"club": company_settings("api", password="password")})
    ledger.record([Member(mms_id="M-1", display_name="Shannon 171 Daniels")])
    return ledger


@pytest.fixture
def app(club: Ledger) -> QbwcApp:
    return QbwcApp(club)


@pytest.mark.parametrize("name", ["01-serverVersion", "07-serverVersion"])
def test_server_version_is_answered_like_the_captured_one(app: QbwcApp, name: str) -> None:
    status, envelope = call(app, name)
    assert status == 200
    assert (result(envelope).text or "").startswith("ledgersync")
    same_shape_as_captured(envelope, name)


@pytest.mark.parametrize("name", ["02-clientVersion", "08-clientVersion"])
def test_client_version_2_0_0_116_is_accepted_without_a_minimum(app: QbwcApp, name: str
                                                                ) -> None:
    status, envelope = call(app, name)
    assert status == 200
    assert not result(envelope).text
    same_shape_as_captured(envelope, name)


@pytest.mark.parametrize(("policy", "expected"), [
    ("warn", "W:"), ("error", "E:"), ("upgrade", "O:2.1.0.30")])
def test_an_older_client_is_warned_refused_or_asked_to_upgrade(
        club: Ledger, policy: str, expected: str) -> None:
    app = QbwcApp(club, min_client_version="2.1.0.30", client_version_policy=policy)
    _, envelope = call(app, "02-clientVersion")
    assert (result(envelope).text or "").startswith(expected)


@pytest.mark.parametrize("name", ["03-authenticate", "09-authenticate"])
def test_authenticate_with_the_captured_credentials_opens_a_session(
        app: QbwcApp, name: str) -> None:
    status, envelope = call(app, name)
    assert status == 200
    ticket, where = [s.text or "" for s in result(envelope)]
    assert len(ticket) >= 40
    assert where == ""
    assert app.service.sessions.load(ticket) is not None
    same_shape_as_captured(envelope, name)


def test_authenticate_with_a_wrong_password_answers_nvu(club: Ledger) -> None:
    app = QbwcApp(club)
    request = body(LOG / "03-authenticate.request.xml").replace(b">password<", b">guess<")
    _, answer = app.handle(request, "text/xml; charset=utf-8",
                           '"http://developer.intuit.com/authenticate"')
    values = [s.text or "" for s in result(parse(answer, max_bytes=100_000))]
    assert values[1] == "nvu"


def test_the_captured_sessions_replay_with_the_right_answer_to_every_call(app: QbwcApp
                                                                         ) -> None:
    for first, send, last_error, close in (("03", "04", "05", "06"), ("09", "10", None, None)):
        _, envelope = call(app, f"{first}-authenticate")
        ticket = result(envelope)[0].text or ""
        # Pro 2006 offers qbXML up to 5.0: nothing is sent, and the reason is given.
        status, envelope = call(app, f"{send}-sendRequestXML", ticket)
        assert status == 200
        assert not result(envelope).text
        same_shape_as_captured(envelope, f"{send}-sendRequestXML")
        if last_error is not None:
            _, envelope = call(app, f"{last_error}-getLastError", ticket)
            text = result(envelope).text or ""
            assert "qbXML up to 5.0" in text
            assert "8.0" in text
            same_shape_as_captured(envelope, f"{last_error}-getLastError")
        if close is not None:
            _, envelope = call(app, f"{close}-closeConnection", ticket)
            assert (result(envelope).text or "").startswith("ledgersync: 0 written")
            same_shape_as_captured(envelope, f"{close}-closeConnection")
    # 11: QuickBooks' answer to a request we never sent: -1, nothing recorded.
    _, envelope = call(app, "11-receiveResponseXML", ticket)
    assert result(envelope).text == "-1"
    same_shape_as_captured(envelope, "11-receiveResponseXML")
    # 12-14: the later calls of the session, an empty host description this time.
    _, envelope = call(app, "12-sendRequestXML", ticket)
    assert not result(envelope).text
    _, envelope = call(app, "13-getLastError", ticket)
    assert "8.0" in (result(envelope).text or "")
    _, envelope = call(app, "14-closeConnection", ticket)
    assert (result(envelope).text or "").startswith("ledgersync:")
    item = app.service.ledger.items()[0]
    assert item.status == Status.PENDING.value  # nothing was claimed for an unusable host


@pytest.mark.parametrize("name", ["04-sendRequestXML", "05-getLastError", "06-closeConnection",
                                  "11-receiveResponseXML", "12-sendRequestXML",
                                  "13-getLastError", "14-closeConnection"])
def test_calls_with_tickets_this_server_never_issued_open_nothing(app: QbwcApp, name: str
                                                                 ) -> None:
    status, envelope = call(app, name)
    assert status == 200
    text = result(envelope).text or ""
    if "receiveResponseXML" in name:
        assert text == "-1"
    elif "sendRequestXML" in name:
        assert text == ""
    else:
        assert text.startswith("ledgersync")
    assert app.service.ledger.items()[0].status == Status.PENDING.value


@pytest.mark.parametrize("name", ["receiveResponseXML-InvoiceAddRs",
                                  "receiveResponseXML-ReceivePaymentAddRs"])
def test_captured_flowlink_answers_with_a_foreign_ticket_answer_minus_one(
        app: QbwcApp, name: str) -> None:
    request = (FLOWLINK / f"{name}.request.xml").read_bytes()
    status, answer = app.handle(request, "text/xml; charset=utf-8",
                                "http://developer.intuit.com/receiveResponseXML")
    assert status == 200
    assert result(parse(answer, max_bytes=1_000_000)).text == "-1"


def test_a_captured_answer_to_requests_we_did_not_send_leaves_our_items_in_doubt(
        app: QbwcApp) -> None:
    from ledgersync_qbd.sandbox import CompanyFile
    from ledgersync_qbd.sandbox.webconnector import host_description

    service = app.service
    ticket = service.authenticate("api", "password")[0]
    service.send_request_xml(ticket, host_description(CompanyFile()), "C:\\f.QBW", "US", 13, 0)
    service.receive_response_xml(ticket, "", "0x80040400", "parse error")  # lists: skip them
    ticket = service.authenticate("api", "password")[0]
    xml = service.send_request_xml(ticket, "", "C:\\f.QBW", "US", 13, 0)
    for _ in range(10):  # the list reads come first, one by one after the refused set
        if "CustomerAddRq" in xml:
            break
        service.receive_response_xml(ticket, CompanyFile().process(xml), "", "")
        xml = service.send_request_xml(ticket, "", "C:\\f.QBW", "US", 13, 0)
    assert "CustomerAddRq" in xml
    captured = (FLOWLINK / "receiveResponseXML-InvoiceAddRs.request.xml").read_bytes()
    response = parse(captured, max_bytes=1_000_000).find(
        f".//{{{NS}}}response")
    assert response is not None
    progress = service.receive_response_xml(ticket, response.text or "", "", "")
    assert progress >= 0
    item = service.ledger.items()[0]
    assert item.status == Status.IN_FLIGHT.value  # held for a look-up, never blindly resent
