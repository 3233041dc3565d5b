"""A loopback HTTP server that answers slowly, one byte at a time: for testing that a
connector's client bounds a whole request, not only each read (a server trickling a byte
every few seconds never trips a read timeout), its headers as well as its body."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Container
from types import TracebackType


class TricklingServer:
    """``with TricklingServer(body) as server: server.url``. Every request is answered ``200``
    with ``content_type`` headers at once, then ``body`` one byte every ``interval`` seconds.

    - ``trickle_headers``: the status line and headers go out a byte at a time as well (a
      client that waits for the headers under its per-read timeout only never gives up).
    - ``ssl_context``: a server-side context, for HTTPS (the client must trust its certificate).
    - ``keep_alive``: the connection stays open for further requests (a client's pool reuses
      it); ``trickled``: which requests (numbered from 0 in arrival order) trickle, the others
      being answered at once, whole (default: every one).

    ``server.requests`` counts the requests it read, ``server.connections`` the connections
    it accepted, ``server.heads_sent`` the answers whose status line and headers went out
    whole, ``server.body_bytes_sent`` the bytes of answers' bodies that went out (a client
    that gave up before an answer ended has seen fewer than the body's length),
    ``server.abandoned`` the answers the client closed before their end."""

    def __init__(self, body: bytes, *, interval: float = 0.2,
                 content_type: str = "application/json", trickle_headers: bool = False,
                 keep_alive: bool = False, trickled: Container[int] | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.body = body
        self.interval = interval
        self.content_type = content_type
        self.trickle_headers = trickle_headers
        self.keep_alive = keep_alive
        self.trickled = trickled
        self.ssl_context = ssl_context
        self.requests = 0
        self.connections = 0
        self.heads_sent = 0
        self.body_bytes_sent = 0
        self.abandoned = 0
        self._count = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> TricklingServer:
        thread = threading.Thread(target=self._accept, daemon=True, name="trickling-server")
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with self._count:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                if self.ssl_context is not None:
                    conn.settimeout(5)
                    conn = self.ssl_context.wrap_socket(conn, server_side=True)
                conn.settimeout(0.1)  # to notice the server stopping while a connection idles
                while not self._stop.is_set():
                    if not self._read_request(conn):
                        return  # the client closed an idle connection
                    with self._count:
                        prompt = (self.trickled is not None
                                  and self.requests not in self.trickled)
                        self.requests += 1
                    if not self._answer(conn, prompt):
                        return
                    if not self.keep_alive:
                        return
            except OSError:  # the client gave up and closed the connection
                with self._count:
                    self.abandoned += 1
            finally:
                conn.close()

    def _answer(self, conn: socket.socket, prompt: bool) -> bool:
        """Send one answer; False when the server is stopping."""
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: " + self.content_type.encode()
                + b"\r\nContent-Length: " + str(len(self.body)).encode()
                + b"\r\nConnection: " + (b"keep-alive" if self.keep_alive else b"close")
                + b"\r\n\r\n")
        if prompt or not self.trickle_headers:
            conn.sendall(head)
        elif not self._trickle(conn, head):
            return False
        with self._count:
            self.heads_sent += 1
        if prompt:
            conn.sendall(self.body)
            with self._count:
                self.body_bytes_sent += len(self.body)
            return True
        return self._trickle(conn, self.body, body=True)

    def _trickle(self, conn: socket.socket, data: bytes, *, body: bool = False) -> bool:
        for byte in data:
            if self._stop.wait(self.interval):
                return False
            conn.sendall(bytes([byte]))
            if body:
                with self._count:
                    self.body_bytes_sent += 1
        return True

    def _read_request(self, conn: socket.socket) -> bool:
        """Read one request whole; False if the connection ended (or the server stopped)
        before one began."""
        data = self._receive(conn)
        while b"\r\n\r\n" not in data:
            if not data:
                return False
            chunk = self._receive(conn)
            if not chunk:
                raise OSError("closed before the request ended")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = self._receive(conn)
            if not chunk:
                raise OSError("closed before the request body ended")
            body += chunk
        return True

    def _receive(self, conn: socket.socket) -> bytes:
        while not self._stop.is_set():
            try:
                return conn.recv(65536)
            except TimeoutError:
                continue
        return b""
