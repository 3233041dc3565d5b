"""The QBO Accounting API over httpx: one place that sends every request the connector makes.

Every call carries ``minorversion`` (QBO applies 75 to anything older), the connect and read
timeouts and a total deadline (:mod:`ledgersync.http`); every write carries a
``requestid``. Faults are raised as
:class:`~ledgersync_qbo.errors.QboError` whatever shape they came in, HTTP 200 included. Two
conditions are handled here because they are safe to handle at once and never need a person:
an expired access token (refresh once, resend: nothing was processed) and HTTP 500 ("resubmit
the request once"; the requestid makes a resubmitted write replay).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx

from ledgersync.http import DeadlineExceeded, send_within

from . import jsonio
from .errors import QboError, from_fault, from_xml, retry_after_seconds
from .oauth import TokenKeeper
from .pacing import Pacer
from .querytext import select

Obj = dict[str, Any]
PAGE = 1000  # QBO's MAXRESULTS ceiling
# Entities QBO voids by a sparse update with include=void (Intuit's Payment reference); the
# others it voids take ?operation=void.
VOID_BY_UPDATE = frozenset({"Payment"})
READ_RETRY_DELAYS = (1.0, 4.0)  # seconds before the second and third try of a read


class QboClient:
    """Requests for one realm. Not thread-safe: one connector instance, one worker."""

    def __init__(self, *, base_url: str, realm_id: str, tokens: TokenKeeper, timeout: float,
                 minor_version: int = 75, transport: httpx.BaseTransport | None = None,
                 pacer: Pacer | None = None, deadline: float = 150.0) -> None:
        self.realm_id = realm_id
        self.deadline = deadline
        self.tokens = tokens
        self.pacer = pacer
        self.minor_version = str(minor_version)
        self._http = httpx.Client(
            base_url=f"{base_url.rstrip('/')}/v3/company/{realm_id}/",
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "application/json"}, transport=transport,
        )
        #: Requests sent to the API (not OAuth); exports report the difference they made.
        self.requests = 0
        #: The access token of the last 401 that a refresh did not cure (see refresh_auth).
        self.failed_token: str | None = None
        self.sleep: Callable[[float], None] = time.sleep

    def close(self) -> None:
        self._http.close()

    # -- the one request path --------------------------------------------------------------------

    def call(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
             body: Any = None, text: str | None = None, requestid: str | None = None,
             prepaid: bool = False) -> Obj:
        """Send one request (``prepaid``: its pacing slot was taken already, as a batch's
        is) and return the JSON answer, or raise QboError."""
        query = {"minorversion": self.minor_version, **(params or {})}
        if requestid is not None:
            query["requestid"] = requestid
        headers: dict[str, str] = {}
        content: bytes | None = None
        if body is not None:
            content, headers["Content-Type"] = jsonio.dumps(body), "application/json"
        elif text is not None:
            content, headers["Content-Type"] = text.encode("utf-8"), "application/text"
        retried_auth = resubmitted = False
        # A read (GET, or a query) changes nothing, so a timeout or a passing server failure
        # is retried here with backoff: one slow answer must not fail a reconcile.
        read_retries = list(READ_RETRY_DELAYS) if method == "GET" or path == "query" else []
        while True:
            token = self.tokens.access_token()
            headers["Authorization"] = f"Bearer {token}"
            if self.pacer is not None and not prepaid:
                self.pacer.request()
            prepaid = False
            try:
                response = self._send(method, path, query, headers, content)
            except QboError:
                if not read_retries:
                    raise
                self.sleep(read_retries.pop(0))
                continue
            if response.status_code in (429, 502, 503, 504) and read_retries:
                self.sleep(read_retries.pop(0))
                continue
            if response.status_code == 401:
                if not retried_auth:
                    retried_auth = True
                    self.tokens.refresh(failed_access_token=token)
                    continue
                self.failed_token = token
            if response.status_code == 500 and not resubmitted:
                resubmitted = True
                continue
            return self._answer(response)

    def _send(self, method: str, path: str, query: Mapping[str, str],
              headers: Mapping[str, str], content: bytes | None) -> httpx.Response:
        self.requests += 1
        try:
            return send_within(self._http, method, path, deadline_seconds=self.deadline,
                               params=query, headers=headers, content=content)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise QboError(f"QuickBooks Online could not be reached: {exc}", code="network",
                           sent=False) from exc
        except httpx.TimeoutException as exc:
            why = str(exc) if isinstance(exc, DeadlineExceeded) else type(exc).__name__
            raise QboError(f"no answer from QuickBooks Online in time ({why}); "
                           "the request may have been processed", code="timeout",
                           sent=True) from exc
        except httpx.TransportError as exc:
            raise QboError(f"the connection to QuickBooks Online broke: {exc}; the request "
                           "may have been processed", code="network", sent=True) from exc

    @staticmethod
    def _answer(response: httpx.Response) -> Obj:
        status = response.status_code
        tid = response.headers.get("intuit_tid")
        if status == 429:
            error = from_xml(response.text, status=429, intuit_tid=tid)
            error.code = "3001"  # whatever the body says (or lacks): QBO's throttle code
            error.retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            return _raise(error)
        try:
            body = jsonio.loads(response.content)
        except jsonio.JSONError:
            if "<Fault" in response.text:
                return _raise(from_xml(response.text, status=status, intuit_tid=tid))
            return _raise(QboError(f"QuickBooks answered HTTP {status} with no JSON body",
                                   code=f"http-{status}", status=status, intuit_tid=tid))
        if not isinstance(body, dict):
            return _raise(QboError("QuickBooks answered with unexpected JSON",
                                   code=f"http-{status}", status=status, intuit_tid=tid))
        if "Fault" in body or "fault" in body or status >= 400:
            return _raise(from_fault(body, status=status, intuit_tid=tid))
        return body

    # -- entity operations -------------------------------------------------------------------------

    def create(self, entity: str, body: Obj, *, requestid: str) -> Obj:
        return self._entity(entity, self.call("POST", entity.lower(), body=body,
                                              requestid=requestid))

    def update(self, entity: str, body: Obj, *, requestid: str) -> Obj:
        """A sparse update: ``body`` holds ``Id``, ``SyncToken`` and only what changes."""
        return self._entity(entity, self.call("POST", entity.lower(),
                                              body={**body, "sparse": True},
                                              requestid=requestid))

    def void(self, entity: str, id_: str, sync_token: str, *, requestid: str) -> Obj:
        """Void ``entity`` in the form Intuit documents for it: a payment by a sparse update
        with ``include=void``, an invoice with ``operation=void``."""
        if entity in VOID_BY_UPDATE:
            return self._entity(entity, self.call(
                "POST", entity.lower(), params={"operation": "update", "include": "void"},
                body={"Id": id_, "SyncToken": sync_token, "sparse": True},
                requestid=requestid))
        return self._entity(entity, self.call(
            "POST", entity.lower(), params={"operation": "void"},
            body={"Id": id_, "SyncToken": sync_token}, requestid=requestid))

    def delete(self, entity: str, id_: str, sync_token: str, *, requestid: str) -> Obj:
        return self._entity(entity, self.call(
            "POST", entity.lower(), params={"operation": "delete"},
            body={"Id": id_, "SyncToken": sync_token}, requestid=requestid))

    def read(self, entity: str, id_: str) -> Obj:
        return self._entity(entity, self.call("GET", f"{entity.lower()}/{id_}"))

    @staticmethod
    def _entity(entity: str, body: Obj) -> Obj:
        found = body.get(entity)
        if not isinstance(found, dict):
            raise QboError(f"QuickBooks answered without the {entity}", code="http-200",
                           status=200)
        return found

    # -- queries, batches, change data capture ----------------------------------------------------

    def query(self, text: str) -> list[Obj]:
        """One page of rows (QBO's answer without an entity key means no rows)."""
        answer = self.call("POST", "query", text=text).get("QueryResponse") or {}
        rows = next((v for v in answer.values() if isinstance(v, list)), [])
        return [row for row in rows if isinstance(row, dict)]

    def query_all(self, entity: str, *conditions: Any, include_inactive: bool = False,
                  page: int = PAGE) -> Iterator[Obj]:
        """Every row, page by page (STARTPOSITION is 1-based; rows are ordered by Id so a
        row is not repeated within a stable list)."""
        base = select(entity, *conditions, include_inactive=include_inactive)
        start, seen = 1, set()
        while True:
            rows = self.query(f"{base} ORDERBY Id STARTPOSITION {start} MAXRESULTS {page}")
            for row in rows:
                if row.get("Id") not in seen:
                    seen.add(row.get("Id"))
                    yield row
            if len(rows) < page:
                return
            start += page

    def batch(self, items: Sequence[Obj], *, requestid: str, prepaid: bool = False
              ) -> list[Obj]:
        answer = self.call("POST", "batch", body={"BatchItemRequest": list(items)},
                           requestid=requestid, prepaid=prepaid)
        responses = answer.get("BatchItemResponse")
        if not isinstance(responses, list):
            raise QboError("QuickBooks answered a batch without BatchItemResponse",
                           code="http-200", status=200)
        return [r for r in responses if isinstance(r, dict)]

    def report(self, name: str, params: Mapping[str, str]) -> Obj:
        """One report of the Reports API (a GET, so retried as every read is): the report
        object with its ``Header``, ``Columns`` and ``Rows``."""
        answer = self.call("GET", f"reports/{name}", params=params)
        if not isinstance(answer.get("Header"), dict):
            raise QboError(f"QuickBooks answered the {name} report without a Header",
                           code="http-200", status=200)
        return answer

    def cdc(self, entities: Sequence[str], changed_since: str) -> Obj:
        return self.call("GET", "cdc", params={"entities": ",".join(entities),
                                               "changedSince": changed_since})


def _raise(error: QboError) -> Obj:
    raise error
