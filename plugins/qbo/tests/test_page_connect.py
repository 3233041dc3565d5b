"""Connecting a company to QuickBooks Online from the Accounting Sync page: the consent screen,
Intuit's redirect back to the page, the tokens stored; a forged or replayed redirect refused."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

import ledgersync_qbo.plugin
from ledgersync import CompanyConfig, Config, Ledger
from ledgersync.web import create_app
from ledgersync_qbo.oauth import SECRET_NAME

from .conftest import COMPANY

PASSWORD = "a long enough passphrase"
REDIRECT = "http://testserver/qbo/callback"


@pytest.fixture
def page(tmp_path, qbo_settings):
    config = Config(ledger_url=f"sqlite:///{tmp_path / 'page.db'}", companies={
        COMPANY: CompanyConfig(name=COMPANY, connector="qbo",
                               settings={**qbo_settings, "redirect_uri": REDIRECT})})
    ledger = Ledger(config, plugins=[ledgersync_qbo.plugin], load_entrypoints=False)
    ledger.operators().add("ada", "admin", PASSWORD)
    client = TestClient(create_app(ledger), follow_redirects=False)
    form = client.get("/login").text
    client.post("/login", data={"username": "ada", "password": PASSWORD,
                                "login_token": _value(form, "login_token")})
    csrf = _value(client.get("/tools/harbor").text, "csrf_token")
    yield ledger, client, csrf
    ledger.close()


def _consent(client, csrf) -> str:
    """Press "Connect", let the sandbox's consent screen answer; returns Intuit's redirect."""
    start = client.post(f"/actions/tool/{COMPANY}/qbo-connect", data={"csrf_token": csrf})
    assert start.status_code == 303
    consent = httpx.get(start.headers["location"], follow_redirects=False)
    assert consent.status_code == 302
    return consent.headers["location"]


def test_the_tools_page_offers_to_connect(page) -> None:
    _, client, _ = page
    assert "Connect to QuickBooks Online" in client.get(f"/tools/{COMPANY}").text


def test_connecting_from_the_page_stores_the_tokens(page) -> None:
    ledger, client, csrf = page
    back = _consent(client, csrf)
    assert back.startswith(REDIRECT + "?")
    parts = urlsplit(back)
    answer = client.get(f"{parts.path}?{parts.query}")
    assert answer.status_code == 200
    assert f"{COMPANY} is connected" in answer.text
    assert ledger.connector(COMPANY).tokens.load().refresh_token
    assert "refresh_token" not in answer.text


def test_a_redirect_is_used_once(page) -> None:
    _, client, csrf = page
    parts = urlsplit(_consent(client, csrf))
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200
    again = client.get(f"{parts.path}?{parts.query}")
    assert again.status_code == 400
    assert "matches no connection started from the page" in again.text


def test_a_redirect_with_a_forged_state_connects_nothing(page) -> None:
    ledger, client, csrf = page
    parts = urlsplit(_consent(client, csrf))
    forged = re.sub(r"state=[^&]+", "state=forged", parts.query)
    answer = client.get(f"{parts.path}?{forged}")
    assert answer.status_code == 400
    assert ledger.secrets(COMPANY).get(SECRET_NAME) is None


def _value(html: str, name: str) -> str:
    """The value of the hidden field ``name`` in a page."""
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found is not None, f"no {name} in the page"
    return found.group(1)
