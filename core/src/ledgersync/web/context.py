"""What every request handler of the page shares: the ledger, the settings, the templates,
who is signed in, and the helpers that render, redirect and refuse."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from pathlib import Path
from typing import Any

import attrs
import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from .._ledger_api import Ledger
from .._login_throttle import LoginThrottle
from .._operators import OperatorSession
from .runner import RunLauncher
from .security import safe_next, tokens_match

SESSION_COOKIE = "ledgersync_session"
LOGIN_COOKIE = "ledgersync_login"
NOTICE_COOKIE = "ledgersync_notice"

TEMPLATES = Path(__file__).parent / "templates"


@attrs.frozen(kw_only=True)
class WebSettings:
    """How the page runs.

    ``trusted_user_header``: the name of a header (e.g. ``X-Forwarded-User``) that a reverse
    proxy in front of the page sets to the signed-in person's operator name; set it only when
    that proxy strips the header from clients' requests, since whoever can set it is trusted.
    ``secure_cookies``: send the session cookie only over HTTPS (None: when the request was).
    ``work_runs``: "Run now" also works the run in this process (push connectors; a pull
    connector's run waits for its remote side, e.g. the Web Connector).
    """

    session_lifetime: dt.timedelta = dt.timedelta(hours=8)
    trusted_user_header: str | None = None
    secure_cookies: bool | None = None
    login_attempts: int = 5
    login_window_seconds: float = 300.0
    work_runs: bool = True
    page_size: int = 50


class Refused(Exception):
    """The request may not do this: 403 with the reason, on a page."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class SignInNeeded(Exception):
    """Nobody is signed in: to the login form, then back."""


class WebContext:
    def __init__(self, ledger: Ledger, settings: WebSettings) -> None:
        self.ledger = ledger
        self.settings = settings
        # autoescape everywhere: every value shown comes from the MMS, a remote system or a
        # person, and is text, never markup.
        self.templates = Jinja2Templates(env=jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True))
        self.limiter = LoginThrottle(max_failures=settings.login_attempts,
                                     window_seconds=settings.login_window_seconds,
                                     lockout_seconds=settings.login_window_seconds)
        self.runner = RunLauncher(ledger, enabled=settings.work_runs)
        self.mounts: list[tuple[str, str]] = []  # (path, title), for the plugins page

    # -- who is asking ----------------------------------------------------------------------

    def session(self, request: Request) -> OperatorSession | None:
        cached = getattr(request.state, "session", None)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        accounts = self.ledger.operators()
        token = request.cookies.get(SESSION_COOKIE)
        session = accounts.session(token) if token else None
        header = self.settings.trusted_user_header
        if header is not None:
            claimed = request.headers.get(header)
            if session is not None and session.operator.name != claimed:
                session = None
            if session is None and claimed and accounts.get(claimed) is not None:
                token, session = accounts.start_session(
                    claimed, lifetime=self.settings.session_lifetime)
                request.state.new_session_token = token
        request.state.session = session
        return session

    def require(self, request: Request, role: str = "viewer") -> OperatorSession:
        session = self.session(request)
        if session is None:
            raise SignInNeeded()
        if not session.operator.may(role):
            raise Refused(f"{session.operator.name} is a {session.operator.role}: only an "
                          f"{role} or above may do this")
        return session

    def require_action(self, request: Request, form: Any, role: str = "operator"
                       ) -> OperatorSession:
        """The signed-in operator allowed to act, after the CSRF and origin checks."""
        session = self.require(request, "viewer")
        if not tokens_match(_text(form.get("csrf_token")), session.csrf_token):
            raise Refused("the form's security token is missing or stale: reload the page "
                          "and try again")
        self.check_origin(request)
        if not session.operator.may(role):
            raise Refused(f"{session.operator.name} is a {session.operator.role}: only an "
                          f"{role} or above may do this")
        return session

    def check_origin(self, request: Request) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null":
            own = f"{request.url.scheme}://{request.url.netloc}"
            if origin != own:
                raise Refused("the form was sent from another site")

    # -- answering --------------------------------------------------------------------------

    def root(self, request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def url(self, request: Request, path: str) -> str:
        return self.root(request) + path

    def render(self, request: Request, template: str, status: int = 200, **context: Any
               ) -> Response:
        session = self.session(request)
        notice = _read_notice(request)
        context.update(
            operator=session.operator if session else None,
            csrf_token=session.csrf_token if session else "",
            may_act=bool(session and session.operator.may("operator")),
            notice=notice, root=self.root(request),
            attention=self.attention() if session else None,
        )
        response = self.templates.TemplateResponse(request, template, context,
                                                   status_code=status)
        if notice is not None:
            response.delete_cookie(NOTICE_COOKIE, path=self.cookie_path(request))
        self.attach_session(request, response)
        return response

    def redirect(self, request: Request, target: str | None, default: str,
                 notice: str | None = None) -> Response:
        root = self.root(request)
        response = RedirectResponse(safe_next(target, root, root + default), status_code=303)
        if notice is not None:
            response.set_cookie(NOTICE_COOKIE, base64.urlsafe_b64encode(notice.encode())
                                .decode(), max_age=60, httponly=True, samesite="lax",
                                path=self.cookie_path(request), secure=self.secure(request))
        self.attach_session(request, response)
        return response

    def refused(self, request: Request, reason: str, status: int = 403) -> Response:
        try:
            return self.render(request, "refused.html", status=status, reason=reason)
        except Exception:  # noqa: BLE001 - the refusal must reach the person whatever failed
            return HTMLResponse(f"<p>{status}: refused</p>", status_code=status)

    def attach_session(self, request: Request, response: Response) -> None:
        token = getattr(request.state, "new_session_token", None)
        if token:
            self.set_session_cookie(request, response, token)

    def set_session_cookie(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(SESSION_COOKIE, token,
                            max_age=int(self.settings.session_lifetime.total_seconds()),
                            httponly=True, samesite="lax", path=self.cookie_path(request),
                            secure=self.secure(request))

    def cookie_path(self, request: Request) -> str:
        return (self.root(request) or "") + "/"

    def secure(self, request: Request) -> bool:
        if self.settings.secure_cookies is not None:
            return self.settings.secure_cookies
        return request.url.scheme == "https"

    def attention(self) -> int:
        """How many things need a person: failed items, items awaiting review, paused
        companies."""
        counts = self.ledger.attention_counts()
        paused = sum(1 for c in self.ledger.companies() if c.paused_reason)
        return sum(counts.values()) + paused

    @staticmethod
    def new_login_token() -> str:
        return secrets.token_urlsafe(24)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _read_notice(request: Request) -> str | None:
    raw = request.cookies.get(NOTICE_COOKIE)
    if not raw:
        return None
    try:
        return base64.urlsafe_b64decode(raw.encode()).decode()[:500]
    except ValueError:
        return None
