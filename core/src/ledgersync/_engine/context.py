"""What every part of the engine shares: the database, the config, the plugins, the clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any, cast

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from .._config import CompanyConfig, Config, structure_settings
from .._connector import Connector, ConnectorContext, ConnectorLimits
from .._errors import ConfigError
from .._ledger.schema import companies
from .._ledger.types import utcnow
from .._plugins import PluginHost
from .._secrets import SecretStore
from .._state import StateStore

#: The order in which kinds are exported: reference data, then customers, then documents
#: before the payments, credits and refunds that point at them.
KIND_PRIORITY: dict[str, int] = {
    "gl_account": 0,
    "tax_rate": 0,
    "terms": 0,
    "item": 1,
    "member": 2,
    "invoice": 3,
    "credit_memo": 4,
    "payment": 5,
    "refund": 6,
    "journal_entry": 7,
}


@attrs.frozen(kw_only=True)
class EngineSettings:
    """Tunables of the engine: leases, backoff and batch sizes, with defaults that suit one
    host and a shared PostgreSQL alike."""

    lease_seconds: float = 300.0
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 3600.0
    max_attempts: int = 10
    # Items claimed per statement, and successes written together (fewer statements and
    # commits per item), at most this many and this old. A claim never exceeds the company's
    # max_in_flight (times its connector's batch size), whatever this says.
    claim_batch: int = 50
    completion_group: int = 50
    completion_group_seconds: float = 0.5
    # A run stays open while work falls due within this many seconds (a throttle's wait).
    linger_seconds: float = 90.0
    poll_seconds: float = 5.0
    # Two-stage connectors: staged items asked about per poll (oldest first), and the wait
    # between polls of a company, doubling while polls learn nothing, up to the cap.
    confirm_batch: int = 200
    confirm_base_seconds: float = 60.0
    confirm_cap_seconds: float = 3600.0


def idempotency_key(company: str, kind: str, mms_id: str, operation: str, generation: int) -> str:
    """Stable per item version; short enough for QBO's requestid (50 characters)."""
    raw = f"{company}\x1f{kind}\x1f{mms_id}\x1f{operation}\x1f{generation}".encode()
    return "ls-" + hashlib.sha256(raw).hexdigest()[:40]


@attrs.frozen(kw_only=True)
class Clock:
    """The engine's one clock: ``now`` (timezone-aware UTC) for everything stored, ``monotonic``
    for deadlines, ``sleep`` for waiting until work falls due. Tests hand in a fake one."""

    now: Callable[[], dt.datetime] = utcnow
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def as_clock(value: Clock | Callable[[], dt.datetime] | None) -> Clock:
    """A :class:`Clock` from a clock, a bare ``now`` function (the system's monotonic time and
    sleep then) or None (the system's)."""
    if value is None:
        return Clock()
    if isinstance(value, Clock):
        return value
    return Clock(now=value)


@attrs.define
class EngineContext:
    engine: Engine
    config: Config
    plugins: PluginHost
    settings: EngineSettings = EngineSettings()
    clock: Clock = attrs.field(factory=Clock, converter=as_clock)
    secret_keys: str | None = None
    _connectors: dict[str, Connector[Any]] = attrs.field(factory=dict)
    _settings_of: dict[str, Any] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def company(self, name: str) -> CompanyConfig:
        try:
            return self.config.companies[name]
        except KeyError:
            known = ", ".join(sorted(self.config.companies)) or "none"
            raise ConfigError(
                [f"companies.{name}: no such company (configured: {known})"],
                source=self.config.source,
            ) from None

    def connector_class(self, company: CompanyConfig) -> type[Connector[Any]]:
        return self.plugins.connector_class(company.connector, company=company.name)

    def connector_settings(self, name: str) -> Any:
        """The company's connector settings, structured once (no connector instance)."""
        with self._lock:
            if name not in self._settings_of:
                company = self.company(name)
                cls = self.connector_class(company)
                self._settings_of[name] = structure_settings(company, cls.settings_type)
            return self._settings_of[name]

    def batch_size(self, name: str) -> int:
        """Items the company's connector sends per request (1 unless it batches), read from
        its class and settings; 1 when the settings cannot be read (reported per item)."""
        try:
            cls = self.connector_class(self.company(name))
            return max(1, int(cls.batch_size_for(self.connector_settings(name))))
        except Exception:  # noqa: BLE001 - a connector that cannot start is reported per item
            return 1

    def limits(self, company: CompanyConfig) -> ConnectorLimits:
        default = self.connector_class(company).default_limits
        return ConnectorLimits(
            max_in_flight=company.limits.max_in_flight or default.max_in_flight,
            requests_per_minute=company.limits.requests_per_minute
            or default.requests_per_minute,
        )

    def connector(self, name: str) -> Connector[Any]:
        """The company's connector instance (one per engine context and company)."""
        with self._lock:
            existing = self._connectors.get(name)
            if existing is not None:
                return existing
            company = self.company(name)
            cls = self.connector_class(company)
            settings = self._settings_of.get(name)
            if settings is None:
                settings = structure_settings(company, cls.settings_type)
                self._settings_of[name] = settings
            context = ConnectorContext(
                secrets=SecretStore(self.engine, name, keys=self.secret_keys),
                state=StateStore(self.engine, name, clock=self.clock.now),
                now=self.clock.now,
            )
            instance = cls(company, settings, context)
            self._connectors[name] = instance
            return instance

    def close(self) -> None:
        with self._lock:
            for connector in self._connectors.values():
                connector.close()
            self._connectors.clear()

    def ensure_company_row(self, conn: Connection, name: str) -> dt.date | None:
        """Make the company's row if it has none yet; returns the in-sync date stored with
        `ledgersync companies set-in-sync-date` (None when none is: the config's applies)."""
        exists = conn.execute(_COMPANY_ROW, {"b_name": name}).first()
        if exists is None:
            # Another worker may insert it between the read and this write: not an error.
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            conn.execute(insert(companies).values(name=name, updated_at=self.now())
                         .on_conflict_do_nothing(index_elements=[companies.c.name]))
            return None
        return cast("dt.date | None", exists.in_sync_date)


#: A company's row: whether it exists, and its stored in-sync date.
_COMPANY_ROW = sa.select(companies.c.name, companies.c.in_sync_date).where(
    companies.c.name == sa.bindparam("b_name"))


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
