"""Serve the sandbox on loopback with uvicorn (for tests, benchmarks and the demo)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .sandbox import Sandbox

__all__ = ["run_in_thread", "serve"]


def _app(target: Starlette | Sandbox | None) -> Starlette:
    if target is None:
        return create_app()
    if isinstance(target, Sandbox):
        return target.create_app()
    return target


def serve(app: Starlette | Sandbox | None = None, host: str = "127.0.0.1", port: int = 8765,
          *, log_level: str = "warning") -> None:
    """Run the sandbox in the foreground until interrupted."""
    uvicorn.run(_app(app), host=host, port=port, log_level=log_level, lifespan="off")


@contextlib.contextmanager
def run_in_thread(app: Starlette | Sandbox | None = None, host: str = "127.0.0.1",
                  port: int = 0, *, log_level: str = "warning") -> Iterator[str]:
    """Serve on ``host:port`` (0 = any free port) in a thread; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it every answer waits ~40 ms for the
    # client's delayed ACK (Nagle), which made each loopback request cost 45 ms, not 2 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(_app(app), log_level=log_level, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="qbo-sandbox-server", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the sandbox server failed to start")
            threading.Event().wait(0.01)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
