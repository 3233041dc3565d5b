"""Serve the sandbox over HTTP with Starlette and uvicorn (tests, benchmark, demo, CLI)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledgersync.web.server import ServerThread

from .rest import PREFIX
from .sandbox import XML_PATH, Sandbox

__all__ = ["create_app", "run_in_thread", "serve"]


def create_app(sandbox: Sandbox) -> Starlette:
    async def gateway(request: Request) -> Response:
        body = await request.body()
        headers_in = {k.lower(): v for k, v in request.headers.items()}
        status, answer, headers, after = await run_in_threadpool(
            lambda: sandbox.respond(body, str(request.url), method=request.method,
                                    headers=headers_in))
        if after is not None and after.kind == "lost":
            # What the CDN sends when it cut the connection while Intacct kept processing.
            return Response(b"<html><body>524: A timeout occurred</body></html>", 524,
                            media_type="text/html")
        if after is not None and after.kind == "timeout":
            await asyncio.sleep(after.delay)
        return Response(answer, status, headers=headers)

    app = Starlette(routes=[Route(XML_PATH, gateway, methods=["POST"]),
                            Route(PREFIX + "/{rest:path}", gateway,
                                  methods=["GET", "POST", "PATCH", "DELETE"])])
    app.state.sandbox = sandbox
    return app


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8766) -> None:
    """Run in the foreground until interrupted."""
    uvicorn.run(create_app(sandbox), host=host, port=port, log_level="warning",
                lifespan="off")


@contextlib.contextmanager
def run_in_thread(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve on ``host:port`` (0 = any free port) in a thread; yields the base URL."""
    with ServerThread(create_app(sandbox), host=host, port=port) as server:
        yield server.url
