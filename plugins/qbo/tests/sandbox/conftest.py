"""Fixtures: a sandbox on a manual clock, served in-process through SandboxTransport."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgersync_qbo.sandbox import ManualClock, Sandbox, SandboxConfig, SandboxTransport, jsonio

PAYLOADS = Path(__file__).parents[1] / "data" / "payloads"


class Api:
    """Thin helper over an httpx.Client for ``/v3/company/{realm}`` calls."""

    def __init__(self, client: httpx.Client, realm_id: str) -> None:
        self.client = client
        self.realm_id = realm_id

    def url(self, path: str) -> str:
        return f"/v3/company/{self.realm_id}/{path.lstrip('/')}"

    def post(self, path: str, body: Any, **params: str) -> httpx.Response:
        return self.client.post(self.url(path), content=jsonio.dumps(body), params=params,
                                headers={"Content-Type": "application/json"})

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(self.url(path), params=params)

    def query(self, text: str) -> httpx.Response:
        return self.get("query", query=text)

    def create(self, entity: str, body: Any, **params: str) -> dict[str, Any]:
        response = self.post(entity.lower(), body, **params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = jsonio.loads(response.content)[entity]
        return result

    def fault(self, response: httpx.Response, status: int = 400) -> list[dict[str, Any]]:
        assert response.status_code == status, response.text
        errors: list[dict[str, Any]] = jsonio.loads(response.content)["Fault"]["Error"]
        return errors


def load_payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(), parse_float=Decimal)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 20, 22, 0, tzinfo=UTC))


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig()


@pytest.fixture
def sandbox(config: SandboxConfig, clock: ManualClock) -> Sandbox:
    return Sandbox(config, clock=clock)


@pytest.fixture
def transport(sandbox: Sandbox) -> Iterator[SandboxTransport]:
    transport = SandboxTransport(sandbox)
    yield transport
    transport.close()


@pytest.fixture
def client(sandbox: Sandbox, transport: SandboxTransport) -> Iterator[httpx.Client]:
    with httpx.Client(transport=transport, base_url="http://qbo.test",
                      headers=sandbox.auth_headers()) as client:
        yield client


@pytest.fixture
def api(client: httpx.Client, sandbox: Sandbox) -> Api:
    return Api(client, sandbox.default_realm_id)


@pytest.fixture
def api_for(sandbox: Sandbox, transport: SandboxTransport) -> Iterator[Any]:
    """``api_for(realm_id)``: an Api with its own client and token for another realm."""
    clients: list[httpx.Client] = []

    def make(realm_id: str, headers: dict[str, str] | None = None) -> Api:
        client = httpx.Client(transport=transport, base_url="http://qbo.test",
                              headers=sandbox.auth_headers(realm_id) if headers is None
                              else headers)
        clients.append(client)
        return Api(client, realm_id)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def payload() -> Any:
    return load_payload


def invoice_body(customer: str = "58", amount: str = "100.00", doc: str | None = None,
                 txn_date: str = "2026-01-15") -> dict[str, Any]:
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer}, "TxnDate": txn_date,
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount),
                  "SalesItemLineDetail": {"ItemRef": {"value": "21"}, "Qty": 1,
                                          "UnitPrice": Decimal(amount)}}]}
    if doc is not None:
        body["DocNumber"] = doc
    return body


@pytest.fixture
def make_invoice() -> Any:
    return invoice_body
