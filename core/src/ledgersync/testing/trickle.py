"""A loopback HTTP server that answers slowly, one byte at a time: for testing that a
connector's client bounds a whole request, not only each read (a server trickling a byte
every few seconds never trips a read timeout)."""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class TricklingServer:
    """``with TricklingServer(body) as server: server.url``. Every request is answered ``200``
    with ``content_type`` headers at once, then ``body`` one byte every ``interval`` seconds.
    ``server.requests`` counts the requests it read."""

    def __init__(self, body: bytes, *, interval: float = 0.2,
                 content_type: str = "application/json") -> None:
        self.body = body
        self.interval = interval
        self.content_type = content_type
        self.requests = 0
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

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
            thread = threading.Thread(target=self._answer, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                self._read_request(conn)
                self.requests += 1
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + self.content_type.encode()
                             + b"\r\nContent-Length: " + str(len(self.body)).encode()
                             + b"\r\nConnection: close\r\n\r\n")
                for byte in self.body:
                    if self._stop.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:  # the client gave up and closed the connection
                return

    @staticmethod
    def _read_request(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
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
            chunk = conn.recv(65536)
            if not chunk:
                raise OSError("closed before the request body ended")
            body += chunk
