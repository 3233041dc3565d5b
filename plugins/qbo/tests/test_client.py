"""The API client: minorversion and a timeout on every call, requestid on every write, query
paging and quoting, and the two conditions it handles itself (401 once, 500 once)."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from ledgersync import ExportRequest, Invoice, InvoiceLine, Member, Operation
from ledgersync.http import DeadlineExceeded
from ledgersync.testing import TricklingServer
from ledgersync_qbo import querytext
from ledgersync_qbo.client import READ_RETRY_DELAYS, QboClient
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.errors import QboError
from ledgersync_qbo.sandbox import Sandbox
from ledgersync_qbo.settings import QboSettings


def create_request(record: Invoice | Member, key: str = "ls-" + "e" * 40) -> ExportRequest:
    refs = {("member", "M-58"): "58", ("item", "DUES"): "21"}
    return ExportRequest(item_id=3, company="harbor", kind=record.kind,
                         operation=Operation.CREATE, record=record, idempotency_key=key,
                         attempt=1, references=refs)


def an_invoice(number: str = "INV-1") -> Invoice:
    return Invoice(mms_id=number, member_id="M-58", number=number, currency="USD",
                   txn_date=dt.date(2026, 1, 15),
                   lines=(InvoiceLine(item_id="DUES", quantity=Decimal(1),
                                      rate=Decimal("10.00"), amount=Decimal("10.00")),))


def test_every_call_sends_minorversion_75(connector: QboConnector, sandbox: Sandbox) -> None:
    connector.export(create_request(an_invoice()))
    connector.check()
    list(connector.reference("Account"))
    assert sandbox.minor_versions
    assert {use.requested for use in sandbox.minor_versions} == {"75"}


def test_every_write_carries_the_items_requestid(connector: QboConnector,
                                                 sandbox: Sandbox) -> None:
    request = create_request(an_invoice())
    connector.export(request)
    assert [w.request_id for w in sandbox.writes()] == [request.idempotency_key]


def test_a_write_resent_with_its_requestid_is_replayed_not_repeated(
        connector: QboConnector, sandbox: Sandbox) -> None:
    request = create_request(an_invoice())
    first = connector.export(request)
    second = connector.export(request)
    assert second.external_id == first.external_id
    assert sandbox.write_count("Invoice") == 1
    assert sandbox.replays == 1


def test_a_500_is_resubmitted_once_and_the_write_replays(connector: QboConnector,
                                                        sandbox: Sandbox) -> None:
    sandbox.inject(500, entity="invoice", after_write=True)
    connector.export(create_request(an_invoice()))
    assert sandbox.write_count("Invoice") == 1
    assert sandbox.replays == 1


def test_a_second_500_in_a_row_is_raised(connector: QboConnector, sandbox: Sandbox) -> None:
    sandbox.inject(500, entity="invoice", times=2)
    with pytest.raises(QboError) as raised:
        connector.export(create_request(an_invoice()))
    assert raised.value.status == 500
    assert sandbox.write_count("Invoice") == 0


def test_a_fault_in_http_200_is_raised(connector: QboConnector, sandbox: Sandbox) -> None:
    sandbox.inject("6000", entity="invoice", http200=True)
    with pytest.raises(QboError) as raised:
        connector.export(create_request(an_invoice()))
    assert (raised.value.code, raised.value.status) == ("6000", 200)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_every_call_has_a_timeout_and_a_silent_server_leaves_the_write_in_doubt(
        connector: QboConnector, silent_server: str) -> None:
    client = QboClient(base_url=silent_server, realm_id="1", tokens=connector.tokens,
                       timeout=0.5)
    with pytest.raises(QboError) as raised:
        client.create("Invoice", {"Line": []}, requestid="r-1")
    # A read timeout, not the request deadline (150 s): the per-read timeout ended it.
    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)
    assert not isinstance(raised.value.__cause__, DeadlineExceeded)
    assert (raised.value.code, raised.value.sent) == ("timeout", True)
    client.close()


def test_a_server_trickling_its_answer_is_cut_at_the_request_deadline(
        connector: QboConnector) -> None:
    # Each byte comes well within the read timeout; the whole answer would take 40 s.
    answer = b'{"Invoice": {"Id": "1", "SyncToken": "0"}}' + b" " * 158
    with TricklingServer(answer, interval=0.2) as server:
        client = QboClient(base_url=server.url, realm_id="1", tokens=connector.tokens,
                           timeout=2.0, deadline=1.0)
        with pytest.raises(QboError) as raised:
            client.create("Invoice", {"Line": []}, requestid="r-1")
        client.close()
        assert server.body_bytes_sent < len(answer)  # cut before the answer ended
    assert (raised.value.code, raised.value.sent) == ("timeout", True)
    assert "request deadline of 1 s" in str(raised.value)
    assert server.requests == 1  # a write is not resent here: it is looked up first


def test_a_server_trickling_its_headers_is_cut_at_the_request_deadline(
        connector: QboConnector) -> None:
    # The status line and headers a byte every 0.2 s, each within the read timeout: httpx
    # waits for them before any body, so a deadline read between body chunks never starts.
    with TricklingServer(b'{"Invoice": {"Id": "1"}}', interval=0.2,
                         trickle_headers=True) as server:
        client = QboClient(base_url=server.url, realm_id="1", tokens=connector.tokens,
                           timeout=2.0, deadline=1.0)
        with pytest.raises(QboError) as raised:
            client.create("Invoice", {"Line": []}, requestid="r-1")
        client.close()
        assert server.heads_sent == 0  # cut while the headers were still coming
    assert (raised.value.code, raised.value.sent) == ("timeout", True)
    assert "request deadline of 1 s" in str(raised.value)


def test_an_answer_within_the_request_deadline_is_read_whole(connector: QboConnector) -> None:
    answer = b'{"Invoice": {"Id": "1", "SyncToken": "0"}}'
    with TricklingServer(answer, interval=0.01) as server:
        client = QboClient(base_url=server.url, realm_id="1", tokens=connector.tokens,
                           timeout=2.0, deadline=10.0)
        assert client.create("Invoice", {"Line": []}, requestid="r-1") == {
            "Id": "1", "SyncToken": "0"}
        client.close()


def test_the_request_deadline_is_a_setting_with_a_default() -> None:
    assert QboSettings(realm_id="1", client_id="c", client_secret="s"
                       ).request_deadline_seconds == 150.0
    with pytest.raises(ValueError, match="request_deadline_seconds"):
        QboSettings(realm_id="1", client_id="c", client_secret="s",
                    request_deadline_seconds=0)


def test_an_unreachable_host_is_known_not_to_have_been_sent(connector: QboConnector) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = QboClient(base_url=f"http://127.0.0.1:{port}", realm_id="1",
                       tokens=connector.tokens, timeout=1.0)
    client.sleep = lambda seconds: None
    with pytest.raises(QboError) as raised:
        client.read("Customer", "58")
    assert (raised.value.code, raised.value.sent) == ("network", False)
    client.close()


def test_queries_page_through_every_row_once(connector: QboConnector) -> None:
    for n in range(7):
        connector.export(create_request(Member(mms_id=f"M-{n}", display_name=f"Pager {n}"),
                                        key=f"ls-page-{n}"))
    rows = list(connector.client.query_all("Customer", include_inactive=True, page=3))
    assert len(rows) == len({r["Id"] for r in rows}) == 4 + 7


def test_quoting_escapes_apostrophes_and_backslashes() -> None:
    assert querytext.quote("O'Brien") == "'O\\'Brien'"
    assert querytext.quote("a\\b") == "'a\\\\b'"
    assert querytext.equals("DisplayName", "O'Brien").inexact is False


def test_characters_the_query_parser_mishandles_become_like_wildcards() -> None:
    condition = querytext.equals("DisplayName", "Siobhán O\u2019Brien")
    assert condition.text == "DisplayName LIKE 'Siobh%n O%Brien'"
    assert condition.inexact
    assert querytext.same_text(" siobhán  o\u2019brien", "Siobhán O\u2019Brien")


def test_names_with_apostrophes_and_accents_are_found(connector: QboConnector) -> None:
    for n, name in enumerate(("Pat O'Brien", "Siobhán O\u2019Brien", "Siobhan O'Brien")):
        connector.export(create_request(Member(mms_id=f"M-{n}", display_name=name),
                                        key=f"ls-name-{n}"))
    for n, name in enumerate(("Pat O'Brien", "Siobhán O\u2019Brien", "Siobhan O'Brien")):
        found = connector.finder.find_created(create_request(
            Member(mms_id=f"M-{n}", display_name=name)))
        assert found is not None
        assert found["DisplayName"] == name


def test_a_read_is_retried_with_backoff_after_passing_failures(connector: QboConnector,
                                                               sandbox: Sandbox) -> None:
    waits: list[float] = []
    connector.client.sleep = waits.append
    sandbox.inject(503, entity="query", times=2)
    assert connector.client.query("SELECT * FROM Customer WHERE Id = '58'")
    assert waits == list(READ_RETRY_DELAYS)


def test_a_read_failing_past_its_retries_is_raised(connector: QboConnector,
                                                   sandbox: Sandbox) -> None:
    connector.client.sleep = lambda seconds: None
    sandbox.inject(503, entity="query", times=len(READ_RETRY_DELAYS) + 1)
    with pytest.raises(QboError) as raised:
        connector.client.query("SELECT * FROM Customer")
    assert raised.value.status == 503


def test_a_write_is_never_retried_by_the_client(connector: QboConnector,
                                               sandbox: Sandbox) -> None:
    connector.client.sleep = lambda seconds: pytest.fail("a write must not be retried")
    sandbox.inject(503, entity="invoice")
    with pytest.raises(QboError):
        connector.export(create_request(an_invoice()))
    assert sandbox.write_count("Invoice") == 0
