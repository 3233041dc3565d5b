"""Tokens: encrypted at rest, refreshed with rotation, once at a time across workers, and a
lost connection pauses the company instead of failing every item."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from ledgersync import Action, ExportRequest, Ledger, Member, Operation
from ledgersync.testing import TricklingServer
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.errors import QboAuthError, QboError
from ledgersync_qbo.oauth import GENERATION_KEY, SECRET_NAME, Tokens
from ledgersync_qbo.sandbox import Sandbox
from ledgersync_qbo.testing import connect_sandbox, sandbox_settings

COMPANY = "harbor"


def qbo(ledger: Ledger) -> QboConnector:
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, QboConnector)
    return connector


def test_tokens_are_stored_encrypted(ledger: Ledger, tmp_path: Path) -> None:
    tokens = qbo(ledger).tokens.load()
    raw = sqlite3.connect(tmp_path / "ledger.db").execute(
        "SELECT ciphertext FROM secrets WHERE name = ?", (SECRET_NAME,)).fetchone()[0]
    assert tokens.refresh_token.encode() not in raw
    assert tokens.access_token.encode() not in raw


def test_a_refresh_rotates_and_saves_the_new_refresh_token(
        connector: QboConnector, sandbox: Sandbox) -> None:
    before = connector.tokens.load()
    after = connector.tokens.refresh(before.access_token)
    assert after.refresh_token != before.refresh_token
    assert connector.tokens.load().refresh_token == after.refresh_token  # stored
    assert sandbox.oauth.token_requests == 1
    # Intuit-style rotation (strict here): the previous refresh token is spent.
    with pytest.raises(QboAuthError) as raised:
        connector.tokens._call_token_endpoint(before.refresh_token)
    assert raised.value.code == "invalid_grant"


def test_an_expired_access_token_is_refreshed_and_the_call_made(
        connector: QboConnector, sandbox: Sandbox) -> None:
    sandbox.expire_access_tokens()
    assert "Sandbox Company" in connector.check()
    assert sandbox.oauth.token_requests == 1


def test_a_token_about_to_expire_is_refreshed_before_the_call(
        connector: QboConnector, sandbox: Sandbox) -> None:
    held = connector.tokens.load()
    soon = Tokens(access_token=held.access_token, refresh_token=held.refresh_token,
                  access_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))
    connector.tokens.store(soon)
    connector.check()
    assert sandbox.oauth.token_requests == 1
    assert connector.tokens.load().access_token != held.access_token


def test_one_refresh_serves_every_item_of_a_batch(connector: QboConnector,
                                                  sandbox: Sandbox) -> None:
    sandbox.inject(401, times=2)  # the client's own refresh does not cure it
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure; counted below
        connector.check()
    for _ in range(5):  # the engine calls refresh_auth once per failed item
        connector.refresh_auth()
    assert sandbox.oauth.token_requests == 2
    connector.check()


def test_two_workers_refreshing_at_once_make_one_refresh_and_share_it(
        open_ledger: Any, qbo_settings: dict[str, Any], sandbox: Sandbox) -> None:
    first = open_ledger(qbo_settings)
    connect_sandbox(first, COMPANY, sandbox)
    second = open_ledger(qbo_settings)  # the same database: another worker process
    workers = [qbo(first), qbo(second)]
    stale = [w.tokens.load().access_token for w in workers]
    assert stale[0] == stale[1]
    barrier = threading.Barrier(2)
    results: list[Tokens | BaseException] = []

    def refresh(worker: QboConnector) -> None:
        barrier.wait()
        try:
            results.append(worker.tokens.refresh(stale[0]))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=refresh, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sandbox.oauth.token_requests == 1
    assert all(isinstance(r, Tokens) for r in results), results
    assert {r.access_token for r in results if isinstance(r, Tokens)} == {
        workers[0].tokens.load().access_token}
    assert workers[0].context.state.get(GENERATION_KEY) == 2
    # Both keep working with the shared tokens.
    assert workers[0].check()
    assert workers[1].check()


def test_a_refused_refresh_token_pauses_the_company_with_a_reconnect_remedy(
        ledger: Ledger, sandbox: Sandbox) -> None:
    connector = qbo(ledger)
    held = connector.tokens.load()
    connector.tokens.store(Tokens(access_token=held.access_token, refresh_token="RT1-revoked",
                                  access_expires_at=held.access_expires_at))
    sandbox.expire_access_tokens()
    ledger.record([Member(mms_id="M-5", display_name="Lena Fischer")])
    ledger.sync(COMPANY)
    company = next(c for c in ledger.companies() if c.name == COMPANY)
    assert company.paused_reason is not None
    assert "invalid_grant" in company.paused_reason
    assert company.paused_remedy is not None
    assert f"ledgersync connect {COMPANY}" in company.paused_remedy
    item = ledger.items()[0]
    assert item.status == "pending"  # kept for after the reconnect, no attempt spent
    assert item.attempts == 0


def test_a_company_never_connected_pauses_with_the_connect_command(
        open_ledger: Any, qbo_settings: dict[str, Any]) -> None:
    ledger = open_ledger(qbo_settings)
    ledger.record([Member(mms_id="M-5", display_name="Lena Fischer")])
    ledger.sync(COMPANY)
    company = next(c for c in ledger.companies() if c.name == COMPANY)
    assert company.paused_remedy is not None
    assert "ledgersync connect harbor" in company.paused_remedy


def test_invalid_grant_is_classified_as_pause(connector: QboConnector) -> None:
    from ledgersync import ExportRequest, Operation

    error = QboAuthError("revoked", code="invalid_grant", status=400)
    member = Member(mms_id="M-5", display_name="Lena Fischer")
    request = ExportRequest(item_id=1, company=COMPANY, kind="member",
                            operation=Operation.CREATE, record=member,
                            idempotency_key="k", attempt=1)
    assert connector.classify_error(error, request).action is Action.PAUSE_COMPANY


def test_a_token_answer_trickled_past_the_request_deadline_is_a_timeout(
        open_ledger: Any, sandbox: Sandbox, base_url: str) -> None:
    # intuit-oauth reads the discovery document (answered at once), then posts the refresh,
    # whose status line and headers come a byte every 0.2 s (about 20 s), each within the
    # read timeout: only the request deadline ends it.
    server = TricklingServer(b"", interval=0.2, trickle_headers=True, trickled={1})
    server.body = json.dumps({
        "issuer": server.url, "authorization_endpoint": f"{server.url}/connect/oauth2",
        "token_endpoint": f"{server.url}/oauth2/v1/tokens/bearer",
        "revocation_endpoint": f"{server.url}/oauth2/v1/tokens/revoke",
        "userinfo_endpoint": f"{server.url}/openid_connect/userinfo",
        "jwks_uri": f"{server.url}/oauth2/v1/keys"}).encode()
    with server:
        ledger = open_ledger(sandbox_settings(
            sandbox, base_url, environment=f"{server.url}/.well-known/openid_configuration",
            timeout_seconds=2.0, request_deadline_seconds=1.0))
        connect_sandbox(ledger, COMPANY, sandbox)
        connector = qbo(ledger)
        held = connector.tokens.load()
        with pytest.raises(QboError, match="request deadline of 1 s") as raised:
            connector.tokens.refresh(held.access_token)
        # The discovery document came whole; the refresh was cut in its headers.
        assert (server.requests, server.heads_sent) == (2, 1)
    assert connector.tokens.load() == held  # nothing stored: the old pair is kept
    # The API request waiting for the token never left: retried, and counted towards an
    # outage of QuickBooks.
    assert (raised.value.code, raised.value.sent) == ("timeout", False)
    request = ExportRequest(item_id=1, company=COMPANY, kind="member",
                            operation=Operation.CREATE, idempotency_key="k", attempt=1,
                            record=Member(mms_id="M-5", display_name="Lena Fischer"))
    resolution = connector.classify_error(raised.value, request)
    # "timeout": the code the engine counts towards an outage (ledgersync._engine.outage).
    assert (resolution.action, resolution.code) == (Action.RETRY, "timeout")
