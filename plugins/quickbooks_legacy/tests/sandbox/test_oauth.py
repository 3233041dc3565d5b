"""OAuth 1.0a as the sandbox checks it: signatures, nonces, the 180-day lifetime and the
reconnect call with its error codes."""

from __future__ import annotations

import datetime as dt

from ledgersync_quickbooks_legacy.sandbox.service import PLATFORM_NS
from ledgersync_quickbooks_legacy.xmlio import parse

from .conftest import BASE, signed_client

RECONNECT = "https://appcenter.intuit.com/api/v1/connection/reconnect"
QUERY = b'<CustomerQuery xmlns="http://www.intuit.com/sb/cdm/v2"/>'


def _reconnect_code(sandbox, token, secret) -> str:
    with signed_client(sandbox, token, secret) as client:
        body = client.get(RECONNECT).content
    return parse(body).findtext(f"{{{PLATFORM_NS}}}ErrorCode") or ""


def test_a_wrong_consumer_secret_is_refused(sandbox):
    token, secret = sandbox.issue_token()
    with signed_client(sandbox, token, secret, consumer_secret="wrong") as client:
        answer = client.post(f"{BASE}/customer/v2/{sandbox.realm_id}", content=QUERY)

    assert answer.status_code == 401


def test_a_token_older_than_180_days_is_refused(sandbox, clock):
    token, secret = sandbox.issue_token()
    clock.advance(days=180)
    with signed_client(sandbox, token, secret) as client:
        answer = client.post(f"{BASE}/customer/v2/{sandbox.realm_id}", content=QUERY)

    assert answer.status_code == 401


def test_reconnect_outside_the_last_30_days_is_error_212(sandbox, clock):
    token, secret = sandbox.issue_token()
    clock.advance(days=100)

    assert _reconnect_code(sandbox, token, secret) == "212"


def test_reconnect_within_the_window_issues_a_new_token_and_retires_the_old(sandbox, clock):
    token, secret = sandbox.issue_token()
    clock.advance(days=160)

    assert _reconnect_code(sandbox, token, secret) == "0"
    assert token not in sandbox.tokens


def test_reconnect_after_expiry_is_error_270_and_unsigned_is_22(sandbox, clock):
    import httpx

    other, other_secret = sandbox.issue_token()
    sandbox.tokens[other].issued -= dt.timedelta(days=179, hours=23)
    clock.advance(hours=2)

    assert _reconnect_code(sandbox, other, other_secret) == "270"
    with httpx.Client(transport=sandbox.transport()) as client:
        unsigned = client.get(RECONNECT).content
    assert parse(unsigned).findtext(f"{{{PLATFORM_NS}}}ErrorCode") == "22"
