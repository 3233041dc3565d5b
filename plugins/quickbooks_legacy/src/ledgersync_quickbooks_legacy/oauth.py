"""The connection: OAuth 1.0a as the path used it. The app's consumer key and secret come
from the settings; the access token and secret, with the day they were issued, live encrypted
in the ledger's secret store. Tokens lived 180 days and could be renewed only within the last
30 (the reconnect call); its error codes are explained in plain words here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any, cast

import attrs
import httpx
from oauthlib.oauth1 import Client

from ledgersync import ConnectorContext, ConnectorError
from ledgersync.http import send_within

from .settings import LegacySettings

LIFETIME = dt.timedelta(days=180)
RENEWAL_WINDOW = dt.timedelta(days=30)
PLATFORM_NS = "{http://platform.intuit.com/api/v1}"

#: Reconnect error codes (reference: 22, 24, 212, 270) with what a person does about them.
RECONNECT_ERRORS: dict[str, tuple[str, str]] = {
    "22": ("the reconnect call was not authorized (the stored token was not accepted)",
           "Connect the company again from the app's Connect to QuickBooks button"),
    "24": ("the app's consumer key is not recognised or not approved",
           "Check consumer_key and consumer_secret in [companies.NAME.quickbooks_legacy]"),
    "212": ("the token can be renewed only within 30 days of its expiry",
            "Nothing to do yet: reconnect when `ledgersync quickbooks_legacy status` says the "
            "renewal window is open"),
    "270": ("the token expired (tokens last 180 days)",
            "Connect the company again from the app's Connect to QuickBooks button"),
}

LOST_RENEWAL = ("Run `ledgersync quickbooks_legacy reconnect` again; if it answers error 22 or "
                "270, the renewal went through and its answer was lost: connect the company "
                "again from the app's Connect to QuickBooks button")


@attrs.frozen(kw_only=True)
class Credentials:
    token: str
    token_secret: str
    issued: dt.datetime

    @property
    def expires(self) -> dt.datetime:
        return self.issued + LIFETIME

    def renewable(self, now: dt.datetime) -> bool:
        return self.expires - RENEWAL_WINDOW <= now < self.expires

    def describe(self, now: dt.datetime) -> str:
        left = self.expires - now
        if left <= dt.timedelta(0):
            return f"expired on {self.expires:%Y-%m-%d}: connect again"
        window = ("the renewal window is open: `ledgersync quickbooks_legacy reconnect`"
                  if self.renewable(now) else
                  f"renewable from {self.expires - RENEWAL_WINDOW:%Y-%m-%d}")
        return f"connected, expires on {self.expires:%Y-%m-%d} ({left.days} days); {window}"


class CredentialStore:
    """The company's access token in the secret store (encrypted at rest)."""

    def __init__(self, context: ConnectorContext, company: str) -> None:
        self.context = context
        self.company = company

    def save(self, token: str, token_secret: str, issued: dt.datetime | None = None) -> None:
        secrets = self.context.secrets
        secrets.set("oauth1_token", token)
        secrets.set("oauth1_token_secret", token_secret)
        secrets.set("oauth1_issued", (issued or self.context.utcnow()).isoformat())

    def load(self) -> Credentials:
        secrets = self.context.secrets
        token, secret = secrets.get("oauth1_token"), secrets.get("oauth1_token_secret")
        issued = secrets.get("oauth1_issued")
        if not token or not secret or not issued:
            raise ConnectorError(
                f"company {self.company!r} is not connected to QuickBooks (no access token)",
                code="not-connected", sent=False,
                remedy=f"Run `ledgersync quickbooks_legacy connect {self.company} --token ... "
                       "--token-secret ...` with the tokens of Connect to QuickBooks")
        return Credentials(token=token, token_secret=secret,
                           issued=dt.datetime.fromisoformat(issued))


class OAuth1Signer(httpx.Auth):
    """Signs every request with HMAC-SHA1 (the body is XML, so it is not signed)."""

    def __init__(self, settings: LegacySettings, credentials: Credentials) -> None:
        self.client = Client(settings.consumer_key, client_secret=settings.consumer_secret,
                             resource_owner_key=credentials.token,
                             resource_owner_secret=credentials.token_secret,
                             signature_method="HMAC-SHA1")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        method = cast("Any", request.method)  # oauthlib's stub lists the verbs literally
        _, headers, _ = self.client.sign(str(request.url), http_method=method)
        request.headers["Authorization"] = headers["Authorization"]
        yield request


def reconnect(settings: LegacySettings, store: CredentialStore,
              transport: httpx.BaseTransport | None = None) -> Credentials:
    """Renew the access token within its renewal window; saves and returns the new one."""
    from .xmlio import parse

    current = store.load()
    try:
        with httpx.Client(transport=transport, timeout=settings.timeout_seconds,
                          auth=OAuth1Signer(settings, current)) as http:
            response = send_within(http, "GET", settings.reconnect_url,
                                   deadline_seconds=settings.request_deadline_seconds)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise ConnectorError(f"reconnect of company {store.company!r}: the reconnect address "
                             f"could not be reached ({exc})", code="network", sent=False,
                             remedy="Check reconnect_url and the network, then run the "
                             "reconnect again") from None
    except httpx.HTTPError as exc:
        # The renewal may have happened with its answer lost (the old token then no longer
        # works): running it again tells, by error 22 or 270.
        code = "timeout" if isinstance(exc, httpx.TimeoutException) else "network"
        raise ConnectorError(f"reconnect of company {store.company!r}: no complete answer "
                             f"({exc})", code=code, sent=True, remedy=LOST_RENEWAL) from None
    root = parse(response.content)
    code = (root.findtext(f"{PLATFORM_NS}ErrorCode") or "").strip()
    if code != "0":
        words, remedy = RECONNECT_ERRORS.get(code, (
            root.findtext(f"{PLATFORM_NS}ErrorMessage") or "the reconnect call failed",
            "Connect the company again from the app's Connect to QuickBooks button"))
        raise ConnectorError(f"reconnect of company {store.company!r} failed: error {code}: "
                             f"{words}", code=code, remedy=remedy, sent=True)
    token = root.findtext(f"{PLATFORM_NS}OAuthToken") or ""
    secret = root.findtext(f"{PLATFORM_NS}OAuthTokenSecret") or ""
    store.save(token, secret)
    return store.load()
