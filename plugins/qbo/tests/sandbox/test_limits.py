"""Throttling per realm: requests per minute, batches per minute, concurrency."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ledgersync_qbo.sandbox import Sandbox, SandboxConfig


def test_the_501st_request_in_a_minute_is_throttled_with_3001(api, sandbox):
    statuses = [api.get("customer/58").status_code for _ in range(501)]
    assert statuses[:500] == [200] * 500
    assert statuses[500] == 429


def test_throttle_body_is_xml_and_has_no_retry_after_by_default(api, config):
    api_calls = [api.get("customer/58") for _ in range(config.requests_per_minute + 1)]
    throttled = api_calls[-1]
    assert throttled.status_code == 429
    assert throttled.headers["content-type"].startswith("application/xml")
    assert b"message=ThrottleExceeded; errorCode=003001; statusCode=429" in throttled.content
    assert "retry-after" not in throttled.headers


@pytest.mark.parametrize("config", [SandboxConfig(requests_per_minute=3,
                                                  throttle_retry_after=60)])
def test_retry_after_is_sent_when_configured(api):
    for _ in range(3):
        api.get("customer/58")
    assert api.get("customer/58").headers["retry-after"] == "60"


@pytest.mark.parametrize("config", [SandboxConfig(requests_per_minute=3)])
def test_the_window_slides_with_the_clock(api, clock):
    assert [api.get("customer/58").status_code for _ in range(4)] == [200, 200, 200, 429]
    clock.advance(seconds=61)
    assert api.get("customer/58").status_code == 200


@pytest.mark.parametrize("config", [SandboxConfig(requests_per_minute=2)])
def test_realms_are_throttled_independently(api, api_for):
    assert [api.get("customer/58").status_code for _ in range(3)] == [200, 200, 429]
    assert api_for("7770001").get("customer/58").status_code == 200


@pytest.mark.parametrize("config", [SandboxConfig(batch_requests_per_minute=2)])
def test_batch_requests_have_their_own_per_minute_limit(api):
    statuses = [api.post("batch", {"BatchItemRequest": []}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert api.get("customer/58").status_code == 200


def test_concurrent_requests_beyond_the_limit_are_throttled(clock):
    sandbox = Sandbox(SandboxConfig(max_concurrent=2, latency=0.2), clock=clock)
    app = sandbox.create_app()
    headers = sandbox.auth_headers()
    url = f"/v3/company/{sandbox.default_realm_id}/customer/58"

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://qbo.test",
                                     headers=headers) as client:
            responses = await asyncio.gather(*(client.get(url) for _ in range(3)))
            return sorted(r.status_code for r in responses)

    assert asyncio.run(run()) == [200, 200, 429]
    assert sandbox.throttle.in_flight(sandbox.default_realm_id) == 0
