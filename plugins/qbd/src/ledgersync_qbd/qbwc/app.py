"""The ASGI app: ``POST /qbwc`` (SOAP 1.1) and ``GET /qbwc?wsdl``.

Served by `ledgersync serve`, or mounted in a vendor's own ASGI app::

    from starlette.routing import Mount
    routes = [Mount("/accounting", app=QbwcApp(ledger))]   # endpoint: /accounting/qbwc

HTTP rules: a body larger than ``max_body_bytes`` is refused with 413 from its Content-Length,
before it is read (so ``Expect: 100-continue`` never invites it) or as soon as the stream
exceeds it; a body that trickles in slower than ``read_timeout`` gets 408; other methods 405.
The service's work (database, password hashing) runs in worker threads, never on the loop.
Nothing raised by a call can take the server down: it becomes a SOAP ``Server`` fault.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio.to_thread

from ledgersync import Ledger, LedgerSyncError

from .service import QbwcService
from .soap import Call, SoapFault, fault, read_call, response
from .wsdl import wsdl

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# The largest body a Web Connector sends is receiveResponseXML carrying one qbXML response.
# Measured with the sandbox: a 500-customer iterator page (the connector's page size) is 0.4 MB
# of qbXML and 0.53 MB escaped in the envelope; an unpaged chart of 3,000 accounts is about
# 3.6 MB. 8 MiB leaves room for both; docs/operations.md says how to change it.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Calls handled at once; the rest wait their turn before taking a thread or a database
# connection. The ledger's connection pool holds 5 (SQLAlchemy's default pool_size, with 10
# overflow) and a call may hold two: with anyio's 40 threads, 200 Web Connectors at once made
# calls wait 30 s for a connection and fail (bench/load_serve.py, bench/RESULTS.md).
MAX_CALLS_AT_ONCE = 5
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


class _TooLarge(Exception):
    pass


class QbwcApp:
    """The Web Connector endpoint for every QuickBooks Desktop company of ``ledger``."""

    def __init__(self, ledger: Ledger | None = None, *, service: QbwcService | None = None,
                 path: str = "/qbwc", public_url: str | None = None,
                 max_body_bytes: int = MAX_BODY_BYTES, read_timeout: float = 60.0,
                 max_calls: int = MAX_CALLS_AT_ONCE, **service_options: Any) -> None:
        if service is None:
            if ledger is None:
                raise ValueError("give a ledger or a service")
            service = QbwcService(ledger, **service_options)
        self.service = service
        self.path = path.rstrip("/")
        self.public_url = public_url
        self.max_body_bytes = max_body_bytes
        self.read_timeout = read_timeout
        self.max_calls = max_calls
        self._limiter: anyio.CapacityLimiter | None = None  # made in the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        route = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        if root and route.startswith(root):
            route = route[len(root):]
        if route.rstrip("/") != self.path:
            await _plain(send, 404, b"Not found. The Web Connector endpoint is at "
                         + (self.path or "/").encode() + b"\n")
            return
        method = scope.get("method", "GET")
        if method in ("GET", "HEAD"):
            await self._get(scope, send)
        elif method == "POST":
            await self._post(scope, receive, send)
        else:
            await _plain(send, 405, b"Use POST (SOAP) or GET ?wsdl\n",
                         [(b"allow", b"GET, HEAD, POST")])

    # -- GET -----------------------------------------------------------------------------------

    async def _get(self, scope: Scope, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"),
                         keep_blank_values=True)
        if any(key.lower() == "wsdl" for key in query):
            body = wsdl(self.location(scope)).encode("utf-8")
            await _reply(send, 200, body, b"text/xml; charset=utf-8")
            return
        await _plain(send, 200, b"ledgersync QuickBooks Web Connector endpoint. WSDL: ?wsdl\n")

    def location(self, scope: Scope) -> str:
        """This endpoint's URL for the WSDL: the configured public URL, else the request's."""
        if self.public_url:
            return self.public_url
        headers = dict(scope.get("headers", []))
        host = headers.get(b"host", b"").decode("latin-1")
        if not _HOST.match(host):  # never echo a forged Host header into the WSDL
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        scheme = scope.get("scheme", "http")
        return f"{scheme}://{host}{scope.get('root_path', '')}{self.path}"

    # -- POST ----------------------------------------------------------------------------------

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > self.max_body_bytes:
            await _reply(send, 413, fault("Client", "the request body is too large"))
            return
        try:
            with anyio.fail_after(self.read_timeout):
                body = await self._read(receive)
        except TimeoutError:
            await _reply(send, 408, fault("Client", "the request body came too slowly"))
            return
        except _TooLarge:
            await _reply(send, 413, fault("Client", "the request body is too large"))
            return
        client = scope.get("client")
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.max_calls)
        status, payload = await anyio.to_thread.run_sync(
            self.handle, body, headers.get("content-type", ""), headers.get("soapaction"),
            str(client[0]) if client else None, limiter=self._limiter)
        await _reply(send, status, payload)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def handle(self, body: bytes, content_type: str, soap_action: str | None,
               address: str | None = None) -> tuple[int, bytes]:
        """One SOAP call from the client at ``address``, synchronously: (status, envelope)."""
        try:
            call = read_call(body, content_type=content_type, soap_action=soap_action,
                             max_bytes=self.max_body_bytes)
            return 200, response(call.method, self.dispatch(call, address))
        except SoapFault as exc:
            return exc.status, fault(exc.code, exc.message)
        except LedgerSyncError as exc:
            log.warning("Web Connector call failed: %s", exc)
            return 500, fault("Server", str(exc))
        except Exception:
            log.exception("Web Connector call failed")
            return 500, fault("Server", "ledgersync could not process the call; see its log")

    def dispatch(self, call: Call, address: str | None = None) -> str | int | list[str]:
        s, t = self.service, call.text
        match call.method:
            case "serverVersion":
                return s.server_version()
            case "clientVersion":
                return s.client_version(t("strVersion"))
            case "authenticate":
                return s.authenticate(t("strUserName"), t("strPassword"), address)
            case "sendRequestXML":
                return s.send_request_xml(t("ticket"), t("strHCPResponse"),
                                          t("strCompanyFileName"), t("qbXMLCountry"),
                                          call.number("qbXMLMajorVers"),
                                          call.number("qbXMLMinorVers"))
            case "receiveResponseXML":
                return s.receive_response_xml(t("ticket"), t("response"), t("hresult"),
                                              t("message"))
            case "connectionError":
                return s.connection_error(t("ticket"), t("hresult"), t("message"))
            case "getLastError":
                return s.get_last_error(t("ticket"))
            case "closeConnection":
                return s.close_connection(t("ticket"))
            case "getInteractiveURL":
                return s.get_interactive_url(t("wcTicket"), t("sessionID"))
            case "interactiveDone":
                return s.interactive_done(t("wcTicket"))
            case "interactiveRejected":
                return s.interactive_rejected(t("wcTicket"), t("reason"))
        raise SoapFault("Client", f"unknown method {call.method!r}")


async def _reply(send: Send, status: int, body: bytes,
                 content_type: bytes = b"text/xml; charset=utf-8",
                 extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
               *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _plain(send: Send, status: int, body: bytes,
                 extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await _reply(send, status, body, b"text/plain; charset=utf-8", extra)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
