"""A total deadline for one HTTP request, for connectors that talk HTTP with httpx.

httpx's timeouts bound each step (connecting, each read), not the request: a server that
trickles a byte every few seconds, in its headers or its body, never trips a read timeout
and holds the request for as long as it likes. :func:`send_within` bounds the whole request:

- a watchdog timer shuts the request's socket down when the deadline passes, which ends a
  read blocked anywhere in httpx (waiting for the status line, the headers or the body); the
  connection is closed, never returned half-read to the pool;
- the answer is streamed and the deadline checked between chunks, which also bounds the
  in-process transports of the sandboxes (they have no socket to shut).

The socket is found through httpx's ``trace`` request extension: the connection the request
opens, or, on a reused keep-alive connection (httpx does not say which one it picked), the
connections this client opened earlier. A connector's client sends one request at a time (an
instance is used by one worker at a time), so those are the request's own; a client shared by
threads sending at once would have its other requests cut as well.

Running past the deadline raises :class:`DeadlineExceeded`, an ``httpx.ReadTimeout``: the
request was sent, so its outcome is unknown, as after any read timeout.

Before the request is sent nothing needs cutting: the connect timeout (TCP and TLS handshake)
and the wait for a pooled connection are lowered to the deadline for this request, so a
connection still being opened when the deadline passes ends as ``httpx.ConnectTimeout`` (or
``PoolTimeout``), which says truly that nothing was sent. Name resolution is not bounded by
httpx (``getaddrinfo`` takes no timeout): the system resolver's own attempts bound it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["DeadlineExceeded", "send_within"]


class DeadlineExceeded(httpx.ReadTimeout):
    """The whole answer did not arrive within the request's deadline."""


def send_within(client: httpx.Client, method: str, url: str, *, deadline_seconds: float,
                **kwargs: Any) -> httpx.Response:
    """``client.request(method, url, **kwargs)``, answered in full (status line, headers and
    body) within ``deadline_seconds``, or :class:`DeadlineExceeded`. The connect and per-read
    timeouts of the client still apply inside it, the connect and pool waits capped at the
    deadline. The response is read whole and closed."""
    deadline = time.monotonic() + deadline_seconds
    timeout = kwargs.get("timeout", httpx.USE_CLIENT_DEFAULT)
    if isinstance(timeout, type(httpx.USE_CLIENT_DEFAULT)):
        timeout = client.timeout
    kwargs["timeout"] = _within(timeout, deadline_seconds)
    request = client.build_request(method, url, **kwargs)
    watchdog = _Watchdog(client, deadline_seconds, request.extensions.get("trace"))
    request.extensions["trace"] = watchdog.trace

    def exceeded() -> DeadlineExceeded:
        return DeadlineExceeded(
            f"the answer took longer than the request deadline of {deadline_seconds:g} s",
            request=request)

    try:
        try:
            response = client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
            raise  # nothing was sent, whenever the deadline passed
        except httpx.TransportError as exc:
            if watchdog.fired:
                raise exceeded() from exc
            raise
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
                raise exceeded()
        except httpx.TransportError as exc:
            if watchdog.fired:
                raise exceeded() from exc
            raise
        finally:
            # Closing a response not read to its end closes its connection (httpcore keeps
            # only a connection whose exchange completed).
            response.close()
    finally:
        watchdog.stop()
    _remember(client, response)
    # A complete response (decoded as its headers say) for the callers' usual reading.
    return httpx.Response(response.status_code, headers=response.headers, content=bytes(raw),
                          request=request, extensions=response.extensions)


def _within(timeout: Any, deadline_seconds: float) -> httpx.Timeout:
    """``timeout`` with its connect and pool waits no longer than the deadline."""
    steps = httpx.Timeout(timeout)

    def capped(seconds: float | None) -> float:
        return deadline_seconds if seconds is None else min(seconds, deadline_seconds)

    return httpx.Timeout(connect=capped(steps.connect), read=steps.read, write=steps.write,
                         pool=capped(steps.pool))


# -- the watchdog ----------------------------------------------------------------------------

#: The sockets each client has opened (for a reused connection: see the module docstring).
_client_sockets: weakref.WeakKeyDictionary[httpx.Client, weakref.WeakSet[socket.socket]] = (
    weakref.WeakKeyDictionary())
_registry_lock = threading.Lock()


def _remember(client: httpx.Client, response: httpx.Response) -> None:
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with _registry_lock:
            _client_sockets.setdefault(client, weakref.WeakSet()).add(sock)


def _known_sockets(client: httpx.Client) -> list[socket.socket]:
    with _registry_lock:
        return list(_client_sockets.get(client, ()))


class _Watchdog:
    """Shuts the request's socket when the deadline passes. Armed by the first httpcore
    event, so a request that never reaches the network (an in-process transport) starts no
    timer."""

    def __init__(self, client: httpx.Client, seconds: float,
                 chained: Callable[[str, dict[str, Any]], Any] | None) -> None:
        self._client = client
        self._seconds = seconds
        self._started = time.monotonic()
        self._chained = chained
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._own: list[socket.socket] = []  # sockets this request connected
        self._reused = False
        self._stopped = False
        #: The deadline passed and the request's socket was shut down.
        self.fired = False

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if self._chained is not None:
            self._chained(event, info)
        self._arm()
        if event.endswith((".connect_tcp.complete", ".start_tls.complete",
                           ".connect_unix_socket.complete")):
            sock = info["return_value"].get_extra_info("socket")
            if isinstance(sock, socket.socket):
                self._connected(sock)
        elif event.endswith(".send_request_headers.started"):
            with self._lock:
                self._reused = not self._own
                late = self.fired  # the deadline passed while waiting for a connection
            if late:
                self._shut_targets()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()

    def _arm(self) -> None:
        with self._lock:
            if self._timer is not None or self._stopped:
                return
            left = self._seconds - (time.monotonic() - self._started)
            self._timer = threading.Timer(max(0.0, left), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _connected(self, sock: socket.socket) -> None:
        with _registry_lock:
            _client_sockets.setdefault(self._client, weakref.WeakSet()).add(sock)
        with self._lock:
            self._own.append(sock)
            late = self.fired  # the deadline passed while connecting
        if late:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.fired = True
        self._shut_targets()

    def _shut_targets(self) -> None:
        with self._lock:
            targets = _known_sockets(self._client) if self._reused else list(self._own)
        for sock in targets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    """End the socket's traffic both ways: a read blocked on it in another thread returns at
    once (closing the descriptor would not wake it). The base method is called on purpose:
    ``SSLSocket.shutdown`` would also drop the TLS state under the reading thread."""
    with contextlib.suppress(OSError):  # closed already, or never connected
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
