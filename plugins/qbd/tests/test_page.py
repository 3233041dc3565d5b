"""The QuickBooks Desktop connector on the Accounting Sync page: the Web Connector endpoint
served beside the page (also under a prefix), and the admin's tools for its password and its
.qwc file."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

import ledgersync_qbd.plugin
from ledgersync import CompanyConfig, Config, Ledger, verify_password
from ledgersync.web import WebSettings, create_app
from ledgersync_qbd.qbwc.auth import SECRET_NAME

from .conftest import company_settings

OPERATOR_PASSWORD = "a long enough passphrase"


@pytest.fixture
def page_ledger(database_url, monkeypatch):
    monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", Fernet.generate_key().decode())
    config = Config(ledger_url=database_url, companies={
        "club": CompanyConfig(name="club", connector="qbd", settings=company_settings())})
    ledger = Ledger(config, plugins=[ledgersync_qbd.plugin], load_entrypoints=False)
    for name, role in (("ada", "admin"), ("otto", "operator")):
        ledger.operators().add(name, role, OPERATOR_PASSWORD)
    yield ledger
    ledger.close()


def _signed_in(app, name, root=""):
    client = TestClient(app)
    form = client.get(f"{root}/login").text
    token = _value(form, "login_token")
    page = client.post(f"{root}/login", data={"username": name, "password": OPERATOR_PASSWORD,
                                              "login_token": token})
    return client, _value(page.text, "csrf_token")


def test_the_web_connector_endpoint_is_served_beside_the_page(page_ledger) -> None:
    client = TestClient(create_app(page_ledger), follow_redirects=False)
    wsdl = client.get("/qbwc?wsdl")
    assert wsdl.status_code == 200
    assert "sendRequestXML" in wsdl.text
    assert client.get("/").headers["location"].startswith("/login")


def test_the_endpoint_moves_with_the_page_under_a_prefix(page_ledger) -> None:
    vendor = Starlette(routes=[Mount("/accounting", app=create_app(page_ledger))])
    client = TestClient(vendor, follow_redirects=False)
    assert "sendRequestXML" in client.get("/accounting/qbwc?wsdl").text
    assert client.get("/accounting/").headers["location"].startswith("/accounting/login")


def test_the_plugins_page_lists_the_endpoint(page_ledger) -> None:
    client, _ = _signed_in(create_app(page_ledger), "otto")
    assert "<code>/qbwc</code>: QuickBooks Web Connector endpoint (companies: club)" in \
        client.get("/plugins").text


def test_an_admin_sets_the_web_connector_password_on_the_page(page_ledger) -> None:
    client, csrf = _signed_in(create_app(page_ledger), "ada")
    assert "Set the Web Connector password" in client.get("/tools/club").text
    done = client.post("/actions/tool/club/qbwc-password", data={
        "csrf_token": csrf, "password": "new wc password", "confirm": "new wc password"})
    assert "Web Connector password of club set" in done.text
    stored = page_ledger.secrets("club").get(SECRET_NAME)
    assert verify_password("new wc password", stored)
    assert "new wc password" not in client.get("/tools/club").text


def test_two_different_passwords_are_refused(page_ledger) -> None:
    client, csrf = _signed_in(create_app(page_ledger), "ada")
    done = client.post("/actions/tool/club/qbwc-password", data={
        "csrf_token": csrf, "password": "new wc password", "confirm": "other password"})
    assert "the two passwords differ" in done.text
    assert page_ledger.secrets("club").get(SECRET_NAME) is None


def test_an_admin_downloads_the_qwc_file(page_ledger) -> None:
    client, csrf = _signed_in(create_app(page_ledger), "ada")
    answer = client.post("/actions/tool/club/qwc", data={
        "csrf_token": csrf, "url": "https://sync.example.org/qbwc"})
    assert answer.headers["content-disposition"] == 'attachment; filename="club.qwc"'
    assert "<AppURL>https://sync.example.org/qbwc</AppURL>" in answer.text
    assert f"<UserName>{company_settings()['username']}</UserName>" in answer.text


def test_a_qwc_for_a_url_the_web_connector_refuses_is_not_made(page_ledger) -> None:
    client, csrf = _signed_in(create_app(page_ledger), "ada")
    answer = client.post("/actions/tool/club/qwc", data={
        "csrf_token": csrf, "url": "http://sync.example.org/qbwc"})
    assert "content-disposition" not in answer.headers
    assert "only accepts https URLs" in answer.text


def test_an_operator_neither_sees_nor_uses_the_credential_tools(page_ledger) -> None:
    client, csrf = _signed_in(create_app(page_ledger, WebSettings()), "otto")
    assert "Set the Web Connector password" not in client.get("/tools/club").text
    refused = client.post("/actions/tool/club/qbwc-password", data={
        "csrf_token": csrf, "password": "new wc password", "confirm": "new wc password"})
    assert refused.status_code == 403
    assert page_ledger.secrets("club").get(SECRET_NAME) is None


def test_the_connector_settings_password_is_never_rendered(page_ledger) -> None:
    client, _ = _signed_in(create_app(page_ledger), "ada")
    secret = company_settings()["password"]
    for path in ("/", "/log", "/plugins", "/tools/club", "/mappings/club/item",
                 "/review/club"):
        assert secret not in client.get(path).text, path


def _value(html: str, name: str) -> str:
    """The value of the hidden field ``name`` in a page."""
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found is not None, f"no {name} in the page"
    return found.group(1)
