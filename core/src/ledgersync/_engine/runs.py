"""Runs and the scheduler: ``tick()`` turns due schedules into runs, ``run_pending()`` works
the open runs until idle or a deadline, ``run_forever()`` loops until told to stop.

The host owns the process: call these from cron, a systemd timer, your own thread, or
`ledgersync run` / `ledgersync worker`. Several workers may call them at once against one
PostgreSQL: claims are fenced per company and runs are unique per (company, scheduled time).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._config import CompanyConfig
from .._connector import (
    ExportRequest,
    ExportResult,
    PullConnector,
    PushConnector,
    StagedResult,
)
from .._errors import LedgerSyncError
from .._ledger.schema import (
    claimable,
    companies,
    run_sections,
    runs,
    schedules,
    sync_events,
    sync_items,
)
from . import items
from .claims import ClaimedItem, claim_batch
from .confirm import Confirmer, ConfirmSummary
from .context import EngineContext, inserted_id
from .export import ItemExporter, Outcome
from .statuses import CLAIMABLE, Status

QUEUED, RUNNING, FINISHED = "queued", "running", "finished"

#: Seconds of the first wait on other workers (see ``run_pending``).
_FIRST_WAIT_ON_OTHERS = 0.01


@attrs.frozen
class _Due:
    """When work of the open runs falls due, and whether other workers hold some of it."""

    seconds: float
    others_in_flight: bool


@attrs.define
class WorkSummary:
    """What ``run_pending`` did: outcomes by status, runs finished."""

    outcomes: Counter[str] = attrs.field(factory=Counter)
    runs_finished: list[int] = attrs.field(factory=list)
    #: Two-stage companies: what the confirmation polls of this call learned.
    confirmations: list[ConfirmSummary] = attrs.field(factory=list)

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())


def worker_id() -> str:
    """Lease owner names say which machine and process held an item (for the history)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


#: The PostgreSQL advisory lock that serialises opening runs (any 64-bit constant of ours).
SCHEDULES_LOCK = 0x6C65646765727379  # "ledgersy"


