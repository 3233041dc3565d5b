"""The sandbox as one object: companies (books), the gateway, faults, throttling, latency."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from decimal import Decimal

import attrs
import httpx

from .books import Books
from .faults import Fault, Faults
from .gateway import Gateway, GatewayConfig, gateway_error
from .rest import PREFIX, RestApi, RestConfig, ia_error

XML_PATH = "/ia/xml/xmlgw.phtml"
_CODES = {"invoice": "INV", "credit_memo": "CM", "payment": "PAY", "refund": "RF",
          "journal_entry": "JE"}


def harbor_books() -> Books:
    """The demo company: a marina club's chart of accounts and a few dimensions."""
    books = Books(company_id="HARBORCLUB")
    for number, title in (("1000", "Operating bank"), ("1200", "Accounts receivable"),
                          ("1499", "Undeposited funds"), ("2200", "Sales tax payable"),
                          ("4000", "Dues income"), ("4100", "Slip rental income"),
                          ("4200", "Event income"), ("6900", "Bad debts")):
        books.add_account(number, title)
    books.add_dimension("LOCATION", "MARINA-EAST", "Marina East", entity="MARINA-EAST")
    books.add_dimension("LOCATION", "MARINA-WEST", "Marina West", entity="MARINA-WEST")
    for department in ("MEMBERSHIP", "DOCKS", "EVENTS"):
        books.add_dimension("DEPARTMENT", department)
    books.add_dimension("CLASS", "DUES")
    books.add_dimension("PROJECT", "DOCK-B")
    return books


@attrs.define
class SandboxConfig:
    gateway: GatewayConfig = attrs.field(factory=GatewayConfig)
    rest: RestConfig = attrs.field(factory=RestConfig)
    #: Requests one company may have in flight at once; more get HTTP 429 GW-0010.
    max_concurrent: int = 2
    #: Seconds added to every answer (realistic latency for benchmarks).
    latency: float = 0.0
    #: Retry-After of a throttled answer.
    retry_after: float = 1.0


class Sandbox:
    def __init__(self, config: SandboxConfig | None = None, *,
                 books: dict[str, Books] | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.config = config or SandboxConfig()
        self.books = books if books is not None else {"HARBORCLUB": harbor_books()}
        self.gateway = Gateway(self.books, self.config.gateway, clock=clock)
        self.rest = RestApi(self.books, self.config.rest, clock=clock)
        self.faults = Faults()
        self._in_flight = 0
        self._lock = threading.Lock()
        #: Requests refused for concurrency (HTTP 429).
        self.throttled = 0
        self.requests = 0
        #: The most requests that were ever in flight at once.
        self.peak_in_flight = 0

    def inject(self, kind: str, *, match: str | None = None, times: int = 1,
               delay: float = 2.0) -> None:
        self.faults.add(Fault(kind, match=match, times=times, delay=delay))

    # -- answering -----------------------------------------------------------------------------

    def respond(self, body: bytes, url: str, *, method: str = "POST",
                headers: dict[str, str] | None = None
                ) -> tuple[int, bytes, dict[str, str], Fault | None]:
        """(HTTP status, body, headers, the fault that fired after processing if any).
        ``headers`` with lower-case names."""
        path = httpx.URL(url).path
        rest = path.startswith(PREFIX)
        with self._lock:
            self.requests += 1
            if self._in_flight >= self.config.max_concurrent:
                self.throttled += 1
                return (*self._throttled(rest), None)
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            fault = self.faults.take(body)
            if fault is not None and fault.kind == "throttle":
                return (*self._throttled(rest), None)
            if fault is not None and fault.kind == "http_503":
                return (503, b"<html><body>503 Service Unavailable</body></html>",
                        {"Content-Type": "text/html"}, None)
            if fault is not None and fault.kind == "expire_session":
                self.gateway.expire_sessions()
                self.rest.expire_tokens()
            if self.config.latency:
                time.sleep(self.config.latency)
            after = fault if fault is not None and fault.kind in ("lost", "timeout") else None
            if rest:
                with self.gateway.lock:  # one company's books, whichever API writes them
                    status, answer, out = self.rest.handle(method, path, headers or {}, body)
                return status, answer, out, after
            if path != XML_PATH:
                return 404, b"Not Found", {"Content-Type": "text/plain"}, None
            answer = self.gateway.handle(body, url=url)
            return 200, answer, {"Content-Type": "text/xml; charset=UTF-8"}, after
        finally:
            with self._lock:
                self._in_flight -= 1

    def _throttled(self, rest: bool = False) -> tuple[int, bytes, dict[str, str]]:
        retry = {"Retry-After": f"{self.config.retry_after:g}"}
        if rest:
            status, body, headers = ia_error(429, "Too many concurrent requests for this "
                                             "company", code="tooManyRequests")
            return status, body, {**headers, **retry}
        return (429, gateway_error("GW-0010", "Too many concurrent requests for this "
                                   "company; API rate limit exceeded"),
                {"Content-Type": "text/xml", **retry})

    def transport(self, base_url: str = "https://api.intacct.com") -> httpx.MockTransport:
        """An in-process transport (no server): lost answers raise as a cut connection would,
        late ones as a read timeout."""
        def handle(request: httpx.Request) -> httpx.Response:
            status, body, headers, after = self.respond(
                request.read(), str(request.url), method=request.method,
                headers={k.lower(): v for k, v in request.headers.items()})
            if after is not None and after.kind == "lost":
                raise httpx.RemoteProtocolError("Server disconnected without sending a "
                                                "response.", request=request)
            if after is not None and after.kind == "timeout":
                raise httpx.ReadTimeout("The read operation timed out", request=request)
            return httpx.Response(status, content=body, headers=headers)
        return httpx.MockTransport(handle)

    # -- what tests look at ------------------------------------------------------------------------

    def company(self, company_id: str = "HARBORCLUB") -> Books:
        return self.books[company_id]

    def count(self, kind: str, mms_id: str, *, company_id: str = "HARBORCLUB",
              prefix: str = "LS", customer_prefix: str = "") -> int:
        """How many remote records an MMS record has (exactly once means 1)."""
        books = self.books[company_id]
        if kind == "member":
            return int(f"{customer_prefix}{mms_id}" in books.dimensions["CUSTOMER"])
        reference = f"{prefix}-{_CODES[kind]}-{mms_id}"  # REFERENCENO or referenceNumber
        return sum(1 for b in books.batches.values() if b.reference_no == reference)

    def balances(self, company_id: str = "HARBORCLUB") -> dict[str, Decimal]:
        return self.books[company_id].balances()
