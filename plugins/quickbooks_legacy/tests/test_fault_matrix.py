"""The fault matrix (bench/campaign.md) of the two-stage path: each failure of the
intermediary, injected while the sample records go through both stages, must end tied out:
every item synced, every record in the intermediary exactly once, every customer's balance at
the desktop the MMS one (``ledgersync reconcile``).

Failures before the intermediary saw a write (a 503, a timeout) and a timeout after it took one
are made by the transport; a lost answer by the sandbox (``lose_answers``). Throttling, a stale
version and token expiry are not in the matrix: the sandbox models neither a 429 nor a
SyncToken clash at stage one, and the 180-day token is tested in test_connection.py.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ledgersync import ItemFilter, Ledger, Record
from ledgersync.testing import sample_records
from ledgersync_quickbooks_legacy.connector import QuickBooksLegacyConnector
from ledgersync_quickbooks_legacy.objects import OBJECT_TYPES, reference_of
from ledgersync_quickbooks_legacy.sandbox import Clock, Sandbox

from .conftest import COMPANY

UNFINISHED = {"pending", "retry_wait", "in_doubt", "in_flight", "staged", "blocked"}
WRITES = (b"Add", b"Mod")


class Faulty:
    """The in-process sandbox behind a transport that fails the next ``times`` writes:
    ``before`` (a 503 or a timeout, nothing reached the intermediary) or after it took them
    (a timeout: the answer never arrives)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.inner = sandbox.transport()
        self.kind = ""
        self.times = 0
        self.fired = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if not self.times or not any(b"<" + tag in body for tag in WRITES):
            return self.inner.handle_request(request)
        self.times, self.fired = self.times - 1, self.fired + 1
        if self.kind == "503_before":
            return httpx.Response(503, content=b"<html>Service Unavailable</html>")
        if self.kind == "timeout_before":
            raise httpx.ReadTimeout("injected: no answer", request=request)
        self.inner.handle_request(request)
        raise httpx.ReadTimeout("injected: the answer was lost", request=request)


def sync_both_stages(ledger: Ledger, sandbox: Sandbox, clock: Clock) -> None:
    for _ in range(12):
        ledger.sync(COMPANY)
        sandbox.run_desktop()
        ledger.confirm_staged(COMPANY)
        if not any(s in UNFINISHED for (_, s) in ledger.status_counts(COMPANY)):
            return
        clock.advance(minutes=60)
    raise AssertionError(f"still unfinished: {ledger.status_counts(COMPANY)}")


def count(sandbox: Sandbox, record: Record) -> int:
    wanted = (OBJECT_TYPES.get(record.kind), reference_of(record))
    return sum(1 for o in sandbox.cloud.objects.values() if (o.kind, o.reference) == wanted)


def via_transport(kind: str) -> Callable[[Faulty, Sandbox], None]:
    def arm(faulty: Faulty, sandbox: Sandbox) -> None:
        faulty.kind, faulty.times = kind, 2

    return arm


def answer_lost(faulty: Faulty, sandbox: Sandbox) -> None:
    sandbox.lose_answers = 2


CELLS = [
    pytest.param(via_transport("timeout_after"), id="timeout_after_the_write"),
    pytest.param(answer_lost, id="answer_lost_after_the_write"),
    pytest.param(via_transport("503_before"), id="server_error_before_the_write",
                 marks=pytest.mark.slow),
    pytest.param(via_transport("timeout_before"), id="timeout_before_the_write",
                 marks=pytest.mark.slow),
]


@pytest.mark.parametrize("arm", CELLS)
def test_every_fault_ends_tied_out_with_no_duplicate_and_no_loss(
        arm: Callable[[Faulty, Sandbox], None], ledger: Ledger, sandbox: Sandbox, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    faulty = Faulty(sandbox)
    monkeypatch.setattr(QuickBooksLegacyConnector, "transport", httpx.MockTransport(faulty))
    records = [r for r in sample_records() if r.kind in OBJECT_TYPES]
    arm(faulty, sandbox)
    ledger.record(records)

    sync_both_stages(ledger, sandbox, clock)

    assert (faulty.times, sandbox.lose_answers) == (0, 0), "an injected fault never fired"
    statuses = {(i.kind, i.mms_id): i.status
                for i in ledger.items(ItemFilter(company=COMPANY), limit=None)}
    assert set(statuses.values()) == {"synced"}, statuses
    for record in records:
        assert count(sandbox, record) == 1, record.mms_id
    report = ledger.reconcile(COMPANY)
    assert report.ties_out, report.mismatches
