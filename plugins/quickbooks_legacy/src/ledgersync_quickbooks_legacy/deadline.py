"""A total deadline for one HTTP request.

httpx's timeouts bound each step (connecting, each read), not the request: a server that
trickles a byte every few seconds never trips a read timeout and holds the request for as
long as it likes. The answer is streamed and the deadline checked between chunks; running
past it is a timeout like any other (the request was sent: its outcome is unknown).
"""

from __future__ import annotations

import time
from typing import Any

import httpx


class DeadlineExceeded(httpx.ReadTimeout):
    """The whole answer did not arrive within the request's deadline."""


def send_within(client: httpx.Client, method: str, url: str, *, deadline_seconds: float,
                **kwargs: Any) -> httpx.Response:
    """``client.request(method, url, **kwargs)``, read in full within ``deadline_seconds``
    (the connect and per-read timeouts still apply inside it)."""
    deadline = time.monotonic() + deadline_seconds
    request = client.build_request(method, url, **kwargs)
    response = client.send(request, stream=True)
    if response.is_stream_consumed:  # an in-process transport's answer, already read whole
        return response
    try:
        raw = bytearray()
        if time.monotonic() <= deadline:
            for chunk in response.iter_raw():
                raw += chunk
                if time.monotonic() > deadline:
                    break
        if time.monotonic() > deadline:
            raise DeadlineExceeded(
                f"the answer took longer than the request deadline of {deadline_seconds:g} s",
                request=request)
    finally:
        response.close()
    # A complete response (decoded as its headers say) for the callers' usual reading.
    return httpx.Response(response.status_code, headers=response.headers, content=bytes(raw),
                          request=request, extensions=response.extensions)
