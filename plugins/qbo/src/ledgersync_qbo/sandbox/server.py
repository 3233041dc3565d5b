"""Serve the sandbox on loopback with uvicorn (for tests, benchmarks and the demo)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette

from ledgersync.web.server import ServerThread

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
    with ServerThread(_app(app), host=host, port=port, log_level=log_level) as server:
        yield server.url
