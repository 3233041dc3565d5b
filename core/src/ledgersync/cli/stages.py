"""The two pages of a two-stage company's sync (`ledgersync run --company NAME --stage 1|2`):
stage one pushes to the intermediary and shows what it accepted and refused; stage two
collects the accounting system's results. Every failure shows its remedy; fix it, requeue it
(`ledgersync requeue --company NAME --status rejected`, ...) and run the stage again."""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from .._engine.confirm import ConfirmSummary
from .._engine.queries import ItemRef
from .._engine.statuses import Status
from .._ledger_api import Ledger
from ._common import console, table

_REFUSED = (Status.ERROR.value, Status.BLOCKED.value)


def stage_one(ledger: Ledger, company: str, *, as_json: bool) -> dict[str, Any]:
    """Push what is due; what the intermediary accepted (staged) and refused (with remedies)."""
    outcomes: dict[int, tuple[ItemRef, str]] = {}

    def seen(item: ItemRef, outcome: str) -> None:
        outcomes[item.id] = (item, outcome)

    ledger.run_now(company)
    ledger.run_pending(companies=[company], on_item=seen, confirm=False)
    accepted = [item for item, outcome in outcomes.values() if outcome == Status.STAGED.value]
    refused_ids = {i for i, (_, outcome) in outcomes.items() if outcome in _REFUSED}
    refused = [view for view in ledger.items(limit=None) if view.id in refused_ids]
    report = {
        "stage": 1, "company": company, "accepted": len(accepted),
        "refused": [{"item": v.id, "kind": v.kind, "mms_id": v.mms_id, "status": v.status,
                     "error": v.error_message or v.reason, "remedy": v.error_remedy}
                    for v in refused],
        "other": {o: sum(1 for _, x in outcomes.values() if x == o)
                  for o in {x for _, x in outcomes.values()}
                  if o not in (Status.STAGED.value, *_REFUSED)},
    }
    if not as_json:
        console.print(f"[bold]{escape(company)}, stage 1[/]: {len(accepted)} accepted by the "
                      f"intermediary (waiting for the accounting system), {len(refused)} "
                      "refused", highlight=False)
        if refused:
            table("refused at stage 1", ["item", "record", "status", "why", "what to do"],
                  [(v.id, f"{v.kind} {v.mms_id}", v.status, v.error_message or v.reason,
                    v.error_remedy or "") for v in refused])
            console.print("fix them, then `ledgersync requeue --company "
                          f"{escape(company)} --status error` and run stage 1 again",
                          highlight=False)
    return report


def stage_two(ledger: Ledger, company: str, *, as_json: bool) -> dict[str, Any]:
    """Collect the accounting system's results for what stage one staged."""
    summary = ledger.confirm_staged(company)
    report = _report(company, summary)
    if as_json:
        return report
    if summary.error:
        console.print(f"[red]stage 2 could not ask the accounting system[/]: "
                      f"{escape(summary.error)}", highlight=False)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.outcomes.items()))
    console.print(f"[bold]{escape(company)}, stage 2[/]: {counts or 'no news'}; "
                  f"{summary.still_staged} still waiting for the accounting system",
                  highlight=False)
    failed = [c for c in summary.changed if c.status != Status.SYNCED.value]
    if failed:
        table("needs a person", ["item", "record", "status", "why", "what to do"],
              [(c.item_id, f"{c.kind} {c.mms_id}", c.status,
                f"[{c.code}] {c.message}" if c.code else c.message, c.remedy or "")
               for c in failed])
        statuses = sorted({c.status for c in failed if c.status != Status.STAGED.value})
        if statuses:
            console.print("fix them, then `ledgersync requeue --company "
                          f"{escape(company)} --status {statuses[0]}` and run stage 1 again",
                          highlight=False)
    return report


def _report(company: str, summary: ConfirmSummary) -> dict[str, Any]:
    return {"stage": 2, "company": company, "polled": summary.polled,
            "outcomes": dict(summary.outcomes), "still_staged": summary.still_staged,
            "error": summary.error,
            "changed": [{"item": c.item_id, "kind": c.kind, "mms_id": c.mms_id,
                         "status": c.status, "code": c.code, "message": c.message,
                         "remedy": c.remedy} for c in summary.changed]}
