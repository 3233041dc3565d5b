"""The embedding API: :func:`open` a :class:`Ledger`, record MMS records, run the engine."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection, Engine

from ._config import Config, load_config
from ._connector import Connector, CustomerMatch
from ._engine import browse as browsing
from ._engine import items, queries
from ._engine import reconcile as reconciling
from ._engine.claims import ClaimedItem
from ._engine.confirm import ConfirmSummary
from ._engine.context import Clock, EngineContext, EngineSettings, as_clock
from ._engine.filters import ItemFilter
from ._engine.operations import Operations
from ._engine.pull import PullQueue
from ._engine.queries import CompanyView, EventView, ItemRef, ItemView, RunView
from ._engine.reconcile import AccountsReport, DifferenceNote, ReconcileReport, SignOff
from ._engine.recording import Recorder, RecordSummary
from ._engine.runs import Scheduler, WorkSummary
from ._engine.statuses import Status
from ._ledger.database import create_ledger_engine, ensure_current
from ._operators import OperatorAccounts
from ._plugins import PluginHost, PluginInfo
from ._records import Member, Record
from ._secrets import SecretStore, check_key
from ._state import StateStore
from ._webmount import CompanyTool, WebMount


class Ledger:
    """A sync ledger with its config, its plugins and its engine.

    Each ledger owns its plugin manager: ``plugins=[...]`` registers plugin objects directly
    (tests, embedders); ``load_entrypoints=False`` skips installed plugins. The command line
    hands its own plugin host in (``_host``) so that its commands and its ledger see the same
    plugins.
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
        clock: Clock | Callable[[], dt.datetime] | None = None,
        secret_keys: str | None = None,
        worker_name: str | None = None,
        _host: PluginHost | None = None,
    ) -> None:
        #: The configuration this ledger was opened with (companies, connectors, settings).
        self.config = config
        if _host is not None:
            for plugin in plugins:
                _host.register(plugin)
            _host.restrict(config.plugins_enabled, config.plugins_disabled)
            self._plugins = _host
        else:
            self._plugins = PluginHost(
                plugins,
                load_entrypoints=load_entrypoints,
                allow=config.plugins_enabled,
                block=config.plugins_disabled,
            )
        # The SQLAlchemy engine of the ledger database (not the sync engine below).
        self._database = (engine if engine is not None
                          else create_ledger_engine(config.ledger_url))
        try:
            ensure_current(self._database, create=create)
        except BaseException:
            if engine is None:  # ours: do not leave its pooled connections behind
                self._database.dispose()
            raise
        self._context = EngineContext(
            engine=self._database, config=config, plugins=self._plugins,
            settings=settings or EngineSettings(), clock=as_clock(clock),
            secret_keys=secret_keys,
        )
        self._recorder = Recorder(self._context)
        self._operations = Operations(self._context)
        self._scheduler = Scheduler(self._context, owner=worker_name)

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
        with self._database.begin() as conn:
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
        on_item: Callable[[ItemRef, str], None] | None = None,
        confirm: bool = True,
    ) -> WorkSummary:
        """Work open runs until idle, ``max_items`` or ``deadline`` (a value of the ledger clock's
        ``monotonic()``: ``time.monotonic()`` unless a :class:`Clock` was given).
        ``confirm=False``: do not poll two-stage companies for confirmations (stage one).

        ``on_item(item, status)`` is told of every item processed, with its new status (or
        ``"lease_lost"`` when another worker took it over), e.g. for a progress bar.

        Raises :class:`SecretKeyError` before claiming anything when a company to run has
        stored secrets that ``LEDGERSYNC_SECRET_KEY`` cannot read.
        """
        check_key(self._database, companies, keys=self._context.secret_keys)
        told = None
        if on_item is not None:
            callback = on_item

            def told(item: ClaimedItem, status: str) -> None:
                callback(ItemRef(id=item.id, company=item.company, kind=item.kind,
                                 mms_id=item.mms_id, operation=item.operation), status)

        return self._scheduler.run_pending(
            companies_filter=companies, max_items=max_items, deadline=deadline, stop=stop,
            on_item=told, confirm=confirm,
        )

    def run_forever(self, stop: threading.Event) -> None:
        """Tick and work until ``stop`` is set (see `ledgersync worker`)."""
        check_key(self._database, keys=self._context.secret_keys)
        self._scheduler.run_forever(stop)

    def sync(self, company: str, **kwargs: Any) -> WorkSummary:
        """Run ``company`` once now and work until idle: `ledgersync run --company C --once`."""
        self.run_now(company)
        return self.run_pending(companies=[company], **kwargs)

    def confirm_staged(self, company: str, *, force: bool = True) -> ConfirmSummary:
        """Ask a two-stage company's connector what became of its staged items and record
        the answers (stage two). ``force=False`` respects the company's polling back-off,
        as the scheduler does."""
        return self._scheduler.confirmer.poll(company, force=force)

    def pull(self, company: str, *, owner: str | None = None) -> PullQueue:
        """The company's queue for a pull-mode connector (the remote side asks for work)."""
        return PullQueue(self._context, company, owner=owner)

    @property
    def worker_name(self) -> str:
        """The lease owner name this ledger's scheduler uses (shown in the history)."""
        return self._scheduler.owner

    # -- operator actions ----------------------------------------------------------------------

    def requeue(self, selection: ItemFilter, *, actor: str = "operator") -> int:
        """Put the selected failed, waiting, blocked or cleared items back to ``pending``, due
        now; returns how many were requeued (`ledgersync requeue`)."""
        return self._operations.requeue(selection, actor=actor)

    def unlink(self, selection: ItemFilter, *, actor: str = "operator") -> int:
        """Forget the remote ids of the selected items ("clear ID") so the next run creates
        the records again, e.g. after they were deleted remotely; returns how many."""
        return self._operations.unlink(selection, actor=actor)

    def resync(self, selection: ItemFilter, *, actor: str = "operator") -> int:
        """Send the selected synced records again as updates; returns how many were queued."""
        return self._operations.resync(selection, actor=actor)

    def mark(self, selection: ItemFilter, vote: str, *, actor: str = "operator",
             reason: str | None = None) -> int:
        """A person's mark on the selected items: ``"go"`` (export) or ``"no_go"`` (do not
        export); it overrides the plugins' votes and is audited. Returns how many changed."""
        return self._operations.mark(selection, vote, actor=actor, reason=reason)

    def approve(self, company: str, ids: Sequence[int] | None = None, *,
                unchecked: str = "keep", actor: str = "operator") -> tuple[int, int]:
        """Approve items awaiting review (those of ``ids``, or all of the company); the rest
        are kept for the next review (``unchecked="keep"``) or cleared for good
        (``unchecked="clear"``). Returns (approved, cleared)."""
        return self._operations.approve(company, ids, actor=actor, unchecked=unchecked)

    def map(self, company: str, kind: str, mms_id: str, external_id: str, *,
            external_name: str | None = None, actor: str = "operator") -> int:
        """Link an MMS record (an account, an item, a tax rate, a member) to an existing
        remote one instead of exporting it; returns how many waiting items it unblocked."""
        return self._operations.map(company, kind, mms_id, external_id, actor=actor,
                                    external_name=external_name)

    def unmap(self, company: str, kind: str, mms_id: str) -> bool:
        """Remove a mapping made with :meth:`map`; returns False when there was none."""
        return self._operations.unmap(company, kind, mms_id)

    def resume(self, company: str, *, actor: str = "operator") -> bool:
        """Lift a company's pause (after its authorisation was fixed); returns False when it
        was not paused."""
        return self._operations.resume(company, actor=actor)

    def set_in_sync_date(self, company: str, date: dt.date, *, actor: str = "operator"
                         ) -> tuple[int, int]:
        """Move the company's in-sync date: transactions dated before it are ``no_go`` (already
        in the books). Returns (items now no-go, items released)."""
        return self._operations.set_in_sync_date(company, date, actor=actor)

    def reconcile(self, company: str, *, as_of: dt.date | None = None) -> ReconcileReport:
        """Receivable per customer in the MMS ledger against the accounting system, as of a
        date (None: today), every difference explained with its cause and remedy."""
        return reconciling.reconcile(self._context, company, as_of)

    def reconcile_accounts(self, company: str, *, start: dt.date | None = None,
                           end: dt.date | None = None) -> AccountsReport:
        """Debits and credits per GL account the MMS posts to, from ``start`` (None: since the
        beginning) to ``end`` (None: today), against the accounting system's activity."""
        end = end if end is not None else self._context.now().date()
        return reconciling.reconcile_accounts(self._context, company, start, end)

    def sign_reconciliation(self, report: ReconcileReport | AccountsReport, *,
                            signed_by: str) -> SignOff:
        """Store a reconciliation as signed by ``signed_by`` now: its totals, differences and
        explanations. The next reports of the company start from it."""
        return reconciling.sign(self._context, report, signed_by)

    def reconciliations(self, company: str, *, kind: str | None = None) -> list[SignOff]:
        """The signed reconciliations of a company (``kind``: "customers" or "accounts"),
        the newest month first."""
        return reconciling.history(self._context, company, kind)

    def note_difference(self, company: str, target: str, text: str, *, accept: bool = False,
                        actor: str = "operator") -> DifferenceNote:
        """A note on a reconciliation difference: ``target`` is an item id ("42") or a books
        transaction no item links to ("invoice:1017"). ``accept`` makes the difference an
        accepted one (cause ACCEPTED) in later reports; a note on an item is also in its
        history."""
        return reconciling.add_note(self._context, company, target, text, accept=accept,
                                    actor=actor)

    def reconcile_notes(self, company: str) -> list[DifferenceNote]:
        """Every note on the company's reconciliation differences, oldest first."""
        return reconciling.notes(self._context, company)

    # -- reading -------------------------------------------------------------------------------

    def status_counts(self, company: str | None = None) -> dict[tuple[str, str], int]:
        """How many items are in each status, by (company, status)."""
        return queries.status_counts(self._database, company)

    def items(self, selection: ItemFilter | None = None, *, limit: int | None = 200
              ) -> list[ItemView]:
        """The items ``selection`` matches (all by default), oldest first, at most ``limit``
        (``None``: no limit)."""
        return queries.list_items(self._database, selection or ItemFilter(), limit=limit)

    def runs(self, *, company: str | None = None, limit: int = 20) -> list[RunView]:
        """The newest runs (the sync log), with their per-kind sections and messages."""
        return queries.list_runs(self._database, company=company, limit=limit)

    def history(self, item_id: int) -> list[EventView]:
        """Every event of one item, oldest first: each status change (who, when, why) and
        each note."""
        return queries.history(self._database, item_id)

    def companies(self) -> list[CompanyView]:
        """The state of every company the ledger has seen: paused (why, what to do),
        throttled until when, its in-sync date."""
        return queries.company_states(self._database)

    def recorded(self, company: str, kind: str, mms_id: str) -> Record | None:
        """The newest version of an MMS record as recorded for ``company`` (None if never):
        what a connector compares a remote record against, e.g. to report drift."""
        return queries.recorded(self._database, company, kind, mms_id)

    def note(self, company: str, message: str, *, item_id: int | None = None,
             kind: str | None = None, level: str = "warning", code: str | None = None,
             run_id: int | None = None, actor: str = "connector") -> None:
        """Write a message into the sync log: the item's history (``item_id``) and, with
        ``run_id``, that run's messages in `ledgersync log`. Changes no status."""
        self._context.company(company)
        with self._database.begin() as conn:
            items.note(conn, None, company=company, kind=kind, at=self._context.now(),
                       actor=actor, reason=message, code=code, level=level, run_id=run_id,
                       item_id=item_id)

    def browse(self, selection: ItemFilter | None = None, *, text: str | None = None,
               run_id: int | None = None, before: int | None = None, limit: int = 50
               ) -> browsing.ItemPage:
        """A page of the sync log's items, newest first: those matching ``selection``, whose
        MMS id, member, remote id or error code is ``text`` or whose message mentions it, that
        took part in run ``run_id``, with ids below ``before`` (the previous page's
        ``next_before``). Keyset paging: every page costs the same, however large the ledger."""
        return browsing.browse(self._database, selection or ItemFilter(), text=text, run_id=run_id,
                             before=before, limit=limit)

    def attention_counts(self) -> dict[tuple[str, str], int]:
        """Items that wait for a person (``error``, ``awaiting_approval``) per (company,
        status) over the configured companies; cheap enough for every page view."""
        return browsing.attention_counts(self._database, sorted(self.config.companies))

    def item_detail(self, item_id: int) -> browsing.ItemDetail | None:
        """One item in full: the MMS record as recorded (what is sent), a newer version
        waiting, what it refers to and how each reference resolves, every status change."""
        return browsing.detail(self._database, item_id)

    def mapping_overview(self, company: str, kind: str) -> browsing.MappingOverview:
        """The mappings of ``kind`` (``gl_account``, ``item``, ``tax_rate``, ``member``, ...)
        in ``company``, each unmapped value with the items it blocks, and the remote records
        of that kind already linked (choices for a mapping)."""
        self._context.company(company)
        return browsing.mapping_overview(self._database, company, kind)

    def dependents(self, company: str, kind: str, mms_id: str, *,
                   status: Sequence[Status] = (Status.ERROR, Status.BLOCKED)) -> list[int]:
        """Ids of the items of ``company`` in ``status`` that refer to ``kind`` ``mms_id``
        (e.g. the invoices that failed on an inactive item): what to requeue after a fix."""
        return browsing.dependents(self._database, company, kind, mms_id, tuple(status))

    def web_mounts(self, options: Mapping[str, Any] | None = None) -> list[WebMount]:
        """The ASGI apps plugins serve beside the Accounting Sync page (the
        ``ledgersync_web_mounts`` hook), given the ``serve`` command's ``options``."""
        return self._plugins.web_mounts(self, dict(options or {}))

    def company_tools(self, company: str) -> list[CompanyTool]:
        """The forms plugins offer on ``company``'s tools page (the
        ``ledgersync_web_company_tools`` hook): credentials, setup files."""
        return self._plugins.web_company_tools(self, self._context.company(company))

    def operators(self) -> OperatorAccounts:
        """The people who may use the Accounting Sync page, and their sessions."""
        return OperatorAccounts(self._database, self._context.now)

    def secrets(self, company: str) -> SecretStore:
        """The company's encrypted secrets (OAuth tokens, Web Connector password hashes)."""
        self._context.company(company)
        return SecretStore(self._database, company, keys=self._context.secret_keys)

    def state(self, company: str, *, clock: Callable[[], dt.datetime] | None = None
              ) -> StateStore:
        """Connector state for ``company``: JSON values shared by every worker and process,
        with ``exclusive(name)`` locks. ``company`` is a configured company, or a namespace a
        connector keeps for all its companies (the QuickBooks Desktop plugin's ``~qbwc``
        ticket index). ``clock`` decides expiry (default: the ledger's)."""
        return StateStore(self._database, company, clock=clock or self._context.now)

    def connector(self, company: str) -> Connector:
        """The company's connector instance (for reads such as customer search)."""
        return self._context.connector(company)

    def map_customer(self, company: str, member: Member) -> CustomerMatch | None:
        """The existing remote customer of ``member``, asked of the plugins'
        ``ledgersync_map_customer`` hooks and then the company's connector; None means
        create one. Raises :class:`ConnectorError` when two candidates match."""
        config = self._context.company(company)
        return self._plugins.map_customer(config, member, self.connector(company))

    def plugin_info(self) -> list[PluginInfo]:
        """Every plugin this ledger loaded: version, hooks, connectors, load error."""
        return self._plugins.describe()

    def close(self) -> None:
        """Release the connectors and the database connections."""
        self._context.close()
        self._database.dispose()

    def __enter__(self) -> Ledger:
        """``with ledgersync.open(...) as ledger:`` closes the ledger at the end."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the ledger (see :meth:`close`)."""
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


