"""Looking at sync items and acting on them: status, log, history, requeue, unlink, resync,
mark, approve."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.markup import escape

from .._engine.filters import ItemFilter
from .._engine.outage import STATE_KEY as OUTAGE_KEY
from .._engine.statuses import NEEDS_ACTION, Status
from .._errors import ItemNotFoundError, LedgerSyncError
from ._common import (
    State,
    actor,
    build_filter,
    console,
    err_console,
    item_filters,
    json_option,
    known_company,
    pass_state,
    print_json,
    table,
)

_ORDER = [s.value for s in Status]


@click.command()
@item_filters
@click.option("--items", "show_items", is_flag=True, help="List the items, not just counts.")
@click.option("--limit", default=200, show_default=True, help="At most this many items.")
@json_option
@pass_state
def status(state: State, /, show_items: bool, limit: int, as_json: bool, **filters: Any) -> None:
    """Counts by company and status; paused companies; failed items with their remedy."""
    ledger = state.ledger()
    selection = build_filter(filters)
    if show_items or selection.ids or selection.status or selection.error_code:
        items = ledger.items(selection, limit=limit + 1)
        _print_items(items[:limit], as_json)
        if len(items) > limit and not as_json:
            # A cut list must say so, or the missing items pass for absent.
            err_console.print(f"showing the first {limit} items; more match: narrow the "
                              "filters or raise --limit", highlight=False, markup=False)
        return
    counts = ledger.status_counts(selection.company)
    companies = ledger.companies()
    # Errors, and what a two-stage connector's accounting system refused or lost.
    failed = ledger.items(ItemFilter(company=selection.company, kind=selection.kind,
                                     status=list(NEEDS_ACTION)), limit=limit)
    attention = _attention(ledger, [c.name for c in ledger.config.enabled_companies()
                                    if selection.company in (None, c.name)])
    if as_json:
        print_json({
            "counts": [{"company": c, "status": s, "count": n}
                       for (c, s), n in sorted(counts.items())],
            "paused": [c for c in companies if c.paused_reason],
            "attention": [{"company": c, "problem": p, "remedy": r} for c, p, r in attention],
            "errors": failed,
        })
        return
    names = sorted({c for c, _ in counts})
    present = [s for s in _ORDER if any(st == s for _, st in counts)]
    table("sync items", ["company", *present], [
        (name, *(counts.get((name, s), 0) for s in present)) for name in names
    ])
    for company in companies:
        if company.paused_reason:
            console.print(f"[bold red]{company.name} is paused:[/] "
                          f"{escape(company.paused_reason)}", highlight=False)
            console.print(f"  what to do: {company.paused_remedy}", highlight=False,
                          markup=False)
    for name, problem, remedy in attention:
        console.print(f"[bold yellow]{name}:[/] {escape(problem)}", highlight=False)
        console.print(f"  what to do: {remedy}", highlight=False, markup=False)
    blocked = sum(n for (_, s), n in counts.items() if s == Status.BLOCKED.value)
    if blocked:
        console.print(f"{blocked} item(s) blocked: `ledgersync status --status blocked` shows "
                      "why and what to do", highlight=False, markup=False)
    if failed:
        _print_items(failed, False, title="items that need a person")


def _attention(ledger: Any, names: list[str]) -> list[tuple[str, str, str]]:
    """What each company's connector reports outside any item (e.g. a refused list read)."""
    found: list[tuple[str, str, str]] = []
    for name in names:
        try:
            problems = ledger.connector(name).attention()
        except LedgerSyncError as exc:  # a company with bad settings still gets its counts
            problems = [(f"its connector cannot be set up: {exc.message}", exc.remedy or
                         "Fix the company's settings (`ledgersync check`)")]
        found.extend((name, problem, remedy) for problem, remedy in problems)
        outage = ledger.state(name).get(OUTAGE_KEY)
        if isinstance(outage, dict):
            found.append((name, f"the accounting system has not answered since "
                          f"{outage.get('since')} ({outage.get('failures')} failures in a row; "
                          f"last: {outage.get('message')})",
                          "Nothing to do if it comes back: the company retries by itself and "
                          "spends no attempts; if it lasts, check the network and the service's "
                          "status page"))
    return found


