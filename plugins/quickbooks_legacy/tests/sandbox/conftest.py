"""Sandbox fixtures: the sandbox on a clock the tests move, and a signed HTTP client to it."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ledgersync_quickbooks_legacy.oauth import Credentials, OAuth1Signer
from ledgersync_quickbooks_legacy.sandbox import Clock, Sandbox
from ledgersync_quickbooks_legacy.settings import LegacySettings
from ledgersync_quickbooks_legacy.testing import seeded_sandbox
from ledgersync_quickbooks_legacy.xmlio import parse, q

DATA = Path(__file__).parent.parent / "data"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BASE = "https://services.intuit.com/sb"


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def sandbox(clock: Clock) -> Sandbox:
    sandbox = seeded_sandbox(clock=clock)
    sandbox.desktop.add_list("Customer", "4", "Existing customer")
    sandbox.desktop.add_list("Item", "1", "Existing item")
    sandbox.desktop.add_list("SalesRep", "1", "Rep")
    return sandbox


def signed_client(sandbox: Sandbox, token: str, secret: str,
                  consumer_secret: str | None = None) -> httpx.Client:
    settings = LegacySettings(realm_id=sandbox.realm_id, consumer_key=sandbox.consumer_key,
                              consumer_secret=consumer_secret or sandbox.consumer_secret)
    credentials = Credentials(token=token, token_secret=secret, issued=START)
    return httpx.Client(transport=sandbox.transport(), auth=OAuth1Signer(settings, credentials))


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    token, secret = sandbox.issue_token()
    with signed_client(sandbox, token, secret) as client:
        yield client


Post = Callable[[str, bytes], httpx.Response]


@pytest.fixture
def post(http: httpx.Client, sandbox: Sandbox) -> Post:
    def send(resource: str, body: bytes) -> httpx.Response:
        return http.post(f"{BASE}/{resource}/v2/{sandbox.realm_id}", content=body)

    return send


def payload(name: str) -> bytes:
    return (DATA / name).read_bytes()


def paths(body: bytes) -> set[str]:
    """Every element path of a document (namespace-free), to compare answers' shapes."""
    found: set[str] = set()

    def walk(element: object, prefix: str) -> None:
        tag = element.tag.split("}")[-1]  # type: ignore[attr-defined]
        here = f"{prefix}/{tag}"
        found.add(here)
        for child in element:  # type: ignore[attr-defined]
            walk(child, here)

    walk(parse(body), "")
    return found


def one(element: ET.Element | None, path: str) -> ET.Element:
    """The element at ``path`` (IDS names, ``/``-separated); fails the test when absent."""
    assert element is not None
    found = element.find("/".join(q(part) for part in path.split("/")))
    assert found is not None, path
    return found


def text_of(element: ET.Element | None, path: str) -> str:
    return (one(element, path).text or "").strip()