def lock_schedules(conn: Connection) -> None:
    """Serialise the transactions that create schedule rows and open runs.

    Opening a run reads (is one open? is this tick turned into a run already?) and then
    inserts; two ticks on PostgreSQL workers or cron runs that coincide both read "no" and the
    second dies on a unique constraint. A transaction-scoped advisory lock makes a tick safe
    anywhere, any number of times; it is released at commit. SQLite's writing transactions
    (BEGIN IMMEDIATE) are serialised already.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEDULES_LOCK)))


class Scheduler:
    def __init__(self, ctx: EngineContext, *, owner: str | None = None) -> None:
        self.ctx = ctx
        self.owner = owner or worker_id()
        self.exporter = ItemExporter(ctx)
        self.confirmer = Confirmer(ctx)

    # -- schedules -----------------------------------------------------------------------------

    def sync_schedules(self, conn: Connection, now: dt.datetime) -> None:
        """Create or update a schedule row for every company from the config; a new company is
        due at ``now``."""
        existing = {row.company: row for row in conn.execute(sa.select(schedules))}
        for company in self.ctx.config.companies.values():
            minutes = company.schedule_minutes
            if minutes is None:
                minutes = self.ctx.connector_class(company).default_schedule_minutes
            interval = minutes * 60
            row = existing.get(company.name)
            paused = not company.enabled or interval == 0 or self._pulled(company)
            if row is None:
                conn.execute(sa.insert(schedules).values(
                    company=company.name, interval_seconds=interval, next_run_at=now,
                    paused=paused,
                ))
            elif row.interval_seconds != interval or bool(row.paused) != paused:
                conn.execute(sa.update(schedules).where(schedules.c.company == company.name)
                             .values(interval_seconds=interval, paused=paused))

    def tick(self) -> list[int]:
        """Open a run for every company whose schedule is due; returns the new run ids.

        Missed ticks coalesce into one run, and a company with a run still open gets none.
        """
        now = self.ctx.now()
        opened: list[int] = []
        with self.ctx.engine.begin() as conn:
            lock_schedules(conn)
            self.sync_schedules(conn, now)
            due = conn.execute(sa.select(schedules).where(
                schedules.c.next_run_at <= now, schedules.c.paused.is_(False),
            )).all()
            for row in due:
                run_id = self._open_run(conn, row.company, "schedule", row.next_run_at)
                if run_id is not None:
                    opened.append(run_id)
                # Up to 5 % jitter spreads many companies across the interval.
                jitter = random.uniform(0, row.interval_seconds * 0.05)
                conn.execute(sa.update(schedules).where(schedules.c.company == row.company)
                             .values(next_run_at=now + dt.timedelta(
                                 seconds=row.interval_seconds + jitter), last_run_at=now))
        return opened

    def run_now(self, company: str, *, trigger: str = "manual") -> int | None:
        """Open a run for ``company`` now (unless one is open); returns its id."""
        company_config = self.ctx.company(company)
        if not company_config.enabled:
            return None
        with self.ctx.engine.begin() as conn:
            lock_schedules(conn)
            self.ctx.ensure_company_row(conn, company)
            return self._open_run(conn, company, trigger, self.ctx.now())

    def _open_run(
        self, conn: Connection, company: str, trigger: str, scheduled_for: dt.datetime
    ) -> int | None:
        if not self.ctx.company(company).enabled:
            return None
        open_run = conn.execute(sa.select(runs.c.id).where(
            runs.c.company == company, runs.c.status.in_([QUEUED, RUNNING]),
        )).first()
        if open_run is not None:
            return None
        while conn.execute(sa.select(runs.c.id).where(
                runs.c.company == company, runs.c.scheduled_for == scheduled_for)).first():
            if trigger == "schedule":
                return None  # this tick was already turned into a run
            # Two manual runs within the same microsecond: the later one is still a new run.
            scheduled_for += dt.timedelta(microseconds=1)
        result = conn.execute(sa.insert(runs).values(
            company=company, trigger=trigger, scheduled_for=scheduled_for, status=QUEUED,
        ))
        return inserted_id(result)

    # -- working -------------------------------------------------------------------------------

    def open_runs(
        self, only: Sequence[str] | None = None, *, include_pulled: bool = False
    ) -> dict[str, int]:
        """Open runs by company, starting queued ones; disabled companies are never worked."""
        now = self.ctx.now()
        with self.ctx.engine.begin() as conn:
            query = sa.select(runs.c.id, runs.c.company, runs.c.status).where(
                runs.c.status.in_([QUEUED, RUNNING]))
            if only:
                query = query.where(runs.c.company.in_(list(only)))
            found: dict[str, int] = {}
            for row in conn.execute(query).all():
                company = self.ctx.config.companies.get(row.company)
                if company is None or not company.enabled:
                    continue
                if self._pulled(company) and not include_pulled:
                    continue
                if row.status == QUEUED:
                    conn.execute(sa.update(runs).where(runs.c.id == row.id, runs.c.status == QUEUED)
                                 .values(status=RUNNING, started_at=now))
                    self._release_blocked(conn, row.company, now)
                found[row.company] = row.id
        return found

    def _pulled(self, company: CompanyConfig) -> bool:
        """Pull-mode companies are worked by the remote side's calls, never by workers."""
        try:
            return issubclass(self.ctx.connector_class(company), PullConnector)
        except LedgerSyncError:
            return False

    def _release_blocked(self, conn: Connection, company: str, now: dt.datetime) -> None:
        """At a run's start, give blocked items whose dependencies are now met another go
        (a mapping made by a person, or a link made by another worker at the same moment)."""
        from .._ledger.schema import links, mappings
        from .._ledger.schema import sync_item_dependencies as deps

        unmet = (
            sa.select(deps.c.item_id)
            .where(
                deps.c.company == company,
                ~sa.exists().where(links.c.company == deps.c.company,
                                   links.c.kind == deps.c.kind, links.c.mms_id == deps.c.mms_id),
                ~sa.exists().where(mappings.c.company == deps.c.company,
                                   mappings.c.kind == deps.c.kind,
                                   mappings.c.mms_id == deps.c.mms_id),
            )
        )
        ready = conn.execute(sa.select(sync_items.c.id, sync_items.c.kind).where(
            sync_items.c.company == company, sync_items.c.status == Status.BLOCKED.value,
            sync_items.c.id.not_in(unmet),
        )).all()
        items.release_blocked(conn, company, ready, now, reason="its dependencies are now met")

    def run_pending(
        self,
        *,
        companies_filter: Sequence[str] | None = None,
        max_items: int | None = None,
        deadline: float | None = None,
        stop: threading.Event | None = None,
        on_item: Callable[[ClaimedItem, str], None] | None = None,
        confirm: bool = True,
    ) -> WorkSummary:
        """Work open runs until there is nothing due, ``max_items`` were processed, the
        ``deadline`` (a value of the engine clock's ``monotonic()``) passed, or ``stop`` was
        set.
        ``confirm=False`` leaves two-stage companies' confirmations for later (stage one
        only, as `ledgersync run --stage 1` does)."""
        summary = WorkSummary()
        polled: set[str] = set()
        # Waiting on other workers (their claims, their items in flight) starts short and
        # doubles while nothing changes: their batches end within moments, not a poll interval.
        others_wait = _FIRST_WAIT_ON_OTHERS
        while True:
            active = self.open_runs(companies_filter)
            if not active:
                return summary
            progressed = contended = False
            for company, run_id in active.items():
                if self._should_stop(summary, max_items, deadline, stop):
                    return summary
                if confirm and company not in polled:
                    # Two-stage companies: learn what the accounting system confirmed before
                    # sending more (once per call; the back-off decides whether it asks).
                    polled.add(company)
                    confirmed = self.confirmer.poll(company, run_id=run_id)
                    if confirmed.polled:
                        summary.confirmations.append(confirmed)
                # A batching connector gets at least a full batch per claim.
                limit = max(self.ctx.settings.claim_batch, self._batch_size(company))
                if max_items is not None:
                    limit = min(limit, max_items - summary.processed)
                claimed = claim_batch(self.ctx, company, owner=self.owner, limit=limit,
                                      run_id=run_id)
                batch = claimed.items
                if not batch:
                    # Another worker claiming for the company right now: it is not idle.
                    contended = contended or claimed.contended
                    if not claimed.contended and self.finish_if_idle(company, run_id):
                        summary.runs_finished.append(run_id)
                    continue
                progressed = True
                self._work_batch(batch, summary, max_items, deadline, stop, on_item)
            if self._should_stop(summary, max_items, deadline, stop):
                return summary
            if progressed:
                others_wait = _FIRST_WAIT_ON_OTHERS
            else:
                due = self._seconds_until_due(list(active))
                if due is None:
                    continue  # runs finished above; loop to re-read open runs
                wait = due.seconds
                if contended or due.others_in_flight:
                    # (due now and yet not claimed: another claimer, or the company's limit
                    # is spent by items in flight)
                    wait = min(wait, others_wait) if wait > 0 else others_wait
                    others_wait = min(others_wait * 2, self.ctx.settings.poll_seconds)
                if deadline is not None:
                    wait = min(wait, max(0.0, deadline - self.ctx.clock.monotonic()))
                if stop is not None:
                    if stop.wait(min(wait, self.ctx.settings.poll_seconds)):
                        return summary
                else:
                    self.ctx.clock.sleep(min(wait, self.ctx.settings.poll_seconds))

    def _work_batch(
        self,
        batch: list[ClaimedItem],
        summary: WorkSummary,
        max_items: int | None,
        deadline: float | None,
        stop: threading.Event | None,
        on_item: Callable[[ClaimedItem, str], None] | None,
    ) -> None:
        def count(item: ClaimedItem, outcome: Outcome) -> None:
            label = outcome.status.value if outcome.status else "lease_lost"
            summary.outcomes[label] += 1
            if on_item is not None:
                on_item(item, label)

        self.exporter.prefetch(batch)
        try:
            with self.exporter.grouped():
                self._work_items(batch, count, deadline, stop)
        finally:
            self.exporter.forget_prefetch()

    def _work_items(
        self,
        batch: list[ClaimedItem],
        count: Callable[[ClaimedItem, Outcome], None],
        deadline: float | None,
        stop: threading.Event | None,
    ) -> None:
        size = self._batch_size(batch[0].company)
        batched: list[tuple[ClaimedItem, ExportRequest]] = []
        for index, item in enumerate(batch):
            if stop is not None and stop.is_set():
                for rest in batch[index:]:
                    self.exporter.release(rest, "worker shutting down")
                for held, _ in batched:
                    self.exporter.release(held, "worker shutting down")
                return
            if deadline is not None and self.ctx.clock.monotonic() >= deadline:
                for rest in [*batch[index:], *(held for held, _ in batched)]:
                    self.exporter.release(rest, "the worker's deadline passed")
                return
            if size == 1:
                outcome = self.exporter.process(item)
            else:
                prepared = self.exporter.prepare(item)
                if isinstance(prepared, ExportRequest) and not self.exporter.needs_own_call(
                    item, prepared
                ):
                    batched.append((item, prepared))
                    continue
                outcome = (prepared if isinstance(prepared, Outcome)
                           else self.exporter.export_prepared(item, prepared))
            count(item, outcome)
            self.exporter.flush_if_old()
            if outcome.stop_company:
                for rest in batch[index + 1:]:
                    self.exporter.release(rest, "company throttled or paused")
                for held, _ in batched:
                    self.exporter.release(held, "company throttled or paused")
                return
        for start in range(0, len(batched), size):
            chunk = batched[start:start + size]
            if self._export_chunk(chunk, count):
                for held, _ in batched[start + size:]:
                    self.exporter.release(held, "company throttled or paused")
                return

    def _batch_size(self, company: str) -> int:
        return self.ctx.batch_size(company)

    def _should_stop(
        self, summary: WorkSummary, max_items: int | None, deadline: float | None,
        stop: threading.Event | None,
    ) -> bool:
        if stop is not None and stop.is_set():
            return True
        if max_items is not None and summary.processed >= max_items:
            return True
        return deadline is not None and self.ctx.clock.monotonic() >= deadline

    def _export_chunk(
        self,
        chunk: list[tuple[ClaimedItem, ExportRequest]],
        count: Callable[[ClaimedItem, Outcome], None],
    ) -> bool:
        """Send one batch; returns True when the company must stop (throttled or paused)."""
        connector = self.ctx.connector(chunk[0][0].company)
        assert isinstance(connector, PushConnector)  # pull-mode companies are never worked here
        requests = [request for _, request in chunk]
        try:
            results: Sequence[ExportResult | StagedResult | Exception] = (
                connector.export_batch(requests))
        except Exception as exc:  # noqa: BLE001 - the whole call failed: each item is told
            results = [exc] * len(chunk)
        if len(results) != len(chunk):
            results = [RuntimeError(f"connector {connector.name!r} answered {len(results)} "
                                    f"results for {len(chunk)} batched requests")] * len(chunk)
        stop_company = False
        with self.exporter.one_call():
            for (item, request), result in zip(chunk, results, strict=True):
                if stop_company:
                    self.exporter.release(item, "company throttled or paused")
                    continue
                # Each item's answer passes the export hook's wrappers, as a single export does.
                outcome = self.exporter.deliver(item, request, result)
                count(item, outcome)
                stop_company = outcome.stop_company
        return stop_company

    def _seconds_until_due(self, company_names: list[str]) -> _Due | None:
        """When the next item of these runs falls due, or None when nothing is pending."""
        now = self.ctx.now()
        with self.ctx.engine.connect() as conn:
            due = conn.execute(sa.select(sa.func.min(sync_items.c.next_attempt_at)).where(
                sync_items.c.company.in_(company_names),
                claimable(),
            )).scalar()
            # An item another worker holds is worth another look when its lease runs out
            # (its next_attempt_at is in the past: waiting on it would spin).
            lease_ends = conn.execute(sa.select(sa.func.min(sync_items.c.lease_expires_at)).where(
                sync_items.c.company.in_(company_names),
                sync_items.c.status == Status.IN_FLIGHT.value,
            )).scalar()
            throttles = conn.execute(sa.select(sa.func.max(companies.c.throttled_until)).where(
                companies.c.name.in_(company_names))).scalar()
        candidates = [t for t in (due, lease_ends) if t is not None]
        if not candidates:
            return None
        nxt = min(candidates)
        if throttles is not None:
            nxt = max(nxt, throttles)
        return _Due(seconds=max(0.0, float((nxt - now).total_seconds())),
                    others_in_flight=lease_ends is not None and (throttles is None
                                                                  or throttles <= now))

    def finish_if_idle(self, company: str, run_id: int) -> bool:
        """Finish the run when nothing of the company is in flight or due within the linger."""
        now = self.ctx.now()
        linger = now + dt.timedelta(seconds=self.ctx.settings.linger_seconds)
        with self.ctx.engine.begin() as conn:
            state = conn.execute(sa.select(companies).where(companies.c.name == company)).first()
            paused = state is not None and state.paused_reason is not None
            # A company backed off past the linger (the accounting system unreachable) can do
            # nothing due before then: the run ends instead of waiting the backoff out.
            held_off = (state is not None and state.throttled_until is not None
                        and state.throttled_until > linger)
            busy = conn.execute(sa.select(sa.func.count()).select_from(sync_items).where(
                sync_items.c.company == company,
                # Redundant with the OR below, but lets the (company, status) index skip the
                # synced history instead of scanning every item of the company.
                sync_items.c.status.in_([s.value for s in CLAIMABLE] + [Status.IN_FLIGHT.value]),
                sa.or_(
                    sync_items.c.status == Status.IN_FLIGHT.value,
                    sa.and_(claimable(), sa.false() if held_off else
                            sync_items.c.next_attempt_at <= linger),
                ),
            )).scalar_one()
            if busy and not paused:
                return False
            finished = conn.execute(sa.update(runs).where(runs.c.id == run_id,
                                                          runs.c.status == RUNNING)
                                    .values(status=FINISHED, finished_at=now))
            if finished.rowcount != 1:
                return False
            _write_sections(conn, run_id, now)
        return True

    def run_forever(self, stop: threading.Event) -> None:
        """Tick and work until ``stop`` is set; in-flight work is finished or released."""
        while not stop.is_set():
            self.tick()
            self.run_pending(stop=stop)
            self.poll_confirmations()
            stop.wait(self.ctx.settings.poll_seconds)

    def poll_confirmations(self) -> list[ConfirmSummary]:
        """Ask every enabled two-stage company about its staged items when its back-off says
        so, whether or not a run is open (an on-demand company has no schedule)."""
        done = []
        for company in self.ctx.config.enabled_companies():
            try:
                two_stage = self.ctx.connector_class(company).two_stage
            except LedgerSyncError:
                continue
            if two_stage:
                summary = self.confirmer.poll(company.name)
                if summary.polled:
                    done.append(summary)
        return done


