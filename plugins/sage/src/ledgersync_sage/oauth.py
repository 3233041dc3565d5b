"""OAuth 2.0 tokens for the REST API: stored encrypted in the ledger's secret store, refreshed
once at a time across every worker.

A refresh runs under the company's ``sage-oauth`` lock (``StateStore.exclusive``): inside it
the stored token is read again, and when another worker already replaced the token that
failed, that one is used instead of asking the token endpoint a second time (with the
authorization-code grant the refresh token rotates, so two refreshes would lock the company
out). The new token is written through the lock's connection, so it commits with the lock.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import attrs
import httpx

from ledgersync import ConnectorContext
from ledgersync.http import DeadlineExceeded, send_within

from .errors import IntacctError, IntacctFailure
from .settings import SageSettings

SECRET = "sage.oauth"
LOCK = "sage-oauth"
#: Used when the token endpoint gives no lifetime (lifetime unconfirmed).
DEFAULT_LIFETIME = 3600


@attrs.frozen
class Token:
    access_token: str
    expires_at: dt.datetime
    refresh_token: str | None = None

    def to_json(self) -> str:
        return json.dumps({"access_token": self.access_token,
                           "expires_at": self.expires_at.isoformat(),
                           "refresh_token": self.refresh_token})

    @classmethod
    def from_json(cls, text: str) -> Token:
        data = json.loads(text)
        return cls(data["access_token"], dt.datetime.fromisoformat(data["expires_at"]),
                   data.get("refresh_token"))


class TokenKeeper:
    def __init__(self, settings: SageSettings, context: ConnectorContext, http: httpx.Client,
                 *, clock: Callable[[], dt.datetime]) -> None:
        self.settings = settings
        self.context = context
        self.http = http
        self.clock = clock

    @property
    def token_url(self) -> str:
        return f"{self.settings.api_base_url.rstrip('/')}/oauth2/token"

    def stored(self) -> Token | None:
        text = self.context.secrets.get(SECRET)
        return Token.from_json(text) if text else None

    def access_token(self) -> str:
        """A token that is good for at least another minute, refreshing when needed."""
        token = self.stored()
        if token is not None and token.expires_at - self.clock() > dt.timedelta(minutes=1):
            return token.access_token
        return self.refresh(failed=token.access_token if token else None).access_token

    def refresh(self, *, failed: str | None) -> Token:
        """Replace the token ``failed`` (None: whatever is stored), once for all workers."""
        with self.context.state.exclusive(LOCK) as conn:
            current = self.stored()
            if (current is not None and current.access_token != failed
                    and current.expires_at - self.clock() > dt.timedelta(minutes=1)):
                return current  # another worker refreshed meanwhile
            token = self._request(current)
            self.context.secrets.set(SECRET, token.to_json(), connection=conn)
            return token

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where the company's administrator approves ledgersync (authorization-code grant)."""
        query = httpx.QueryParams({"response_type": "code", "client_id": self.settings.client_id,
                                   "redirect_uri": redirect_uri, "state": state,
                                   "scope": "offline_access"})
        return f"{self.settings.api_base_url.rstrip('/')}/oauth2/authorize?{query}"

    def exchange_code(self, code: str, redirect_uri: str) -> Token:
        """Trade the code the redirect brought for tokens, and store them."""
        s = self.settings
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri, "client_id": s.client_id,
                "client_secret": s.client_secret}
        with self.context.state.exclusive(LOCK) as conn:
            token = self._post(form, None)
            self.context.secrets.set(SECRET, token.to_json(), connection=conn)
            return token

    def store_authorization(self, refresh_token: str) -> Token:
        """Seed the authorization-code grant with a refresh token (`ledgersync sage
        authorize`): it is spent at once and replaced by the rotated one."""
        with self.context.state.exclusive(LOCK) as conn:
            token = self._request(Token("", self.clock(), refresh_token))
            self.context.secrets.set(SECRET, token.to_json(), connection=conn)
            return token

    def _request(self, current: Token | None) -> Token:
        s = self.settings
        form: dict[str, Any] = {"client_id": s.client_id, "client_secret": s.client_secret}
        if s.oauth_grant == "authorization_code":
            if current is None or not current.refresh_token:
                raise IntacctFailure(
                    "no Intacct authorization stored for the REST API", level="authentication",
                    sent=False)
            form |= {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
        else:
            form |= {"grant_type": "client_credentials"}
        return self._post(form, current)

    def _post(self, form: dict[str, Any], current: Token | None) -> Token:
        # sent=False in every case: the item's own request has not left. A refresh whose
        # answer is lost may still have rotated the refresh token (the lost-rotation case).
        try:
            response = send_within(self.http, "POST", self.token_url, data=form,
                                   deadline_seconds=self.settings.request_deadline_seconds)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise IntacctFailure(f"cannot reach Intacct's token endpoint: {exc}",
                                 level="transport", code="network", sent=False) from None
        except httpx.TimeoutException as exc:
            why = (str(exc) if isinstance(exc, DeadlineExceeded)
                   else f"no answer within {self.settings.timeout_seconds:g} s")
            raise IntacctFailure(f"Intacct's token endpoint did not answer in time: {why}",
                                 level="transport", code="timeout", sent=False) from None
        except httpx.HTTPError as exc:
            raise IntacctFailure(f"the connection to Intacct's token endpoint failed: {exc}",
                                 level="transport", code="network", sent=False) from None
        if response.status_code != 200:
            error, description = _oauth_error(response)
            raise IntacctFailure(
                f"Intacct's token endpoint refused the {form['grant_type']} grant "
                f"(HTTP {response.status_code}: {description or error or 'no details'})",
                level="authentication", http_status=response.status_code, sent=False,
                errors=[IntacctError(errorno=error, description2=description)] if error else ())
        data = response.json()
        lifetime = int(data.get("expires_in") or DEFAULT_LIFETIME)
        return Token(str(data["access_token"]), self.clock() + dt.timedelta(seconds=lifetime),
                     data.get("refresh_token") or (current.refresh_token if current else None))


def _oauth_error(response: httpx.Response) -> tuple[str, str]:
    """The OAuth 2.0 ``error`` code (``invalid_grant``: the refresh token or code is spent,
    expired or revoked) and its description; empty when the body says neither."""
    try:
        data = response.json()
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    error, description = data.get("error"), data.get("error_description")
    return (error if isinstance(error, str) else "",
            description if isinstance(description, str) else "")
