"""The :class:`Sandbox`: all state of a local QBO (companies, tokens, limits, injected
faults, the write log) plus inspection helpers for tests and benchmarks."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults
from .clock import Clock, SystemClock
from .company import Company
from .config import SandboxConfig
from .entities import spec_for_name
from .injection import Injection, Injector
from .limits import Throttle
from .oauth import OAuthServer

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["MinorVersionUse", "Sandbox", "StoredResponse", "WriteRecord"]


@dataclass(frozen=True)
class WriteRecord:
    realm_id: str
    entity: str
    operation: str       # create, update, delete, void
    id: str
    request_id: str | None
    at: datetime


@dataclass(frozen=True)
class MinorVersionUse:
    realm_id: str
    path: str
    requested: str | None  # as sent (None when absent)
    effective: int         # what QBO applies (75 for none or 1-74)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    content_type: str


class Sandbox:
    """A local QuickBooks Online. ``create_app()`` serves it over ASGI."""

    def __init__(self, config: SandboxConfig | None = None, *, clock: Clock | None = None
                 ) -> None:
        self.config = config or SandboxConfig()
        if not self.config.realm_ids:
            raise ValueError("SandboxConfig.realm_ids needs at least one realm")
        self.clock: Clock = clock or SystemClock()
        self.oauth = OAuthServer(self.config, self.clock)
        self.throttle = Throttle(self.clock, per_minute=self.config.requests_per_minute,
                                 batch_per_minute=self.config.batch_requests_per_minute,
                                 max_concurrent=self.config.max_concurrent)
        self.injector = Injector()
        self._lock = threading.Lock()
        self._companies: dict[str, Company] = {
            realm: Company(realm, self.config, self.clock) for realm in self.config.realm_ids}
        self._responses: dict[tuple[str, str], StoredResponse] = {}
        self.write_log: list[WriteRecord] = []
        self.minor_versions: list[MinorVersionUse] = []
        self.replays = 0
        self.requests = 0

    # ------------------------------------------------------------- companies

    @property
    def default_realm_id(self) -> str:
        return self.config.realm_ids[0]

    def company(self, realm_id: str | None = None) -> Company:
        realm_id = realm_id or self.default_realm_id
        with self._lock:
            company = self._companies.get(realm_id)
            if company is None:
                if not self.config.auto_create_realms:
                    raise KeyError(realm_id)
                company = self._companies[realm_id] = Company(realm_id, self.config,
                                                              self.clock)
            return company

    def has_realm(self, realm_id: str) -> bool:
        return realm_id in self._companies or self.config.auto_create_realms

    # -------------------------------------------------------------- inspection

    def customer_balance(self, customer_id: str, realm_id: str | None = None) -> Decimal:
        """The customer's open A/R balance (invoices - payments - credit memos +/- JEs)."""
        return self.company(realm_id).customer_balance(str(customer_id))

    def get(self, entity: str, id_: str, realm_id: str | None = None) -> dict[str, Any] | None:
        spec = spec_for_name(entity)
        if spec is None:
            raise KeyError(entity)
        try:
            return self.company(realm_id).read(spec.name, str(id_))
        except faults.QBOFault:
            return None

    def objects(self, entity: str, realm_id: str | None = None) -> list[dict[str, Any]]:
        spec = spec_for_name(entity)
        if spec is None:
            raise KeyError(entity)
        company = self.company(realm_id)
        with company.lock:
            return [dict(o) for o in company.store.all(spec.name)]

    def writes(self, entity: str | None = None, realm_id: str | None = None
               ) -> list[WriteRecord]:
        with self._lock:
            return [w for w in self.write_log
                    if (entity is None or w.entity.lower() == entity.lower())
                    and (realm_id is None or w.realm_id == realm_id)]

    def write_count(self, entity: str | None = None, realm_id: str | None = None) -> int:
        return len(self.writes(entity, realm_id))

    def record_write(self, record: WriteRecord) -> None:
        with self._lock:
            self.write_log.append(record)

    # ------------------------------------------------------------ idempotency

    def stored_response(self, realm_id: str, request_id: str) -> StoredResponse | None:
        with self._lock:
            return self._responses.get((realm_id, request_id))

    def store_response(self, realm_id: str, request_id: str, response: StoredResponse) -> None:
        with self._lock:
            self._responses.setdefault((realm_id, request_id), response)

    # --------------------------------------------------------- fault injection

    def inject(self, fault: int | str, *, entity: str | None = None, times: int = 1,
               http200: bool = False, after_write: bool = False,
               realm_id: str | None = None, in_batch: bool = False) -> Injection:
        """Make the next ``times`` matching API requests fail.

        ``fault``: an HTTP status (400, 401, 403, 404, 408, 429, 500, 502, 503, 504) or a QBO
        fault code (any other int, or a string such as ``"6240"``; pass ``"500"`` for QBO code
        500). ``entity`` matches the URL's entity segment (``"invoice"``, ``"batch"``,
        ``"query"``, ``"cdc"``). ``http200`` answers HTTP 200 with the Fault body.
        ``after_write`` performs the write first and then answers with the failure, leaving
        the client in doubt; a retry with the same ``requestid`` replays the success.
        ``in_batch`` also fails a batch request that carries a write of ``entity`` (the whole
        batch, as QBO fails it for a fault of the HTTP request), so a scenario does not depend
        on whether the client sent the entity alone or in a batch.
        """
        return self.injector.add(fault, entity=entity, times=times, http200=http200,
                                 after_write=after_write, realm_id=realm_id, in_batch=in_batch)

    def close_books(self, closing_date: date | None, realm_id: str | None = None, *,
                    code: str | None = None) -> None:
        """Set (or clear) the company's closing date: writes dated on/before it get 6210, or
        ``code="5010"`` "Account Period Closed" (see ``SandboxConfig.closed_period_code``)."""
        company = self.company(realm_id)
        with company.lock:
            company.closing_date = closing_date
            if code is not None:
                company.closed_period_code = code

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now expired (refresh tokens still work)."""
        self.oauth.expire_access_tokens()

    def issue_tokens(self, realm_id: str | None = None) -> dict[str, Any]:
        """A token response (as from the token endpoint) for ``realm_id``, no browser needed."""
        return self.oauth.issue_tokens(realm_id or self.default_realm_id)

    def auth_headers(self, realm_id: str | None = None) -> dict[str, str]:
        """``Authorization``/``Accept`` headers with a fresh access token."""
        token = self.issue_tokens(realm_id)["access_token"]
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    # ------------------------------------------------------------------- ASGI

    def create_app(self) -> Starlette:
        from .app import build_app

        return build_app(self)
