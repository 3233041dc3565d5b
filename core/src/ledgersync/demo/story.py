"""The demo's story: a year of a marina's books, synced into every installed sandbox, two
realistic problems and their fixes, the sync log, and a reconciliation to the cent."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import attrs
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .._config import load_config
from .._engine.filters import ItemFilter
from .._engine.queries import ItemRef
from .._engine.statuses import Status
from .._errors import ConnectorError, LedgerSyncError
from .._files import write_private
from .._ledger_api import Ledger
from .._plugins import PluginHost
from .._records import Invoice, InvoiceLine, Member
from . import DemoSandbox
from .dataset import ITEMS, Dataset, generate

#: The slip size the bookkeeper makes inactive, and the member who joins late and whose
#: customer is deleted in the accounting system before the first invoice reaches it.
INACTIVE_ITEM = "SLIP-40"
LATE_MEMBER = "M-9999"


@attrs.define
class DemoResult:
    tied_out: dict[str, bool] = attrs.field(factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.tied_out) and all(self.tied_out.values())


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def group_remedy(remedy: str, item_id: int, company: str, error_code: str | None) -> str:
    """The remedy of one item, made to fix every item of its group: a requeue of that item
    becomes a requeue of every failed item with the same error code."""
    group = (f"`ledgersync requeue --company {company} --error-code {error_code}`"
             if error_code else f"`ledgersync requeue --company {company} --status error`")
    single = f"`ledgersync requeue {item_id}`"
    if single in remedy:
        return remedy.replace(single, group)
    return f"{remedy}; then {group} for all of them" if remedy else f"then {group}"


def write_config(workdir: Path, sandboxes: Sequence[DemoSandbox]) -> Path:
    """The config the demo leaves behind, one company per sandbox."""
    lines = ["# Written by `ledgersync demo`: one company per installed sandbox.", "",
             "[ledger]",
             "# synchronous=normal: faster, but a power loss may lose the last commits; fine for",
             "# sandboxes, where every write carries an idempotency key. Production keeps FULL.",
             'url = "sqlite:///ledgersync.db?synchronous=normal"', ""]
    for sandbox in sandboxes:
        table = sandbox.company_table()
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        lines.append(f"[companies.{sandbox.connector}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in scalars.items()]
        lines.append("")
        for name, sub in table.items():
            if isinstance(sub, dict):
                lines.append(f"[companies.{sandbox.connector}.{name}]")
                lines += [f"{key} = {_toml_value(value)}" for key, value in sub.items()]
                lines.append("")
    path = workdir / "ledgersync.toml"
    write_private(path, "\n".join(lines))
    return path


def _require_extras(sandboxes: Sequence[DemoSandbox]) -> None:
    """Refuse to start, in one line, rather than leave out a sandbox whose extra is missing."""
    missing = [extra for extra in (s.missing_extra() for s in sandboxes) if extra]
    if missing:
        raise LedgerSyncError(
            "the demo needs the sandbox extras of the installed connectors: install "
            + " ".join(missing),
            remedy="pip install " + " ".join(f"'{extra}'" for extra in missing)
            + " (./scripts/demo installs them)")


class Story:
    def __init__(self, workdir: Path, console: Console, *, members: int, seed: int) -> None:
        self.workdir = workdir
        self.console = console
        self.members = members
        self.seed = seed

    def say(self, text: str) -> None:
        self.console.print(text, highlight=False)

    @contextlib.contextmanager
    def _progress(self) -> Iterator[Progress]:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=self.console, transient=False) as progress:
            yield progress

    def run(self) -> DemoResult:
        started = time.monotonic()
        result = DemoResult()
        self.workdir.mkdir(parents=True, exist_ok=True)
        for stale in ("ledgersync.db", "ledgersync.db-wal", "ledgersync.db-shm"):
            (self.workdir / stale).unlink(missing_ok=True)
        dataset = generate(members=self.members, seed=self.seed)
        self.say(f"[bold]A marina club's {dataset.year}[/]: {dataset.count('member')} members, "
                 f"{dataset.count('invoice')} invoices, {dataset.count('payment')} payments, "
                 f"{dataset.count('credit_memo')} credit memos, {dataset.count('refund')} "
                 f"refunds, {dataset.count('journal_entry')} journal entries")
        host = PluginHost(load_entrypoints=True)
        sandboxes = host.demo_sandboxes(self.workdir)
        _require_extras(sandboxes)
        with contextlib.ExitStack() as stack:
            for sandbox in sandboxes:
                sandbox.start()
                stack.callback(sandbox.close)
                self.say(f"started the {sandbox.title} sandbox")
                for note in sandbox.notes():
                    self.say(f"  [dim]{escape(note)}[/]")
            config = load_config(write_config(self.workdir, sandboxes))
            ledger = Ledger(config)
            stack.callback(ledger.close)
            self._story(ledger, sandboxes, dataset, result)
        result.seconds = time.monotonic() - started
        return result

    def _story(self, ledger: Ledger, sandboxes: Sequence[DemoSandbox], dataset: Dataset,
               result: DemoResult) -> None:
        for sandbox in sandboxes:
            sandbox.prepare(ledger, sandbox.connector)
        with self._progress() as progress:
            task = progress.add_task("recording the year in the ledger",
                                     total=len(dataset.records))
            chunk = 250
            for start in range(0, len(dataset.records), chunk):
                ledger.record(dataset.records[start:start + chunk])
                progress.advance(task, len(dataset.records[start:start + chunk]))

        self.say(f"\n[bold]Problem 1[/]: a bookkeeper made the item {INACTIVE_ITEM!r} "
                 "inactive in each accounting system")
        for sandbox in sandboxes:
            self.say("  " + escape(sandbox.deactivate_item(ledger, sandbox.connector,
                                                          INACTIVE_ITEM)))
        self._sync_all(ledger, sandboxes, "first sync")
        self._show_errors(ledger)
        for sandbox in sandboxes:
            self.say("  fix: " + escape(sandbox.reactivate_item(ledger, sandbox.connector,
                                                               INACTIVE_ITEM)))
            count = ledger.requeue(ItemFilter(company=sandbox.connector, status=[Status.ERROR]),
                                   actor="demo")
            self.say(f"  `ledgersync requeue --company {sandbox.connector} --status error`: "
                     f"{count} item(s)")
        self._sync_all(ledger, sandboxes, "after the fix")

        self.say(f"\n[bold]Problem 2[/]: member {LATE_MEMBER} joined in December; their "
                 "customer was deleted in the accounting system before their first invoice")
        late = Member(mms_id=LATE_MEMBER, display_name=f"Late Joiner ({LATE_MEMBER})",
                      email="late.joiner@example.org", account_number=LATE_MEMBER)
        ledger.record([late])
        self._sync_all(ledger, sandboxes, "new member")
        for sandbox in sandboxes:
            self.say("  " + escape(sandbox.delete_customer(ledger, sandbox.connector,
                                                          LATE_MEMBER)))
        dues = next(item for item in ITEMS if item.mms_id == "DUES")
        assert dues.unit_price is not None
        ledger.record([Invoice(
            mms_id="INV-LATE-1", member_id=LATE_MEMBER, number="LATE1",
            txn_date=dt.date(dataset.year, 12, 15), currency="USD",
            lines=(InvoiceLine(item_id="DUES", description="Prorated dues", quantity=1,
                               rate=dues.unit_price, amount=dues.unit_price),))])
        self._sync_all(ledger, sandboxes, "late invoice")
        self._show_errors(ledger)
        for sandbox in sandboxes:
            self.say("  fix: " + escape(sandbox.fix_deleted_customer(ledger, sandbox.connector,
                                                                    LATE_MEMBER)))
        self._sync_all(ledger, sandboxes, "after the fix")

        self.say("\n[bold]The sync log[/] (`ledgersync log`)")
        for sandbox in sandboxes:
            runs = ledger.runs(company=sandbox.connector, limit=1)
            if runs and runs[0].sections:
                self.say(f"  {sandbox.title}: last run {runs[0].status}; "
                         + ", ".join(f"{s.kind} {s.ok} ok/{s.warning} warn/{s.error} err"
                                     for s in runs[0].sections))
            counts = {s: n for (c, s), n in ledger.status_counts(sandbox.connector).items()}
            self.say(f"  {sandbox.title}: " + ", ".join(f"{n} {s}" for s, n in
                                                         sorted(counts.items())))

        self.say("\n[bold]Reconciliation[/] (`ledgersync reconcile COMPANY`)")
        for sandbox in sandboxes:
            report = ledger.reconcile(sandbox.connector)
            result.tied_out[sandbox.connector] = report.ties_out
            verdict = "[green]ties out to the cent[/]" if report.ties_out else \
                f"[red]{len(report.mismatches)} customer(s) differ[/]"
            self.say(f"  {sandbox.title}: MMS {report.total_mms} vs accounting "
                     f"{report.total_remote} over {len(report.customers)} customers: {verdict}")
            for customer in report.mismatches:
                for explanation in customer.explanations:
                    self.say(f"    {escape(customer.member_id or str(customer.external_id))}: "
                             f"{explanation.cause.value.replace('_', ' ')}: "
                             f"{escape(explanation.reason or '')}")
        first, last = dt.date(dataset.year, 1, 1), dt.date(dataset.year, 12, 31)
        self.say(f"\n[bold]Per GL account[/], {first} to {last} (`ledgersync reconcile COMPANY "
                 f"--accounts --from {first} --to {last}`)")
        for sandbox in sandboxes:
            self._accounts(ledger, sandbox, first, last, result)

    def _accounts(self, ledger: Ledger, sandbox: DemoSandbox, start: dt.date, end: dt.date,
                  result: DemoResult) -> None:
        try:
            accounts = ledger.reconcile_accounts(sandbox.connector, start=start, end=end)
        except ConnectorError as exc:
            if exc.sent:
                raise
            self.say(f"  {sandbox.title}: not compared: {escape(exc.message)}")
            return
        result.tied_out[f"{sandbox.connector} accounts"] = accounts.ties_out
        verdict = "[green]ties out to the cent[/]" if accounts.ties_out else \
            f"[red]{len(accounts.mismatches) + len(accounts.unmapped)} account(s) differ[/]"
        # Net debit balances: a trial balance (QuickBooks Desktop's) reports each account's
        # net only, so gross debits would not compare across connectors.
        mms = sum((max(a.mms, Decimal(0)) for a in accounts.accounts), Decimal("0.00"))
        books = sum((max(a.books, Decimal(0)) for a in accounts.accounts), Decimal("0.00"))
        self.say(f"  {sandbox.title}: {len(accounts.accounts)} accounts, MMS net debits {mms} "
                 f"vs accounting {books}: {verdict}")
        for account in accounts.mismatches:
            self.say(f"    {escape(account.account_id)} ({escape(account.name)}): MMS "
                     f"{account.mms}, accounting {account.books}, unexplained "
                     f"{account.unexplained}")
        for account_id, amount in accounts.unmapped:
            self.say(f"    {escape(account_id)}: {amount} posted, not mapped to the books")

    def _sync_all(self, ledger: Ledger, sandboxes: Sequence[DemoSandbox], label: str) -> None:
        with self._progress() as progress:
            for sandbox in sandboxes:
                due = sum(n for (c, s), n in ledger.status_counts(sandbox.connector).items()
                          if s in ("pending", "retry_wait", "in_doubt", "blocked"))
                task = progress.add_task(f"{sandbox.title}: {label}", total=due or None)

                def advance(_item: ItemRef, _outcome: str, task: TaskID = task) -> None:
                    progress.advance(task)

                sandbox.sync(ledger, sandbox.connector, advance)
                progress.update(task, total=progress.tasks[task].completed)

    def _show_errors(self, ledger: Ledger) -> None:
        # Errors, and what a two-stage connector's desktop refused or lost.
        failed = ledger.items(ItemFilter(status=[Status.ERROR, Status.REJECTED, Status.CONFLICT,
                                                 Status.ORPHANED]), limit=None)
        if not failed:
            return
        table = Table(title=f"{len(failed)} item(s) need a person (`ledgersync status`)",
                      title_justify="left")
        for column in ("company", "item", "error", "what to do"):
            table.add_column(column, overflow="fold")
        seen: set[tuple[str, str | None]] = set()
        for item in failed:
            if (item.company, item.error_code) in seen:
                continue  # one line per company and cause; the rest are alike
            seen.add((item.company, item.error_code))
            same = sum(1 for f in failed if (f.company, f.error_code) == (item.company,
                                                                          item.error_code))
            remedy = item.error_remedy or ""
            if same > 1:
                remedy = group_remedy(remedy, item.id, item.company, item.error_code)
            table.add_row(item.company, f"{item.kind} {item.mms_id}"
                          + (f" (+{same - 1} alike)" if same > 1 else ""),
                          f"[{item.error_code}] {item.error_message}", remedy)
        self.console.print(table)

