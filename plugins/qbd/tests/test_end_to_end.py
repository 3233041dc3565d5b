"""The issue's end-to-end test: a club's year through `ledgersync serve` and a simulated Web
Connector (zeep over HTTP on loopback), with the failures the Web Connector is known for.

`ledgersync serve` runs as a separate process (restarted once in the middle); the test process
records the MMS records, drives the simulated Web Connector against a simulated company file,
and plays the operator and the bookkeeper. Injected on the way:

* the answer to the first invoice set is lost (QuickBooks ran it);
* the server process is restarted;
* the Web Connector dies holding the first payment set (QuickBooks never ran it);
* QuickBooks answers 3140 (invalid reference) to the first credit memo; the operator requeues;
* the bookkeeper edits a customer in QuickBooks, then the MMS changes the member: 3200.

It ends with every record in the company file exactly once and every customer's balance equal
to the MMS balance.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import ledgersync
from ledgersync import ItemFilter, Ledger, Member, Status
from ledgersync.demo.dataset import generate
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.webconnector import SimulatedWebConnector
from ledgersync_qbd.sandbox.xml import parse_xml
from ledgersync_qbd.testing import (
    CLUB_MAPPINGS,
    CompanyFileProbe,
    expected_balances,
    prepare_company_file,
)

USER, PASSWORD_ENV, PASSWORD = "harbor-wc", "QBD_E2E_PASSWORD", "tide-and-time-42"
KINDS = ("member", "invoice", "payment", "credit_memo", "refund", "journal_entry")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServeProcess:
    """`ledgersync serve` in a child process of this test (stopped by its own pid)."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/qbwc"

    def start(self) -> None:
        env = {**os.environ, PASSWORD_ENV: PASSWORD}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ledgersync.cli", "--config", str(self.config), "serve",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/qbwc?wsdl")
                ready = conn.getresponse().status == 200
                conn.close()
                if ready:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"ledgersync serve did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "ledgersync.toml"
    path.write_text(f"""
[ledger]
url = "{database_url}"

[plugins]
enabled = ["qbd"]

[companies.harbor]
connector = "qbd"
schedule = "manual"

[companies.harbor.qbd]
username = "{USER}"
password = "env:{PASSWORD_ENV}"
busy_seconds = 0
message_set_size = 25
payment_methods = {{ card = "Visa", check = "Check" }}
""", encoding="utf-8")
    return path


@pytest.fixture
def server(config: Path, tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(config, tmp_path / "serve.log")
    yield process
    process.stop()


def until_idle(connector: SimulatedWebConnector, limit: int = 30) -> None:
    for _ in range(limit):
        report = connector.run_update()
        if report.outcome == "none":
            return
        assert report.outcome == "done", report.text()
    raise AssertionError("still work after many updates")


def sets_with(connector: SimulatedWebConnector, start: int) -> list[list[str]]:
    found = []
    for text in connector.sent[start:]:
        msgs = parse_xml(text).find("QBXMLMsgsRq")
        assert msgs is not None
        found.append([str(rq.tag) for rq in msgs] or ["probe"])
    return found


def test_a_club_year_syncs_exactly_once_through_serve_despite_every_failure(
        config: Path, server: ServeProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    dataset = generate(members=14, seed=11)
    ledger: Ledger = ledgersync.open(config)
    try:
        for (kind, mms_id), remote in CLUB_MAPPINGS.items():
            ledger.map("harbor", kind, mms_id, remote)
        company_file = CompanyFile(company_name="Harbor Club")
        prepare_company_file(company_file)
        ledger.record(dataset.records)
        server.start()
        connector = SimulatedWebConnector(server.url, USER, PASSWORD, company_file)

        # 1. The answer to the first invoice set is lost; then the server restarts.
        company_file.inject_status(3140, request_type="CreditMemoAddRq")
        connector.inject("drop_response", contains="InvoiceAddRq")
        assert connector.run_update().outcome == "died"
        server.stop()
        server.start()
        # 2. The next session asks QuickBooks first; then it dies holding a payment set.
        recovered_from = len(connector.sent)
        connector.inject("die_before_run", contains="ReceivePaymentAddRq")
        assert connector.run_update().outcome == "died"
        assert sets_with(connector, recovered_from)[0] == ["probe"]
        probe_from = len(connector.sent)
        until_idle(connector)
        after = sets_with(connector, probe_from)
        assert after[0] == ["probe"]  # QuickBooks has no answer: it never ran that set
        assert any("ReceivePaymentQueryRq" in requests for requests in after[1:3])

        # 3. The 3140: the credit memo needs a person; its refund waits for it.
        statuses = {(i.kind, i.mms_id): i for i in ledger.items(ItemFilter(company="harbor"),
                                                                limit=None)}
        failed = [i for i in statuses.values() if i.status == Status.ERROR.value]
        assert [(i.kind, i.error_code) for i in failed] == [("credit_memo", "3140")]
        assert "ledgersync map" in (failed[0].error_remedy or "")
        assert statuses[("refund", "RF-001")].status == Status.BLOCKED.value
        assert ledger.requeue(ItemFilter(company="harbor", status=[Status.ERROR])) == 1
        until_idle(connector)

        # 4. The bookkeeper edits a customer in QuickBooks; the MMS then changes the member.
        member = next(r for r in dataset.records if isinstance(r, Member))
        customer = company_file.customer(member.display_name)
        assert customer is not None
        company_file.process(
            '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
            f'"stopOnError"><CustomerModRq><CustomerMod><ListID>{customer.list_id}</ListID>'
            f"<EditSequence>{customer.edit_sequence}</EditSequence><Phone>555-0100</Phone>"
            "</CustomerMod></CustomerModRq></QBXMLMsgsRq></QBXML>")
        ledger.record([attrs.evolve(member, email="new.address@example.org")])
        edits_from = len(connector.sent)
        until_idle(connector)
        flat = [rq for requests in sets_with(connector, edits_from) for rq in requests]
        assert flat == ["CustomerModRq", "CustomerQueryRq", "CustomerModRq"]
        customer = company_file.customer(member.display_name)
        assert customer is not None
        assert customer.fields["Email"][0].text == "new.address@example.org"

        # The books: everything synced, every record once, every balance the MMS balance.
        items = ledger.items(ItemFilter(company="harbor"), limit=None)
        assert {i.status for i in items} == {Status.SYNCED.value}
        probe = CompanyFileProbe(company_file, "harbor")
        for record in dataset.records:
            if record.kind in KINDS:
                assert probe.count(record.kind, record.mms_id) == 1, record.mms_id
        assert len(company_file.store.txns) == sum(
            1 for r in dataset.records if r.kind in KINDS and r.kind != "member")
        members = {r.mms_id: r for r in dataset.records if isinstance(r, Member)}
        for member_id, balance in expected_balances(dataset.records).items():
            name = members[member_id].display_name
            assert company_file.customer_balance(name) == balance, name
    finally:
        ledger.close()
