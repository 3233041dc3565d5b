"""The embedding API: :func:`open` a :class:`Ledger`, record MMS records, run the engine."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection, Engine

from ._config import Config, load_config
from ._connector import Connector
from ._engine import browse as browsing
from ._engine import queries
from ._engine.claims import ClaimedItem
from ._engine.context import EngineContext, EngineSettings, event_row, insert_events
from ._engine.filters import ItemFilter
from ._engine.operations import Operations
from ._engine.pull import PullQueue
from ._engine.reconcile import ReconcileReport, reconcile
from ._engine.recording import Recorder, RecordSummary
from ._engine.runs import Scheduler, WorkSummary
from ._engine.statuses import Status
from ._ledger.database import create_ledger_engine, ensure_current
from ._ledger.types import utcnow
from ._operators import OperatorAccounts
from ._plugins import PluginHost, PluginInfo
from ._records import Record
from ._secrets import SecretStore


class Ledger:
    """A sync ledger with its config, its plugins and its engine.

    Each ledger owns its plugin manager: ``plugins=[...]`` registers plugin objects directly
    (tests, embedders); ``load_entrypoints=False`` skips installed plugins.
    """

    def __init__(
        self,
        config: Config,
        *,
        plugins: Iterable[object] = (),
        load_entrypoints: bool = True,
        engine: Engine | None = None,
        create: bool = True,
        settings: EngineSettings | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        secret_keys: str | None = None,
        worker_name: str | None = None,
    ) -> None:
        self.config = config
        self.plugins = PluginHost(
            plugins,
            load_entrypoints=load_entrypoints,
            allow=config.plugins_enabled,
            block=config.plugins_disabled,
        )
        self.engine = engine if engine is not None else create_ledger_engine(config.ledger_url)
        try:
            ensure_current(self.engine, create=create)
        except BaseException:
            if engine is None:  # ours: do not leave its pooled connections behind
                self.engine.dispose()
            raise
        self.context = EngineContext(
            engine=self.engine, config=config, plugins=self.plugins,
            settings=settings or EngineSettings(), clock=clock or utcnow,
            secret_keys=secret_keys,
        )
        self._recorder = Recorder(self.context)
        self._operations = Operations(self.context)
        self._scheduler = Scheduler(self.context, owner=worker_name)

    # -- recording -----------------------------------------------------------------------------

    def record(
        self,
        records: Iterable[Record],
        *,
        companies: Sequence[str] | None = None,
        connection: Connection | None = None,
        actor: str = "mms",
    ) -> RecordSummary:
        """Queue records for export to each company (all configured companies by default).

        Pass ``connection`` to join the caller's own SQLAlchemy transaction on the same
        database: the MMS write and the queued sync then commit or roll back together.
        Without it, the records are queued in one transaction of their own.
        """
        if connection is not None:
            return self._recorder.record(records, conn=connection, companies=companies,
                                         actor=actor)
        with self.engine.begin() as conn:
            return self._recorder.record(records, conn=conn, companies=companies, actor=actor)

    # -- running -------------------------------------------------------------------------------

    def tick(self) -> list[int]:
        """Open runs for companies whose schedule is due; returns the run ids."""
        return self._scheduler.tick()

    def run_now(self, company: str, *, trigger: str = "manual") -> int | None:
        """Open a run for ``company`` now, unless one is already open."""
        return self._scheduler.run_now(company, trigger=trigger)

    def run_pending(
        self,
        *,
        companies: Sequence[str] | None = None,
        max_items: int | None = None,
        deadline: float | None = None,
        stop: threading.Event | None = None,
        on_item: Callable[[ClaimedItem, str], None] | None = None,
    ) -> WorkSummary:
        """Work open runs until idle, ``max_items`` or ``deadline`` (``time.monotonic()``)."""
        return self._scheduler.run_pending(
            companies_filter=companies, max_items=max_items, deadline=deadline, stop=stop,
            on_item=on_item,
        )

    def run_forever(self, stop: threading.Event) -> None:
        """Tick and work until ``stop`` is set (see `ledgersync worker`)."""
        self._scheduler.run_forever(stop)

    def sync(self, company: str, **kwargs: Any) -> WorkSummary:
        """Run ``company`` once now and work until idle: `ledgersync run --company C --once`."""
        self.run_now(company)
        return self.run_pending(companies=[company], **kwargs)

    def pull(self, company: str, *, owner: str | None = None) -> PullQueue:
        """The company's queue for a pull-mode connector (the remote side asks for work)."""
        return PullQueue(self.context, company, owner=owner)

    @property
    def worker_name(self) -> str:
        """The lease owner name this ledger's scheduler uses (shown in the history)."""
        return self._scheduler.owner

    # -- operator actions ----------------------------------------------------------------------

    def requeue(self, selection: ItemFilter, *, actor: str = "operator") -> int:
        return self._operations.requeue(selection, actor=actor)

    def unlink(self, selection: ItemFilter, *, actor: str = "operator") -> int:
        return self._operations.unlink(selection, actor=actor)

    def resync(self, selection: ItemFilter, *, actor: str = "operator") -> int:
        return self._operations.resync(selection, actor=actor)

    def mark(self, selection: ItemFilter, vote: str, *, actor: str = "operator",
             reason: str | None = None) -> int:
        return self._operations.mark(selection, vote, actor=actor, reason=reason)

    def approve(self, company: str, ids: Sequence[int] | None = None, *,
                unchecked: str = "keep", actor: str = "operator") -> tuple[int, int]:
        return self._operations.approve(company, ids, actor=actor, unchecked=unchecked)

    def map(self, company: str, kind: str, mms_id: str, external_id: str, *,
            external_name: str | None = None, actor: str = "operator") -> int:
        return self._operations.map(company, kind, mms_id, external_id, actor=actor,
                                    external_name=external_name)

    def unmap(self, company: str, kind: str, mms_id: str) -> bool:
        return self._operations.unmap(company, kind, mms_id)

    def resume(self, company: str, *, actor: str = "operator") -> bool:
        return self._operations.resume(company, actor=actor)

    def set_in_sync_date(self, company: str, date: dt.date, *, actor: str = "operator"
                         ) -> tuple[int, int]:
        return self._operations.set_in_sync_date(company, date, actor=actor)

    def reconcile(self, company: str, *, as_of: dt.date | None = None) -> ReconcileReport:
        """Receivable per customer in the MMS ledger against the accounting system."""
        return reconcile(self.context, company, as_of)

    # -- reading -------------------------------------------------------------------------------

    def status_counts(self, company: str | None = None) -> dict[tuple[str, str], int]:
        return queries.status_counts(self.engine, company)

    def items(self, selection: ItemFilter | None = None, *, limit: int | None = 200
              ) -> list[queries.ItemView]:
        return queries.list_items(self.engine, selection or ItemFilter(), limit=limit)

    def runs(self, *, company: str | None = None, limit: int = 20) -> list[queries.RunView]:
        return queries.list_runs(self.engine, company=company, limit=limit)

    def history(self, item_id: int) -> list[queries.EventView]:
        return queries.history(self.engine, item_id)

    def companies(self) -> list[queries.CompanyView]:
        return queries.company_states(self.engine)

    def recorded(self, company: str, kind: str, mms_id: str) -> Record | None:
        """The newest version of an MMS record as recorded for ``company`` (None if never):
        what a connector compares a remote record against, e.g. to report drift."""
        return queries.recorded(self.engine, company, kind, mms_id)

    def note(self, company: str, message: str, *, item_id: int | None = None,
             kind: str | None = None, level: str = "warning", code: str | None = None,
             run_id: int | None = None, actor: str = "connector") -> None:
        """Write a message into the sync log: the item's history (``item_id``) and, with
        ``run_id``, that run's messages in `ledgersync log`. Changes no status."""
        self.context.company(company)
        with self.engine.begin() as conn:
            insert_events(conn, [event_row(
                item_id=item_id, company=company, kind=kind, at=self.context.now(),
                actor=actor, reason=message, code=code, level=level, run_id=run_id)])

    def browse(self, selection: ItemFilter | None = None, *, text: str | None = None,
               run_id: int | None = None, before: int | None = None, limit: int = 50
               ) -> browsing.ItemPage:
        """A page of the sync log's items, newest first: those matching ``selection``, whose
        MMS id, member, remote id or error code is ``text`` or whose message mentions it, that
        took part in run ``run_id``, with ids below ``before`` (the previous page's
        ``next_before``). Keyset paging: every page costs the same, however large the ledger."""
        return browsing.browse(self.engine, selection or ItemFilter(), text=text, run_id=run_id,
                             before=before, limit=limit)

    def attention_counts(self) -> dict[tuple[str, str], int]:
        """Items that wait for a person (``error``, ``awaiting_approval``) per (company,
        status) over the configured companies; cheap enough for every page view."""
        return browsing.attention_counts(self.engine, sorted(self.config.companies))

    def item_detail(self, item_id: int) -> browsing.ItemDetail | None:
        """One item in full: the MMS record as recorded (what is sent), a newer version
        waiting, what it refers to and how each reference resolves, every status change."""
        return browsing.detail(self.engine, item_id)

    def mapping_overview(self, company: str, kind: str) -> browsing.MappingOverview:
        """The mappings of ``kind`` (``gl_account``, ``item``, ``tax_rate``, ``member``, ...)
        in ``company``, each unmapped value with the items it blocks, and the remote records
        of that kind already linked (choices for a mapping)."""
        self.context.company(company)
        return browsing.mapping_overview(self.engine, company, kind)

    def dependents(self, company: str, kind: str, mms_id: str, *,
                   status: Sequence[Status] = (Status.ERROR, Status.BLOCKED)) -> list[int]:
        """Ids of the items of ``company`` in ``status`` that refer to ``kind`` ``mms_id``
        (e.g. the invoices that failed on an inactive item): what to requeue after a fix."""
        return browsing.dependents(self.engine, company, kind, mms_id, tuple(status))

    def describe_plugins(self) -> list[PluginInfo]:
        """Every plugin this ledger loaded, with its connectors, hooks and load error."""
        return self.plugins.describe()

    def operators(self) -> OperatorAccounts:
        """The people who may use the Accounting Sync page, and their sessions."""
        return OperatorAccounts(self.engine, self.context.now)

    def secrets(self, company: str) -> SecretStore:
        self.context.company(company)
        return SecretStore(self.engine, company, keys=self.context.secret_keys)

    def connector(self, company: str) -> Connector:
        """The company's connector instance (for reads such as customer search)."""
        return self.context.connector(company)

    def close(self) -> None:
        self.context.close()
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open(
    config_or_url: Config | str | os.PathLike[str],
    **kwargs: Any,
) -> Ledger:
    """Open a ledger from a :class:`Config`, a config file path, or a database URL."""
    if isinstance(config_or_url, Config):
        config = config_or_url
    elif isinstance(config_or_url, str) and "://" in config_or_url:
        config = Config(ledger_url=config_or_url, companies={})
    else:
        config = load_config(Path(config_or_url))
    return Ledger(config, **kwargs)


