"""The fault matrix (bench/campaign.md): each failure Intacct and its CDN produce, injected into
the sandbox while the sample records post, must end tied out: every item synced, every record
in Intacct exactly once, every customer's receivable the MMS one (``ledgersync reconcile``).

Stale versions do not apply (a GLBATCH update carries no version token); a timeout before
anything reached Intacct is made by the transport, the rest by the sandbox's own faults.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
import httpx
import pytest

from ledgersync import ItemFilter, Ledger, Record, Status
from ledgersync.testing import empty_database, postgresql_suite_url, sample_records
from ledgersync_sage.connector import SageConnector
from ledgersync_sage.sandbox import Sandbox, SandboxConfig
from ledgersync_sage.sandbox.rest import RestConfig

from .conftest import (
    COMPANY,
    Clock,
    make_ledger,
    rest_settings,
    sandbox_settings,
    sync_once,
    sync_until_idle,
)

#: Reference data the connector links without writing (as the contract test maps it).
MAPPINGS = {("gl_account", "4000"): "4000", ("gl_account", "4100"): "4100",
            ("gl_account", "1000"): "1000", ("item", "SLIP-30"): "4100",
            ("item", "DUES"): "4000", ("tax_rate", "TAX-6.25"): "2200",
            ("terms", "NET30"): "NET30"}
POSTED = ("member", "invoice", "payment", "credit_memo", "refund", "journal_entry")
CALLBACK = "http://localhost:8726/callback"


def connector(ledger: Ledger) -> SageConnector:
    found = ledger.connector(COMPANY)
    assert isinstance(found, SageConnector)
    return found


class BeforeTimeouts:
    """The in-process sandbox behind a transport that times out the next ``times`` writes
    before they reach it (nothing posted)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.inner = sandbox.transport()
        self.times = 0
        self.fired = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if self.times and (b"<create>" in body or (request.method in ("POST", "PATCH")
                           and b"/objects/" in request.url.raw_path)):
            self.times, self.fired = self.times - 1, self.fired + 1
            raise httpx.ReadTimeout("injected: no answer", request=request)
        return self.inner.handle_request(request)


@attrs.frozen
class World:
    sandbox: Sandbox
    ledger: Ledger
    clock: Clock
    timeouts: BeforeTimeouts
    records: list[Record]

    def sync(self) -> None:
        sync_until_idle(self.ledger, self.clock)


def make_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, rest: bool,
               grant: str = "client_credentials", rotate: bool = True) -> World:
    sandbox = Sandbox(SandboxConfig(rest=RestConfig(rotate_refresh_tokens=rotate)))
    timeouts = BeforeTimeouts(sandbox)
    monkeypatch.setattr(SageConnector, "transport", httpx.MockTransport(timeouts))
    clock = Clock()
    settings = rest_settings(oauth_grant=grant) if rest else sandbox_settings()
    # On PostgreSQL too when the suite runs there (a database of the suite's own, emptied).
    url = postgresql_suite_url("sage_matrix")
    if url is not None:
        empty_database(url)
    ledger = make_ledger(tmp_path, settings, clock=clock, ledger_url=url)
    if grant == "authorization_code":  # `ledgersync sage authorize harbor --code ...`
        connector(ledger).tokens.exchange_code(sandbox.rest.issue_code("ls-client"), CALLBACK)
    for (kind, mms_id), external in MAPPINGS.items():
        ledger.map(COMPANY, kind, mms_id, external)
    records = [r for r in sample_records() if r.kind in SageConnector.supported_kinds
               and r.kind not in ("item", "tax_rate", "terms")]
    return World(sandbox, ledger, clock, timeouts, records)


def assert_tied_out(w: World) -> None:
    statuses = {(i.kind, i.mms_id): i.status
                for i in w.ledger.items(ItemFilter(company=COMPANY), limit=None)}
    assert set(statuses.values()) == {"synced"}, statuses
    for record in w.records:
        if record.kind in POSTED:
            assert w.sandbox.count(record.kind, record.mms_id) == 1, record.mms_id
    report = w.ledger.reconcile(COMPANY)
    assert report.ties_out, report.mismatches


# -- the cells ---------------------------------------------------------------------------------


def _inject_and_sync(kind: str, times: int = 2, match: str = "<create>"
                     ) -> Callable[[World], None]:
    def cell(w: World) -> None:
        w.sandbox.inject(kind, match=match, times=times)
        w.ledger.record(w.records)
        w.sync()
        assert w.sandbox.faults.fired.count(kind) == times

    cell.__name__ = kind
    return cell


def timeout_before_the_write(w: World) -> None:
    w.timeouts.times = 2
    w.ledger.record(w.records)
    w.sync()
    assert w.timeouts.fired == 2


def closed_period(w: World) -> None:
    day = min(r.txn_date for r in w.records if hasattr(r, "txn_date"))
    w.sandbox.company().closed_through = day
    w.ledger.record(w.records)
    w.sync()
    failed = w.ledger.items(ItemFilter(company=COMPANY, status=[Status.ERROR]), limit=None)
    assert failed
    # The controller reopens the period; the operator requeues what needed a person.
    w.sandbox.company().closed_through = None
    assert w.ledger.requeue(ItemFilter(company=COMPANY, status=[Status.ERROR])) == len(failed)
    w.sync()


