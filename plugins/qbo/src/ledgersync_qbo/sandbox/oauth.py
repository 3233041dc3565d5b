"""OAuth 2.0 as Intuit runs it: authorize redirect, token endpoint (authorization_code and
refresh_token grants, HTTP Basic client auth, refresh-token rotation), revocation, an
OpenID discovery document, and bearer-token checks for the API."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from .clock import Clock
from .config import SandboxConfig

__all__ = ["AuthFailure", "OAuthServer"]

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
INVALID_REFRESH = {"error_description": "Incorrect or invalid refresh token",
                   "error": "invalid_grant"}


@dataclass
class _Grant:
    realm_id: str
    hard_expires_at: datetime
    revoked: bool = False
    refresh_tokens: list[str] = field(default_factory=list)


@dataclass
class _Refresh:
    grant: _Grant
    expires_at: datetime
    replaced_at: datetime | None = None


@dataclass
class _Access:
    grant: _Grant
    expires_at: datetime


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    realm_id: str
    grant: _Grant | None = None  # set once exchanged


@dataclass(frozen=True)
class AuthFailure:
    status: int  # 401 (AuthenticationFailed 3200) or 403 (ApplicationAuthorizationFailed 3100)
    detail: str | None


class OAuthServer:
    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._access: dict[str, _Access] = {}
        self.token_requests = 0

    # ----------------------------------------------------------- token logic

    def _issue(self, grant: _Grant, *, include_hard: bool) -> dict[str, Any]:
        now = self.clock.now()
        access = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(32)
        refresh = "RT1-" + secrets.token_urlsafe(24)
        self._access[access] = _Access(grant, now + timedelta(seconds=self.config.access_token_ttl))
        refresh_expiry = min(now + timedelta(seconds=self.config.refresh_token_ttl),
                             grant.hard_expires_at)
        self._refresh[refresh] = _Refresh(grant, refresh_expiry)
        grant.refresh_tokens.append(refresh)
        body: dict[str, Any] = {
            "token_type": "bearer", "access_token": access,
            "expires_in": int(self.config.access_token_ttl), "refresh_token": refresh,
            "x_refresh_token_expires_in": int((refresh_expiry - now).total_seconds())}
        if include_hard:
            body["x_refresh_token_hard_expires_in"] = int(
                (grant.hard_expires_at - now).total_seconds())
        return body

    def issue_tokens(self, realm_id: str) -> dict[str, Any]:
        """Tokens for ``realm_id`` without the browser flow (tests, demos)."""
        with self._lock:
            grant = _Grant(realm_id, self.clock.now()
                           + timedelta(seconds=self.config.refresh_token_hard_ttl))
            return self._issue(grant, include_hard=True)

    def expire_access_tokens(self) -> None:
        with self._lock:
            past = self.clock.now() - timedelta(seconds=1)
            for token in self._access.values():
                token.expires_at = past

    def _revoke_grant(self, grant: _Grant) -> None:
        grant.revoked = True

    def authenticate(self, authorization: str | None, realm_id: str) -> AuthFailure | None:
        """Check an API request's bearer token; None when it may proceed."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return AuthFailure(401, "Malformed bearer token: missing Authorization header")
        token = authorization[7:].strip()
        with self._lock:
            access = self._access.get(token)
            if access is None or access.grant.revoked:
                return AuthFailure(401, "Token invalid")
            if self.clock.now() >= access.expires_at:
                return AuthFailure(401, f"Token expired: {token[-8:]}")
            if access.grant.realm_id != realm_id:
                return AuthFailure(403, None)
        return None

    # -------------------------------------------------------------- endpoints

    def _client_ok(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        client_id, _, secret = decoded.partition(":")
        return secrets.compare_digest(client_id, self.config.client_id) and \
            secrets.compare_digest(secret, self.config.client_secret)

    async def token_endpoint(self, request: Request) -> Response:
        self.token_requests += 1
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if not self._client_ok(request):
            return JSONResponse({"error": "invalid_client"}, 401, headers)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        include_hard = request.headers.get(
            "x-include-refresh-token-hard-expires-in", "").lower() == "true"
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                body, status = self._exchange_code(form, include_hard)
            elif grant_type == "refresh_token":
                body, status = self._refresh_grant(form, include_hard)
            else:
                body, status = {"error": "unsupported_grant_type"}, 400
        return JSONResponse(body, status, headers)

    def _exchange_code(self, form: dict[str, str], include_hard: bool
                       ) -> tuple[dict[str, Any], int]:
        code = self._codes.get(form.get("code", ""))
        if code is None:
            return {"error": "invalid_grant"}, 400
        if code.grant is not None:
            # a code used twice invalidates what it issued (oauth-jsclient #173)
            self._revoke_grant(code.grant)
            return {"error": "invalid_grant"}, 400
        if form.get("redirect_uri", code.redirect_uri) != code.redirect_uri:
            return {"error": "invalid_grant"}, 400
        code.grant = _Grant(code.realm_id, self.clock.now()
                            + timedelta(seconds=self.config.refresh_token_hard_ttl))
        return self._issue(code.grant, include_hard=include_hard), 200

    def _refresh_grant(self, form: dict[str, str], include_hard: bool
                       ) -> tuple[dict[str, Any], int]:
        now = self.clock.now()
        refresh = self._refresh.get(form.get("refresh_token", ""))
        if refresh is None or refresh.grant.revoked or now >= refresh.expires_at:
            return dict(INVALID_REFRESH), 400
        if refresh.replaced_at is not None and (
                now - refresh.replaced_at).total_seconds() >= self.config.refresh_token_grace:
            return dict(INVALID_REFRESH), 400
        refresh.replaced_at = refresh.replaced_at or now
        return self._issue(refresh.grant, include_hard=include_hard), 200

    async def revoke_endpoint(self, request: Request) -> Response:
        if not self._client_ok(request):
            return JSONResponse({"error": "invalid_client"}, 401)
        raw = await request.body()
        token = ""
        try:
            token = str(json.loads(raw or b"{}").get("token", ""))
        except (ValueError, AttributeError):
            token = parse_qs(raw.decode()).get("token", [""])[0]
        with self._lock:
            holder = self._refresh.get(token) or self._access.get(token)
            if holder is not None:
                self._revoke_grant(holder.grant)
        return Response(status_code=200)

    async def authorize_endpoint(self, request: Request) -> Response:
        params = request.query_params
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id != self.config.client_id:
            return JSONResponse({"error": "invalid_client"}, 400)
        if not redirect_uri or (self.config.redirect_uris
                                and redirect_uri not in self.config.redirect_uris):
            return JSONResponse({"error": "invalid_request",
                                 "error_description": "redirect_uri is not registered"}, 400)
        query: dict[str, str] = {}
        if params.get("response_type") != "code":
            query["error"] = "unsupported_response_type"
        else:
            realm_id = params.get("realmId") or self.config.realm_ids[0]
            code = "AB" + secrets.token_urlsafe(30)
            with self._lock:
                self._codes[code] = _Code(client_id, redirect_uri, realm_id)
            query["code"] = code
            if ACCOUNTING_SCOPE in params.get("scope", "").split():
                query["realmId"] = realm_id
        if "state" in params:
            query["state"] = params["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(redirect_uri + separator + urlencode(query), status_code=302)

    async def discovery_endpoint(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse({
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
            "jwks_uri": f"{base}/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone",
                                 ACCOUNTING_SCOPE, "com.intuit.quickbooks.payment"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        })

    async def jwks_endpoint(self, request: Request) -> Response:
        return JSONResponse({"keys": []})

    async def userinfo_endpoint(self, request: Request) -> Response:
        authorization = request.headers.get("authorization")
        token = (authorization or "")[7:].strip()
        with self._lock:
            access = self._access.get(token)
            valid = access is not None and not access.grant.revoked and \
                self.clock.now() < access.expires_at
        if not valid:
            return JSONResponse({"error": "invalid_token"}, 401)
        return JSONResponse({"sub": "sandbox-user", "email": "sandbox.user@example.org",
                             "emailVerified": True, "givenName": "Sandbox",
                             "familyName": "User"})
