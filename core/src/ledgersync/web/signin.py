"""Signing in and out: the login form (its own CSRF token in a cookie), the rate limit of
failed attempts, the session cookie, sign-out."""

from __future__ import annotations

import functools
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .context import LOGIN_COOKIE, SESSION_COOKIE, WebContext
from .security import safe_next, tokens_match


def to_login(web: WebContext, request: Request) -> Response:
    root = web.root(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
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


async def login(web: WebContext, request: Request) -> Response:
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
    response = RedirectResponse(safe_next(str(form.get("next") or ""), root, root + "/"),
                                status_code=303)
    web.set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_COOKIE, path=web.cookie_path(request))
    return response


async def logout(web: WebContext, request: Request) -> Response:
    session = await run_in_threadpool(web.session, request)
    form = await request.form()
    if session is None or not tokens_match(str(form.get("csrf_token") or ""),
                                           session.csrf_token):
        return web.refused(request, "sign-out needs the page's security token: reload and "
                           "try again")
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(web.ledger.operators().end_session, token)
    response = RedirectResponse(web.root(request) + "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=web.cookie_path(request))
    return response
