"""Starlette routes: OAuth endpoints and ``/v3/company/{realmId}/...``.

Request pipeline for the API: minorversion log -> bearer token (401/403) -> throttle (429)
-> injected fault -> requestid replay -> the operation -> requestid store -> injected
after-write failure.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import api, faults, jsonio, pdf
from .clock import Clock
from .company import Company
from .config import SandboxConfig
from .entities import spec_for_path
from .injection import Injection
from .oauth import AuthFailure
from .sandbox import MinorVersionUse, Sandbox, StoredResponse
from .store import iso_ms

__all__ = ["build_app", "create_app"]

JSON = "application/json;charset=UTF-8"


def create_app(config: SandboxConfig | None = None, *, sandbox: Sandbox | None = None,
               clock: Clock | None = None) -> Starlette:
    """A Starlette app serving a sandbox; the state is ``app.state.sandbox``."""
    if sandbox is None:
        sandbox = Sandbox(config, clock=clock)
    elif config is not None or clock is not None:
        raise ValueError("pass either a sandbox or config/clock, not both")
    return build_app(sandbox)


def build_app(sandbox: Sandbox) -> Starlette:
    oauth = sandbox.oauth
    discovery_paths = ["/.well-known/openid-configuration", "/.well-known/openid_configuration",
                       "/.well-known/openid_configuration/",
                       "/.well-known/openid_sandbox_configuration",
                       "/.well-known/openid_sandbox_configuration/"]
    routes = [Route(p, oauth.discovery_endpoint, methods=["GET"]) for p in discovery_paths]
    routes += [
        Route("/connect/oauth2", oauth.authorize_endpoint, methods=["GET"]),
        Route("/oauth2/v1/tokens/bearer", oauth.token_endpoint, methods=["POST"]),
        Route("/v2/oauth2/tokens/revoke", oauth.revoke_endpoint, methods=["POST"]),
        Route("/v1/openid_connect/userinfo", oauth.userinfo_endpoint, methods=["GET"]),
        Route("/op/v1/jwks", oauth.jwks_endpoint, methods=["GET"]),
        Route("/v3/company/{realm_id}/{rest:path}", _ApiEndpoint(sandbox),
              methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app


class _ApiEndpoint:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    def _time(self, company: Company | None = None) -> str:
        now = self.sandbox.clock.now()
        return iso_ms(now.astimezone(company.tz) if company else now)

    def _headers(self) -> dict[str, str]:
        return {"intuit_tid": str(uuid.uuid4())}

    def _json(self, body: Any, status: int) -> Response:
        return Response(jsonio.dumps(body), status, self._headers(), media_type=JSON)

    def _auth_failure(self, failure: AuthFailure, status: int | None = None) -> Response:
        body = faults.auth_fault_body(failure.status, failure.detail,
                                      int(self.sandbox.clock.now().timestamp() * 1000))
        return self._json(body, status or failure.status)

    def _throttled(self) -> Response:
        headers = self._headers()
        if self.sandbox.config.throttle_retry_after is not None:
            headers["Retry-After"] = str(self.sandbox.config.throttle_retry_after)
        return Response(faults.throttle_xml(self._time()), 429, headers,
                        media_type="application/xml")

    def _injected(self, injection: Injection, company: Company) -> Response:
        if injection.code == "3001" or injection.status == 429:
            return self._throttled()
        if injection.code in ("3200", "3100") or injection.status in (401, 403):
            status = 403 if (injection.code == "3100" or injection.status == 403) else 401
            failure = AuthFailure(status, "Injected authentication failure"
                                  if status == 401 else None)
            return self._auth_failure(failure, 200 if injection.http200 else None)
        fault = injection.fault()
        return self._json(fault.body(self._time(company)), fault.status)

    def _record_minor_version(self, request: Request, realm_id: str) -> None:
        raw = request.query_params.get("minorversion")
        default = self.sandbox.config.default_minor_version
        effective = default
        if raw is not None and raw.strip().isdigit():
            effective = max(int(raw), default)
        self.sandbox.minor_versions.append(
            MinorVersionUse(realm_id, request.url.path, raw, effective))

    async def handle(self, request: Request) -> Response:
        sandbox = self.sandbox
        realm_id = request.path_params["realm_id"]
        sandbox.requests += 1
        self._record_minor_version(request, realm_id)
        if sandbox.config.require_auth:
            failure = sandbox.oauth.authenticate(request.headers.get("authorization"), realm_id)
            if failure is not None:
                return self._auth_failure(failure)
        if not sandbox.has_realm(realm_id):
            return self._auth_failure(AuthFailure(403, None))
        company = sandbox.company(realm_id)
        segments = [s for s in request.path_params["rest"].split("/") if s]
        is_batch = segments == ["batch"]
        admission = sandbox.throttle.acquire(realm_id, batch=is_batch)
        if not admission.allowed:
            return self._throttled()
        try:
            if sandbox.config.latency > 0:
                await asyncio.sleep(sandbox.config.latency)
            body = await request.body()
            return self._dispatch(request, company, segments, body)
        finally:
            sandbox.throttle.release(realm_id)

    def _dispatch(self, request: Request, company: Company, segments: list[str],
                  body: bytes) -> Response:
        sandbox = self.sandbox
        method = request.method
        params = request.query_params
        path = segments[0].lower() if segments else ""
        spec = spec_for_path(path)
        is_write = method == "POST" and (path == "batch" or (spec is not None
                                                              and len(segments) == 1))
        if (method == "GET" and spec is not None and len(segments) == 3
                and segments[2].lower() == "pdf" and spec.name in pdf.PDF_ENTITIES):
            try:
                obj = company.read(spec.name, segments[1])
            except faults.QBOFault as fault:
                return self._json(fault.body(self._time(company)), fault.status)
            return Response(pdf.render(spec.name, obj), 200, self._headers(),
                            media_type="application/pdf")
        request_id = params.get("requestid") if is_write else None
        carried = _batch_entities(body) if path == "batch" and is_write else frozenset()
        injection = sandbox.injector.take(realm_id=company.realm_id, entity=path,
                                          is_write=is_write, after_write=False, carried=carried)
        if injection is not None:
            answer = self._injected(injection, company)
            if (request_id is not None and sandbox.config.replay_injected_faults
                    and injection.code is not None and injection.status < 500
                    and injection.code not in ("3001", "3100", "3200")):
                sandbox.store_response(company.realm_id, request_id,
                                       StoredResponse(answer.status_code, bytes(answer.body),
                                                      JSON))
            return answer
        if request_id is not None:
            stored = sandbox.stored_response(company.realm_id, request_id)
            if stored is not None:
                sandbox.replays += 1
                return Response(stored.body, stored.status, self._headers(),
                                media_type=stored.content_type)
        try:
            if request_id is not None and len(request_id) > sandbox.config.requestid_max_length:
                raise faults.business_validation(
                    f"The request has more than {sandbox.config.requestid_max_length} "
                    "characters in the request_id field.")
            outcome = self._run(request, company, segments, path, body, request_id)
            status, payload = 200, outcome.body
            if outcome.timed:
                payload = {**payload, "time": self._time(company)}
        except faults.QBOFault as fault:
            status, payload = fault.status, fault.body(self._time(company))
        content = jsonio.dumps(payload)
        if request_id is not None:
            sandbox.store_response(company.realm_id, request_id,
                                   StoredResponse(status, content, JSON))
        if is_write:
            injection = sandbox.injector.take(realm_id=company.realm_id, entity=path,
                                              is_write=True, after_write=True, carried=carried)
            if injection is not None:
                return self._injected(injection, company)
        return Response(content, status, self._headers(), media_type=JSON)

    def _run(self, request: Request, company: Company, segments: list[str], path: str,
             body: bytes, request_id: str | None) -> api.Outcome:
        sandbox = self.sandbox
        method = request.method
        params = request.query_params
        if path == "query" and len(segments) == 1:
            text = params.get("query") if method == "GET" else _text(body)
            return api.query(sandbox, company, text or "")
        if path == "batch" and len(segments) == 1 and method == "POST":
            return api.batch(sandbox, company, _json_body(body), request_id)
        if path == "reports" and len(segments) == 2 and method == "GET":
            return api.report(company, segments[1], params)
        if path == "cdc" and len(segments) == 1 and method == "GET":
            return api.cdc(sandbox, company, params.get("entities"), params.get("changedSince"))
        spec = spec_for_path(path)
        if spec is not None and method == "POST" and len(segments) == 1:
            return api.write(sandbox, company, path, _json_body(body), params.get("operation"),
                             request_id, params.get("include"))
        if spec is not None and method == "GET" and len(segments) == 2:
            id_ = "1" if spec.name == "CompanyInfo" else segments[1]
            return api.read(company, path, id_)
        raise faults.unsupported_operation(
            f"Could not find resource for relative : {request.url.path} of full path: "
            f"{request.url}")


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise faults.unsupported_operation("with a payload that is not UTF-8") from None


def _json_body(body: bytes) -> Any:
    text = _text(body)
    try:
        return jsonio.loads(text)
    except jsonio.JSONError:
        raise faults.invalid_property() from None


def _batch_entities(body: bytes) -> frozenset[str]:
    """The entities a batch request writes, lower case (for fault injection only: a body the
    batch cannot parse carries none, and the batch answers its own fault)."""
    try:
        parsed = jsonio.loads(body.decode("utf-8", errors="replace"))
    except jsonio.JSONError:
        return frozenset()
    items = parsed.get("BatchItemRequest") if isinstance(parsed, dict) else None
    if not isinstance(items, list):
        return frozenset()
    return frozenset(key.lower() for item in items if isinstance(item, dict)
                     for key in item if key not in ("bId", "operation", "optionsData", "Query"))
