"""`ledgersync reconcile`: does the accounting system's receivable tie out with the MMS?"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from .._engine.filters import ItemFilter
from .._engine.statuses import Status
from .._ledger_api import Ledger
from ._common import State, console, err_console, json_option, pass_state, print_json, table


@click.command()
@click.argument("company")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Only transactions dated on or before this day (YYYY-MM-DD).")
@click.option("--all", "show_all", is_flag=True, help="List every customer, not just mismatches.")
@json_option
@pass_state
def reconcile(state: State, company: str, as_of: dt.datetime | None, show_all: bool,
              as_json: bool) -> None:
    """Compare receivable per customer with the accounting system; exit 1 unless it ties out."""
    ledger = state.ledger()
    report = ledger.reconcile(company, as_of=as_of.date() if as_of else None)
    if as_json:
        print_json({
            "company": report.company, "as_of": report.as_of, "ties_out": report.ties_out,
            "total_mms": report.total_mms, "total_remote": report.total_remote,
            "not_exported": report.not_exported,
            "customers": [
                {"member_id": c.member_id, "external_id": c.external_id, "mms": c.mms,
                 "remote": c.remote, "difference": c.difference,
                 "explanations": list(c.explanations)}
                for c in report.customers if show_all or not c.ties_out
            ],
        })
    else:
        shown = report.customers if show_all else report.mismatches
        if shown:
            table(f"{company}: receivable per customer", [
                "member", "remote id", "MMS", "accounting", "difference", "explained by"],
                [(c.member_id or "(no member)", c.external_id, c.mms, c.remote, c.difference,
                  _warned(ledger, company, c) or _explain(c)) for c in shown])
        when = f" as of {report.as_of}" if report.as_of else ""
        console.print(
            f"{company}{when}: MMS {report.total_mms} vs accounting {report.total_remote} "
            f"over {len(report.customers)} customers; {len(report.mismatches)} mismatch(es)",
            highlight=False)
        if report.not_exported:
            console.print(f"not exported on purpose (no-go or cleared): {report.not_exported}",
                          highlight=False)
        if report.awaiting_confirmation:
            console.print("staged, waiting for the accounting system to confirm (not in the "
                          f"books yet): {report.awaiting_confirmation}", highlight=False)
    if report.ties_out:
        if not as_json:
            console.print("[bold green]ties out to the cent[/]")
        return
    err_console.print("does not tie out: see the differences above", highlight=False)
    sys.exit(1)


#: How a connector's export warning starts when the accounting system computed a different
#: sales tax than the MMS (QuickBooks Online computes it from the tax code it is given).
TAX_WARNING = "tax computed differently"


def _warned(ledger: Ledger, company: str, customer: Any) -> str | None:
    """A synced document of this customer whose export was warned that the accounting system
    computed a different tax: the difference is that, not an edit made there."""
    if customer.ties_out or customer.explanations or customer.member_id is None:
        return None
    documents = ledger.items(ItemFilter(company=company, member=customer.member_id,
                                        status=[Status.SYNCED]), limit=None)
    for item in documents:  # a synced item's reason holds its export warnings
        if item.reason and TAX_WARNING in item.reason:
            return f"{item.kind} {item.mms_id}: {item.reason[item.reason.index(TAX_WARNING):]}"
    return None


def _explain(customer: object) -> str:
    if getattr(customer, "ties_out", False):
        return "ties out"  # nothing to explain, nothing to do
    explanations = getattr(customer, "explanations", ())
    if explanations:
        return "; ".join(f"{e.kind} {e.mms_id} ({e.amount}) is {e.status}"
                         + (f": {e.reason}" if e.reason else "") for e in explanations)
    if getattr(customer, "member_id", None) is None:
        return "a customer in the accounting system no MMS member is linked to"
    return ("everything is synced: changed or deleted in the accounting system? "
            "`ledgersync resync` or `ledgersync unlink` the records concerned")


COMMANDS = [reconcile]
