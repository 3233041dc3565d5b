"""The REST transport: OAuth 2.0 tokens stored encrypted and refreshed once for all workers,
the entity header, journal entries exactly once (looked up by reference after a doubt)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from ledgersync import (
    Action,
    ExportRequest,
    ItemFilter,
    JournalEntry,
    JournalLine,
    Ledger,
    Member,
    Operation,
    Record,
    Resolution,
)
from ledgersync.demo.dataset import generate
from ledgersync.testing import TricklingServer
from ledgersync_sage.classify import classify
from ledgersync_sage.connector import SageConnector
from ledgersync_sage.errors import IntacctFailure
from ledgersync_sage.oauth import SECRET
from ledgersync_sage.rest import failure_from
from ledgersync_sage.sandbox import Sandbox

from .conftest import COMPANY, DATA, Clock, make_ledger, rest_settings, sync_once, sync_until_idle

BASE = "https://api.intacct.com/ia/api/v1"
DAY = dt.date(2026, 12, 28)


@pytest.fixture
def rest_ledger(tmp_path: Path, in_process: Sandbox, clock: Clock) -> Any:
    ledger = make_ledger(tmp_path, rest_settings(), clock=clock)
    yield ledger
    ledger.close()


def entries(n: int) -> list[Record]:
    out: list[Record] = []
    for i in range(1, n + 1):
        out.append(Member(mms_id=f"M-{i}", display_name=f"Member {i}"))
        out.append(JournalEntry(mms_id=f"JE-{i}", txn_date=DAY, currency="USD", lines=(
            JournalLine(account_id="1200", debit=D(f"{i}.00"), member_id=f"M-{i}"),
            JournalLine(account_id="4000", credit=D(f"{i}.00")))))
    return out


def test_the_demo_year_posts_over_rest_and_ties_out(
        rest_ledger: Ledger, in_process: Sandbox, clock: Clock) -> None:
    rest_ledger.record(generate(members=12).records)
    sync_until_idle(rest_ledger, clock)
    assert set(s for (_, s) in rest_ledger.status_counts(COMPANY)) == {"synced"}
    assert in_process.rest.token_requests >= 1
    assert in_process.gateway.functions == []  # nothing went through the XML gateway
    assert rest_ledger.reconcile(COMPANY).ties_out
    connector = rest_ledger.connector(COMPANY)
    assert isinstance(connector, SageConnector)
    assert connector.account_balances() == in_process.balances()


def test_tokens_are_stored_encrypted(rest_ledger: Ledger, in_process: Sandbox,
                                     tmp_path: Path) -> None:
    rest_ledger.record(entries(1))
    sync_once(rest_ledger)
    stored = rest_ledger.secrets(COMPANY).get(SECRET)
    assert stored is not None
    access = json.loads(stored)["access_token"]
    with sqlite3.connect(tmp_path / "ledger.db") as db:
        dump = "\n".join(db.iterdump())
    assert access not in dump


def test_an_expired_token_is_refreshed_once_and_the_call_repeated(
        rest_ledger: Ledger, in_process: Sandbox) -> None:
    rest_ledger.record(entries(2)[:2])
    sync_once(rest_ledger)
    in_process.rest.expire_tokens()
    rest_ledger.record(entries(2)[2:])
    sync_once(rest_ledger)
    assert in_process.count("journal_entry", "JE-2") == 1
    assert in_process.rest.token_requests == 2


def test_two_workers_refresh_a_failed_token_once(
        tmp_path: Path, in_process: Sandbox, clock: Clock) -> None:
    first = make_ledger(tmp_path, rest_settings(), clock=clock)
    a = first.connector(COMPANY)
    assert isinstance(a, SageConnector)
    token = a.tokens.access_token()
    b = SageConnector(a.company, a.settings, a.context)  # another worker, same ledger
    a.tokens.refresh(failed=token)
    b.tokens.refresh(failed=token)  # sees the new token: asks the endpoint no second time
    assert in_process.rest.token_requests == 2
    assert a.tokens.stored() == b.tokens.stored()
    first.close()


def test_the_authorization_code_grant_rotates_the_stored_refresh_token(
        tmp_path: Path, in_process: Sandbox, clock: Clock) -> None:
    ledger = make_ledger(tmp_path, rest_settings(oauth_grant="authorization_code"),
                         clock=clock)
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, SageConnector)
    seeded = in_process.rest.issue_refresh_token("ls-client")
    token = connector.tokens.store_authorization(seeded)
    assert token.refresh_token not in (None, seeded)
    in_process.rest.expire_tokens()
    ledger.record(entries(1))
    sync_once(ledger)
    assert in_process.count("journal_entry", "JE-1") == 1
    ledger.close()


def test_the_entity_header_names_the_entity(
        tmp_path: Path, in_process: Sandbox, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    inner = in_process.transport()

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return inner.handle_request(request)

    monkeypatch.setattr(SageConnector, "transport", httpx.MockTransport(spy))
    in_process.company().multi_entity = True
    ledger = make_ledger(tmp_path, rest_settings(entity_id="MARINA-EAST"), clock=clock)
    ledger.record(entries(1))
    sync_once(ledger)
    posts = [r for r in seen if r.url.path.endswith("/journal-entry")]
    assert posts
    assert all(r.headers["X-IA-API-Param-Entity"] == "MARINA-EAST" for r in posts)
    batch = next(iter(in_process.company().batches.values()))
    assert {line["LOCATION"] for line in batch.lines} == {"MARINA-EAST"}
    ledger.close()


@pytest.mark.parametrize("fault", ["lost", "timeout", "http_503"])
def test_a_doubtful_post_is_looked_up_by_reference_before_it_is_sent_again(
        rest_ledger: Ledger, in_process: Sandbox, clock: Clock, fault: str) -> None:
    in_process.inject(fault, match='"glJournal"')
    rest_ledger.record(entries(2))
    sync_until_idle(rest_ledger, clock)
    for mms_id in ("JE-1", "JE-2"):
        assert in_process.count("journal_entry", mms_id) == 1


def test_a_refused_entry_carries_intacts_reason_and_a_remedy(
        rest_ledger: Ledger, in_process: Sandbox, clock: Clock) -> None:
    in_process.company().closed_through = DAY
    rest_ledger.record(entries(1))
    sync_until_idle(rest_ledger, clock)
    item = next(i for i in rest_ledger.items(ItemFilter(kind="journal_entry")))
    assert item.status == "error"
    assert "Periods are closed" in (item.error_message or "")
    assert "Reopen the period" in (item.error_remedy or "")


def test_the_rest_error_sample_is_read_and_classified(rest_ledger: Ledger) -> None:
    response = httpx.Response(400, content=(DATA / "21_rest_error_response_journal_entry.json"
                                            ).read_bytes())
    failure = failure_from(response)
    assert failure.code == "GL-0951"
    connector = rest_ledger.connector(COMPANY)
    request = ExportRequest(item_id=1, company=COMPANY, kind="journal_entry",
                            operation=Operation.CREATE, record=entries(1)[1],
                            idempotency_key="k", attempt=1)
    resolution = connector.classify_error(failure, request)
    assert resolution.action is Action.NEEDS_PERSON
    assert "unbalanced" in (resolution.remedy or "")


def test_the_rest_request_sample_posts_in_the_sandbox(in_process: Sandbox) -> None:
    body = json.loads((DATA / "20_rest_create_journal_entry_request.json").read_text())
    body.pop("_comment")
    for number in ("1150", "4010", "4110"):
        in_process.company().add_account(number, number)
    in_process.company().add_dimension("CUSTOMER", "M-10442")
    client = httpx.Client(transport=in_process.transport(), base_url=BASE)
    token = client.post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "ls-client",
        "client_secret": "ls-client-secret"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/objects/general-ledger/journal-entry", json=body, headers=headers)
    assert created.status_code == 201
    body["lines"][0]["txnAmount"] = "1551.00"
    refused = client.post("/objects/general-ledger/journal-entry", json=body, headers=headers)
    assert refused.status_code == 400
    assert "do not balance" in refused.text
    body["lines"][0]["memo"] = "not a field"
    assert "Unknown line field" in client.post("/objects/general-ledger/journal-entry",
                                               json=body, headers=headers).text
    assert client.post("/objects/general-ledger/journal-entry", json=body).status_code == 401


def test_an_authorization_code_is_exchanged_once_for_stored_tokens(
        tmp_path: Path, in_process: Sandbox, clock: Clock) -> None:
    ledger = make_ledger(tmp_path, rest_settings(oauth_grant="authorization_code"),
                         clock=clock)
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, SageConnector)
    url = connector.tokens.authorize_url("http://localhost:8726/callback", "st")
    assert url.startswith(f"{BASE}/oauth2/authorize?")
    assert "client_id=ls-client" in url
    assert "scope=offline_access" in url
    code = in_process.rest.issue_code("ls-client")
    token = connector.tokens.exchange_code(code, "http://localhost:8726/callback")
    assert token.refresh_token
    assert connector.tokens.stored() == token
    with pytest.raises(IntacctFailure, match=r"authorization code unknown or used"):
        connector.tokens.exchange_code(code, "http://localhost:8726/callback")
    ledger.close()


def test_without_an_authorization_the_company_is_paused_with_the_command(
        tmp_path: Path, in_process: Sandbox, clock: Clock) -> None:
    ledger = make_ledger(tmp_path, rest_settings(oauth_grant="authorization_code"),
                         clock=clock)
    ledger.record(entries(1))
    sync_once(ledger)
    paused = [c for c in ledger.companies() if c.paused_reason]
    assert paused
    assert "no Intacct authorization stored" in (paused[0].paused_reason or "")
    assert "ledgersync sage authorize harbor" in (paused[0].paused_remedy or "")
    assert in_process.count("journal_entry", "JE-1") == 0
    ledger.close()


def test_check_reports_what_the_rest_api_answered(rest_ledger: Ledger,
                                                  in_process: Sandbox) -> None:
    connector = rest_ledger.connector(COMPANY)
    assert isinstance(connector, SageConnector)
    line = connector.check()
    assert "(REST)" in line
    assert f"{len(in_process.company().accounts)} GL accounts" in line


def _refusal(connector: SageConnector) -> Resolution:
    stored = connector.tokens.stored()
    with pytest.raises(IntacctFailure) as caught:  # the access token was refused: refresh
        connector.tokens.refresh(failed=stored.access_token if stored else None)
    request = ExportRequest(item_id=1, company=COMPANY, kind="member",
                            operation=Operation.CREATE, record=Member(mms_id="M-1",
                                                                      display_name="A"),
                            idempotency_key="k", attempt=1)
    return classify(caught.value, request, company=COMPANY)


def test_a_spent_refresh_token_asks_for_a_new_authorization_not_other_credentials(
        tmp_path: Path, in_process: Sandbox, clock: Clock) -> None:
    ledger = make_ledger(tmp_path, rest_settings(oauth_grant="authorization_code"),
                         clock=clock)
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, SageConnector)
    seeded = in_process.rest.issue_refresh_token("ls-client")
    connector.tokens.store_authorization(seeded)
    stored = connector.tokens.stored()
    assert stored is not None
    # The rotated refresh token is lost: the ledger is left holding the spent one.
    connector.context.secrets.set(SECRET, attrs.evolve(stored, refresh_token=seeded).to_json())
    resolution = _refusal(connector)
    assert resolution.action is Action.PAUSE_COMPANY
    assert resolution.code == "invalid_grant"
    assert f"`ledgersync sage authorize {COMPANY}`" in (resolution.remedy or "")
    assert "client_secret" not in (resolution.remedy or "")
    ledger.close()


def test_a_wrong_client_secret_names_the_client_credentials(
        tmp_path: Path, in_process: Sandbox, clock: Clock) -> None:
    ledger = make_ledger(tmp_path, rest_settings(client_secret="wrong"), clock=clock)
    connector = ledger.connector(COMPANY)
    assert isinstance(connector, SageConnector)
    resolution = _refusal(connector)
    assert resolution.action is Action.PAUSE_COMPANY
    assert resolution.code == "invalid_client"
    assert "client_secret" in (resolution.remedy or "")
    ledger.close()


def test_a_token_answer_trickled_past_the_request_deadline_is_a_timeout(
        tmp_path: Path, clock: Clock) -> None:
    # The token endpoint's status line and headers a byte every 0.2 s (about 20 s), each
    # within the read timeout: only the request deadline ends the refresh.
    with TricklingServer(b'{"access_token": "t", "expires_in": 3600}', interval=0.2,
                         trickle_headers=True) as server:
        ledger = make_ledger(tmp_path, rest_settings(
            api_base_url=server.url, timeout_seconds=2.0, request_deadline_seconds=1.0),
            clock=clock)
        connector = ledger.connector(COMPANY)
        assert isinstance(connector, SageConnector)
        with pytest.raises(IntacctFailure, match="request deadline of 1 s") as raised:
            connector.tokens.access_token()
        assert server.heads_sent == 0  # cut while the headers were still coming
        ledger.close()
    # The item's own request never left: retried, and counted towards an outage of Intacct.
    assert (raised.value.level, raised.value.code, raised.value.sent) == (
        "transport", "timeout", False)
    request = ExportRequest(item_id=1, company=COMPANY, kind="member",
                            operation=Operation.CREATE, idempotency_key="k-1", attempt=1,
                            record=Member(mms_id="M-1", display_name="Member 1"))
    resolution = connector.classify_error(raised.value, request)
    # "timeout": the code the engine counts towards an outage (ledgersync._engine.outage).
    assert (resolution.action, resolution.code) == (Action.RETRY, "timeout")
