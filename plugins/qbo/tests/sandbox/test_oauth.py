"""OAuth: discovery, authorize redirect, token grants, rotation, expiry, realm binding."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ledgersync_qbo.sandbox import SandboxConfig, jsonio

TOKEN_URL = "/oauth2/v1/tokens/bearer"
REDIRECT = "http://localhost:8844/callback"


@pytest.fixture
def anon(transport):
    with httpx.Client(transport=transport, base_url="http://qbo.test") as client:
        yield client


@pytest.fixture
def client_auth(sandbox):
    return (sandbox.config.client_id, sandbox.config.client_secret)


def _authorize(anon, sandbox, state: str = "st-123") -> dict[str, list[str]]:
    response = anon.get("/connect/oauth2", params={
        "client_id": sandbox.config.client_id, "response_type": "code", "state": state,
        "scope": "com.intuit.quickbooks.accounting", "redirect_uri": REDIRECT})
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


def _exchange(anon, client_auth, code: str) -> httpx.Response:
    return anon.post(TOKEN_URL, auth=client_auth, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})


def test_discovery_document_points_at_the_sandbox(anon):
    for path in ("/.well-known/openid-configuration",
                 "/.well-known/openid_sandbox_configuration/"):
        doc = anon.get(path).json()
        assert doc["token_endpoint"] == "http://qbo.test/oauth2/v1/tokens/bearer"
        assert doc["authorization_endpoint"] == "http://qbo.test/connect/oauth2"
        assert doc["revocation_endpoint"] == "http://qbo.test/v2/oauth2/tokens/revoke"
        assert {"issuer", "jwks_uri", "userinfo_endpoint"} <= set(doc)


def test_authorize_redirects_back_with_code_state_and_realm(anon, sandbox):
    params = _authorize(anon, sandbox)
    assert params["state"] == ["st-123"]
    assert params["realmId"] == [sandbox.default_realm_id]
    assert params["code"][0]


@pytest.mark.parametrize("config", [SandboxConfig(redirect_uris=("http://ok/cb",))])
def test_authorize_refuses_unregistered_redirect_uris(anon, sandbox):
    response = anon.get("/connect/oauth2", params={
        "client_id": sandbox.config.client_id, "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting", "redirect_uri": REDIRECT})
    assert response.status_code == 400


def test_login_flow_yields_tokens_that_work_on_the_api(anon, sandbox, client_auth):
    code = _authorize(anon, sandbox)["code"][0]
    tokens = _exchange(anon, client_auth, code)
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 8726400
    assert "x_refresh_token_hard_expires_in" not in body
    response = anon.get(f"/v3/company/{sandbox.default_realm_id}/customer/58",
                        headers={"Authorization": f"Bearer {body['access_token']}"})
    assert response.status_code == 200


def test_token_endpoint_requires_basic_client_authentication(anon, sandbox):
    code = _authorize(anon, sandbox)["code"][0]
    response = _exchange(anon, ("sandbox-client-id", "wrong"), code)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_reusing_an_authorization_code_fails_and_revokes_its_tokens(anon, sandbox,
                                                                    client_auth):
    code = _authorize(anon, sandbox)["code"][0]
    first = _exchange(anon, client_auth, code).json()
    second = _exchange(anon, client_auth, code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    response = anon.get(f"/v3/company/{sandbox.default_realm_id}/customer/58",
                        headers={"Authorization": f"Bearer {first['access_token']}"})
    assert response.status_code == 401


def test_refresh_rotates_the_refresh_token(anon, sandbox, client_auth):
    tokens = sandbox.issue_tokens()
    fresh = anon.post(TOKEN_URL, auth=client_auth, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    again = anon.post(TOKEN_URL, auth=client_auth, data={
        "grant_type": "refresh_token", "refresh_token": fresh["refresh_token"]})
    assert again.status_code == 200


def test_an_old_refresh_token_is_invalid_grant_after_use(anon, sandbox, client_auth):
    tokens = sandbox.issue_tokens()
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert anon.post(TOKEN_URL, auth=client_auth, data=data).status_code == 200
    reused = anon.post(TOKEN_URL, auth=client_auth, data=data)
    assert reused.status_code == 400
    assert reused.json() == {"error_description": "Incorrect or invalid refresh token",
                             "error": "invalid_grant"}


@pytest.mark.parametrize("config", [SandboxConfig(refresh_token_grace=86400)])
def test_a_grace_period_keeps_the_old_refresh_token_usable(anon, sandbox, client_auth, clock):
    tokens = sandbox.issue_tokens()
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert anon.post(TOKEN_URL, auth=client_auth, data=data).status_code == 200
    assert anon.post(TOKEN_URL, auth=client_auth, data=data).status_code == 200
    clock.advance(hours=25)
    assert anon.post(TOKEN_URL, auth=client_auth, data=data).status_code == 400


def test_access_tokens_expire_after_an_hour(api, clock):
    assert api.get("customer/58").status_code == 200
    clock.advance(seconds=3600)
    response = api.get("customer/58")
    assert response.status_code == 401
    error = jsonio.loads(response.content)["fault"]["error"][0]
    assert error["code"] == "3200"
    assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert error["detail"].startswith("Token expired")


@pytest.mark.parametrize("config", [SandboxConfig(access_token_ttl=60)])
def test_access_token_lifetime_is_configurable(api, clock):
    clock.advance(seconds=61)
    assert api.get("customer/58").status_code == 401


def test_expire_access_tokens_forces_a_401_until_refresh(api, sandbox, anon, client_auth):
    tokens = sandbox.issue_tokens()
    sandbox.expire_access_tokens()
    assert api.get("customer/58").status_code == 401
    fresh = anon.post(TOKEN_URL, auth=client_auth, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).json()
    response = anon.get(f"/v3/company/{sandbox.default_realm_id}/customer/58",
                        headers={"Authorization": f"Bearer {fresh['access_token']}"})
    assert response.status_code == 200


def test_a_token_for_another_realm_is_forbidden_with_3100(api_for, sandbox):
    foreign = api_for(sandbox.default_realm_id, headers=sandbox.auth_headers("222"))
    response = foreign.get("customer/58")
    assert response.status_code == 403
    assert jsonio.loads(response.content)["fault"]["error"][0]["code"] == "3100"


def test_missing_bearer_token_is_401(anon, sandbox):
    assert anon.get(f"/v3/company/{sandbox.default_realm_id}/customer/58").status_code == 401


def test_hard_expiry_is_returned_only_when_asked_for(anon, sandbox, client_auth):
    tokens = sandbox.issue_tokens()
    body = anon.post(TOKEN_URL, auth=client_auth,
                     headers={"x-include-refresh-token-hard-expires-in": "true"},
                     data={"grant_type": "refresh_token",
                           "refresh_token": tokens["refresh_token"]}).json()
    assert body["x_refresh_token_hard_expires_in"] > body["x_refresh_token_expires_in"]


def test_revoked_refresh_token_cannot_be_used(anon, sandbox, client_auth):
    tokens = sandbox.issue_tokens()
    assert anon.post("/v2/oauth2/tokens/revoke", auth=client_auth,
                     json={"token": tokens["refresh_token"]}).status_code == 200
    response = anon.post(TOKEN_URL, auth=client_auth, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert response.json()["error"] == "invalid_grant"


def test_unknown_grant_type_is_rejected(anon, client_auth):
    response = anon.post(TOKEN_URL, auth=client_auth, data={"grant_type": "password"})
    assert response.json() == {"error": "unsupported_grant_type"}


@pytest.mark.parametrize("config", [SandboxConfig(require_auth=False)])
def test_auth_can_be_switched_off(anon, sandbox):
    assert anon.get(f"/v3/company/{sandbox.default_realm_id}/customer/58").status_code == 200
