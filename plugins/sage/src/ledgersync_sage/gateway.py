"""The XML gateway client: sender credentials, the session, one HTTP POST per request.

With ``use_session`` (the default) the client signs in once with ``getAPISession`` (alone in
its request, as Intacct asks), switches to the ``endpoint`` the session names, and renews the
session before ``sessiontimeout`` (a sliding timeout every response repeats). An
authentication failure on a session means no function ran, so the client signs in again and
repeats the request once. Sessions live in this process only: they are never stored.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterator, Sequence

import httpx

from ledgersync.http import DeadlineExceeded, send_within

from .envelope import (
    Function,
    FunctionResult,
    Login,
    Response,
    Session,
    build_request,
    parse_response,
)
from .errors import IntacctFailure
from .functions import Filter, get_api_session, query
from .settings import SageSettings

_counter = itertools.count(1)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class XmlGateway:
    def __init__(self, settings: SageSettings, *, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings
        # SageSettings requires all four for api = "xml".
        self._sender = (settings.sender_id or "", settings.sender_password or "")
        self._user = (settings.user_id or "", settings.user_password or "")
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._http = httpx.Client(transport=transport, timeout=settings.timeout_seconds,
                                  headers={"Content-Type": "application/xml",
                                           "User-Agent": "ledgersync-sage"})
        self._lock = threading.Lock()
        self._session: Session | None = None
        self._endpoint = settings.endpoint_url
        self._expires: dt.datetime | None = None
        #: Requests sent (for the benchmark and for the per-item request count).
        self.requests = 0

    # -- credentials --------------------------------------------------------------------------

    def _login(self) -> Login:
        s = self.settings
        return Login(user_id=self._user[0], company_id=s.company_id, password=self._user[1],
                     location_id=s.entity_id)

    def _control_id(self, hint: str) -> str:
        # Request-level controlid only correlates request and response (never deduplicated).
        return f"ls-{hint}-{self._clock():%Y%m%dT%H%M%S}-{next(_counter)}"

    def session(self) -> Session:
        """The current session, signing in (again) when there is none or it is about to end."""
        with self._lock:
            margin = dt.timedelta(seconds=self.settings.session_renew_seconds)
            if (self._session is not None and self._expires is not None
                    and self._expires - self._clock() > margin):
                return self._session
            response = self._post(self.settings.endpoint_url, build_request(
                sender_id=self._sender[0], sender_password=self._sender[1],
                control_id=self._control_id("session"), unique_id=False, auth=self._login(),
                functions=[get_api_session("ls-session")]))
            result = response.results[0] if response.results else None
            if result is None or not result.ok:
                raise (result.failure() if result is not None else IntacctFailure(
                    "getAPISession returned no result", level="result"))
            api = result.data.find("api") if result.data is not None else None
            session_id = api.findtext("sessionid") if api is not None else None
            if not session_id:
                raise IntacctFailure("getAPISession returned no session id", level="result")
            endpoint = (api.findtext("endpoint") or "").strip() if api is not None else ""
            self._endpoint = session_endpoint(endpoint, self.settings.endpoint_url)
            self._session = Session(session_id.strip())
            left = response.authentication.session_left()
            self._expires = self._clock() + (left if left is not None
                                             else dt.timedelta(minutes=30))
            return self._session

    @property
    def endpoint(self) -> str:
        """Where requests go: the session's endpoint once signed in."""
        return self._endpoint

    def forget_session(self) -> None:
        with self._lock:
            self._session = None
            self._expires = None

    # -- requests ----------------------------------------------------------------------------

    def call(self, functions: Sequence[Function], *, unique_id: bool,
             transaction: bool = False) -> Response:
        """Send ``functions`` in one request; returns the response whose control and
        authentication succeeded (function results may still fail, each on its own)."""
        for attempt in (1, 2):
            if self.settings.use_session:
                auth: Login | Session = self.session()
                url = self._endpoint
            else:
                auth, url = self._login(), self.settings.endpoint_url
            body = build_request(
                sender_id=self._sender[0], sender_password=self._sender[1],
                control_id=self._control_id("req"), unique_id=unique_id, auth=auth,
                functions=functions, transaction=transaction)
            try:
                response = self._post(url, body)
            except IntacctFailure as failure:
                if (failure.level == "authentication" and isinstance(auth, Session)
                        and attempt == 1):
                    self.forget_session()  # expired or revoked: nothing ran; sign in again
                    continue
                raise
            left = response.authentication.session_left()
            if self.settings.use_session and left is not None:
                with self._lock:  # every answer extends the sliding session
                    self._expires = self._clock() + left
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, url: str, body: bytes) -> Response:
        self.requests += 1
        try:
            http = send_within(self._http, "POST", url, content=body,
                               deadline_seconds=self.settings.request_deadline_seconds)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise IntacctFailure(f"cannot reach Intacct at {url}: {exc}", level="transport",
                                 code="network", sent=False) from None
        except DeadlineExceeded as exc:
            raise IntacctFailure(f"no complete answer from Intacct: {exc}",
                                 level="transport", code="timeout") from None
        except httpx.TimeoutException:
            raise IntacctFailure(
                f"no answer from Intacct within {self.settings.timeout_seconds:g} s",
                level="transport", code="timeout") from None
        except httpx.HTTPError as exc:
            raise IntacctFailure(f"the connection to Intacct failed: {exc}",
                                 level="transport", code="network") from None
        if http.status_code == 429:
            raise IntacctFailure("Intacct's gateway is throttling this company (HTTP 429, "
                                 "GW-0010)", level="gateway", http_status=429,
                                 retry_after=_retry_after(http), sent=False)
        try:
            return parse_response(http.content, http_status=http.status_code)
        except IntacctFailure as failure:
            if failure.level == "gateway" and http.status_code == 429:
                failure.retry_after = _retry_after(http)
            raise

    # -- reads ----------------------------------------------------------------------------------

    def query_all(self, obj: str, select: Sequence[str], where: Filter | None = None, *,
                  pagesize: int = 2000, orderby: str | None = None) -> Iterator[dict[str, str]]:
        """Every row of a query, page by page (offset paging: ``query`` has no cursor)."""
        offset = 0
        while True:
            function = query(f"ls-query-{obj.lower()}-{offset}", obj, select, where,
                             pagesize=pagesize, offset=offset, orderby=orderby)
            result = self.one(function, unique_id=False)
            rows = result.records()
            yield from rows
            remaining = result.count("numremaining")
            offset += len(rows)
            if not rows or not remaining:
                return

    def one(self, function: Function, *, unique_id: bool) -> FunctionResult:
        """Send one function; raises its failure."""
        response = self.call([function], unique_id=unique_id)
        if not response.results:
            raise IntacctFailure("Intacct returned no result for the function", level="result")
        result = response.results[0]
        if not result.ok:
            raise result.failure()
        return result

    def close(self) -> None:
        self._http.close()


def session_endpoint(named: str, configured: str) -> str:
    """Where a session's requests go: the endpoint URL Intacct ties the session to and names
    in getAPISession's answer (developer.intacct.com/api/company-console/api-sessions), or the
    configured one when it names none. The session id is sent there, so a name that is not an
    absolute URL, or is plain http when the configured endpoint is https, is refused."""
    if not named:
        return configured
    try:
        url = httpx.URL(named)
    except (httpx.InvalidURL, ValueError):
        url = None
    secure = httpx.URL(configured).scheme == "https"
    schemes = ("https",) if secure else ("https", "http")
    if url is None or not url.host or url.scheme not in schemes:
        raise IntacctFailure(
            f"getAPISession named a session endpoint that is not an {' or '.join(schemes)} URL:"
            f" {named[:120]!r}; check that endpoint_url is Intacct's XML gateway",
            level="result", sent=False)
    return named
