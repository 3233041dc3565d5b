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
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .._errors import PluginError
from .._ledger_api import Ledger
from .._webmount import WebMount
from . import actions, pages
from .context import LOGIN_COOKIE, Refused, SignInNeeded, WebContext, WebSettings
from .security import Receive, Scope, SecurityHeaders, Send, safe_next, tokens_match

STATIC = Path(__file__).parent / "static"

Handler = Callable[[WebContext, Request], Response]
ActionHandler = Callable[[WebContext, Request, FormData], Response]


def _page(web: WebContext, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A read view, run in a worker thread (it reads the database), with refusals shown."""
    from starlette.concurrency import run_in_threadpool

    async def endpoint(request: Request) -> Response:
        try:
            return await run_in_threadpool(_answer, web, handler, request)
        except SignInNeeded:
            return _to_login(web, request)
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
    from starlette.concurrency import run_in_threadpool

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


def _to_login(web: WebContext, request: Request) -> Response:
    root = web.root(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    from urllib.parse import quote

    from starlette.responses import RedirectResponse

    return RedirectResponse(f"{root}/login?next={quote(here)}", status_code=303)


def _login_form(web: WebContext, request: Request, *, error: str | None = None,
                status: int = 200) -> Response:
    token = web.new_login_token()
    response = web.render(request, "login.html", status=status, error=error,
                          login_token=token, next=request.query_params.get("next", ""),
                          title="Sign in")
    response.set_cookie(LOGIN_COOKIE, token, max_age=900, httponly=True, samesite="strict",
                        path=web.cookie_path(request), secure=web.secure(request))
    return response


def _login_keys(request: Request, name: str) -> tuple[str, str]:
    client = request.client.host if request.client else "unknown"
    return f"ip:{client}", f"name:{name.lower()}"


async def _login(web: WebContext, request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    if request.method == "GET":
        if await run_in_threadpool(web.session, request) is not None:
            return web.redirect(request, request.query_params.get("next"), "/")
        return await run_in_threadpool(_login_form, web, request)
    form = await request.form()
    name = str(form.get("username") or "").strip()[:100]
    password = str(form.get("password") or "")
    if not tokens_match(str(form.get("login_token") or ""),
                        request.cookies.get(LOGIN_COOKIE, "")):
        return await run_in_threadpool(functools.partial(
            _login_form, web, request, status=403,
            error="the sign-in form expired or came from elsewhere: try again"))
    keys = _login_keys(request, name)
    wait = web.limiter.retry_after(*keys)
    if wait is not None:
        response = await run_in_threadpool(functools.partial(
            _login_form, web, request, status=429,
            error=f"too many failed sign-ins: try again in {int(wait) + 1} seconds"))
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    accounts = web.ledger.operators()
    operator = await run_in_threadpool(accounts.authenticate, name, password)
    if operator is None:
        web.limiter.failed(*keys)
        return await run_in_threadpool(functools.partial(
            _login_form, web, request, status=401, error="wrong name or password"))
    web.limiter.succeeded(*keys)
    token, _session = await run_in_threadpool(functools.partial(
        accounts.start_session, operator.name, lifetime=web.settings.session_lifetime))
    root = web.root(request)
    from starlette.responses import RedirectResponse

    response = RedirectResponse(safe_next(str(form.get("next") or ""), root, root + "/"),
                                status_code=303)
    web.set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_COOKIE, path=web.cookie_path(request))
    return response


async def _logout(web: WebContext, request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    session = await run_in_threadpool(web.session, request)
    form = await request.form()
    if session is None or not tokens_match(str(form.get("csrf_token") or ""),
                                           session.csrf_token):
        return web.refused(request, "sign-out needs the page's security token: reload and "
                           "try again")
    token = request.cookies.get("ledgersync_session", "")
    await run_in_threadpool(web.ledger.operators().end_session, token)
    from starlette.responses import RedirectResponse

    response = RedirectResponse(web.root(request) + "/login", status_code=303)
    response.delete_cookie("ledgersync_session", path=web.cookie_path(request))
    return response


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
        Route("/login", p(_login, web), methods=["GET", "POST"], name="login"),
        Route("/logout", p(_logout, web), methods=["POST"], name="logout"),
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
    for mount in ledger.plugins.web_mounts(ledger, dict(mount_options or {})):
        path = "/" + mount.path.strip("/")
        if path in taken or any(path == m.path for m in mounts):
            raise PluginError(f"a plugin wants to serve {path!r}, which is taken",
                              remedy="Disable one of the plugins (LEDGERSYNC_DISABLE_PLUGINS) "
                              "or ask its author to choose another path")
        mounts.append(WebMount(path=path, app=mount.app, title=mount.title))
    web.mounts = [(m.path, m.title) for m in mounts]
    return LedgerSyncWeb(web, page, mounts)
