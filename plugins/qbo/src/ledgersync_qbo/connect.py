"""Connecting a company: the OAuth authorization-code flow, or a refresh token given headless.

Interactive: print the authorization URL (and open a browser), then take the redirect either on
a one-shot HTTP listener at ``redirect_uri`` (when it points at this machine) or pasted by the
user. The ``state`` is random (``secrets``, not intuit-oauth's ``random.choice``), the realm in
the redirect must be the company's ``realm_id``, and an authorization code is exchanged once.
"""

from __future__ import annotations

import http.server
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ledgersync import ConnectorError

from .errors import QboAuthError
from .oauth import TokenKeeper, Tokens, _oauth_failure, auth_client
from .settings import QboSettings

#: Hosts a redirect can be captured on without leaving this machine.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def is_local(redirect_uri: str) -> bool:
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS


def parse_redirect(url: str, *, state: str) -> tuple[str, str | None]:
    """The code and realm id of a redirect URL, after checking its ``state``."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url.strip()).query).items()}
    if "error" in query:
        raise ConnectorError(f"QuickBooks did not authorize the connection: {query['error']}",
                             remedy="Run `ledgersync connect` again and approve the access",
                             sent=False)
    if query.get("state") != state:
        raise ConnectorError("the redirect's state does not match this connection attempt",
                             remedy="Use the address of the browser window this run opened, "
                                    "or run `ledgersync connect` again", sent=False)
    if "code" not in query:
        raise ConnectorError("the redirect address has no authorization code",
                             remedy="Paste the full address the browser was sent to",
                             sent=False)
    return query["code"], query.get("realmId")


def capture_redirect(redirect_uri: str, *, timeout: float,
                     ready: threading.Event | None = None) -> str:
    """Serve one request at ``redirect_uri`` on this machine; returns the full URL it got."""
    parts = urlsplit(redirect_uri)
    captured: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if urlsplit(self.path).path != (parts.path or "/"):
                self.send_error(404)
                return
            captured.append(f"{parts.scheme}://{parts.netloc}{self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"<html><body><p>ledgersync received the authorization. "
                             b"You can close this window.</p></body></html>")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the command prints what matters."""

    host = parts.hostname or "localhost"
    server = http.server.HTTPServer((host, parts.port or 80), Handler)
    server.timeout = 0.5
    if ready is not None:
        ready.set()
    deadline = time.monotonic() + timeout
    try:
        while not captured and time.monotonic() < deadline:
            server.handle_request()
    finally:
        server.server_close()
    if not captured:
        raise ConnectorError(f"no redirect arrived at {redirect_uri} within {timeout:.0f} s",
                             remedy="Run `ledgersync connect` again, or use --paste and paste "
                                    "the address the browser shows", sent=False)
    return captured[0]


def begin_authorization(settings: QboSettings) -> tuple[str, str]:
    """The address of Intuit's consent screen for ``settings``, and its random ``state``."""
    from intuitlib.enums import Scopes  # type: ignore[import-untyped]

    state = secrets.token_urlsafe(24)
    client = auth_client(settings, state_token=state)
    try:
        return client.get_authorization_url([Scopes.ACCOUNTING], state_token=state), state
    finally:
        client.close()


def complete_authorization(keeper: TokenKeeper, redirect: str, *, state: str) -> Tokens:
    """Check the redirect Intuit sent the browser to (its ``state``, its realm), trade its
    code for tokens once, and store them."""
    settings = keeper.settings
    code, realm = parse_redirect(redirect, state=state)
    if realm is not None and realm != settings.realm_id:
        raise ConnectorError(
            f"you authorized QuickBooks company {realm}, but realm_id of "
            f"{keeper.company!r} is {settings.realm_id}",
            remedy="Pick the right company in QuickBooks' consent screen, or correct realm_id "
                   "in the config", sent=False)
    client = None
    try:
        client = auth_client(settings, state_token=state)
        client.get_bearer_token(code, realm_id=realm or settings.realm_id)
    except Exception as exc:
        raise _oauth_failure(exc, keeper.company) from exc
    finally:
        if client is not None:
            client.close()
    return _store(keeper, client)


def connect_interactive(keeper: TokenKeeper, *, open_url: Callable[[str], None],
                        paste: Callable[[], str] | None = None,
                        timeout: float = 300.0) -> Tokens:
    """Authorize in a browser and store the tokens; ``paste`` (when given) reads the redirect
    URL from the user instead of listening on ``redirect_uri``."""
    settings = keeper.settings
    url, state = begin_authorization(settings)
    if paste is None and is_local(settings.redirect_uri):
        ready = threading.Event()
        box: list[str | BaseException] = []

        def listen() -> None:
            try:
                box.append(capture_redirect(settings.redirect_uri, timeout=timeout,
                                            ready=ready))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                box.append(exc)
                ready.set()

        listener = threading.Thread(target=listen, name="qbo-connect", daemon=True)
        listener.start()
        ready.wait()
        open_url(url)
        listener.join()
        if isinstance(box[0], BaseException):
            raise box[0]
        redirect = box[0]
    else:
        open_url(url)
        if paste is None:
            raise ConnectorError("the redirect_uri is not on this machine",
                                 remedy="Use --paste and paste the address the browser shows",
                                 sent=False)
        redirect = paste()
    return complete_authorization(keeper, redirect, state=state)


def connect_with_refresh_token(keeper: TokenKeeper, refresh_token: str) -> Tokens:
    """Headless: trade a refresh token (from another tool or the OAuth playground) for a
    fresh pair and store it; the token given is spent."""
    client = None
    try:
        client = auth_client(keeper.settings)
        client.refresh(refresh_token=refresh_token.strip())
    except Exception as exc:
        raise _oauth_failure(exc, keeper.company) from exc
    finally:
        if client is not None:
            client.close()
    return _store(keeper, client)


def _store(keeper: TokenKeeper, client: Any) -> Tokens:
    body = {key: getattr(client, key, None) for key in
            ("access_token", "refresh_token", "expires_in", "x_refresh_token_expires_in")}
    if not body["access_token"] or not body["refresh_token"]:
        raise QboAuthError("the QuickBooks token endpoint answered without tokens",
                           code="invalid_grant", sent=True)
    tokens = Tokens.from_response(body, keeper.context.utcnow(), keeper.settings.realm_id)
    keeper.store(tokens)
    return tokens