def _print_items(items: list[Any], as_json: bool, title: str = "items") -> None:
    if as_json:
        print_json(items)
        return
    table(title, ["id", "company", "kind", "mms id", "op", "status", "date", "attempts",
                  "remote id", "why / what to do"], [
        (i.id, i.company, i.kind, i.mms_id, i.operation, i.status, i.document_date, i.attempts,
         i.external_id, _explain(i)) for i in items
    ])


def _explain(item: Any) -> str:
    if item.status == Status.ERROR.value:
        code = f"[{item.error_code}] " if item.error_code else ""
        remedy = f" → {item.error_remedy}" if item.error_remedy else ""
        return f"{code}{item.error_message or item.reason or ''}{remedy}"
    return item.reason or ""


@click.command()
@click.option("--company", "-c", callback=known_company, help="Only this company.")
@click.option("--limit", default=10, show_default=True, help="How many recent runs.")
@json_option
@pass_state
def log(state: State, company: str | None, limit: int, as_json: bool) -> None:
    """The sync log: recent runs, counts per record kind, warnings and errors."""
    runs = state.ledger().runs(company=company, limit=limit)
    if as_json:
        print_json(runs)
        return
    if not runs:
        console.print("no runs yet: `ledgersync run --once` starts one")
    for run in runs:
        when = run.started_at or run.scheduled_for
        console.print(f"[bold]run {run.id}[/] {run.company} ({run.trigger}) "
                      f"{when:%Y-%m-%d %H:%M:%S} UTC: {run.status}", highlight=False)
        if run.sections and any(s.staged for s in run.sections):
            table(None, ["kind", "ok", "staged", "warning", "error"],
                  [(s.kind, s.ok, s.staged, s.warning, s.error) for s in run.sections])
        elif run.sections:
            table(None, ["kind", "ok", "warning", "error"],
                  [(s.kind, s.ok, s.warning, s.error) for s in run.sections])
        for message in run.messages:
            colour = "red" if message.level == "error" else "yellow"
            code = f"[{message.code}] " if message.code else ""
            console.print(f"  [{colour}]{message.level}[/] item {message.item_id} "
                          f"{message.kind} → {message.status}: "
                          f"{escape(f'{code}{message.reason}')}",
                          highlight=False, markup=True)


@click.command()
@click.argument("what", nargs=-1, required=True)
@json_option
@pass_state
def history(state: State, what: tuple[str, ...], as_json: bool) -> None:
    """Every status change of one record: ITEM, or COMPANY KIND MMS_ID (e.g. club invoice
    INV-1001: every item of that record, its create and its updates)."""
    ledger = state.ledger()
    if len(what) == 1 and what[0].isdigit():
        item_ids = [int(what[0])]
        if not ledger.history(item_ids[0]):
            raise ItemNotFoundError(f"no sync item with id {item_ids[0]}",
                                    remedy="List items with `ledgersync status --items`")
    elif len(what) == 3:
        company, kind, mms_id = what
        known_company(click.get_current_context(), click.Argument(["company"]), company)
        items = ledger.items(ItemFilter(company=company, kind=kind, mms_id=mms_id), limit=None)
        if not items:
            raise ItemNotFoundError(
                f"no sync item for {kind} {mms_id!r} of company {company!r}",
                remedy=f"Check the kind and MMS id with `ledgersync status --items --company "
                f"{company} --mms-id {mms_id}`")
        item_ids = sorted(item.id for item in items)
    else:
        raise click.UsageError(
            f"give an item id (e.g. 42) or COMPANY KIND MMS_ID (e.g. club invoice INV-1001), "
            f"not {' '.join(map(repr, what))}")
    if as_json:
        print_json([event for item_id in item_ids for event in ledger.history(item_id)])
        return
    for item_id in item_ids:
        table(f"item {item_id}", ["at (UTC)", "actor", "from", "to", "code", "reason"], [
            (f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor, e.from_status, e.to_status, e.code, e.reason)
            for e in ledger.history(item_id)
        ])


