"""The endpoint over real HTTP (uvicorn on loopback): WSDL, SOAPAction forms, 100-continue,
charsets, and hostile or broken requests answered with a fault or a 4xx, never a crash."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator

import pytest

from ledgersync import Ledger
from ledgersync_qbd.qbwc.app import QbwcApp
from ledgersync_qbd.qbwc.soap import NS, SOAP11
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector
from ledgersync_qbd.server import ServerThread
from ledgersync_qbd.xmlsafe import parse

from .conftest import USER, LedgerFactory, company_settings

ENVELOPE = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="'
            f'{SOAP11}"><soap:Body>{{body}}</soap:Body></soap:Envelope>')
SERVER_VERSION = ENVELOPE.format(body=f'<serverVersion xmlns="{NS}"/>')


@pytest.fixture
def server(ledger: Ledger) -> Iterator[ServerThread]:
    with ServerThread(QbwcApp(ledger, read_timeout=1.0, max_body_bytes=200_000)) as running:
        yield running


def post(server: ServerThread, body: bytes, *, action: str | None = None,
         content_type: str = "text/xml; charset=utf-8", path: str = "/qbwc"
         ) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    headers = {"Content-Type": content_type}
    if action is not None:
        headers["SOAPAction"] = action
    conn.request("POST", path, body=body, headers=headers)
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    return answer.status, data


def result_text(data: bytes) -> str:
    envelope = parse(data, max_bytes=1_000_000)
    response = envelope.find(f"{{{SOAP11}}}Body")[0]  # type: ignore[index]
    return response[0].text or ""


def fault_code(data: bytes) -> str:
    envelope = parse(data, max_bytes=1_000_000)
    return envelope.findtext(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault/faultcode") or ""


def test_the_wsdl_names_this_server_as_the_address(server: ServerThread) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request("GET", "/qbwc?wsdl")
    answer = conn.getresponse()
    text = answer.read().decode()
    conn.close()
    assert answer.status == 200
    assert f'location="{server.url}/qbwc"' in text
    for method in ("authenticate", "sendRequestXML", "receiveResponseXML", "getInteractiveURL",
                   "interactiveDone", "interactiveRejected"):
        assert f'soapAction="{NS}{method}"' in text


@pytest.mark.parametrize("action", [f'"{NS}serverVersion"', f"{NS}serverVersion", None, '""'])
def test_soap_action_may_be_quoted_unquoted_or_absent(server: ServerThread,
                                                      action: str | None) -> None:
    status, data = post(server, SERVER_VERSION.encode(), action=action)
    assert status == 200
    assert result_text(data).startswith("ledgersync")


def test_a_soap_action_naming_another_method_is_a_client_fault(server: ServerThread) -> None:
    status, data = post(server, SERVER_VERSION.encode(), action=f'"{NS}authenticate"')
    assert status == 500
    assert fault_code(data) == "soap:Client"


def test_expect_100_continue_gets_continue_then_the_answer(server: ServerThread) -> None:
    body = SERVER_VERSION.encode()
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall((f"POST /qbwc HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: text/xml; "
                      f'charset=utf-8\r\nSOAPAction: "{NS}serverVersion"\r\nContent-Length: '
                      f"{len(body)}\r\nExpect: 100-continue\r\n\r\n").encode())
        assert sock.recv(100).startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        answer = _read_http(sock)
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"serverVersionResult" in answer


def test_an_oversized_body_is_refused_before_it_is_sent(server: ServerThread) -> None:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall((f"POST /qbwc HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: text/xml"
                      "\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n").encode())
        answer = _read_http(sock)
    assert answer.startswith(b"HTTP/1.1 413")


def test_an_oversized_streamed_body_is_refused(server: ServerThread) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    chunks = (b"<" + b"a" * 10_000 + b">" for _ in range(50))
    conn.request("POST", "/qbwc", body=chunks, headers={"Content-Type": "text/xml"},
                 encode_chunked=True)
    answer = conn.getresponse()
    answer.read()
    conn.close()
    assert answer.status == 413


def test_a_body_that_never_finishes_times_out_with_408(server: ServerThread) -> None:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall((f"POST /qbwc HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: text/xml"
                      "\r\nContent-Length: 1000\r\n\r\n<soap:Envelope").encode())
        answer = _read_http(sock)
    assert answer.startswith(b"HTTP/1.1 408")


@pytest.mark.parametrize(("body", "status"), [
    (b"this is not xml", 400),
    (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
     b"<x>&b;</x>", 400),
    (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
     400),
    (b"<a>" * 100 + b"</a>" * 100, 400),
    (b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body/>'
     b"</soap:Envelope>", 500),
    (ENVELOPE.format(body='<serverVersion xmlns="urn:wrong"/>').encode(), 500),
    (ENVELOPE.format(body=f'<dropTables xmlns="{NS}"/>').encode(), 500),
    (ENVELOPE.format(body="").encode(), 500),
])
def test_malformed_hostile_or_unknown_requests_get_a_fault_not_a_crash(
        server: ServerThread, body: bytes, status: int) -> None:
    answer_status, data = post(server, body)
    assert answer_status == status
    assert fault_code(data).startswith("soap:")
    assert post(server, SERVER_VERSION.encode())[0] == 200  # still serving


def test_a_latin_1_body_declared_in_the_document_is_read(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger({"club": company_settings(password="caf\u00e9-m\u00fcnster")})
    with ServerThread(QbwcApp(ledger)) as server:
        body = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + ENVELOPE.split("?>", 1)[1]
                .format(body=f'<authenticate xmlns="{NS}"><strUserName>{USER}</strUserName>'
                        "<strPassword>caf\u00e9-m\u00fcnster</strPassword></authenticate>")
                ).encode("iso-8859-1")
        status, data = post(server, body, content_type="text/xml")
        assert status == 200
        assert b"nvu" not in data  # the password matched: it was decoded as Latin-1


def test_a_latin_1_body_declared_in_the_content_type_is_read(
        make_ledger: LedgerFactory) -> None:
    ledger = make_ledger({"club": company_settings(password="s\u00f8ster-kaj")})
    ledger.record([])
    with ServerThread(QbwcApp(ledger)) as server:
        body = ENVELOPE.split("?>", 1)[1].format(
            body=f'<authenticate xmlns="{NS}"><strUserName>{USER}</strUserName>'
            "<strPassword>s\u00f8ster-kaj</strPassword></authenticate>").encode("iso-8859-1")
        status, data = post(server, body, content_type="text/xml; charset=ISO-8859-1")
        assert status == 200
        assert b"nvu" not in data
        status, _ = post(server, body, content_type="text/xml; charset=x-unknown")
        assert status == 415


def test_other_methods_and_paths_are_refused(server: ServerThread) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request("PUT", "/qbwc", body=b"x")
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 405
    conn.request("GET", "/elsewhere")
    answer = conn.getresponse()
    answer.read()
    conn.close()
    assert answer.status == 404


def test_a_failure_inside_a_call_is_a_server_fault(server: ServerThread,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> str:
        raise RuntimeError("database on fire")

    from ledgersync_qbd.qbwc import service as service_module

    monkeypatch.setattr(service_module.QbwcService, "server_version", broken)
    status, data = post(server, SERVER_VERSION.encode())
    assert status == 500
    assert fault_code(data) == "soap:Server"
    assert b"on fire" not in data  # internals stay in the log


def test_the_app_mounts_in_a_vendors_starlette_app(ledger: Ledger) -> None:
    import anyio
    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Mount

    vendor = Starlette(routes=[Mount("/accounting", app=QbwcApp(ledger))])

    async def calls() -> tuple[int, str, str]:
        transport = httpx.ASGITransport(app=vendor)
        async with httpx.AsyncClient(transport=transport, base_url="http://club.test") as client:
            answer = await client.post("/accounting/qbwc", content=SERVER_VERSION,
                                       headers={"Content-Type": "text/xml"})
            wsdl = await client.get("/accounting/qbwc?wsdl")
            return answer.status_code, answer.text, wsdl.text

    status, text, wsdl = anyio.run(calls)
    assert status == 200
    assert "serverVersionResult" in text
    assert 'location="http://club.test/accounting/qbwc"' in wsdl


def _read_http(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def test_answers_do_not_wait_for_delayed_acks(server: ServerThread,
                                              company_file: CompanyFile) -> None:
    # With Nagle's algorithm on the server's sockets, a call whose request and answer each
    # go out in two writes (headers, then body: requests/urllib3 under zeep, uvicorn) waits
    # for a delayed ACK, about 40 ms on Linux, and an update of a few hundred calls mostly
    # waits. Measured with the simulated Web Connector's own SOAP client.
    client = SimulatedWebConnector(f"{server.url}/qbwc", USER, "x", company_file).service
    client.serverVersion()  # the WSDL is read once
    times = []
    for _ in range(10):
        started = time.perf_counter()
        client.serverVersion()
        times.append(time.perf_counter() - started)
    assert min(times) < 0.03, times


def test_many_web_connectors_at_once_are_handled_a_few_at_a_time(ledger: Ledger) -> None:
    """200 Web Connectors at once exhausted the ledger's connection pool (calls waited 30 s for
    a connection, then failed): calls beyond MAX_CALLS_AT_ONCE wait before taking a thread."""
    import threading

    from ledgersync_qbd.qbwc.app import MAX_CALLS_AT_ONCE

    app = QbwcApp(ledger)
    handle = app.handle
    lock = threading.Lock()
    running = peak = 0

    def counted(*args: object) -> tuple[int, bytes]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        try:
            return handle(*args)  # type: ignore[arg-type]  # the same arguments, passed on
        finally:
            with lock:
                running -= 1

    app.handle = counted  # type: ignore[method-assign,assignment]  # counts calls in progress
    with ServerThread(app) as running_server:
        answers: list[int] = []
        callers = [threading.Thread(target=lambda: answers.append(
            post(running_server, SERVER_VERSION.encode())[0])) for _ in range(30)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
    assert answers == [200] * 30
    assert 1 < peak <= MAX_CALLS_AT_ONCE
