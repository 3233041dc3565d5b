"""OAuth 2.0 tokens of one company: stored encrypted, refreshed once at a time across workers.

Intuit rotates refresh tokens and a lost rotation locks the company out, so:

- the token pair lives in one encrypted secret, written in the same transaction as a plain
  ``generation`` counter in the connector state;
- a refresh happens inside ``state.exclusive("qbo-oauth")``: a worker that waited for the lock
  sees the counter moved and re-reads the tokens another worker just stored instead of spending
  the (now replaced) refresh token; the rotated token is saved before the lock is released;
- ``invalid_grant`` becomes :class:`~ledgersync_qbo.errors.QboAuthError` and pauses the company.

The token endpoint is called through ``intuit-oauth``'s ``AuthClient``, whose every request
goes through :class:`~ledgersync_qbo.tokenhttp.DeadlineAdapter`: a timeout per step and the
request deadline for the whole exchange (the library sets neither). A refresh that times out is
a ``timeout`` failure, counted towards an outage like any other; its answer may be lost after
the endpoint rotated the refresh token, which the grace Intuit gives the replaced refresh token
covers (the fault matrix's lost-rotation cell).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from ledgersync import ConnectorContext

from .errors import QboAuthError
from .settings import QboSettings

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

SECRET_NAME = "qbo.tokens"
GENERATION_KEY = "qbo.tokens.generation"
LOCK_NAME = "qbo-oauth"
#: Refresh this long before the access token's stated expiry.
EARLY_REFRESH = dt.timedelta(seconds=120)

RECONNECT = ("Reconnect the company: `ledgersync connect {company}` (or `--refresh-token` with "
             "a new token), then `ledgersync companies resume {company}`")


@attrs.frozen(kw_only=True)
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: dt.datetime
    refresh_expires_at: dt.datetime | None = None
    realm_id: str | None = None

    @classmethod
    def from_response(cls, body: dict[str, Any], now: dt.datetime,
                      realm_id: str | None) -> Tokens:
        """Tokens from a token-endpoint answer (``expires_in`` etc. are seconds from now)."""
        refresh_in = body.get("x_refresh_token_expires_in")
        return cls(
            access_token=str(body["access_token"]), refresh_token=str(body["refresh_token"]),
            access_expires_at=now + dt.timedelta(seconds=float(body.get("expires_in", 3600))),
            refresh_expires_at=(now + dt.timedelta(seconds=float(refresh_in))
                                if refresh_in is not None else None),
            realm_id=realm_id,
        )

    def to_json(self, generation: int) -> str:
        return json.dumps({
            "access_token": self.access_token, "refresh_token": self.refresh_token,
            "access_expires_at": self.access_expires_at.isoformat(),
            "refresh_expires_at": (self.refresh_expires_at.isoformat()
                                   if self.refresh_expires_at else None),
            "realm_id": self.realm_id, "generation": generation,
        })

    @classmethod
    def from_json(cls, text: str) -> tuple[Tokens, int]:
        data = json.loads(text)
        refresh_at = data.get("refresh_expires_at")
        return cls(
            access_token=data["access_token"], refresh_token=data["refresh_token"],
            access_expires_at=dt.datetime.fromisoformat(data["access_expires_at"]),
            refresh_expires_at=dt.datetime.fromisoformat(refresh_at) if refresh_at else None,
            realm_id=data.get("realm_id"),
        ), int(data.get("generation", 0))


def auth_client(settings: QboSettings, *, state_token: str | None = None) -> Any:
    """An ``intuitlib`` AuthClient whose every HTTP request has the configured timeout and
    request deadline. Close it after use.

    Construction fetches the OpenID discovery document (of ``environment``), so build one when
    it is needed; it is not thread-safe and keeps the last tokens as attributes.
    """
    from intuitlib.client import AuthClient  # type: ignore[import-untyped]

    from .tokenhttp import DeadlineAdapter

    adapter = DeadlineAdapter(timeout=settings.timeout_seconds,
                              deadline=settings.request_deadline_seconds)

    class BoundedAuthClient(AuthClient):  # type: ignore[misc]
        # Every URL, from inside the constructor on (it fetches the discovery document).
        def get_adapter(self, url: str) -> Any:
            return adapter

        def close(self) -> None:
            super().close()
            adapter.close()

    return BoundedAuthClient(settings.client_id, settings.client_secret, settings.redirect_uri,
                           settings.discovery_url, state_token=state_token,
                           realm_id=settings.realm_id)


def _oauth_failure(exc: Exception, company: str) -> QboAuthError:
    """Turn intuit-oauth/requests failures into QboAuthError / QboError with a plain reason."""
    from .errors import QboError

    status = getattr(exc, "status_code", None)
    content = getattr(exc, "content", b"") or b""
    try:
        body = json.loads(content)
    except (TypeError, ValueError):
        body = {}
    error = str(body.get("error", "")) if isinstance(body, dict) else ""
    remedy = RECONNECT.format(company=company)
    if error == "invalid_grant":
        return QboAuthError(
            "QuickBooks refused the stored refresh token (invalid_grant): the connection was "
            "revoked, expired after 100 days unused, or a rotated token was lost",
            code="invalid_grant", status=status, remedy=remedy, sent=True)
    if error == "invalid_client" or status == 401:
        return QboAuthError(
            "QuickBooks refused the app's client id or secret (invalid_client)",
            code="invalid_client", status=status, sent=True,
            remedy="Check client_id and client_secret of the company against the app's keys "
                   "at developer.intuit.com (sandbox and production keys differ)")
    if status is not None:
        raise QboError(f"the QuickBooks token endpoint answered HTTP {status}",
                       code=f"http-{status}", status=status, sent=True) from exc
    # sent=False: the API request waiting for the token has not left.
    import requests

    if (isinstance(exc, requests.exceptions.Timeout)
            and not isinstance(exc, requests.exceptions.ConnectionError)):
        raise QboError(f"the QuickBooks token endpoint did not answer in time: {exc}",
                       code="timeout", sent=False) from exc
    raise QboError(f"the QuickBooks token endpoint could not be reached: {exc}",
                   code="network", sent=False) from exc


class TokenKeeper:
    """The company's tokens for API calls: cached, refreshed early, refreshed once at a time."""

    def __init__(self, settings: QboSettings, context: ConnectorContext, company: str,
                 *, client_factory: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self.context = context
        self.company = company
        self._factory = client_factory or (lambda: auth_client(settings))
        self._tokens: Tokens | None = None
        self._generation = -1
        self.refreshes = 0  # token-endpoint calls made by this keeper

    # -- storage -------------------------------------------------------------------------------

    def load(self) -> Tokens:
        text = self.context.secrets.get(SECRET_NAME)
        if text is None:
            raise QboAuthError(
                f"company {self.company!r} is not connected to QuickBooks Online yet",
                code="not_connected", sent=False,
                remedy=f"Run `ledgersync connect {self.company}`, then "
                       f"`ledgersync companies resume {self.company}` if it was paused")
        self._tokens, self._generation = Tokens.from_json(text)
        return self._tokens

    def store(self, tokens: Tokens, *, connection: Connection | None = None) -> None:
        """Save a new token pair (after `ledgersync connect` or a refresh), atomically with the
        generation counter other workers compare against."""
        if connection is None:
            with self.context.state.exclusive(LOCK_NAME) as conn:
                self.store(tokens, connection=conn)
            return
        generation = int(self.context.state.get(GENERATION_KEY, connection=connection) or 0) + 1
        self.context.secrets.set(SECRET_NAME, tokens.to_json(generation), connection=connection)
        self.context.state.put(GENERATION_KEY, generation, connection=connection)
        self._tokens, self._generation = tokens, generation

    # -- use -----------------------------------------------------------------------------------

    def access_token(self) -> str:
        """A usable access token, refreshing first when it is about to expire."""
        tokens = self._tokens or self.load()
        if self.context.utcnow() >= tokens.access_expires_at - EARLY_REFRESH:
            tokens = self.refresh(tokens.access_token)
        return tokens.access_token

    def refresh(self, failed_access_token: str | None = None) -> Tokens:
        """Get a new access token, unless another worker already did since ours was loaded."""
        if self._tokens is None:
            self.load()
        held = self._tokens
        assert held is not None
        if failed_access_token is not None and held.access_token != failed_access_token:
            return held  # this keeper already moved on from the token that failed
        refreshed = False
        with self.context.state.exclusive(LOCK_NAME) as conn:
            current = int(self.context.state.get(GENERATION_KEY, connection=conn) or 0)
            if current == self._generation:
                new = self._call_token_endpoint(held.refresh_token)
                self.store(new, connection=conn)
                refreshed = True
        if not refreshed:
            # Another worker refreshed while we waited for the lock: use what it stored.
            self.load()
        assert self._tokens is not None
        return self._tokens

    def _call_token_endpoint(self, refresh_token: str) -> Tokens:
        self.refreshes += 1
        client = None
        try:
            client = self._factory()  # fetches the discovery document: bounded the same way
            client.refresh(refresh_token=refresh_token)
        except Exception as exc:
            raise _oauth_failure(exc, self.company) from exc
        finally:
            if client is not None:
                client.close()
        body = {key: getattr(client, key, None) for key in
                ("access_token", "refresh_token", "expires_in", "x_refresh_token_expires_in")}
        if not body["access_token"] or not body["refresh_token"]:
            raise QboAuthError("the QuickBooks token endpoint answered without tokens",
                               code="invalid_grant", sent=True,
                               remedy=RECONNECT.format(company=self.company))
        return Tokens.from_response(body, self.context.utcnow(), self.settings.realm_id)
