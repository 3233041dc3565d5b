"""Use the ASGI sandbox from a plain synchronous ``httpx.Client``, in-process.

``SandboxTransport`` runs the app on an event loop in a background thread; each request is
handed to that loop through ``httpx.ASGITransport``. ``httpx.Client(transport=
SandboxTransport(app), base_url="http://qbo.sandbox")`` then behaves like a real client.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

from .app import create_app
from .sandbox import Sandbox

__all__ = ["SandboxTransport"]

T = TypeVar("T")


class SandboxTransport(httpx.BaseTransport):
    def __init__(self, app: Starlette | Sandbox | None = None, *,
                 timeout: float | None = 120.0) -> None:
        if app is None:
            app = create_app()
        elif isinstance(app, Sandbox):
            app = app.create_app()
        self.app = app
        self.timeout = timeout  # QBO itself times requests out after 120 s
        self._asgi = httpx.ASGITransport(app=app)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def sandbox(self) -> Sandbox:
        sandbox: Sandbox = self.app.state.sandbox
        return sandbox

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="qbo-sandbox-loop",
                                                daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())
        return future.result(self.timeout)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        content = await response.aread()
        await response.aclose()
        return httpx.Response(response.status_code, headers=response.headers, content=content,
                              request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        replay = httpx.Request(request.method, request.url, headers=request.headers,
                               content=content, extensions=request.extensions)
        response = self._run(self._handle(replay))
        return httpx.Response(response.status_code, headers=response.headers,
                              content=response.content, request=request)

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