def _write_sections(conn: Connection, run_id: int, now: dt.datetime) -> None:
    """Counts per record kind from the run's outcome events; the cursor is the run's start:
    everything recorded before it was attempted, whatever failed (failures are rows, not a
    watermark that stalls)."""
    ev = sync_events.c
    # Each item counts once, by its last outcome in the run: an item throttled (or blocked)
    # and then synced in the same run is one ok, and an item only given back unstarted
    # (released: pending, info) is no outcome at all.
    last_outcomes = (
        sa.select(sa.func.max(ev.id))
        .where(ev.run_id == run_id, ev.item_id.is_not(None), ev.to_status.is_not(None),
               ev.to_status != Status.IN_FLIGHT.value,
               ~sa.and_(ev.to_status == Status.PENDING.value, ev.level == "info"))
        .group_by(ev.item_id)
    )
    rows = conn.execute(
        sa.select(ev.kind, ev.level, ev.to_status, sa.func.count())
        .where(ev.id.in_(last_outcomes.scalar_subquery()))
        .group_by(ev.kind, ev.level, ev.to_status)
    ).all()
    started = conn.execute(sa.select(runs.c.started_at).where(runs.c.id == run_id)).scalar()
    counts: dict[str, Counter[str]] = {}
    for kind, level, to_status, count in rows:
        # Accepted by an intermediary is not in the books yet: counted apart from ok.
        label = "staged" if to_status == Status.STAGED.value else level
        counts.setdefault(kind, Counter())[label] += count
    for kind, c in counts.items():
        conn.execute(sa.insert(run_sections).values(
            run_id=run_id, kind=kind, ok=c["info"], warning=c["warning"], error=c["error"],
            staged=c["staged"], cursor=(started or now).isoformat(),
        ))
