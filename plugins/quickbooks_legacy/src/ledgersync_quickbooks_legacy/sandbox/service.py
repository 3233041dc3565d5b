"""The sandbox as one HTTP service: OAuth 1.0a checks, the intermediary's endpoints
(``/sb/<resource>/v2/<realm>``, ``/sb/status/v2/<realm>``, ``/sb/syncActivity/v2/<realm>``) and
the reconnect endpoint (``/api/v1/connection/reconnect``), reachable in-process through an
httpx transport or on loopback through uvicorn (:mod:`.server`).

Every IDS answer is a ``RestResponse`` (an error can arrive with HTTP 200, as the path did:
clients check for ``RestResponse/Error`` on every response).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from typing import Any, cast

import attrs
import httpx
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849 import utils as oauth_utils

from ..codes import QUERY_ONLY, RESOURCES
from ..xmlio import XmlError, dumps, parse, q
from .clock import Clock, stamp
from .desktop import Desktop
from .intermediary import SCHEMA_ERROR, WRITES, Intermediary, Refusal, error_body

#: OAuth 1.0a access tokens of the path lived 180 days; reconnect only in the last 30.
TOKEN_LIFETIME = dt.timedelta(days=180)
RENEWAL_WINDOW = dt.timedelta(days=30)
PLATFORM_NS = "http://platform.intuit.com/api/v1"
_KINDS_BY_RESOURCE = {resource: kind for kind, resource in RESOURCES.items()}
_QUERY_KINDS = {resource: kind for kind, resource in QUERY_ONLY.items()}


@attrs.define
class Token:
    secret: str
    issued: dt.datetime

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.issued + TOKEN_LIFETIME


@attrs.define
class Sandbox:
    """An intermediary, its desktop, the app's consumer key and the tokens it issued."""

    realm_id: str = "688875295"
    company_name: str = "Harbor Marina Club"
    consumer_key: str = "qyprd-sandbox-consumer"
    consumer_secret: str = "sandbox-consumer-secret"
    clock: Clock = attrs.field(factory=Clock)
    tokens: dict[str, Token] = attrs.field(factory=dict)
    cloud: Intermediary = attrs.field(init=False)
    desktop: Desktop = attrs.field(init=False)
    _nonces: set[tuple[str, str]] = attrs.field(factory=set)
    #: Injected failures: lose the answer of the next N stage-one writes (they still land).
    lose_answers: int = 0
    requests: list[tuple[str, str]] = attrs.field(factory=list)
    #: One request or desktop run at a time (uvicorn's thread and the caller's share it).
    lock: threading.RLock = attrs.field(factory=threading.RLock)

    def __attrs_post_init__(self) -> None:
        self.cloud = Intermediary(realm_id=self.realm_id, now=self.clock.now)
        self.desktop = Desktop(cloud=self.cloud, now=self.clock.now)
        self.cloud.balances = self.desktop.customer_balances

    # -- credentials ---------------------------------------------------------------------------

    def issue_token(self) -> tuple[str, str]:
        """A new access token and secret, as the Connect to QuickBooks flow ended with."""
        token, secret = "qyprd" + secrets.token_hex(12), secrets.token_hex(20)
        self.tokens[token] = Token(secret=secret, issued=self.clock.now())
        return token, secret

    def _authorize(self, method: str, url: str, headers: httpx.Headers) -> str:
        """The access token of a correctly signed request; raises Refusal(401) otherwise."""
        header = headers.get("authorization", "")
        if not header.startswith("OAuth "):
            raise Refusal("401", "Invalid security token")
        try:
            params = {k: oauth_utils.unescape(v)
                      for k, v in oauth_utils.parse_authorization_header(header)}
        except ValueError as exc:
            raise Refusal("401", "Invalid security token") from exc
        token = self.tokens.get(params.get("oauth_token", ""))
        nonce = (params.get("oauth_nonce", ""), params.get("oauth_timestamp", ""))
        if (params.get("oauth_consumer_key") != self.consumer_key or token is None
                or params.get("oauth_signature_method") != "HMAC-SHA1"
                or nonce in self._nonces):
            raise Refusal("401", "Invalid security token")
        query = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)
        signed = [(k, v) for k, v in params.items() if k not in ("oauth_signature", "realm")]
        request = OAuthRequest(url, http_method=cast("Any", method))  # the stub lists verbs
        # oauthlib reads the parameters and signature from the request; its stub declares
        # neither attribute.
        setattr(request, "params", signed + query)  # noqa: B010
        setattr(request, "signature", params.get("oauth_signature", ""))  # noqa: B010
        if not oauth_signature.verify_hmac_sha1(request, self.consumer_secret, token.secret):
            raise Refusal("401", "Invalid security token")
        self._nonces.add(nonce)
        return str(params["oauth_token"])

    # -- HTTP ----------------------------------------------------------------------------------

    def run_desktop(self) -> int:
        """One run of the desktop's Sync Manager; returns how many objects it handled."""
        with self.lock:
            return len(self.desktop.sync().rows)

    def handle(self, method: str, url: str, headers: httpx.Headers, body: bytes
               ) -> tuple[int, bytes]:
        """Answer one request: (HTTP status, body)."""
        with self.lock:
            return self._handle(method, url, headers, body)

    def _handle(self, method: str, url: str, headers: httpx.Headers, body: bytes
                ) -> tuple[int, bytes]:
        path = urllib.parse.urlsplit(url).path
        self.requests.append((method, path))
        try:
            token = self._authorize(method, url, headers)
        except Refusal as refusal:
            if path.endswith("/connection/reconnect"):
                return 200, reconnect_body(self.clock.now(), 22, "This API requires "
                                           "Authorization.")
            return 401, error_body("", refusal, self.clock.now())
        if path.endswith("/api/v1/connection/reconnect") and method == "GET":
            return 200, self._reconnect(token)
        if self.tokens[token].expired(self.clock.now()):  # 180 days: the data calls stop
            return 401, error_body("", Refusal("401", "Invalid security token"),
                                   self.clock.now())
        parts = path.strip("/").split("/")
        if method != "POST" or len(parts) < 4 or parts[-2] != "v2" or parts[-4] != "sb":
            return 404, error_body("", Refusal("404", f"no such resource: {path}"),
                                   self.clock.now())
        resource, realm = parts[-3], parts[-1]
        try:
            if realm != self.realm_id:
                raise Refusal("401", "Invalid security token")  # the token is for one realm
            root = parse(body)
            return 200, self._dispatch(resource, root)
        except XmlError as exc:
            return 400, error_body("", Refusal(SCHEMA_ERROR, str(exc)), self.clock.now())
        except Refusal as refusal:
            return 200, error_body("", refusal, self.clock.now())

    def _dispatch(self, resource: str, root: ET.Element) -> bytes:
        tag = root.tag.removeprefix("{http://www.intuit.com/sb/cdm/v2}")
        if tag == root.tag:
            raise Refusal(SCHEMA_ERROR, f"cvc-elt.1: Cannot find the declaration of element "
                          f"'{root.tag}' (the namespace http://www.intuit.com/sb/cdm/v2 is "
                          "required).")
        if resource == "status" and tag == "SyncStatusRequest":
            self._offering(root, "SyncStatusRequest")
            return self.cloud.status(root)
        if resource == "syncActivity" and tag == "SyncActivityRequest":
            self._offering(root, "SyncActivityRequest")
            return self.cloud.sync_activity(root)
        kind = _KINDS_BY_RESOURCE.get(resource)
        if resource == "companymetadata" and tag == "CompanyMetaDataQuery":
            response = ET.Element(q("RestResponse"))
            meta = ET.SubElement(response, q("CompanyMetaData"))
            ET.SubElement(meta, q("QBNRegisteredCompanyName")).text = self.company_name
            ET.SubElement(meta, q("ExternalRealmId")).text = self.realm_id
            return dumps(response)
        if kind is None and resource in _QUERY_KINDS and tag == f"{_QUERY_KINDS[resource]}Query":
            return self.cloud.query(_QUERY_KINDS[resource], root)
        if kind is None:
            raise Refusal("404", f"no such resource: {resource}")
        if tag in WRITES:
            answer = self.cloud.write(tag, resource, root)
            if self.lose_answers > 0:
                self.lose_answers -= 1
                raise LostAnswer
            return answer
        if tag == f"{kind}Query":
            return self.cloud.query(kind, root)
        raise Refusal(SCHEMA_ERROR, f"cvc-elt.1: Element '{tag}' is not valid for resource "
                      f"'{resource}'.")

    @staticmethod
    def _offering(root: ET.Element, name: str) -> None:
        if root.findtext(q("OfferingId")) != "ipp":
            raise Refusal(SCHEMA_ERROR, "cvc-complex-type.2.4.a: OfferingId 'ipp' is "
                          "expected.", name)

    def _reconnect(self, token: str) -> bytes:
        now = self.clock.now()
        current = self.tokens[token]
        if current.expired(now):
            return reconnect_body(now, 270, "OAuth Token Rejected")
        if now < current.issued + TOKEN_LIFETIME - RENEWAL_WINDOW:
            return reconnect_body(now, 212, "Token Refresh Window Out of Bounds")
        del self.tokens[token]
        fresh, secret = self.issue_token()
        return reconnect_body(now, 0, "", token=fresh, secret=secret)

    # -- ways in ---------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An in-process httpx transport to this sandbox."""

        def answer(request: httpx.Request) -> httpx.Response:
            body = request.read()
            try:
                status, content = self.handle(request.method, str(request.url), request.headers,
                                              body)
            except LostAnswer:
                raise httpx.ReadTimeout("the answer was lost (sandbox injection)",
                                        request=request) from None
            return httpx.Response(status, content=content,
                                  headers={"content-type": "application/xml"})

        return httpx.MockTransport(answer)

    async def asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The sandbox as a plain ASGI application (for uvicorn on loopback)."""
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        host = dict(scope["headers"]).get(b"host", b"127.0.0.1").decode()
        url = f"http://{host}{scope['path']}"
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode()
        headers = httpx.Headers([(k.decode(), v.decode()) for k, v in scope["headers"]])
        try:
            status, content = self.handle(scope["method"], url, headers, body)
        except LostAnswer:
            status, content = 504, b""
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/xml")]})
        await send({"type": "http.response.body", "body": content})


class LostAnswer(Exception):
    """Injected: the write landed but its answer never reaches the client."""


def reconnect_body(now: dt.datetime, code: int, message: str, *, token: str | None = None,
                   secret: str | None = None) -> bytes:
    root = ET.Element(f"{{{PLATFORM_NS}}}ReconnectResponse")

    def add(tag: str, value: str) -> None:
        ET.SubElement(root, f"{{{PLATFORM_NS}}}{tag}").text = value

    add("ErrorMessage", message)
    add("ErrorCode", str(code))
    add("ServerTime", stamp(now))
    if token is not None and secret is not None:
        add("OAuthToken", token)
        add("OAuthTokenSecret", secret)
    return dumps(root)


