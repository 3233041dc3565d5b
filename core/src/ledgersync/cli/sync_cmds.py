"""Running syncs: run (cron or one-off) and worker (a long-lived process)."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .._engine.queries import ItemRef
from .._engine.runs import WorkSummary
from .._engine.statuses import Status
from .._ledger_api import Ledger
from .._secrets import check_key
from ._common import State, console, err_console, json_option, known_company, pass_state, print_json
from .stages import stage_one, stage_two

#: Exit codes of `ledgersync run` that a cron job can act on (docs/operations.md).
EXIT_OK = 0
EXIT_NEEDS_PERSON = 3
EXIT_PAUSED = 4


def interactive() -> bool:
    """Whether a person is at the terminal (the two pages pause for a review only then)."""
    return sys.stdin.isatty()


def _outcome(ledger: Ledger, names: list[str]) -> tuple[int, list[tuple[str, str]], int]:
    """(exit code, paused companies with why, items in error) after a run of ``names``."""
    paused = [(c.name, c.paused_reason) for c in ledger.companies()
              if c.name in names and c.paused_reason]
    errors = sum(n for (company, status), n in ledger.status_counts().items()
                 if company in names and status == Status.ERROR.value)
    code = EXIT_PAUSED if paused else EXIT_NEEDS_PERSON if errors else EXIT_OK
    return code, paused, errors


def _print_summary(summary: WorkSummary, as_json: bool, code: int,
                   paused: list[tuple[str, str]], errors: int) -> None:
    if as_json:
        print_json({"processed": summary.processed, "outcomes": dict(summary.outcomes),
                    "runs_finished": summary.runs_finished, "exit_code": code,
                    "paused": [{"company": c, "reason": why} for c, why in paused],
                    "items_needing_a_person": errors})
        return
    parts = ", ".join(f"{n} {status}" for status, n in sorted(summary.outcomes.items()))
    console.print(f"processed {summary.processed} item(s): {parts or 'nothing was due'}",
                  highlight=False)
    if paused:
        # One line, whatever the number of companies: what cron mails and logs grep.
        err_console.print("paused: " + "; ".join(f"{c} ({why})" for c, why in paused)
                          + " - see `ledgersync status`, then `ledgersync companies resume`",
                          highlight=False, markup=False)
    if errors:
        err_console.print(f"{errors} item(s) need a person: `ledgersync status` lists them "
                          "with what to do", highlight=False, markup=False)


@click.command()
@click.option("--company", "-c", "companies", multiple=True, callback=known_company,
              help="Only this company (repeatable).")
@click.option("--once", is_flag=True,
              help="Run the companies now, whatever their schedule, until nothing is due.")
@click.option("--max-items", type=click.IntRange(min=1), help="Stop after this many items.")
@click.option("--deadline", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Stop after this many seconds (in-flight items finish first).")
@click.option("--stage", type=click.Choice(["1", "2"]),
              help="Two-stage companies: 1 pushes to the intermediary and shows what it "
              "accepted and refused; 2 collects the accounting system's results.")
@json_option
@pass_state
def run(state: State, companies: tuple[str, ...], once: bool, max_items: int | None,
        deadline: float | None, stage: str | None, as_json: bool) -> None:
    """Sync what is due, then exit (for cron, or --once by hand).

    A two-stage company named with --company runs both stages in a terminal, with a pause
    to review what the intermediary accepted before collecting the results (--stage 1 or 2
    runs one page).

    Exit codes: 0 all well; 1 nothing ran (configuration or database error); 2 usage error;
    3 items need a person (status error); 4 a company is paused (e.g. its authorisation was
    lost). On SIGTERM or Ctrl-C the item in flight finishes and the rest of the claimed batch
    is released, as `ledgersync worker` does."""
    ledger = state.ledger()
    names = list(companies) or [c.name for c in ledger.config.enabled_companies()]
    for name in names:
        ledger._context.company(name)  # unknown names fail before any work
    # A key that cannot read the stored tokens is a configuration error: found before a run
    # is opened or an item claimed, not as a failure of every item.
    check_key(ledger._database, names, keys=ledger._context.secret_keys)
    context = ledger._context
    two_stage = [n for n in names if context.connector_class(context.company(n)).two_stage]
    if stage is not None:
        if not companies or len(two_stage) != len(names):
            raise click.UsageError("--stage needs --company naming two-stage companies only "
                                   f"(two-stage here: {', '.join(two_stage) or 'none'})")
        reports = [(stage_one if stage == "1" else stage_two)(ledger, name, as_json=as_json)
                   for name in names]
        if as_json:
            print_json(reports)
        return
    if companies and two_stage and len(two_stage) == len(names) and not as_json and (
            interactive()):
        for name in names:
            stage_one(ledger, name, as_json=False)
            if click.confirm(f"review the list above; collect {name}'s results from the "
                             "accounting system now (stage 2)?", default=True):
                stage_two(ledger, name, as_json=False)
        return
    if once:
        for name in names:
            ledger.run_now(name)
    else:
        ledger.tick()
    ends = time.monotonic() + deadline if deadline is not None else None
    # As `worker` does: a SIGTERM (a cron job's or a container's stop) or Ctrl-C lets the
    # item in flight finish and releases the rest of the claimed batch, so nothing waits in
    # in_flight for its lease to run out.
    stop = _stop_on_signals(err_console.print)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=as_json) as progress:
        pending = sum(n for (c, s), n in ledger.status_counts().items()
                      if c in names and s in ("pending", "retry_wait", "in_doubt"))
        task = progress.add_task("syncing", total=pending or None)

        def advance(item: ItemRef, outcome: str) -> None:
            progress.update(task, advance=1,
                            description=f"{item.company}: {item.kind} {item.mms_id} {outcome}")

        summary = ledger.run_pending(companies=names, max_items=max_items, deadline=ends,
                                     stop=stop, on_item=advance)
    code, paused, errors = _outcome(ledger, names)
    _print_summary(summary, as_json, code, paused, errors)
    if code != EXIT_OK:
        sys.exit(code)


def _stop_on_signals(say: Callable[[str], None]) -> threading.Event:
    """An event set by SIGTERM or SIGINT (after saying so), for ``run_pending(stop=...)``."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        say(f"received {signal.Signals(signum).name}: finishing in-flight work")
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


@click.command()
@pass_state
def worker(state: State) -> None:
    """Run schedules and sync until SIGTERM or Ctrl-C (in-flight items finish or are released)."""
    ledger = state.ledger()
    stop = _stop_on_signals(console.print)
    console.print(f"worker {ledger.worker_name} started; Ctrl-C to stop")
    ledger.run_forever(stop)
    console.print("worker stopped")


COMMANDS = [run, worker]
