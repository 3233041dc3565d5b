"""``ledgersync.http.send_within``: one deadline bounds the whole request, the wait for the
status line and headers included, on a new connection and on a reused keep-alive one."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ledgersync.http import DeadlineExceeded, send_within
from ledgersync.testing import TricklingServer

ANSWER = b'{"ok": true}'


def test_headers_trickled_past_the_deadline_end_the_request_before_they_end() -> None:
    # One header byte a second, each within the 5 s read timeout: about 90 s of headers.
    with TricklingServer(ANSWER, interval=1.0, trickle_headers=True) as server, \
            httpx.Client(timeout=5.0) as client:
        with pytest.raises(DeadlineExceeded, match="request deadline of 3 s"):
            send_within(client, "GET", server.url, deadline_seconds=3.0)
        assert server.heads_sent == 0  # cut while the headers were still coming


def test_a_deadline_is_a_read_timeout_for_callers_that_catch_those() -> None:
    assert issubclass(DeadlineExceeded, httpx.ReadTimeout)


def test_an_honest_slow_answer_within_the_deadline_is_read_whole() -> None:
    with TricklingServer(ANSWER, interval=0.01, trickle_headers=True) as server, \
            httpx.Client(timeout=5.0) as client:
        response = send_within(client, "POST", server.url, content=b"{}",
                               deadline_seconds=30.0)
    assert (response.status_code, response.json()) == (200, {"ok": True})


def test_a_reused_connection_trickling_its_headers_is_cut_and_not_pooled_again() -> None:
    # The first answer comes at once on a keep-alive connection; the second request reuses
    # that connection and its headers trickle; the third must not find it in the pool.
    with TricklingServer(ANSWER, interval=0.5, trickle_headers=True, keep_alive=True,
                         trickled={1}) as server, httpx.Client(timeout=5.0) as client:
        assert send_within(client, "GET", server.url, deadline_seconds=30.0).json() == {
            "ok": True}
        with pytest.raises(DeadlineExceeded):
            send_within(client, "GET", server.url, deadline_seconds=2.0)
        assert (server.connections, server.heads_sent) == (1, 1)
        third = send_within(client, "GET", server.url, deadline_seconds=30.0)
        assert third.json() == {"ok": True}
        assert (server.connections, server.requests) == (2, 3)


def test_a_body_trickled_past_the_deadline_is_cut() -> None:
    body = ANSWER + b" " * 100
    with TricklingServer(body, interval=0.5) as server, httpx.Client(timeout=5.0) as client:
        with pytest.raises(DeadlineExceeded):
            send_within(client, "GET", server.url, deadline_seconds=1.0)
        assert server.heads_sent == 1
        assert server.body_bytes_sent < len(body)  # cut before the answer ended


def test_a_connection_still_opening_at_the_deadline_ends_then_as_a_connect_timeout() -> None:
    # The client's connect timeout is unbounded and the listener's accept queue is full (the
    # kernel drops further SYNs): only the deadline ends this connect. Nothing but time tells
    # it from the kernel giving up (also a ConnectTimeout, after tcp_syn_retries, about two
    # minutes), so the bound is generous: 60 times the deadline.
    with _full_listener() as url, \
            httpx.Client(timeout=httpx.Timeout(5.0, connect=None)) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout):
            send_within(client, "GET", url, deadline_seconds=1.0)
        assert time.monotonic() - started < 60


@contextlib.contextmanager
def _full_listener() -> Iterator[str]:
    """The URL of a listener that never accepts, its queue already filled by one connection."""
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler.connect(listener.getsockname())
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_an_in_process_transport_gets_its_answer_without_a_watchdog() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    with httpx.Client(transport=transport) as client:
        response = send_within(client, "GET", "http://books.test/", deadline_seconds=1.0)
    assert response.json() == {"ok": True}


def test_headers_trickled_over_https_on_a_reused_connection_are_cut(
        tmp_path: Path) -> None:
    # The watchdog shuts a TLS socket under the thread reading it; the client's pool then
    # opens a new connection, as over plain HTTP.
    server_context, client_context = _tls_pair(tmp_path)
    with TricklingServer(ANSWER, interval=0.5, trickle_headers=True, keep_alive=True,
                         trickled={1}, ssl_context=server_context) as server, \
            httpx.Client(timeout=5.0, verify=client_context) as client:
        assert server.url.startswith("https://")
        assert send_within(client, "GET", server.url, deadline_seconds=30.0).json() == {
            "ok": True}
        with pytest.raises(DeadlineExceeded):
            send_within(client, "GET", server.url, deadline_seconds=2.0)
        assert (server.connections, server.heads_sent) == (1, 1)
        assert send_within(client, "GET", server.url, deadline_seconds=30.0).json() == {
            "ok": True}
        assert (server.connections, server.requests) == (2, 3)


def _tls_pair(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: the server's context and a client's that
    trusts it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client
