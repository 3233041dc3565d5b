"""intuit-oauth's HTTP bounded by a total deadline: a ``requests`` adapter that sends through
:func:`ledgersync.http.send_within`.

intuit-oauth's ``AuthClient`` is a ``requests.Session`` and offers no timeout of its own;
``requests`` bounds only each read, so a token endpoint trickling its answer would hold a
refresh (and the sync waiting on it) for as long as it liked. The adapter keeps intuit-oauth
the component that speaks OAuth (it builds the requests, reads the answers, raises its
``AuthClientError``) and gives the transport to the same deadline code as every API call, the
wait for the status line and headers included. A worker thread abandoned at the deadline was
the alternative; it was not chosen because the abandoned thread, its socket and its late
answer would live on for as long as the server kept trickling.

Failures are raised as ``requests`` exceptions, the ones a ``requests.Session`` raises: a
deadline passed or a read timed out as ``ReadTimeout`` (the refresh may have rotated the
refresh token: the lost-rotation case), a connection that could not be opened as
``ConnectTimeout`` or ``ConnectionError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from ledgersync.http import send_within


class DeadlineAdapter(BaseAdapter):
    """Sends each request with ``timeout`` seconds per step (connect at most 10) and
    ``deadline`` seconds for the whole exchange."""

    def __init__(self, *, timeout: float, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Mapping[str, str] | None = None) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        try:
            answer = send_within(self._http, request.method or "GET", request.url or "",
                                 headers=dict(request.headers), content=body,
                                 deadline_seconds=self.deadline)
        except httpx.ConnectTimeout as exc:
            raise requests.exceptions.ConnectTimeout(str(exc), request=request) from exc
        except (httpx.ConnectError, httpx.PoolTimeout) as exc:
            raise requests.exceptions.ConnectionError(str(exc), request=request) from exc
        except httpx.TimeoutException as exc:
            raise requests.exceptions.ReadTimeout(str(exc), request=request) from exc
        except httpx.TransportError as exc:
            raise requests.exceptions.ConnectionError(str(exc), request=request) from exc
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.reason_phrase
        response.headers = CaseInsensitiveDict(answer.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = answer.content  # decoded already, as send_within returns it
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        self._http.close()
