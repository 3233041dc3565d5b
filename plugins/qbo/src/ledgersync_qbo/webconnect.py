"""Connecting a company to QuickBooks Online from the Accounting Sync page.

An admin presses "Connect to QuickBooks Online" on the company's tools page: the page sends
the browser to Intuit's consent screen with a random ``state`` kept in the ledger for ten
minutes; Intuit sends it back to the company's ``redirect_uri``, which `ledgersync serve`
answers (the path of that address, mounted beside the page). The ``state`` must match one
waiting company and is used once; the code is traded for tokens, stored encrypted.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread

from ledgersync import (
    CompanyConfig,
    CompanyTool,
    Ledger,
    LedgerSyncError,
    ToolResult,
    WebMount,
)

STATE_KEY = "qbo:page_connect"
STATE_LIFETIME = dt.timedelta(minutes=10)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _connector(ledger: Ledger, company: str) -> Any:
    from .connector import QboConnector

    connector = ledger.connector(company)
    assert isinstance(connector, QboConnector)
    return connector


def company_tools(ledger: Ledger, company: CompanyConfig) -> list[CompanyTool]:
    name = company.name

    def connect(_values: Mapping[str, str]) -> ToolResult:
        from .connect import begin_authorization

        settings = _connector(ledger, name).settings
        url, state = begin_authorization(settings)
        expires = (dt.datetime.now(dt.UTC) + STATE_LIFETIME).isoformat()
        ledger.state(name).put(STATE_KEY, {"state": state, "expires": expires})
        return ToolResult(message="to QuickBooks' consent screen", redirect_to=url)

    return [CompanyTool(
        name="qbo-connect", title="Connect to QuickBooks Online",
        description="Opens QuickBooks' consent screen; sign in there as the company's admin "
        "and choose this company. Tokens are stored encrypted, never shown. Intuit sends you "
        f"back to {company.settings.get('redirect_uri') or 'the redirect_uri'}, which must be "
        "this server's address and registered in your Intuit app.",
        run=connect)]


def web_mounts(ledger: Ledger) -> list[WebMount]:
    """The OAuth redirect endpoint at the path of each QBO company's redirect_uri."""
    paths: dict[str, list[str]] = {}
    for company in ledger.config.companies.values():
        if company.connector == "qbo":
            path = urlsplit(_connector(ledger, company.name).settings.redirect_uri).path or "/"
            paths.setdefault("/" + path.strip("/"), []).append(company.name)
    return [WebMount(path=path, app=OAuthRedirect(ledger, names),
                     title=f"QuickBooks Online sign-in return (companies: {', '.join(names)})")
            for path, names in sorted(paths.items())]


class OAuthRedirect:
    """Answers Intuit's redirect: finds the company waiting for this ``state`` and connects it."""

    def __init__(self, ledger: Ledger, companies: list[str]) -> None:
        self.ledger = ledger
        self.companies = companies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        query = scope.get("query_string", b"").decode("latin-1")
        root = str(scope.get("root_path", ""))
        status, title, body = await anyio.to_thread.run_sync(self._complete, query, root)
        page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}"
                f"</title></head><body><h1>{title}</h1>{body}</body></html>").encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": page})

    def _complete(self, query: str, root: str) -> tuple[int, str, str]:
        from .connect import complete_authorization

        given = {k: v[0] for k, v in parse_qs(query).items()}
        state = given.get("state", "")
        company = self._waiting(state) if state else None
        if company is None:
            return 400, "Not connected", (
                "<p>This sign-in return matches no connection started from the page, or it "
                "expired (ten minutes) or was used already.</p><p>Start again from the "
                "company's connector tools.</p>")
        back = f"<p><a href='{html.escape(root)}/tools/{html.escape(company)}'>Back to the " \
               f"connector tools of {html.escape(company)}</a></p>"
        connector = _connector(self.ledger, company)
        try:
            complete_authorization(connector.tokens, "?" + query, state=state)
            checked = connector.check()
        except LedgerSyncError as exc:
            remedy = f" {html.escape(exc.remedy)}" if exc.remedy else ""
            return 400, "Not connected", f"<p>{html.escape(exc.message)}.{remedy}</p>{back}"
        self.ledger.resume(company, actor="qbo connect (page)")
        return 200, "Connected", (f"<p>{html.escape(company)} is connected: "
                                  f"{html.escape(checked)}.</p>{back}")

    def _waiting(self, state: str) -> str | None:
        """The company whose connection waits for ``state``; the state is spent either way."""
        now = dt.datetime.now(dt.UTC)
        for company in self.companies:
            store = self.ledger.state(company)
            pending = store.get(STATE_KEY)
            if not isinstance(pending, dict) or pending.get("state") != state:
                continue
            store.delete(STATE_KEY)
            if dt.datetime.fromisoformat(str(pending.get("expires"))) < now:
                return None
            return company
        return None
