"""The page under Starlette's TestClient: a ledger with two companies on the fake books
(``harbor``; ``marina``, which requires a review), three operators, and signed-in clients."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from ledgersync import Ledger
from ledgersync.web import LedgerSyncWeb, WebSettings, create_app

PASSWORD = "a long enough passphrase"
USERS = {"ada": "admin", "otto": "operator", "vera": "viewer"}


def field(html: str, name: str) -> str:
    """The value of the first hidden field ``name`` in a page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no field {name} in the page"
    return found.group(1)


def notice(response: Any) -> str:
    """The one-line notice an action left on the page it redirected to."""
    found = re.search(r'class="notice"[^>]*>([^<]*)<', response.text)
    return html.unescape(found.group(1)) if found else ""


@pytest.fixture
def page_notice() -> Callable[[Any], str]:
    return notice


class Browser:
    """A TestClient that signs in through the login form and keeps the page's CSRF token."""

    def __init__(self, app: LedgerSyncWeb, root: str = "") -> None:
        self.client = TestClient(app, follow_redirects=True)
        self.root = root
        self.csrf = ""

    def login(self, name: str, password: str = PASSWORD) -> Any:
        form = self.client.get(f"{self.root}/login")
        response = self.client.post(f"{self.root}/login", data={
            "username": name, "password": password,
            "login_token": field(form.text, "login_token"), "next": ""})
        if 'name="csrf_token"' in response.text:
            self.csrf = field(response.text, "csrf_token")
        return response

    def get(self, path: str) -> Any:
        return self.client.get(self.root + path)

    def act(self, path: str, data: dict[str, object] | None = None, *,
            csrf: bool = True) -> Any:
        payload = dict(data or {})
        if csrf:
            payload["csrf_token"] = self.csrf
        return self.client.post(self.root + path, data=payload)


@pytest.fixture
def web_ledger(world: Any) -> Ledger:
    ledger = world.open({"harbor": {}, "marina": {"approval_required": True}})
    for name, role in USERS.items():
        ledger.operators().add(name, role, PASSWORD)
    return ledger


@pytest.fixture
def settings() -> WebSettings:
    return WebSettings(work_runs=False)


@pytest.fixture
def app(web_ledger: Ledger, settings: WebSettings) -> Iterator[LedgerSyncWeb]:
    app = create_app(web_ledger, settings)
    yield app
    app.web.runner.join(timeout=30)


@pytest.fixture
def browser(app: LedgerSyncWeb) -> Callable[[str], Browser]:
    def signed_in(name: str) -> Browser:
        b = Browser(app)
        b.login(name)
        return b
    return signed_in


@pytest.fixture
def otto(browser: Callable[[str], Browser]) -> Browser:
    return browser("otto")


@pytest.fixture
def vera(browser: Callable[[str], Browser]) -> Browser:
    return browser("vera")


@pytest.fixture
def synced_harbor(web_ledger: Ledger, rec: Any) -> Ledger:
    """harbor with a member and two invoices synced."""
    web_ledger.record([rec.member(), rec.invoice("I1"), rec.invoice("I2")],
                      companies=["harbor"])
    web_ledger.sync("harbor")
    return web_ledger