Cell = Callable[[World], None]
throttle, http_503 = _inject_and_sync("throttle"), _inject_and_sync("http_503")
timeout_after_the_write = _inject_and_sync("timeout")
answer_lost_after_the_write = _inject_and_sync("lost")
# Once: a session or token refused again right after it was renewed is a real refusal.
dead_session = _inject_and_sync("expire_session", times=1)
FAST: list[Cell] = [throttle, timeout_after_the_write, answer_lost_after_the_write,
                    dead_session]
SLOW: list[Cell] = [http_503, timeout_before_the_write, closed_period]
CELLS = [pytest.param(c, id=c.__name__) for c in FAST] + [
    pytest.param(c, id=c.__name__, marks=pytest.mark.slow) for c in SLOW]


@pytest.mark.parametrize("cell", CELLS)
def test_every_fault_over_the_xml_gateway_ends_tied_out(
        cell: Cell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(tmp_path, monkeypatch, rest=False)
    try:
        cell(world)
        assert_tied_out(world)
    finally:
        world.ledger.close()


#: What every REST write of an entry carries.
REST_WRITE = "referenceNumber"
REST_CELLS = [pytest.param(_inject_and_sync("expire_session", times=1, match=REST_WRITE),
                           id="access_token_expired"),
              pytest.param(timeout_before_the_write, id="timeout_before_the_write",
                           marks=pytest.mark.slow),
              pytest.param(_inject_and_sync("lost", match=REST_WRITE),
                           id="answer_lost_after_the_write",
                           marks=pytest.mark.slow)]


@pytest.mark.parametrize("cell", REST_CELLS)
def test_every_fault_over_the_rest_api_ends_tied_out(
        cell: Cell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(tmp_path, monkeypatch, rest=True)
    try:
        cell(world)
        assert_tied_out(world)
    finally:
        world.ledger.close()


def _lose_the_rotated_refresh_token(w: World) -> None:
    """Sync some records, then make the next write meet an expired access token and lose the
    answer of the refresh it triggers: Intacct replaced the refresh token, the ledger still
    holds the old one (as if the worker died before storing the new one)."""
    w.ledger.record(w.records[:3])
    w.sync()
    w.sandbox.inject("expire_session", match=REST_WRITE)
    w.sandbox.inject("lost", match="grant_type=refresh_token")
    w.ledger.record(w.records[3:])


def _sync_while_paused(w: World) -> None:
    for _ in range(6):
        sync_once(w.ledger)
        w.clock.advance(3600)


def test_a_lost_refresh_token_rotation_pauses_for_a_reconnect_and_then_ties_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Intacct rotates (the sandbox's default): the stored refresh token is spent, so nothing
    but a new authorization helps. The company pauses with the command; nothing is lost or
    sent twice; after `ledgersync sage authorize` and resume it ties out."""
    w = make_world(tmp_path, monkeypatch, rest=True, grant="authorization_code")
    try:
        _lose_the_rotated_refresh_token(w)
        _sync_while_paused(w)
        assert w.sandbox.faults.pending() == 0
        (paused,) = [c for c in w.ledger.companies() if c.paused_reason]
        remedy = paused.paused_remedy or ""
        assert "refresh token unknown or spent" in (paused.paused_reason or "")
        # What to do, in one line: a new authorization (not the client credentials).
        assert remedy.startswith("Intacct no longer accepts the stored REST authorization")
        assert "client_secret" not in remedy
        assert "\n" not in remedy
        assert f"`ledgersync sage authorize {COMPANY}`" in remedy
        assert f"`ledgersync companies resume {COMPANY}`" in remedy
        statuses = {i.status for i in w.ledger.items(ItemFilter(company=COMPANY), limit=None)}
        assert statuses <= {"synced", "pending", "retry_wait", "blocked"}, statuses
        for record in w.records[3:]:
            if record.kind in POSTED:
                assert w.sandbox.count(record.kind, record.mms_id) <= 1, record.mms_id
        # The operator reconnects (the administrator approves again) and resumes.
        connector(w.ledger).tokens.exchange_code(w.sandbox.rest.issue_code("ls-client"),
                                                 CALLBACK)
        assert w.ledger.resume(COMPANY)
        w.sync()
        assert_tied_out(w)
    finally:
        w.ledger.close()


@pytest.mark.slow
def test_a_lost_rotation_heals_itself_when_the_refresh_token_does_not_rotate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If Intacct keeps a refresh token valid across refreshes, the lost answer costs a retry
    and nothing else."""
    w = make_world(tmp_path, monkeypatch, rest=True, grant="authorization_code", rotate=False)
    try:
        _lose_the_rotated_refresh_token(w)
        w.sync()
        assert w.sandbox.faults.pending() == 0
        assert not [c for c in w.ledger.companies() if c.paused_reason]
        assert_tied_out(w)
    finally:
        w.ledger.close()
