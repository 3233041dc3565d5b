"""In-process transports, loopback serving, minorversion recording and JSON money."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from ledgersync_qbo.sandbox import (
    Sandbox,
    SandboxConfig,
    SandboxTransport,
    create_app,
    jsonio,
    run_in_thread,
)


def test_sync_client_works_in_process_through_sandbox_transport(sandbox):
    with httpx.Client(transport=SandboxTransport(sandbox), base_url="http://qbo.test",
                      headers=sandbox.auth_headers()) as client:
        response = client.get(f"/v3/company/{sandbox.default_realm_id}/customer/58")
    assert response.json()["Customer"]["DisplayName"] == "Jordan Alvarez"
    assert response.headers["intuit_tid"]


def test_async_client_works_through_asgi_transport(sandbox):
    app = create_app(sandbox=sandbox)

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://qbo.test",
                                     headers=sandbox.auth_headers()) as client:
            return await client.get(f"/v3/company/{sandbox.default_realm_id}/term/3")

    assert asyncio.run(run()).json()["Term"]["Name"] == "Net 30"


def test_create_app_exposes_the_sandbox_state():
    app = create_app(SandboxConfig(realm_ids=("123",)))
    assert isinstance(app.state.sandbox, Sandbox)
    assert app.state.sandbox.default_realm_id == "123"


def test_loopback_server_serves_the_sandbox(clock):
    sandbox = Sandbox(clock=clock)
    with run_in_thread(sandbox) as base_url, httpx.Client(
            base_url=base_url, headers=sandbox.auth_headers()) as client:
        assert base_url.startswith("http://127.0.0.1:")
        discovery = client.get("/.well-known/openid-configuration").json()
        assert discovery["token_endpoint"] == f"{base_url}/oauth2/v1/tokens/bearer"
        created = client.post(f"/v3/company/{sandbox.default_realm_id}/customer",
                              json={"DisplayName": "Loopback Member"}, params={
                                  "minorversion": "75", "requestid": "loop-1"})
        assert created.status_code == 200
    assert sandbox.write_count("Customer") == 1


def test_minorversion_is_recorded_with_the_effective_version(api, sandbox):
    api.get("customer/58", minorversion="75")
    api.get("customer/58", minorversion="40")
    api.get("customer/58")
    uses = [(m.requested, m.effective) for m in sandbox.minor_versions]
    assert uses == [("75", 75), ("40", 75), (None, 75)]


def test_unknown_realms_are_created_on_demand_unless_disabled(clock):
    sandbox = Sandbox(SandboxConfig(auto_create_realms=False), clock=clock)
    with httpx.Client(transport=SandboxTransport(sandbox), base_url="http://qbo.test",
                      headers=sandbox.auth_headers("999")) as client:
        assert client.get("/v3/company/999/customer/58").status_code == 403


def test_json_money_round_trips_as_decimal_numbers():
    data = jsonio.loads(b'{"Amount": 177.00, "Qty": 2, "Rate": 0.1}')
    assert data == {"Amount": Decimal("177.00"), "Qty": 2, "Rate": Decimal("0.1")}
    assert jsonio.dumps(data) == b'{"Amount":177.00,"Qty":2,"Rate":0.1}'


def test_json_rejects_non_finite_numbers():
    with pytest.raises(jsonio.JSONError):
        jsonio.loads(b'{"Amount": NaN}')


def test_thousands_of_entities_stay_fast_enough(sandbox, api):
    company = sandbox.company()
    for i in range(3000):
        company.write("Invoice", {"CustomerRef": {"value": "58"}, "DocNumber": f"B-{i}",
                                  "Line": [{"DetailType": "SalesItemLineDetail",
                                            "Amount": Decimal("1.00"),
                                            "SalesItemLineDetail": {"ItemRef": {"value": "21"}}
                                            }]})
    body = jsonio.loads(api.query("select * from Invoice where DocNumber = 'B-2999'").content)
    assert body["QueryResponse"]["Invoice"][0]["DocNumber"] == "B-2999"
    assert sandbox.customer_balance("58") == Decimal("3000.00")
