"""The web app: the Accounting Sync page, plus every plugin's mounts (such as ``/qbwc``).

Served by `ledgersync serve`, or mounted in a vendor's own ASGI app under a prefix::

    from starlette.applications import Starlette
    from starlette.routing import Mount
    from ledgersync.web import create_app

    app = Starlette(routes=[Mount("/accounting", app=create_app(ledger))])
    # the page at /accounting/, the Web Connector endpoint at /accounting/qbwc
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .._errors import PluginError
from .._ledger_api import Ledger
from .._webmount import WebMount
from . import actions, pages, signin
from .context import Refused, SignInNeeded, WebContext, WebSettings
from .security import Receive, Scope, SecurityHeaders, Send

STATIC = Path(__file__).parent / "static"

Handler = Callable[[WebContext, Request], Response]
ActionHandler = Callable[[WebContext, Request, FormData], Response]


def _page(web: WebContext, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A read view, run in a worker thread (it reads the database), with refusals shown."""
    async def endpoint(request: Request) -> Response:
        try:
            return await run_in_threadpool(_answer, web, handler, request)
        except SignInNeeded:
            return signin.to_login(web, request)
    return endpoint


def _answer(web: WebContext, handler: Handler, request: Request) -> Response:
    try:
        return handler(web, request)
    except Refused as exc:
        return web.refused(request, exc.reason, exc.status)


def _action(web: WebContext, handler: ActionHandler
            ) -> Callable[[Request], Awaitable[Response]]:
    """An action: the form is read on the loop, the checks and the ledger work run in a
    worker thread."""
    async def endpoint(request: Request) -> Response:
        form = await request.form()
        try:
            return await run_in_threadpool(_act, web, handler, request, form)
        except SignInNeeded:
            return web.refused(request, "sign in first: your session ended", 401)
    return endpoint


def _act(web: WebContext, handler: ActionHandler, request: Request, form: FormData
         ) -> Response:
    try:
        return handler(web, request, form)
    except Refused as exc:
        return web.refused(request, exc.reason, exc.status)


def build_page(web: WebContext) -> Starlette:
    """The Starlette app of the page alone (no plugin mounts, no security headers)."""
    p = functools.partial
    routes = [
        Route("/", _page(web, pages.companies_view), name="companies"),
        Route("/log", _page(web, pages.log_view), name="log"),
        Route("/items/{item_id:int}", _page(web, pages.item_view), name="item"),
        Route("/review", _page(web, pages.review_index), name="review_index"),
        Route("/review/{company}", _page(web, pages.review_view), name="review"),
        Route("/mappings", _page(web, pages.mappings_index), name="mappings_index"),
        Route("/mappings/{company}/{kind}", _page(web, pages.mappings_view), name="mappings"),
        Route("/reconcile", _page(web, pages.reconcile_index), name="reconcile_index"),
        Route("/reconcile/{company}", _page(web, pages.reconcile_view), name="reconcile"),
        Route("/plugins", _page(web, pages.plugins_view), name="plugins"),
        Route("/tools/{company}", _page(web, pages.tools_view), name="tools"),
        Route("/login", p(signin.login, web), methods=["GET", "POST"], name="login"),
        Route("/logout", p(signin.logout, web), methods=["POST"], name="logout"),
        Route("/actions/items", _action(web, actions.items_action), methods=["POST"]),
        Route("/actions/approve/{company}", _action(web, actions.approve_action),
              methods=["POST"]),
        Route("/actions/map/{company}/{kind}", _action(web, actions.map_action),
              methods=["POST"]),
        Route("/actions/unmap/{company}/{kind}", _action(web, actions.unmap_action),
              methods=["POST"]),
        Route("/actions/run/{company}", _action(web, actions.run_action), methods=["POST"]),
        Route("/actions/resume/{company}", _action(web, actions.resume_action),
              methods=["POST"]),
        Route("/actions/in-sync-date/{company}", _action(web, actions.in_sync_date_action),
              methods=["POST"]),
        Route("/actions/tool/{company}/{tool}", _action(web, actions.tool_action),
              methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    return Starlette(routes=routes)


class LedgerSyncWeb:
    """The page with the plugins' mounts beside it; every response gets security headers."""

    def __init__(self, web: WebContext, page: Starlette, mounts: list[WebMount]) -> None:
        self.web = web
        self.page = page
        self.mounts = mounts
        self._page = SecurityHeaders(page)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path = str(scope.get("path", ""))
            root = str(scope.get("root_path", ""))
            if root and path.startswith(root):
                path = path[len(root):]
            for mount in self.mounts:
                if path == mount.path or path.startswith(mount.path.rstrip("/") + "/"):
                    await mount.app(scope, receive, send)
                    return
        await self._page(scope, receive, send)


def create_app(ledger: Ledger, settings: WebSettings | None = None, *,
               mount_options: Mapping[str, Any] | None = None) -> LedgerSyncWeb:
    """The Accounting Sync page for ``ledger``, with the plugins' mounts (see
    ``ledgersync_web_mounts``); an ASGI app to serve or to mount under a prefix."""
    web = WebContext(ledger, settings or WebSettings())
    page = build_page(web)
    taken = {"/", "/log", "/items", "/review", "/mappings", "/reconcile", "/plugins",
             "/tools", "/login", "/logout", "/actions", "/static"}
    mounts: list[WebMount] = []
    for mount in ledger.web_mounts(mount_options):
        path = "/" + mount.path.strip("/")
        if path in taken or any(path == m.path for m in mounts):
            raise PluginError(f"a plugin wants to serve {path!r}, which is taken",
                              remedy="Disable one of the plugins (LEDGERSYNC_DISABLE_PLUGINS) "
                              "or ask its author to choose another path")
        mounts.append(WebMount(path=path, app=mount.app, title=mount.title))
    web.mounts = [(m.path, m.title) for m in mounts]
    return LedgerSyncWeb(web, page, mounts)
