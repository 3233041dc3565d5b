"""The REST token endpoint's refresh-token rules: a refresh token rotates, and a spent one is
refused with HTTP 400 ``invalid_grant`` (Sage does not document single use: the sandbox takes
the strict case by default and can be told not to rotate)."""

from __future__ import annotations

import httpx

from ledgersync_sage.sandbox import Sandbox, SandboxConfig
from ledgersync_sage.sandbox.rest import RestConfig

TOKEN_URL = "https://api.intacct.com/ia/api/v1/oauth2/token"
CLIENT = {"client_id": "ls-client", "client_secret": "ls-client-secret"}


def refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post(TOKEN_URL, data={**CLIENT, "grant_type": "refresh_token",
                                        "refresh_token": token})


def test_a_refresh_token_works_once_and_its_successor_takes_over() -> None:
    sandbox = Sandbox()
    first = sandbox.rest.issue_refresh_token("ls-client")
    with httpx.Client(transport=sandbox.transport()) as client:
        answer = refresh(client, first)
        assert answer.status_code == 200
        second = answer.json()["refresh_token"]
        assert second != first
        again = refresh(client, first)
        assert again.status_code == 400
        assert again.json()["error"] == "invalid_grant"
        assert refresh(client, second).status_code == 200


def test_an_unknown_refresh_token_is_an_invalid_grant() -> None:
    with httpx.Client(transport=Sandbox().transport()) as client:
        answer = refresh(client, "never-issued")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_without_rotation_the_same_refresh_token_keeps_working() -> None:
    sandbox = Sandbox(SandboxConfig(rest=RestConfig(rotate_refresh_tokens=False)))
    token = sandbox.rest.issue_refresh_token("ls-client")
    with httpx.Client(transport=sandbox.transport()) as client:
        for _ in range(3):
            answer = refresh(client, token)
            assert answer.status_code == 200
            assert answer.json()["refresh_token"] == token
