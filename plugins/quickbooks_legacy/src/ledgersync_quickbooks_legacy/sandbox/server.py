"""The sandbox on loopback: uvicorn serving :meth:`Sandbox.asgi` from a background thread."""

from __future__ import annotations

import socket
import threading
import time

from .service import Sandbox


class LoopbackServer:
    """``with LoopbackServer(sandbox) as server: server.base_url`` (port 0 picks a free one)."""

    def __init__(self, sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn  # the [sandbox] extra: only the loopback server needs it

        self.sandbox = sandbox
        self.host = host
        if port == 0:
            with socket.socket() as probe:
                probe.bind((host, 0))
                port = probe.getsockname()[1]
        self.port = port
        config = uvicorn.Config(sandbox.asgi, host=host, port=port, log_level="warning",
                                lifespan="off", interface="asgi3")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True,
                                         name="quickbooks-legacy-sandbox")

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The connector's ``base_url`` setting for this server."""
        return f"{self.root_url}/sb"

    @property
    def reconnect_url(self) -> str:
        return f"{self.root_url}/api/v1/connection/reconnect"

    def start(self) -> LoopbackServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the sandbox did not start on {self.root_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