def _done(verb: str, count: int) -> None:
    console.print(f"{verb} {count} item(s)", highlight=False)
    if count == 0:
        err_console.print("nothing matched: check the ids and filters with `ledgersync status "
                          "--items`", highlight=False)
        sys.exit(1)


@click.command()
@item_filters
@pass_state
def requeue(state: State, /, **filters: Any) -> None:
    """Put failed, waiting, blocked or cleared items back in the queue."""
    _done("requeued", state.ledger().requeue(build_filter(filters, require=True), actor=actor()))


@click.command()
@item_filters
@pass_state
def unlink(state: State, /, **filters: Any) -> None:
    """Clear the remote id of synced records deleted in the accounting system ("clear id"):
    the next run creates them again."""
    _done("unlinked", state.ledger().unlink(build_filter(filters, require=True), actor=actor()))


@click.command()
@item_filters
@pass_state
def resync(state: State, /, **filters: Any) -> None:
    """Push the MMS version of synced records again (after they changed remotely)."""
    _done("queued for resync",
          state.ledger().resync(build_filter(filters, require=True), actor=actor()))


@click.command()
@click.argument("vote", type=click.Choice(["go", "no-go"]))
@item_filters
@click.option("--reason", help="Why (shown with the item).")
@pass_state
def mark(state: State, /, vote: str, reason: str | None, **filters: Any) -> None:
    """Mark items for export (go) or do-not-export (no-go), by id or by filter."""
    count = state.ledger().mark(build_filter(filters, require=True), vote.replace("-", "_"),
                                actor=actor(), reason=reason)
    _done(f"marked {vote}", count)


@click.command()
@click.argument("company", callback=known_company)
@click.option("--list", "list_only", is_flag=True, help="Only list what awaits approval.")
@click.option("--all", "approve_all", is_flag=True, help="Approve everything awaiting.")
@click.option("--ids", help="Approve these item ids (comma-separated).")
@click.option("--clear-unchecked", "unchecked", flag_value="clear",
              help="Clear what was not approved: it never comes back.")
@click.option("--keep-unchecked", "unchecked", flag_value="keep", default=True,
              help="Keep what was not approved for the next review (default).")
@json_option
@pass_state
def approve(state: State, company: str, list_only: bool, approve_all: bool, ids: str | None,
            unchecked: str, as_json: bool) -> None:
    """Review before export: approve a selection; clear or keep the rest."""
    ledger = state.ledger()
    waiting = ledger.items(ItemFilter(company=company, status=[Status.AWAITING_APPROVAL]),
                           limit=None)
    if list_only or (not approve_all and ids is None and not sys.stdin.isatty()):
        _print_items(waiting, as_json, title=f"{company}: awaiting approval")
        if not list_only:
            raise click.UsageError("say what to approve: --all, --ids 1,2,3, or run it in a "
                                   "terminal for the checklist")
        return
    if approve_all:
        chosen: list[int] | None = None
    elif ids is not None:
        try:
            chosen = [int(part) for part in ids.split(",") if part.strip()]
        except ValueError:
            raise click.BadParameter(f"{ids!r} is not a list of item ids like 3,4,7",
                                     param_hint="--ids") from None
    else:
        chosen = _checklist(waiting)
    approved, cleared = ledger.approve(company, chosen, unchecked=unchecked, actor=actor())
    kept = len(waiting) - approved - cleared
    console.print(f"approved {approved}, cleared {cleared}, kept {kept} for the next review",
                  highlight=False)


def _checklist(waiting: list[Any]) -> list[int]:
    """The interactive review: show the items, then ask which to approve."""
    if not waiting:
        return []
    _print_items(waiting, False, title="awaiting approval")
    answer = click.prompt(
        "approve which ids? (comma-separated, 'all', or empty for none)", default="",
        show_default=False,
    )
    if answer.strip().lower() == "all":
        return [item.id for item in waiting]
    try:
        return [int(part) for part in answer.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{answer!r} is not a list of ids") from None


COMMANDS = [status, log, history, requeue, unlink, resync, mark, approve]
